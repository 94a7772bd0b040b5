"""Element-wise activations: one class each with its function and derivative, written once.

``function(z, be)`` and ``derivative(z, a, be)`` take a calc.backend.Backend, so the engine
(float arrays), the GPU and the exact worked solutions (Fraction arrays) all use these same
formulas. Counting: no MACs, one op per element under 'act'.

Each class also carries its text, once, for every narrator (calc.solve): ``formula`` and
``derivative_formula`` (plain), ``tex_name``/``tex_body``/``tex_derivative`` (LaTeX), the
``convention`` and ``remark`` a learner needs, and ``worked()``, f and f' with the numbers put in.
tests/test_layer_conformance.py fails for an activation without them.
"""

from __future__ import annotations

from fractions import Fraction
from math import prod

from calc.layers.base import Layer, Shape, register
from calc.spec.options import Options


class Activation(Layer):
    """An element-wise function; subclasses add their constants as options."""

    receptive = "identity"

    formula = ""  # plain text, e.g. "max(0, z)"
    derivative_formula = ""
    tex_name = ""  # LaTeX of the function's name, e.g. r"\sigma"
    tex_body = ""  # LaTeX of f with %s for z, e.g. r"\max(0, %s)" ("" : no substituted LaTeX)
    tex_derivative = ""  # LaTeX of f' with %s for a (each %s the same a), e.g. "1 - (%s)^2"
    remark = ""  # what a learner gets wrong about it, appended to its conventions line
    convention = ""  # its convention line in a worked solution; {p} is the constant shown
    kink_at_zero = False  # not differentiable at z = 0: the worked solution says which f'(0) it takes
    constant: tuple[str, object] | None = None  # (attribute, exact default) a worked solution may set
    elementwise = True  # a_i depends on z_i alone (softmax: on every z_j)
    # As a network's last layer: the loss on its outputs that goes with it ("" none: mse by default),
    # the same loss computed from its input z (the logits: finite for any z, dL/dz the textbook
    # form), and the conventions line a worked solution gives that pair ("" none)
    paired_loss = ""
    logits_loss = ""
    paired_note = ""
    class_probabilities = False  # its outputs are class probabilities: the arg-max is the class
    zero_note = ""  # appended to its formula in a perceptron's conventions, e.g. " (z = 0 gives 0)"
    dead_note = ""  # a worked solution's finding when all its outputs are 0; {owner} names the layer

    def worked(self, z, a, p, show) -> tuple[str, str]:
        """(f with the numbers, f' with the numbers) at one point z (a = f(z), p = its constant),
        following the branch the class itself takes; show formats a number."""
        raise NotImplementedError(f"{self.kind}: no worked text")

    def hold_params(self, be) -> None:
        """Parameters for a worked solution at given points, from ``constant`` (PReLU: its learned
        slope); an activation without learned parameters has none."""

    def constants(self) -> dict:
        """Symbols of the formula texts and their values: slope, alpha, lambda."""
        out = {}
        for name, attr in (("slope", "slope"), ("alpha", "alpha"), ("lambda", "scale")):
            if hasattr(self, attr) and not callable(getattr(self, attr)):
                out[name] = getattr(self, attr)
        return out

    def costs(self) -> dict[str, int]:
        return {"act": prod(self.out_shape)}

    def function(self, z, be):
        raise NotImplementedError

    def derivative(self, z, a, be):
        """da/dz element-wise, given the input z and the output a = function(z)."""
        raise NotImplementedError

    def forward(self, x, ctx):
        self.z = x
        self.a = self.function(x, ctx.backend)
        return self.a

    def output_replaced(self, old, new) -> None:
        if self.a is old:  # f'(z) written with a (sigmoid, tanh) uses the value passed on
            self.a = new

    def backward(self, dy, ctx):
        return dy * self.local_derivative(ctx)

    def local_derivative(self, ctx):
        """da/dz at this pass's values; an observer may pass another in its place (the stage
        'derivative': nncalc check puts the learner's own da/dz there, so the delta follows)."""
        d = self.derivative(self.z, self.a, ctx.backend)
        observer = getattr(ctx, "observer", None)  # engines may pass a lighter context
        return d if observer is None else observer.stage(self, "derivative", d)


def _z(z, show) -> str:
    """z as substituted into a formula: negative numbers in parentheses."""
    return f"({show(z)})" if z < 0 else show(z)


def _options(*names_defaults):
    """from_options reading float constants, e.g. ('alpha', 1.0)."""
    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        for name, default in names_defaults:
            keys = (name,) + tuple(k for k in getattr(cls, "option_aliases", {}).get(name, ()))
            key = next((k for k in keys if opts.has(k)), name)
            setattr(layer, name, opts.number(key, default))
            opts._used.update(keys)
        opts.finish()
        return layer
    return from_options


@register
class ReLU(Activation):
    kind, prefix = "relu", "relu"
    summary = "max(0, z); derivative at 0 taken as 0 (PyTorch)"
    formula, derivative_formula = "max(0, z)", "1 if z > 0 else 0 (0 at z = 0, as PyTorch)"
    tex_name, tex_body = r"\mathrm{ReLU}", r"\max(0, %s)"
    remark = " (ReLU'(0) = 0, PyTorch)"
    convention = "ReLU'(0) = 0 (PyTorch; ReLU is not differentiable at 0)"
    kink_at_zero = True
    zero_note = " (z = 0 gives 0)"
    dead_note = ("every ReLU of {owner} outputs 0 (all z <= 0): the layers after it see only their biases, and no "
                 "gradient flows back through it (a dead layer)")

    def worked(self, z, a, p, show):
        return f"max(0, {show(z)})", "1 (z > 0)" if z > 0 else "0 (z <= 0)"

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

    def worked(self, z, a, p, show):
        return (show(z), "1 (z > 0)") if z > 0 else (f"{show(p)} * {_z(z, show)}", f"{show(p)} (z <= 0)")
    option_aliases = {"slope": ("alpha", "negative_slope")}
    from_options = _options(("slope", 0.01))
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

    def worked(self, z, a, p, show):
        if z > 0:
            return show(z), "1 (z > 0)"
        return f"{show(p)} * (e^{_z(z, show)} - 1)", f"{show(a)} + {show(p)}"
    from_options = _options(("alpha", 1.0))
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

    def worked(self, z, a, p, show):
        lam, alpha = "1.0507", "1.6733"  # the constants, shown rounded
        if z > 0:
            return f"{lam} * {show(z)}", f"lambda = {lam}"
        return f"{lam} * {alpha} * (e^{_z(z, show)} - 1)", f"{lam} * {alpha} * e^{_z(z, show)}"
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
class Sigmoid(Activation):
    kind, prefix = "sigmoid", "sigmoid"
    aliases = ("logistic",)
    summary = "1 / (1 + e^-z); derivative a(1 - a)"
    formula, derivative_formula = "1 / (1 + e^(-z))", "a (1 - a)"
    tex_name, tex_body, tex_derivative = r"\sigma", r"\frac{1}{1 + e^{-%s}}", "%s(1 - %s)"
    remark = " (of the activation a, not z(1 - z))"
    paired_loss, logits_loss = "bce", "bce_logits"
    convention = "sigmoid'(z) = a(1 - a) with a = sigmoid(z), the activation's output (never z(1 - z))"

    def worked(self, z, a, p, show):
        return f"1 / (1 + e^(-{_z(z, show)}))", f"{show(a)} * (1 - {show(a)})"

    def function(self, z, be):
        xp = be.xp
        e = xp.exp(-abs(z))  # e^-|z| <= 1: stable for z = +-1000
        return xp.where(z >= 0, 1 / (1 + e), e / (1 + e))

    def derivative(self, z, a, be):
        return a * (1 - a)


@register
class Tanh(Activation):
    kind, prefix = "tanh", "tanh"
    summary = "hyperbolic tangent; derivative 1 - a^2"
    formula, derivative_formula = "tanh(z)", "1 - a^2"
    tex_name, tex_body, tex_derivative = r"\tanh", r"\tanh(%s)", "1 - (%s)^2"
    remark = " (of the activation a)"
    convention = "tanh'(z) = 1 - a^2 with a = tanh(z)"

    def worked(self, z, a, p, show):
        return f"tanh({show(z)})", f"1 - {show(a)}^2"

    def function(self, z, be):
        return be.xp.tanh(z)

    def derivative(self, z, a, be):
        return 1 - a * a


@register
class Step(Activation):
    kind, prefix = "step", "step"
    aliases = ("heaviside", "threshold")
    summary = "Heaviside step for perceptrons: 1 if z > 0 else 0 (gradient 0)"
    formula, derivative_formula = "1 if z > 0 else 0", "0 (not differentiable at 0; no gradient flows)"
    tex_name = r"\mathrm{step}"
    remark = " (no gradient flows through a step)"
    convention = "step'(z) = 0 everywhere it is defined (not differentiable at 0): no gradient flows"
    zero_note = " (z = 0 gives 0)"

    def worked(self, z, a, p, show):
        return ("1 (z > 0)" if z > 0 else "0 (z <= 0)"), "0"

    def function(self, z, be):
        return be.xp.where(z > 0, 1 + 0 * z, 0 * z)

    def derivative(self, z, a, be):
        return 0 * z


@register
class Identity(Activation):
    kind, prefix = "linear", "linear"
    aliases = ("identity", "none")
    summary = "identity (no activation)"
    formula, derivative_formula = "z", "1"
    tex_name, tex_body = r"\mathrm{id}", "%s"
    convention = "the identity: f(z) = z, f'(z) = 1"

    def worked(self, z, a, p, show):
        return show(z), "1"

    @classmethod
    def from_options(cls, opts: Options):
        if opts.has("units"):  # PyTorch calls a fully connected layer nn.Linear
            opts.fail("units", "'linear' is the identity activation (as Keras' activation='linear'); "
                      "a fully connected layer is 'dense' (also 'fc')")
        return super().from_options(opts)

    def costs(self) -> dict[str, int]:
        return {}  # the identity does no work

    def function(self, z, be):
        return z

    def derivative(self, z, a, be):
        return 1 + 0 * z


@register
class PReLU(Activation):
    """Leaky ReLU with a learned slope: one shared (PyTorch default, init 0.25), one per channel,
    or one per element (Keras' default PReLU)."""

    kind, prefix = "prelu", "prelu"
    default_text = "PReLU: slope = its init, 0.25 by default"
    summary = "learned leaky slope: per single (PyTorch default) | channel | element (Keras), init 0.25"
    formula, derivative_formula = "z if z > 0 else alpha*z", "1 if z > 0 else alpha; dL/dalpha = sum dy*z over z <= 0"
    tex_name = r"\mathrm{PReLU}"
    convention = ("PReLU: a leaky ReLU whose slope alpha = {p} is learned (PyTorch initialises it to 0.25); "
                  "at z = 0 the derivative is alpha")
    kink_at_zero = True
    constant = ("init_value", Fraction(1, 4))
    worked = LeakyReLU.worked

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


@register
class Softmax(Activation):
    """e^z_i / sum_j e^z_j over the last axis (classes, or channels of a map), computed stably."""

    kind, prefix = "softmax", "softmax"
    elementwise = False
    summary = "softmax over the last axis (computed stably: z - max z)"
    formula = "e^(z_i - max z) / sum_j e^(z_j - max z)"
    derivative_formula = "J_ij = p_i (delta_ij - p_j)"
    tex_name = r"\mathrm{softmax}"
    remark = " (computed stably: z - max z first)"
    paired_loss, logits_loss = "cross_entropy", "softmax_ce"
    paired_note = "softmax + cross-entropy: dL/dz = p - t, the same as J^T(-t/p) through the softmax Jacobian"
    class_probabilities = True
    convention = ("softmax computed stably, p_i = e^(z_i - max z) / sum_j e^(z_j - max z); Jacobian dp_i/dz_j = "
                  "p_i (delta_ij - p_j)")

    def function(self, z, be):
        xp = be.xp
        shifted = z - xp.max(z, axis=-1, keepdims=True)
        e = xp.exp(shifted)
        return e / e.sum(axis=-1, keepdims=True)

    @staticmethod
    def jacobian(p, be, rows=None):
        """dp_i/dz_j = p_i (delta_ij - p_j) for one vector p; ``rows``: only those i (a long
        vector's worked sums show a few terms, and the full n x n matrix is n^2 values)."""
        xp = be.xp
        n = p.shape[-1]
        rows = list(range(n)) if rows is None else list(rows)
        eye = (xp.asarray([[1 if i == j else 0 for j in range(n)] for i in rows]) if be.exact
               else xp.eye(n, dtype=p.dtype)[rows])
        pr = p[rows][:, None]
        return pr * eye - pr * p[None, :]

    def backward(self, dy, ctx):
        a = self.a
        return a * (dy - (dy * a).sum(axis=-1, keepdims=True))  # J^T dy without forming J
