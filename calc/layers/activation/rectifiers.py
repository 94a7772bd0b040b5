"""ReLU and its variants: leaky (a fixed slope), PReLU (a learned slope), ELU and SELU (an
exponential below zero). Each is linear for z > 0; what differs is the negative side.
"""

from __future__ import annotations

from fractions import Fraction

from calc.layers.activation.base import Activation, branch, float_options, whole
from calc.layers.base import Shape, register
from calc.spec.options import Options


@register
class ReLU(Activation):
    kind, prefix = "relu", "relu"
    summary = "max(0, z); derivative at 0 taken as 0 (PyTorch)"
    formula, derivative_formula = "max(0, z)", "1 if z > 0 else 0 (0 at z = 0, as PyTorch)"
    derivative_plain = "1 if z > 0 else 0"
    tex_name, tex_body = r"\mathrm{ReLU}", r"\max(0, %s)"
    remark = " (ReLU'(0) = 0, PyTorch)"
    convention = "ReLU'(0) = 0 (PyTorch; ReLU is not differentiable at 0)"
    kink_at_zero = True
    zero_note = " (z = 0 gives 0)"
    dead_note = ("every ReLU of {owner} outputs 0 (all z <= 0): the layers after it see only their biases, and no "
                 "gradient flows back through it (a dead layer)")

    def pieces(self, z, a, w):
        return whole(f"max(0, {w.num(z)})"), branch(z, "1", "0")

    def function(self, z, be):
        return be.xp.maximum(z, be.scalar(0))  # one pass; NaN stays NaN, as PyTorch

    def derivative(self, z, a, be):
        return be.xp.where(z > 0, 1 + 0 * z, 0 * z)

    def backward(self, dy, ctx):
        if getattr(ctx, "observer", None) is not None:  # an observer may replace da/dz
            return super().backward(dy, ctx)
        return dy * (self.z > 0)  # dy * derivative(), without building the 0/1 array


@register
class LeakyReLU(Activation):
    """z if z > 0 else slope*z; slope 0.01 as PyTorch (Keras' LeakyReLU uses 0.3)."""

    kind, prefix = "leaky_relu", "leaky_relu"
    aliases = ("leakyrelu", "lrelu")
    summary = "z if z > 0 else slope*z: slope (0.01, PyTorch; Keras uses 0.3)"
    formula, derivative_formula = "z if z > 0 else slope*z", "1 if z > 0 else slope"
    tex_name = r"\mathrm{LeakyReLU}"
    convention = ("leaky ReLU slope {p} (PyTorch's default 0.01; Keras' LeakyReLU uses 0.3); at z = 0 the "
                  "derivative is the slope (PyTorch takes the z <= 0 branch)")
    kink_at_zero = True
    constant = ("slope", Fraction(1, 100))

    def pieces(self, z, a, w):
        return branch(z, w.num(z), f"{w.factor(self.slope)}*{w.factor(z)}"), branch(z, "1", w.num(self.slope))
    option_aliases = {"slope": ("alpha", "negative_slope")}
    from_options = float_options(("slope", 0.01))
    slope = 0.01

    def function(self, z, be):
        return be.xp.where(z > 0, z, be.scalar(self.slope) * z)

    def derivative(self, z, a, be):
        return be.xp.where(z > 0, 1 + 0 * z, be.scalar(self.slope) + 0 * z)

    def describe(self) -> str:
        return f"slope {self.slope:g}"


@register
class ELU(Activation):
    kind, prefix = "elu", "elu"
    summary = "z if z > 0 else alpha(e^z - 1): alpha (1.0)"
    formula, derivative_formula = "z if z > 0 else alpha(e^z - 1)", "1 if z > 0 else a + alpha"
    tex_name = r"\mathrm{ELU}"
    convention = "ELU alpha {p} (PyTorch/Keras default 1.0); for z <= 0, ELU'(z) = alpha e^z = ELU(z) + alpha"
    constant = ("alpha", Fraction(1))

    def pieces(self, z, a, w):
        alpha = w.factor(self.alpha)
        return branch(z, w.num(z), f"{alpha}(e^{w.factor(z)} - 1)"), branch(z, "1", f"{w.num(a)} + {alpha}")
    from_options = float_options(("alpha", 1.0))
    alpha = 1.0

    def function(self, z, be):
        xp = be.xp
        neg = be.scalar(self.alpha) * (xp.exp(xp.minimum(z, 0 * z)) - 1)  # min(): no overflow for large z
        return xp.where(z > 0, z, neg)

    def derivative(self, z, a, be):
        return be.xp.where(z > 0, 1 + 0 * z, a + be.scalar(self.alpha))

    def describe(self) -> str:
        return f"alpha {self.alpha:g}"


@register
class SELU(Activation):
    """lambda * (z if z > 0 else alpha(e^z - 1)) with the fixed self-normalising constants."""

    kind, prefix = "selu", "selu"
    summary = "scaled ELU, alpha 1.6732632423543772, lambda 1.0507009873554805"
    formula = "lambda * (z if z > 0 else alpha(e^z - 1))"
    derivative_formula = "lambda if z > 0 else lambda * alpha * e^z"
    tex_name = r"\mathrm{SELU}"
    convention = ("SELU: lambda = 1.0507009873554805, alpha = 1.6732632423543772 (fixed self-normalising constants); "
                  "SELU'(z) = lambda for z > 0, lambda alpha e^z for z <= 0")

    def pieces(self, z, a, w):
        lam, alpha, e = w.num(self.scale), w.num(self.alpha), f"e^{w.factor(z)}"  # the constants, shown rounded
        return (branch(z, f"{lam} * {w.factor(z)}", f"{lam} * {alpha} * ({e} - 1)"),
                branch(z, lam, f"{lam} * {alpha} * {e}"))
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946

    def function(self, z, be):
        xp = be.xp
        lam, alpha = be.scalar(self.scale), be.scalar(self.alpha)
        return lam * xp.where(z > 0, z, alpha * (xp.exp(xp.minimum(z, 0 * z)) - 1))

    def derivative(self, z, a, be):
        xp = be.xp
        lam, alpha = be.scalar(self.scale), be.scalar(self.alpha)
        return lam * xp.where(z > 0, 1 + 0 * z, alpha * xp.exp(xp.minimum(z, 0 * z)))

@register
class PReLU(Activation):
    """Leaky ReLU with a learned slope: one shared (PyTorch default, init 0.25), one per channel,
    or one per element (Keras' default PReLU)."""

    kind, prefix = "prelu", "prelu"
    default_text = "PReLU: slope = its init, 0.25 by default"
    summary = "learned leaky slope: per single (PyTorch default) | channel | element (Keras), init 0.25"
    formula, derivative_formula = "z if z > 0 else alpha*z", "1 if z > 0 else alpha; dL/dalpha = sum dy*z over z <= 0"
    derivative_plain = "1 if z > 0 else alpha"
    tex_name = r"\mathrm{PReLU}"
    convention = ("PReLU: a leaky ReLU whose slope alpha = {p} is learned (PyTorch initialises it to 0.25); "
                  "at z = 0 the derivative is alpha")
    kink_at_zero = True
    constant = ("init_value", Fraction(1, 4))
    per = "single"  # one shared slope, PyTorch's default (from_options reads 'per')

    def pieces(self, z, a, w):
        alpha = self.constants()["alpha"]  # the symbol 'alpha' when there are several
        alpha = alpha if isinstance(alpha, str) else w.factor(alpha)
        return branch(z, w.num(z), f"{alpha}*{w.factor(z)}"), branch(z, "1", alpha)

    def hold_params(self, be) -> None:
        self.params = {"weight": be.asarray([self.init_value])}

    def constants(self) -> dict:
        """alpha is the learned weight: its value when one is shared, else the symbol."""
        return {"alpha": self.params["weight"].ravel()[0] if self.per == "single" else "alpha"}

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        layer.per = opts.choice("per", ("single", "channel", "element"), "single")
        layer.init_value = opts.number("init", 0.25)
        layer.trainable = opts.flag("trainable", True)
        opts.finish()
        return layer

    def param_shapes(self) -> dict[str, Shape]:
        if self.per == "single":
            return {"weight": (1,)}
        if self.per == "channel":
            return {"weight": (self.in_shape[-1],)}
        return {"weight": tuple(self.in_shape)}

    def default_param(self, name, shape):
        import numpy as np

        return np.full(shape, self.init_value)

    def function(self, z, be):
        return be.xp.where(z > 0, z, self.params["weight"] * z)

    def derivative(self, z, a, be):
        return be.xp.where(z > 0, 1 + 0 * z, self.params["weight"] + 0 * z)

    def backward(self, dy, ctx):
        xp = ctx.xp
        contrib = xp.where(self.z > 0, 0 * self.z, self.z) * dy  # dL/dalpha per element
        if self.per == "single":
            self.grads["weight"] = contrib.reshape(1, -1).sum(axis=1)  # an array also for Fractions
        elif self.per == "channel":
            self.grads["weight"] = contrib.reshape(-1, contrib.shape[-1]).sum(axis=0)
        else:
            self.grads["weight"] = contrib.sum(axis=0)
        return super().backward(dy, ctx)

    def describe(self) -> str:
        return f"per {self.per}"
