"""Activations bounded on both sides: sigmoid and tanh (smooth, with derivatives written with a)
and the perceptron's step (no gradient).
"""

from __future__ import annotations

from calc.layers.activation.base import Activation, branch, whole
from calc.layers.base import register


def sigmoid(z, be):
    """1 / (1 + e^-z) element-wise, stable for z = +-1000 (e^-|z| <= 1); SiLU and mish use it too."""
    xp = be.xp
    e = xp.exp(-abs(z))
    return xp.where(z >= 0, 1 / (1 + e), e / (1 + e))


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

    def pieces(self, z, a, w):
        return whole(f"1 / (1 + e^(-{w.factor(z)}))"), whole(f"{w.factor(a)} (1 - {w.factor(a)})")

    def function(self, z, be):
        return sigmoid(z, be)

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

    def pieces(self, z, a, w):
        return whole(f"tanh({w.num(z)})"), whole(f"1 - {w.factor(a)}^2")

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
    derivative_plain = "0 (not differentiable at 0)"
    tex_name = r"\mathrm{step}"
    remark = " (no gradient flows through a step)"
    convention = "step'(z) = 0 everywhere it is defined (not differentiable at 0): no gradient flows"
    zero_note = " (z = 0 gives 0)"

    def pieces(self, z, a, w):
        return branch(z, "1", "0"), whole(self.derivative_plain)

    def function(self, z, be):
        return be.xp.where(z > 0, 1 + 0 * z, 0 * z)

    def derivative(self, z, a, be):
        return 0 * z
