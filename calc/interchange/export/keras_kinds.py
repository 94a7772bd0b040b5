"""One Keras emitter per layer class: the registry ``EMITTERS`` (class -> function).

Keras is channels-last like nncalc, so maps keep their H x W x C layout and a Flatten reads them
in nncalc's default order. An emitter returns the functional call, e.g.
``layers.Conv2D(8, (3, 3), name='conv1')(x)``. Padding is written as its own layer
(ZeroPadding2D; -inf for max pooling) so uneven 'same' pads match nncalc's. Kinds without a Keras
form give one line (``Unsupported``). The code is checked against a small fake of the Keras API
(tests/test_export_keras.py) and run in real Keras 3 (tests/test_export_keras_real.py).
"""

from __future__ import annotations

from calc.interchange.export.torch_kinds import IN, Piece, emitter_registry, tup
from calc.layers import (
    attention,
    conv,
    conv1d,
    dense,
    dropout,
    gates,
    group_norm,
    layer_norm,
    norm,
    pool,
    recurrent,
    sequence,
    upsample,
)
from calc.layers.activation import hard, linear, rectifiers, saturating, smooth, softmax
from calc.layers.containers import Add, ConcatMerge, Multiply

EMITTERS, emits, refuse = emitter_registry("Keras")


def keyword_args(**given) -> str:
    """Keyword arguments without Keras' defaults (strides and dilation 1, groups 1, a bias)."""
    defaults = {"strides": "(1, 1)", "dilation_rate": "(1, 1)", "groups": "1", "use_bias": "True"}
    return "".join(f", {k}={v}" for k, v in given.items() if defaults.get(k) != str(v))


def call(layer, ctor: str, x: str) -> Piece:
    """``ctor`` with the layer's name, applied to ``x``."""
    sep = "" if ctor.endswith("(") else ", "
    return Piece(f"{ctor}{sep}name={layer.name!r})({x})")


def padding(pad, value: str | None = None) -> tuple[str, ...]:
    """The statement padding a map as nncalc does (zeros, or -inf before a max pool), if any."""
    top, bottom, left, right = pad
    if not any(pad):
        return ()
    if value is None:
        return (f"layers.ZeroPadding2D((({top}, {bottom}), ({left}, {right})))({IN})",)
    return (f"layers.Lambda(lambda t: keras.ops.pad(t, [[0, 0], [{top}, {bottom}], [{left}, {right}], [0, 0]], "
            f"constant_values={value}))({IN})",)


def with_pre(piece: Piece, pre: tuple[str, ...]) -> Piece:
    piece.pre = pre
    return piece


def subsampled(piece: Piece, strides, dilation) -> Piece:
    """Keras refuses strides > 1 together with dilation > 1: the layer then runs with stride 1 and
    every stride-th output is kept, which is the strided convolution (same weights, same sizes)."""
    if max(strides) > 1 and max(dilation) > 1:
        index = ", ".join(f"::{int(s)}" for s in strides)
        piece.pre = (*piece.pre, piece.expr)
        piece.expr = f"layers.Lambda(lambda t: t[:, {index}])({IN})"
    return piece


def strides_for(stride, dilation) -> tuple:
    return stride if max(dilation) == 1 else (1,) * len(stride)


@emits(conv.Conv)
def _conv(layer, x):
    ctor = f"layers.Conv2D({layer.filters}, {tup(layer.kernel)}" + keyword_args(
        strides=tup(strides_for(layer.stride, layer.dilation)), dilation_rate=tup(layer.dilation),
        groups=layer.groups, use_bias=layer.use_bias)
    pre = padding(layer.pad)
    return subsampled(with_pre(call(layer, ctor, IN if pre else x), pre), layer.stride, layer.dilation)


@emits(pool.MaxPool, pool.AvgPool)
def _pool(layer, x):
    if tuple(layer.dilation) != (1, 1) or (layer.ceil_mode and layer.kind == "avgpool"):
        refuse(layer, "a dilated pool or a ceil-mode average pool")
    if layer.kind == "avgpool" and any(layer.pad) and not layer.count_include_pad:
        refuse(layer, "count_include_pad: false with padding")
    pad = ceil_pads(layer) if layer.ceil_mode else tuple(layer.pad)
    cls = "MaxPooling2D" if layer.kind == "maxpool" else "AveragePooling2D"
    pre = padding(pad, 'float("-inf")' if layer.kind == "maxpool" else None)
    return with_pre(call(layer, f"layers.{cls}({tup(layer.kernel)}, strides={tup(layer.stride)}", IN if pre else x), pre)


def ceil_pads(layer) -> tuple[int, int, int, int]:
    """A ceil-mode max pool as a floor-mode one: -inf cells added at the bottom and right until the
    last window nncalc keeps fits ((out - 1) * stride + kernel cells)."""
    top, bottom, left, right = layer.pad
    (h, w), (oh, ow) = layer.in_shape[:2], layer.out_shape[:2]
    (kh, kw), (sh, sw) = layer.kernel, layer.stride
    bottom += max(0, (oh - 1) * sh + kh - (h + top + bottom))
    right += max(0, (ow - 1) * sw + kw - (w + left + right))
    return top, bottom, left, right


@emits(pool.GlobalAvgPool)
def _global(layer, x):
    return call(layer, f"layers.GlobalAveragePooling2D(keepdims={len(layer.out_shape) == 3}", x)


@emits(pool.AdaptiveAvgPool)
def _adaptive(layer, x):  # Keras has no adaptive pool: exact as a plain one when the sizes divide
    (h, w, _), (oh, ow) = layer.in_shape, layer.out_shape[:2]
    if h % oh or w % ow:
        refuse(layer, f"adaptive pooling from {h} x {w} to {oh} x {ow} (sizes that do not divide)")
    return call(layer, f"layers.AveragePooling2D({tup((h // oh, w // ow))}", x)


@emits(conv1d.Conv1d)
def _conv1d(layer, x):
    before, after = layer.pad[:2]
    pre = (f"layers.ZeroPadding1D(({before}, {after}))({IN})",) if before or after else ()
    stride = strides_for(layer.stride[:1], layer.dilation[:1])[0]
    ctor = (f"layers.Conv1D({layer.filters}, {layer.kernel[0]}, strides={stride}, "
            f"dilation_rate={layer.dilation[0]}, groups={layer.groups}, use_bias={layer.use_bias}")
    return subsampled(with_pre(call(layer, ctor, IN if pre else x), pre), layer.stride[:1], layer.dilation[:1])


@emits(conv1d.MaxPool1d, conv1d.AvgPool1d)
def _pool1d(layer, x):
    if any(layer.pad) or layer.dilation[0] != 1 or layer.ceil_mode:
        refuse(layer, "a padded, dilated or ceil-mode pool")
    cls = "MaxPooling1D" if layer.kind == "maxpool1d" else "AveragePooling1D"
    return call(layer, f"layers.{cls}({layer.kernel[0]}, strides={layer.stride[0]}", x)


@emits(dense.Dense)
def _dense(layer, x):
    if getattr(layer, "shared_bias", False):
        refuse(layer, "a shared bias")
    pre = (f"layers.Flatten()({IN})",) if len(layer.in_shape) == 3 else ()
    return with_pre(call(layer, f"layers.Dense({layer.units}{keyword_args(use_bias=layer.use_bias)}", IN if pre else x),
                    pre)


@emits(dense.Flatten)
def _flatten(layer, x):
    if len(layer.in_shape) == 3 and layer.order == "chw":  # channel by channel, as nncalc's order: chw
        return with_pre(call(layer, "layers.Flatten(", IN), (f"layers.Permute((3, 1, 2))({IN})",))
    return call(layer, "layers.Flatten(", x)


@emits(norm.BatchNorm)
def _batchnorm(layer, x):  # Keras' momentum is 1 - PyTorch's
    ctor = (f"layers.BatchNormalization(epsilon={layer.eps}, momentum={1 - layer.momentum:.6g}, "
            f"center={layer.affine}, scale={layer.affine}")
    return call(layer, ctor, x)


@emits(group_norm.GroupNorm)
def _groupnorm(layer, x):
    return call(layer, f"layers.GroupNormalization({layer.groups}, epsilon={layer.eps}, center={layer.affine}, "
                       f"scale={layer.affine}", x)


@emits(layer_norm.LayerNorm)
def _layernorm(layer, x):
    return call(layer, f"layers.LayerNormalization(epsilon={layer.eps}, center={layer.use_bias}, "
                       f"scale={layer.affine}", x)


@emits(dropout.Dropout)
def _dropout(layer, x):
    return call(layer, f"layers.Dropout({layer.rate}", x)


@emits(upsample.Upsample)
def _upsample(layer, x):
    if layer.size is not None or any(float(s) != int(s) for s in layer.scale) or \
            (layer.mode == "bilinear" and layer.align_corners):
        refuse(layer, "a size, a fractional scale or align_corners")
    return call(layer, f"layers.UpSampling2D({tup(layer.scale)}, interpolation={layer.mode!r}", x)


@emits(gates.ChannelShuffle)
def _shuffle(layer, x):
    g = layer.groups
    h, w, c = layer.in_shape
    return call(layer, f"layers.Lambda(lambda t: keras.ops.reshape(keras.ops.transpose(keras.ops.reshape("
                       f"t, (-1, {h}, {w}, {g}, {c // g})), (0, 1, 2, 4, 3)), (-1, {h}, {w}, {c}))", x)


NAMED = {rectifiers.ReLU: "relu", saturating.Sigmoid: "sigmoid", saturating.Tanh: "tanh", rectifiers.SELU: "selu",
         linear.Identity: "linear", smooth.SiLU: "silu", hard.ReLU6: "relu6", hard.Hardswish: "hard_swish",
         hard.Hardsigmoid: "hard_sigmoid", smooth.Mish: "mish", smooth.Softplus: "softplus"}


@emits(*NAMED)
def _named(layer, x):
    if isinstance(layer, smooth.Softplus) and (float(layer.beta) != 1):
        refuse(layer, "softplus with beta")
    return call(layer, f"layers.Activation({NAMED[type(layer)]!r}", x)


@emits(smooth.GELU)
def _gelu(layer, x):
    approx = layer.approximate == "tanh"
    return call(layer, f"layers.Activation(lambda t: keras.activations.gelu(t, approximate={approx})", x)


@emits(rectifiers.LeakyReLU)
def _leaky(layer, x):
    return call(layer, f"layers.LeakyReLU(negative_slope={layer.slope}", x)


@emits(rectifiers.ELU)
def _elu(layer, x):
    return call(layer, f"layers.ELU(alpha={layer.alpha}", x)


@emits(softmax.Softmax)
def _softmax(layer, x):
    return call(layer, "layers.Softmax(axis=-1", x)


@emits(sequence.Embedding)
def _embedding(layer, x):
    return call(layer, f"layers.Embedding({layer.vocab}, {layer.dim}", x)


@emits(sequence.SequencePool)
def _sequence_pool(layer, x):
    if layer.mode == "mean":
        return call(layer, "layers.GlobalAveragePooling1D(", x)
    index = 0 if layer.mode == "first" else -1
    return call(layer, f"layers.Lambda(lambda t: t[:, {index}]", x)


@emits(recurrent.RNN, recurrent.LSTM, recurrent.GRU)
def _recurrent(layer, x):
    if layer.layers != 1:
        refuse(layer, "a stacked recurrent layer (write one entry per layer)")
    if layer.kind == "gru":
        if layer.convention == "pytorch" and not layer.reset_after:
            refuse(layer, "reset_after: false with two biases")
        extra = f", reset_after={layer.convention == 'pytorch' or layer.reset_after}"
    elif layer.two_biases:
        refuse(layer, "PyTorch's two biases")
    else:
        extra = f", activation={layer.nonlinearity!r}" if layer.kind == "rnn" else ""
    cls = {"rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}[layer.kind]
    inner = (f"layers.{cls}({layer.hidden}, use_bias={layer.use_bias}, "
             f"return_sequences={layer.return_sequences}{extra})")
    if layer.bidirectional:
        return call(layer, f"layers.Bidirectional({inner}", x)
    return call(layer, inner[:-1], x)


@emits(attention.Attention)
def _attention(layer, x):
    if layer.rotary or layer.kv_heads != layer.heads:
        refuse(layer, "rotary or grouped-query attention")
    ctor = (f"layers.MultiHeadAttention({layer.heads}, {layer.head_dim}, use_bias={layer.use_bias}, "
            f"name={layer.name!r})")
    return Piece(f"{ctor}({x}, {x}, use_causal_mask={bool(layer.causal)})")


@emits(Add)
def _add(layer, xs):
    return call(layer, "layers.Add(", f"[{', '.join(xs)}]")


@emits(Multiply)
def _multiply(layer, xs):
    return call(layer, "layers.Multiply(", f"[{', '.join(xs)}]")


@emits(ConcatMerge)
def _concat(layer, xs):
    return call(layer, "layers.Concatenate(axis=-1", f"[{', '.join(xs)}]")


def keras_emitter_for(layer):
    fn = EMITTERS.get(type(layer))
    if fn is None:
        refuse(layer, "this kind")
    return lambda layer, attr, x: fn(layer, x)
