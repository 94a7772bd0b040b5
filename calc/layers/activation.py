"""Element-wise activations as layers. Counting: no MACs, one op per element under 'act'."""

from __future__ import annotations

from math import prod

from calc.layers.base import Layer, Shape, register
from calc.spec.options import Options


class Activation(Layer):
    """An element-wise function; subclasses add their constants as options."""

    prefix = ""  # named after the kind: relu1, sigmoid2, ...

    def costs(self) -> dict[str, int]:
        return {"act": prod(self.out_shape)}


def _simple(kind: str, doc: str, aliases: tuple[str, ...] = ()) -> type[Activation]:
    cls = type(kind.title().replace("_", ""), (Activation,), {
        "kind": kind, "prefix": kind, "aliases": aliases, "summary": doc, "__doc__": doc})
    return register(cls)


ReLU = _simple("relu", "max(0, z); derivative at 0 taken as 0 (PyTorch)")
Sigmoid = _simple("sigmoid", "1 / (1 + e^-z); derivative a(1 - a)", ("logistic",))
Tanh = _simple("tanh", "hyperbolic tangent; derivative 1 - a^2")
Step = _simple("step", "Heaviside step for perceptrons: 1 if z > 0 else 0", ("heaviside", "threshold"))
Identity = _simple("linear", "identity (no activation)", ("identity", "none"))


@register
class LeakyReLU(Activation):
    """z if z > 0 else slope*z; slope 0.01 as PyTorch (Keras' LeakyReLU uses 0.3)."""

    kind = "leaky_relu"
    prefix = "leaky_relu"
    aliases = ("leakyrelu", "lrelu")
    summary = "z if z > 0 else slope*z: slope (0.01, PyTorch; Keras uses 0.3)"

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        key = "alpha" if opts.has("alpha") and not opts.has("slope") else "slope"
        layer.slope = opts.number(key, 0.01)
        opts.finish()
        return layer

    def describe(self) -> str:
        return f"slope {self.slope:g}"


@register
class ELU(Activation):
    kind = "elu"
    prefix = "elu"
    summary = "z if z > 0 else alpha(e^z - 1): alpha (1.0)"

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        layer.alpha = opts.number("alpha", 1.0)
        opts.finish()
        return layer

    def describe(self) -> str:
        return f"alpha {self.alpha:g}"


@register
class SELU(Activation):
    """lambda * (z if z > 0 else alpha(e^z - 1)) with the fixed self-normalising constants."""

    kind = "selu"
    prefix = "selu"
    summary = "scaled ELU, alpha 1.6732632423543772, lambda 1.0507009873554805"
    alpha = 1.6732632423543772
    scale = 1.0507009873554805


@register
class PReLU(Activation):
    """Leaky ReLU with a learned slope: one shared (PyTorch default, init 0.25), one per channel,
    or one per element (Keras' default PReLU)."""

    kind = "prelu"
    prefix = "prelu"
    summary = "learned leaky slope: per single (PyTorch default) | channel | element (Keras), init 0.25"

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        layer.per = opts.choice("per", ("single", "channel", "element"), "single")
        layer.init = opts.number("init", 0.25)
        layer.trainable = opts.flag("trainable", True)
        opts.finish()
        return layer

    def param_shapes(self) -> dict[str, Shape]:
        if self.per == "single":
            return {"weight": (1,)}
        if self.per == "channel":
            return {"weight": (self.in_shape[-1],)}
        return {"weight": tuple(self.in_shape)}

    def describe(self) -> str:
        return f"per {self.per}"


@register
class Softmax(Activation):
    """e^z_i / sum_j e^z_j over the last axis (classes, or channels of a map)."""

    kind = "softmax"
    prefix = "softmax"
    summary = "softmax over the last axis (computed stably: z - max z)"
