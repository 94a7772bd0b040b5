"""One PyTorch emitter per layer class: the registry ``EMITTERS`` (class -> function).

An emitter gets the built layer, the attribute name its module takes on the generated class, and
the forward variable(s) holding its input, and returns a ``Piece``: the torch.nn modules to create
in ``__init__``, the forward expression, and where each of nncalc's parameters lands (so the
generated ``load_nncalc_weights`` copies the engine's weights). Layouts: a map is NCHW in the
generated module (nncalc's is H x W x C), a sequence (N, L, F), a vector (N, F); ``map_in(layer)``
tells an emitter which it gets. A kind that cannot be written gives one line (``Unsupported``).
Why a registry here and not a method on each layer class: DEVELOPING.md, "Code out". The window
pools' emitters are in torch_pools.py, imported at the end of this file so the registry is whole.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from calc.errors import SpecError
from calc.layers import (
    REGISTRY,
    attention,
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
    recurrent,
    sequence,
    sequence_position,
    swiglu,
    token_type,
    upsample,
)
from calc.layers.activation import hard, linear, rectifiers, saturating, smooth, softmax
from calc.layers.containers import Add, ConcatMerge, Multiply
from calc.shapes import is_map


class Unsupported(SpecError):
    """A layer (or one of its options) that the export cannot write: one line naming it."""


@dataclass
class Piece:
    expr: str  # the forward expression
    modules: list[tuple[str, str]] = field(default_factory=list)  # (attribute, constructor)
    params: dict[str, str] = field(default_factory=dict)  # nncalc name -> path under self
    helpers: tuple[str, ...] = ()
    # statements before the main one, each reading IN (the input, then the previous statement's result);
    # the main expression reads IN as their result
    pre: tuple[str, ...] = ()


IN = "__in__"


Emitter = Callable[[object, str, object], Piece]


def emitter_registry(target: str):
    """(EMITTERS, emits, refuse) of one export target: the class -> emitter table, the decorator that
    fills it, and the one-line refusal naming the layer and the target (PyTorch, Keras)."""
    table: dict[type, Emitter] = {}

    def emits(*classes: type):
        def wrap(fn: Emitter) -> Emitter:
            for cls in classes:
                table[cls] = fn
            return fn
        return wrap

    def refuse(layer, what: str):
        raise Unsupported(f"{layer.kind} '{layer.name}': {what} has no {target} export yet", layer.where)

    return table, emits, refuse


EMITTERS, emits, refuse = emitter_registry("PyTorch")
# kinds with no PyTorch form yet, and why (tests/test_export_torch.py: every kind is in one of the two)
REFUSED: dict[str, str] = {}


def own(attr: str, layer, names=None) -> dict[str, str]:
    """nncalc parameter and buffer names held under the same names by self.<attr>."""
    names = names or [*layer.param_shapes(), *layer.buffer_shapes()]
    return {n: f"{attr}.{n}" for n in names}


def tup(values) -> str:
    return "(" + ", ".join(str(int(v)) for v in values) + ("," if len(values) == 1 else "") + ")"


def per_channel(layer, call: str, x: str) -> str:
    """``call`` (a torch module taking channels on dim 1; its input written ``{}``) on x: a map (NCHW)
    or a vector (N, F) as it is; a sequence (N, L, F), whose channels are nncalc's last axis, turned
    to (N, F, L) and back."""
    if len(layer.in_shape) == 2:
        return call.format(f"{x}.transpose(1, 2)") + ".transpose(1, 2)"
    return call.format(x)


def channels_last(layer, call: str, x: str) -> str:
    """``call`` (a torch module normalising the last axis, as nncalc's norms do) on x: a map's
    channels are dim 1 in NCHW, so it runs on x made NHWC and back (as ConvNeXt does)."""
    if is_map(layer.in_shape):
        return f"{call}({x}.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)"
    return f"{call}({x})"


# -- convolution and pooling ----------------------------------------------------------------
def pair(values) -> str:
    """3 for (3, 3), else (3, 1): what nn.Conv2d and the pools take."""
    return str(int(values[0])) if values[0] == values[1] else tup(values)


def options(**given) -> str:
    """Keyword arguments without torch's defaults (stride 1, padding 0, dilation 1, groups 1, bias)."""
    defaults = {"stride": "1", "padding": "0", "dilation": "1", "groups": "1", "bias": "True"}
    return "".join(f", {k}={v}" for k, v in given.items() if defaults.get(k) != str(v))


@emits(conv.Conv)
def _conv(layer, a, x):
    top, bottom, left, right = layer.pad
    even = top == bottom and left == right
    ctor = (f"nn.Conv2d({layer.in_shape[2]}, {layer.filters}, {pair(layer.kernel)}"
            + options(stride=pair(layer.stride), padding=pair((top, left)) if even else "0",
                      dilation=pair(layer.dilation), groups=layer.groups, bias=layer.use_bias) + ")")
    arg = x if even else f"F.pad({x}, {tup((left, right, top, bottom))})"
    return Piece(f"self.{a}({arg})", [(a, ctor)], own(a, layer))


@emits(conv_transpose.ConvTranspose)
def _conv_transpose(layer, a, x):
    top, bottom, left, right = layer.pad
    ctor = (f"nn.ConvTranspose2d({layer.in_shape[2]}, {layer.filters}, kernel_size={tup(layer.kernel)}, "
            f"stride={tup(layer.stride)}, output_padding={tup(layer.output_padding)}, groups={layer.groups}, "
            f"bias={layer.use_bias}, dilation={tup(layer.dilation)})")
    ho, wo = layer.out_shape[:2]
    return Piece(f"self.{a}({x})[:, :, {top}:{top + ho}, {left}:{left + wo}]", [(a, ctor)], own(a, layer))


@emits(pool.GlobalAvgPool)
def _global(layer, a, x):
    return Piece(f"self.{a}({x})", [(a, "nn.AdaptiveAvgPool2d(1)")])


@emits(pool.AdaptiveAvgPool)
def _adaptive(layer, a, x):
    return Piece(f"self.{a}({x})", [(a, f"nn.AdaptiveAvgPool2d({tup(layer.output)})")])


@emits(conv1d.Conv1d)
def _conv1d(layer, a, x):
    before, after = layer.pad[:2]
    ctor = (f"nn.Conv1d({layer.in_shape[1]}, {layer.filters}, kernel_size={layer.kernel[0]}, "
            f"stride={layer.stride[0]}, dilation={layer.dilation[0]}, groups={layer.groups}, bias={layer.use_bias})")
    arg = f"{x}.transpose(1, 2)" + (f", ({before}, {after})" if before or after else "")
    arg = f"F.pad({arg})" if before or after else arg
    return Piece(f"self.{a}({arg}).transpose(1, 2)", [(a, ctor)], own(a, layer))


# -- dense, flatten, normalisation, dropout ---------------------------------------------------
@emits(dense.Dense)
def _dense(layer, a, x):
    if is_map(layer.in_shape):  # nncalc reads a map's values in H, W, C order
        x = f"{x}.permute(0, 2, 3, 1).flatten(1)"
    if layer.use_bias and layer.shared_bias:  # one bias for every unit (Mazur's example network)
        ctor = f"SharedBiasLinear({layer.inputs}, {layer.units})"
        return Piece(f"self.{a}({x})", [(a, ctor)], own(a, layer), ("SharedBiasLinear",))
    ctor = f"nn.Linear({layer.inputs}, {layer.units}, bias={layer.use_bias})"
    return Piece(f"self.{a}({x})", [(a, ctor)], own(a, layer))


@emits(dense.Flatten)
def _flatten(layer, a, x):
    if not is_map(layer.in_shape):
        return Piece(f"{x}.flatten(1)")
    if layer.order == "chw":
        return Piece(f"{x}.flatten(1)  # order chw (NCHW)")
    return Piece(f"{x}.permute(0, 2, 3, 1).flatten(1)  # order hwc")


@emits(norm.BatchNorm)
def _batchnorm(layer, a, x):
    dim = "2d" if is_map(layer.in_shape) else "1d"  # a sequence: nncalc's statistics over N and L
    ctor = f"nn.BatchNorm{dim}({layer.channels}, eps={layer.eps}, momentum={layer.momentum}, affine={layer.affine})"
    if layer.variance == "unbiased":  # a training batch divided by n - 1 (hand solutions)
        return Piece(per_channel(layer, f"batch_norm_unbiased(self.{a}, {{}})", x), [(a, ctor)], own(a, layer),
                     ("batch_norm_unbiased",))
    return Piece(per_channel(layer, f"self.{a}({{}})", x), [(a, ctor)], own(a, layer))


@emits(group_norm.GroupNorm)
def _groupnorm(layer, a, x):
    ctor = f"nn.GroupNorm({layer.groups}, {layer.channels}, eps={layer.eps}, affine={layer.affine})"
    return Piece(f"self.{a}({x})", [(a, ctor)], own(a, layer))


@emits(group_norm.InstanceNorm)
def _instancenorm(layer, a, x):
    ctor = (f"nn.InstanceNorm2d({layer.channels}, eps={layer.eps}, momentum={layer.momentum}, "
            f"affine={layer.affine}, track_running_stats={layer.track})")
    return Piece(f"self.{a}({x})", [(a, ctor)], own(a, layer))


@emits(layer_norm.LayerNorm)
def _layernorm(layer, a, x):
    ctor = f"nn.LayerNorm({layer.features}, eps={layer.eps}, elementwise_affine={layer.affine}, bias={layer.use_bias})"
    return Piece(channels_last(layer, f"self.{a}", x), [(a, ctor)], own(a, layer))


@emits(layer_norm.RMSNorm)
def _rmsnorm(layer, a, x):
    ctor = f"nn.RMSNorm({layer.features}, eps={layer.eps}, elementwise_affine={layer.affine})"
    return Piece(channels_last(layer, f"self.{a}", x), [(a, ctor)], own(a, layer))


@emits(dropout.Dropout)
def _dropout(layer, a, x):
    """nn.Dropout scales survivors in training; ``scaling: test`` (the paper's) is its output times
    1 - rate: survivors unscaled in training, every value times 1 - rate at test time. A spec's fixed
    mask (an exercise's) is not carried: a module being trained draws its masks."""
    test = layer.scaling == "test"
    notes = ["scaling: test (the paper's)"] * test + ["torch draws the masks"] * (layer.given_mask is not None)
    expr = f"self.{a}({x})" + (f" * (1 - {layer.rate})" if test else "") + (f"  # {'; '.join(notes)}" if notes else "")
    return Piece(expr, [(a, f"nn.Dropout({layer.rate})")])


@emits(upsample.Upsample)
def _upsample(layer, a, x):
    ac = f", align_corners={layer.align_corners}" if layer.mode == "bilinear" else ""
    size = (f"size={tup(layer.size)}" if layer.size is not None
            else "scale_factor=(" + ", ".join(str(float(s)) for s in layer.scale) + ")")
    return Piece(f"self.{a}({x})", [(a, f"nn.Upsample({size}, mode={layer.mode!r}{ac})")])


@emits(gates.ChannelShuffle)
def _shuffle(layer, a, x):
    expr = f"self.{a}({x}[:, :, None])[:, :, 0]" if len(layer.in_shape) == 1 else per_channel(layer, f"self.{a}({{}})", x)
    return Piece(expr, [(a, f"nn.ChannelShuffle({layer.groups})")])  # torch shuffles dim 1 of 3 or more


# -- activations ----------------------------------------------------------------------------
SIMPLE = {rectifiers.ReLU: "nn.ReLU()", saturating.Sigmoid: "nn.Sigmoid()", saturating.Tanh: "nn.Tanh()",
          rectifiers.SELU: "nn.SELU()", linear.Identity: "nn.Identity()", smooth.SiLU: "nn.SiLU()",
          hard.ReLU6: "nn.ReLU6()", hard.Hardswish: "nn.Hardswish()", hard.Hardsigmoid: "nn.Hardsigmoid()",
          smooth.Mish: "nn.Mish()"}


@emits(*SIMPLE)
def _simple(layer, a, x):
    return Piece(f"self.{a}({x})", [(a, SIMPLE[type(layer)])])


@emits(rectifiers.LeakyReLU)
def _leaky(layer, a, x):
    return Piece(f"self.{a}({x})", [(a, f"nn.LeakyReLU({layer.slope})")])


@emits(rectifiers.ELU)
def _elu(layer, a, x):
    return Piece(f"self.{a}({x})", [(a, f"nn.ELU({layer.alpha})")])


@emits(smooth.GELU)
def _gelu(layer, a, x):
    return Piece(f"self.{a}({x})", [(a, f"nn.GELU(approximate={layer.approximate!r})")])


@emits(smooth.Softplus)
def _softplus(layer, a, x):
    return Piece(f"self.{a}({x})", [(a, f"nn.Softplus(beta={layer.beta}, threshold={layer.threshold})")])


@emits(softmax.Softmax)
def _softmax(layer, a, x):  # nncalc: the last axis, the channels of a map (dim 1 in NCHW)
    return Piece(f"self.{a}({x})", [(a, f"nn.Softmax(dim={1 if is_map(layer.in_shape) else -1})")])


@emits(saturating.Step)
def _step(layer, a, x):
    return Piece(f"({x} > 0).to({x}.dtype)  # step: 1 where x > 0, else 0")


@emits(rectifiers.PReLU)
def _prelu(layer, a, x):
    """nn.PReLU holds one slope or one per channel (dim 1); nncalc's per element slopes on a map or
    a sequence are a parameter of nncalc's shape (H x W x C: permuted to NCHW where it is used)."""
    shape = tuple(layer.param_shapes()["weight"])
    if layer.per == "element" and len(shape) > 1:
        slope = f"self.{a}.permute(2, 0, 1)" if is_map(shape) else f"self.{a}"
        return Piece(f"torch.where({x} > 0, {x}, {slope} * {x})",
                     [(a, f"nn.Parameter(torch.full({tup(shape)}, {float(layer.init_value)}))")], {"weight": a})
    ctor = f"nn.PReLU({shape[0]}, init={layer.init_value})"
    return Piece(per_channel(layer, f"self.{a}({{}})", x), [(a, ctor)], own(a, layer))


# -- sequences ------------------------------------------------------------------------------
@emits(sequence.Embedding)
def _embedding(layer, a, x):
    pad = f", padding_idx={layer.padding_idx}" if layer.padding_idx is not None else ""
    return Piece(f"self.{a}({x}.long())", [(a, f"nn.Embedding({layer.vocab}, {layer.dim}{pad})")], own(a, layer))


@emits(sequence_position.PositionalEmbedding)
def _positional(layer, a, x):
    return Piece(f"self.{a}({x})", [(a, f"PositionalEmbedding({layer.max_len}, {layer.features})")],
                 own(a, layer), ("PositionalEmbedding",))


@emits(sequence_position.Rotary)
def _rotary(layer, a, x):
    interleaved = ", interleaved=True" if layer.pairing == "interleaved" else ""
    return Piece(f"rotary({x}, {float(layer.base)}, {layer.size}{interleaved})", helpers=("rotary",))


@emits(sequence_position.Sinusoidal)
def _sinusoidal(layer, a, x):
    return Piece(f"sinusoidal({x}, {float(layer.base)})", helpers=("sinusoidal",))


@emits(token_type.TokenTypeEmbedding)
def _token_type(layer, a, x):
    return Piece(f"self.{a}({x})", [(a, f"TokenType({layer.types}, {layer.dim})")], own(a, layer), ("TokenType",))


@emits(sequence.ClassToken)
def _class_token(layer, a, x):
    return Piece(f"self.{a}({x})", [(a, f"ClassToken({layer.features})")], own(a, layer), ("ClassToken",))


@emits(sequence.ToSequence)
def _to_sequence(layer, a, x):
    return Piece(f"to_sequence({x})", helpers=("to_sequence",))


@emits(sequence.SequencePool)
def _sequence_pool(layer, a, x):
    return Piece({"first": f"{x}[:, 0]", "last": f"{x}[:, -1]", "mean": f"{x}.mean(dim=1)",
                  "max": f"{x}.max(dim=1).values"}[layer.mode])  # max, not amax: one position takes a tie


@emits(attention.Attention, attention.CrossAttention)
def _attention(layer, a, x):
    widths = {p: tuple(int(v) for v in w) for p, w in layer.widths().items()}
    rotary = float(layer.rotary_base) if layer.rotary else None
    ctor = (f"Attention({widths}, heads={layer.heads}, kv_heads={layer.kv_heads}, head_dim={layer.head_dim}, "
            f"bias={layer.use_bias}, causal={bool(getattr(layer, 'causal', False))}, rotary={rotary}"
            + (f", dropout={float(layer.rate)}" if float(layer.rate) else "") + ")")
    call = f"self.{a}({x[0]}, {x[1]})" if isinstance(x, list) else f"self.{a}({x})"
    params = {f"{p}_{t}": f"{a}.{p}.{t}" for p in "qkvo" for t in ("weight", "bias") if f"{p}_{t}" in
              layer.param_shapes()}
    return Piece(call, [(a, ctor)], params, ("Attention",))


@emits(swiglu.SwiGLU)
def _swiglu(layer, a, x):
    params = {f"{p}_{t}": f"{a}.{p}.{t}" for p in ("gate", "up", "down") for t in ("weight", "bias")
              if f"{p}_{t}" in layer.param_shapes()}
    return Piece(f"self.{a}({x})", [(a, f"SwiGLU({layer.d_model}, {layer.hidden}, {layer.use_bias})")], params,
                 ("SwiGLU",))


@emits(recurrent.RNN, recurrent.LSTM, recurrent.GRU)
def _recurrent(layer, a, x):
    helpers: tuple[str, ...] = ()
    if (layer.use_bias and not layer.two_biases) or (layer.kind == "gru" and not layer.reset_after):
        ctor = (f"KerasRecurrent({layer.kind!r}, {layer.features}, {layer.hidden}, layers={layer.layers}, "
                f"dirs={layer.dirs}, bias={layer.use_bias}, nonlinearity={getattr(layer, 'nonlinearity', 'tanh')!r})")
        helpers = ("KerasRecurrent",)
    else:
        cls = {"rnn": "nn.RNN", "lstm": "nn.LSTM", "gru": "nn.GRU"}[layer.kind]
        extra = f", nonlinearity={layer.nonlinearity!r}" if layer.kind == "rnn" else ""
        ctor = (f"{cls}({layer.features}, {layer.hidden}, num_layers={layer.layers}, bias={layer.use_bias}, "
                f"batch_first=True, bidirectional={layer.bidirectional}{extra})")
    if layer.return_sequences:
        return Piece(f"self.{a}({x})[0]", [(a, ctor)], own(a, layer), helpers)
    return Piece(f"last_state(*self.{a}({x}), {layer.dirs})", [(a, ctor)], own(a, layer), (*helpers, "last_state"))


# -- merges: x is the list of input variables -------------------------------------------------
def channel_dim(layer) -> int:
    return 1 if is_map(layer.out_shape) else -1


@emits(Add)
def _add(layer, a, xs):
    return Piece(" + ".join(xs))


@emits(Multiply)
def _multiply(layer, a, xs):  # an (N, C, 1, 1) gate broadcasts over H and W as nncalc's 1 x 1 x C
    return Piece(" * ".join(xs))


@emits(ConcatMerge)
def _concat(layer, a, xs):
    return Piece(f"torch.cat([{', '.join(xs)}], dim={channel_dim(layer)})")


def emitter_for(layer) -> Emitter:
    fn = EMITTERS.get(type(layer))
    if fn is None:
        reason = REFUSED.get(layer.kind, "this kind")
        refuse(layer, reason)
    return fn


def unexported_kinds() -> list[str]:
    """Registered kinds with neither an emitter nor a stated reason (the conformance test wants none)."""
    return sorted(k for k, cls in REGISTRY.items() if cls not in EMITTERS and k not in REFUSED)


from calc.interchange.export import torch_pools  # noqa: E402, F401 - registers the pool emitters
