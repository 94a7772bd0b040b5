"""The layer surface every feature walks: shapes, parameter tensors and MAC counts.

One layer type is one small class. ``build(in_shape)`` fixes its input and output shapes (raising
a located SpecError when they do not fit); ``param_shapes``/``buffer_shapes`` name its tensors, so
counting and running derive from the same description; ``macs`` and ``costs`` count work.
Shapes are per sample, without batch: ``(H, W, C)`` for maps and ``(F,)`` for vectors.
"""

from __future__ import annotations

from math import prod
from typing import ClassVar

from calc.errors import NNCalcError, SpecError, Where, did_you_mean
from calc.shapes import Shape, fmt_shape, is_map

# Extra cost categories beyond the default MACs (conv + dense multiplies), see conventions.md,
# each with what one counted operation is: the summary states the rule of every kind it adds.
COST_RULES = {
    "bias": "one add per output element of a conv or dense layer with a bias",
    "bn": "one multiply-add per element (eval mode: scale and shift folded)",
    "act": "one operation per output element of an activation, softmax included (identity: none)",
    "pool": "max/avg pooling: one operation per window cell (padding included) for each output; "
            "global/adaptive average pooling: one add per input cell of each window",
    "add": "one add per output element of a residual sum (a branch product: one multiply)",
    "norm": "layer, group and instance norm: 5 operations per element (mean, centring, variance, scaling, affine; 4 without "
            "affine, as fvcore); RMS norm: 4 (square-mean, 1/sqrt, scaling, weight; 3 without)",
}
COST_KINDS = tuple(COST_RULES)


class Layer:
    """Base of all layers and containers."""

    kind: ClassVar[str] = ""  # the YAML name, e.g. "conv"
    prefix: ClassVar[str] = ""  # default name stem, e.g. "conv" -> conv1, conv2
    aliases: ClassVar[tuple[str, ...]] = ()
    summary: ClassVar[str] = ""  # one line for `nncalc layers` and error hints
    # How one output value's receptive field grows through this layer (calc.counting.receptive walks it):
    # "identity" (element-wise: r and j unchanged), "window" (a kernel: receptive_window() gives k, s, d),
    # "transposed" (a transposed window: the jump is divided by the stride), "whole" (every input
    # value: dense, flatten, global pooling); containers: "sequence" (children in order) and
    # "widest" (parallel paths(), then merge_layer()). "" = no rule: calc.counting.receptive refuses it.
    receptive: ClassVar[str] = ""
    mode_dependent: ClassVar[bool] = False  # computes differently in training and eval mode (dropout, batch norm)
    default_text: ClassVar[str] = ""  # where its parameters start when nothing sets them, e.g. "gamma 1, beta 0"
    window_noun: ClassVar[str] = ""  # "conv" or "pooling": how a worked count names its output-size steps
    batch_statistics: ClassVar[bool] = False  # in training mode an output depends on the whole batch (batch norm)
    # named references (calc/spec/refs.py): the layers whose outputs this one takes instead of the
    # previous output (after it when chained); referenced: a later layer takes this one's output
    sources: list | None = None
    chained: bool = True
    referenced: bool = False

    def __init__(self, where: Where | None = None):
        self.where = where or Where()
        self.name = ""
        self.in_shape: Shape | None = None
        self.out_shape: Shape | None = None
        self.trainable = True
        self.activation = None  # a fused activation entry from `activation:` (conv, dense)

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_options(cls, opts) -> Layer:
        """Read options (a calc.spec.options.Options) into a layer; default: none allowed."""
        layer = cls(opts.where)
        opts.finish()
        return layer

    def build(self, in_shape: Shape) -> Shape:
        """Fix input/output shapes; a SizeProblem becomes a SpecError naming this layer."""
        self.in_shape = tuple(in_shape)
        try:
            self.out_shape = tuple(self.compute_shape(self.in_shape))
        except SpecError:
            raise
        except NNCalcError as exc:
            self.fail(f"{exc.message}; input is {fmt_shape(self.in_shape)}")
        return self.out_shape

    def compute_shape(self, in_shape: Shape) -> Shape:
        return in_shape

    def fail(self, message: str):
        label = f"{self.kind} '{self.name}'" if self.name else self.kind
        raise SpecError(f"{label}: {message}", self.where)

    def padding_pairs(self):
        """padding_spec as 'same'/'valid' or ((top, bottom), (left, right))."""
        spec = self.padding_spec
        return spec if isinstance(spec, str) else ((spec[0], spec[1]), (spec[2], spec[3]))

    def need_map(self, in_shape: Shape) -> tuple[int, int, int]:
        if not is_map(in_shape):
            self.fail(f"needs a feature map (height x width x channels), got {fmt_shape(in_shape)}")
        return in_shape  # type: ignore[return-value]

    # -- counting -------------------------------------------------------------------------
    def param_shapes(self) -> dict[str, Shape]:
        """Learnable tensors, PyTorch layouts (conv weight (Cout, Cin/g, kh, kw); dense (out, in))."""
        return {}

    def buffer_shapes(self) -> dict[str, Shape]:
        """Non-learnable state (batch-norm running mean/var)."""
        return {}

    def param_count(self) -> int:
        return sum(prod(s) for s in self.param_shapes().values())

    def buffer_count(self) -> int:
        return sum(prod(s) for s in self.buffer_shapes().values())

    def macs(self) -> int:
        """Multiply-accumulates per sample, default convention (conv + dense, no bias)."""
        return 0

    def costs(self) -> dict[str, int]:
        """Extra per-sample operations by category (COST_KINDS); counted only on request."""
        return {}

    def describe(self) -> str:
        """Short configuration, e.g. '3x3 /2 pad 1'."""
        return ""

    def count_note(self) -> str:
        """A counting convention this layer type adds to a summary's conventions ("" for none)."""
        return ""

    def param_symbols(self, pname: str) -> list[str]:
        """Names of a parameter's axes in a worked count, e.g. ['Cout', 'Cin', 'kh', 'kw']."""
        return {1: ["C"], 3: ["H", "W", "C"]}.get(len(self.param_shapes()[pname]), ["n"])

    def mac_text(self) -> tuple[str, str]:
        """(formula, formula with the numbers) of macs() for a worked count."""
        return "multiply-accumulates of the layer", ""

    def fans(self) -> tuple[int, int]:
        """(fan_in, fan_out) of the weight as torch.nn.init._calculate_fan_in_and_fan_out reads
        it: dim 1 and dim 0, times the receptive field (kh * kw) of conv weights. Dense (out, in):
        in, out; conv (Cout, Cin/g, kh, kw): Cin/g*kh*kw, Cout*kh*kw; transposed conv
        (Cin, Cout/g, kh, kw): Cout/g*kh*kw, Cin*kh*kw. (0, 0) for layers without a weight."""
        shape = self.param_shapes().get("weight")
        if not shape:
            return (0, 0)
        field = prod(shape[2:])
        return (shape[1] * field if len(shape) > 1 else shape[0]), shape[0] * field

    # -- running (calc.engine) ------------------------------------------------------------
    # Arrays are batch-first: (N, H, W, C) for maps, (N, F) for vectors; parameters use the
    # PyTorch layouts of param_shapes(). ctx is a calc.engine.context.Ctx (backend, training).
    params: dict
    grads: dict
    buffers: dict

    def init_params(self, ctx) -> None:
        """Create ``params`` (and ``buffers``) from explicit spec values or ctx's initialiser."""
        self.params, self.grads, self.buffers = {}, {}, {}
        given = self.explicit_values(ctx)
        for name, shape in self.param_shapes().items():
            self.params[name] = given[name] if name in given else ctx.init_param(self, name, shape)
        for name, shape in self.buffer_shapes().items():
            self.buffers[name] = given[name] if name in given else ctx.init_buffer(self, name, shape)

    def explicit_values(self, ctx) -> dict:
        """Parameter values written in the spec (``weights:``, ``bias:``), checked and converted."""
        return {}

    def forward(self, x, ctx):
        raise NotImplementedError(f"{self.kind} cannot run yet")

    def backward(self, dy, ctx):
        """Given dL/d(output), store dL/d(param) in ``grads`` and return dL/d(input)."""
        raise NotImplementedError(f"{self.kind} has no backward yet")

    def output_replaced(self, old, new) -> None:
        """The engine passes ``new`` on instead of this layer's output ``old`` (an observer's hand
        rounding or a learner's value): a layer whose backward reads its own output uses ``new``."""

    def run_note(self) -> tuple[str, str, str] | None:
        """A choice a run's conventions must state, as (topic, this layer's value, what the values
        mean), e.g. ("flatten order", "chw", "hwc: row-major over H x W x C"); layers with the same
        topic share one line listing their values. None: nothing to state."""
        return None

    def receptive_window(self) -> tuple[tuple, tuple, tuple]:
        """(kernel, stride, dilation) per axis of a "window" or "transposed" receptive rule."""
        return self.kernel, self.stride, getattr(self, "dilation", (1, 1))

    # -- structure ------------------------------------------------------------------------
    def children(self) -> list[Layer]:
        return []

    def paths(self) -> list[Layer]:
        """The parallel paths of a "widest" container (branches; body and shortcut)."""
        return []

    def merge_layer(self) -> Layer | None:
        """The leaf that joins the paths of a "widest" container (concat, add)."""
        return None

    @property
    def is_container(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, {fmt_shape(self.in_shape)} -> {fmt_shape(self.out_shape)})"


REGISTRY: dict[str, type[Layer]] = {}
_ALIASES: dict[str, str] = {}


def register(cls: type[Layer]) -> type[Layer]:
    """Class decorator: make a layer type available under its YAML name and aliases."""
    assert cls.kind and cls.kind not in REGISTRY and cls.kind not in _ALIASES, cls
    REGISTRY[cls.kind] = cls
    for alias in cls.aliases:  # one name, one layer type: a name may not mean two things
        assert alias not in _ALIASES and alias not in REGISTRY, (alias, cls)
        _ALIASES[alias] = cls.kind
    return cls


def lookup(name, where: Where, extra: tuple[str, ...] = ()) -> type[Layer]:
    """The layer class for a YAML name; unknown names list the valid ones."""
    key = _ALIASES.get(name, name) if isinstance(name, str) else name
    if isinstance(key, str) and key in REGISTRY:
        return REGISTRY[key]
    valid = sorted(list(REGISTRY) + list(extra))
    raise SpecError(f"unknown layer '{name}'{did_you_mean(name, valid + list(_ALIASES))}; "
                    f"valid layers: {', '.join(valid)}", where)


def canonical(name: str) -> str:
    return _ALIASES.get(name, name)
