"""One Keras emitter per layer class: the registry ``EMITTERS`` (class -> function).

Keras is channels-last like nncalc, so maps keep their H x W x C layout and a Flatten reads them
in nncalc's default order. An emitter returns the functional call, e.g.
``layers.Conv2D(8, (3, 3), name='conv1')(x)``. Padding is written as its own layer
(ZeroPadding2D; -inf for max pooling) so uneven 'same' pads match nncalc's. Where Keras has no
layer for an option (dilated or count_include_pad: false pools, resizing to a size, adaptive
pools, a shared bias) the emitter names a class of keras_custom.py that the file then defines
(``call(..., helpers)``). Sequence and transformer emitters: keras_seq_kinds.py. What Keras
cannot express gives one line (``Unsupported``). The code is checked against a small fake of the
Keras API (tests/test_export_keras.py) and run in real Keras 3 (tests/test_export_keras_real.py,
tests/test_export_keras_seq.py: every registered kind has an emitter).
"""

from __future__ import annotations

from calc.interchange.export.torch_kinds import IN, Piece, emitter_registry, tup
from calc.layers import (
    conv,
    conv1d,
    conv_transpose,
    dense,
    dropout,
    gates,
    group_norm,
    layer_norm,
    norm,
    pool,
    upsample,
)
from calc.layers.activation import hard, linear, rectifiers, saturating, smooth, softmax
from calc.layers.containers import Add, ConcatMerge, Multiply

EMITTERS, emits, refuse = emitter_registry("Keras")


def keyword_args(**given) -> str:
    """Keyword arguments without Keras' defaults (strides and dilation 1, groups 1, a bias)."""
    defaults = {"strides": "(1, 1)", "dilation_rate": "(1, 1)", "groups": "1", "use_bias": "True"}
    return "".join(f", {k}={v}" for k, v in given.items() if defaults.get(k) != str(v))


def keras_name(name: str) -> str:
    """A layer name Keras accepts: it refuses '/' (its scope separator), which becomes '_'; the
    generated loader applies the same rule (keras_helpers.LOADER)."""
    return str(name).replace("/", "_")


def call(layer, ctor: str, x: str, helpers: tuple[str, ...] = ()) -> Piece:
    """``ctor`` with the layer's name (and trainable=False for a frozen layer), applied to ``x``;
    ``helpers`` names the custom classes of keras_custom.py it uses."""
    sep = "" if ctor.endswith("(") else ", "
    frozen = ", trainable=False" if getattr(layer, "trainable", True) is False else ""
    return Piece(f"{ctor}{sep}name={keras_name(layer.name)!r}{frozen})({x})", helpers=helpers)


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
    plain = tuple(layer.dilation) == (1, 1) and (layer.kind == "maxpool" or (
        not layer.ceil_mode and (layer.count_include_pad or not any(layer.pad))))
    if not plain:  # dilation, a ceil-mode average or count_include_pad false: nncalc's windows
        return window_pool(layer, x, tuple(layer.pad), layer.out_shape[:2])
    pad = ceil_pads(layer) if layer.ceil_mode else tuple(layer.pad)
    cls = "MaxPooling2D" if layer.kind == "maxpool" else "AveragePooling2D"
    pre = padding(pad, 'float("-inf")' if layer.kind == "maxpool" else None)
    return with_pre(call(layer, f"layers.{cls}({tup(layer.kernel)}, strides={tup(layer.stride)}", IN if pre else x), pre)


def window_pool(layer, x, pad, out) -> Piece:
    """The WindowPool layer of the file: PyTorch's pooling windows whatever the options."""
    mode = "max" if layer.kind.startswith("max") else "avg"
    extra = "" if mode == "max" or layer.count_include_pad else ", count_include_pad=False"
    ctor = (f"WindowPool({mode!r}, {tup(layer.kernel)}, {tup(layer.stride)}, {tup(layer.dilation)}, "
            f"{tup(pad)}, {tup(out)}{extra}")
    return call(layer, ctor, x, ("WindowPool",))


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


@emits(pool.GlobalMaxPool)
def _global_max(layer, x):  # as the average: keepdims for nncalc's 1 x 1 x C
    return call(layer, f"layers.GlobalMaxPooling2D(keepdims={len(layer.out_shape) == 3}", x)


@emits(pool.AdaptiveAvgPool)
def _adaptive(layer, x):  # a plain average pool when the sizes divide, else the file's AdaptiveAvgPool
    (h, w, _), (oh, ow) = layer.in_shape, layer.out_shape[:2]
    if h % oh or w % ow:
        return call(layer, f"AdaptiveAvgPool({tup((oh, ow))}", x, ("AxisMix", "AdaptiveAvgPool"))
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
        (before, after), out = layer.pad[:2], (layer.out_shape[0], 1)
        return window_pool(layer, x, (before, after, 0, 0), out)
    cls = "MaxPooling1D" if layer.kind == "maxpool1d" else "AveragePooling1D"
    return call(layer, f"layers.{cls}({layer.kernel[0]}, strides={layer.stride[0]}", x)


@emits(dense.Dense)
def _dense(layer, x):
    pre = (f"layers.Flatten()({IN})",) if len(layer.in_shape) == 3 else ()
    if getattr(layer, "shared_bias", False):  # one bias for every neuron (Mazur's example)
        return with_pre(call(layer, f"SharedBiasDense({layer.units}", IN if pre else x, ("SharedBiasDense",)), pre)
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


@emits(group_norm.InstanceNorm)
def _instancenorm(layer, x):
    """Instance norm is a group norm with one channel a group; with running statistics it
    normalises with them at inference, as a batch norm does."""
    if layer.track:
        return _batchnorm(layer, x)
    return call(layer, f"layers.GroupNormalization({layer.channels}, epsilon={layer.eps}, center={layer.affine}, "
                       f"scale={layer.affine}", x)


@emits(conv_transpose.ConvTranspose)
def _conv_transpose(layer, x):
    """Conv2DTranspose with 'valid' padding computes nncalc's full map (rows (H-1)s + d(k-1) + 1,
    plus output_padding rows of bias alone); Cropping2D then keeps nncalc's window of it. Groups:
    the file's GroupedConvTranspose, one Conv2DTranspose a group."""
    top, bottom, left, right = layer.pad
    extra = [max(0, op - after) for op, after in zip(layer.output_padding, (bottom, right))]
    if any(e >= s for e, s in zip(extra, layer.stride)):
        refuse(layer, "output_padding beyond the padding by the stride or more (Keras' limit)")
    reach = [(n - 1) * s + d * (k - 1) + 1 + e for n, s, d, k, e in
             zip(layer.in_shape[:2], layer.stride, layer.dilation, layer.kernel, extra)]
    (ho, wo), (hk, wk) = layer.out_shape[:2], reach
    options = (f"strides={tup(layer.stride)}" + keyword_args(dilation_rate=tup(layer.dilation), use_bias=layer.use_bias)
               + (f", output_padding={tup(extra)}" if any(extra) else ""))
    if layer.groups == 1:
        piece = call(layer, f"layers.Conv2DTranspose({layer.filters}, {tup(layer.kernel)}, {options}", IN)
    else:
        piece = call(layer, f"GroupedConvTranspose({layer.filters}, {tup(layer.kernel)}, {layer.groups}, "
                            f"dict({options})", IN, ("GroupedConvTranspose",))
    crop = ((top, hk - top - ho), (left, wk - left - wo))
    if not any(v for pair in crop for v in pair):
        return Piece(piece.expr.replace(IN, x), helpers=piece.helpers)
    return Piece(f"layers.Cropping2D({crop})({IN})", pre=(piece.expr,), helpers=piece.helpers)


@emits(layer_norm.LayerNorm)
def _layernorm(layer, x):
    return call(layer, f"layers.LayerNormalization(epsilon={layer.eps}, center={layer.use_bias}, "
                       f"scale={layer.affine}", x)


@emits(dropout.Dropout)
def _dropout(layer, x):
    if layer.scaling == "test":  # the original paper's dropout: scaled by 1 - rate at inference
        return call(layer, f"layers.Lambda(lambda t: t * {1 - float(layer.rate)!r}", x)
    return call(layer, f"layers.Dropout({layer.rate}", x)


@emits(upsample.Upsample)
def _upsample(layer, x):
    whole = layer.size is None and all(float(v) == int(v) for v in layer.scale)
    if whole and not (layer.mode == "bilinear" and layer.align_corners):
        return call(layer, f"layers.UpSampling2D({tup(layer.scale)}, interpolation={layer.mode!r}", x)
    scale = "" if layer.size is not None else ", scale=(" + ", ".join(repr(str(v)) for v in layer.scale) + ")"
    corners = ", align_corners=True" if layer.mode == "bilinear" and layer.align_corners else ""
    return call(layer, f"Resize({tup(layer.out_shape[:2])}, {layer.mode!r}{corners}{scale}", x, ("AxisMix", "Resize"))


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
    if isinstance(layer, smooth.Softplus) and (float(layer.beta) != 1 or float(layer.threshold) != 20):
        return _softplus(layer, x)
    return call(layer, f"layers.Activation({NAMED[type(layer)]!r}", x)


def _softplus(layer, x):
    """PyTorch's softplus: ln(1 + e^(beta z)) / beta, z itself where beta z > threshold."""
    b, t = float(layer.beta), float(layer.threshold)
    return call(layer, f"layers.Lambda(lambda t: keras.ops.where({b!r} * t > {t!r}, t, "
                       f"keras.ops.softplus({b!r} * t) / {b!r})", x)


@emits(saturating.Step)
def _step(layer, x):
    return call(layer, "layers.Lambda(lambda t: keras.ops.cast(t > 0, t.dtype)", x)


@emits(rectifiers.PReLU)
def _prelu(layer, x):
    """Keras' PReLU holds one slope per value; shared_axes makes it one per channel or one."""
    rank = len(layer.in_shape)
    shared = {"single": list(range(1, rank + 1)), "channel": list(range(1, rank)), "element": []}[layer.per]
    extra = f", shared_axes={shared}" if shared else ""
    init = f"keras.initializers.Constant({float(layer.init_value)!r})"
    return call(layer, f"layers.PReLU(alpha_initializer={init}{extra}", x)


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
