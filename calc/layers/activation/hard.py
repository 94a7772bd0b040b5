"""Piecewise-linear activations of mobile networks: ReLU6 (MobileNetV2), hardswish and hardsigmoid
(MobileNetV3), each built from min/max, so cheap on any hardware. Their kinks are at z = 0 and 6
(ReLU6) and z = -3 and 3 (the hard ones); each class states which derivative PyTorch takes there.
"""

from __future__ import annotations

from calc.layers.activation.base import Activation, whole
from calc.layers.base import register


def _three(z, low, high, below, inside, above):
    """(condition, text) of a three-piece formula with pieces z <= low, low < z < high, z >= high."""
    if z <= low:
        return f"z <= {low}", below
    if z < high:
        return f"{low} < z < {high}", inside
    return f"z >= {high}", above


def _clip6(z, be):
    """min(max(0, z), 6): ReLU6, and the core of the hard functions."""
    xp = be.xp
    return xp.minimum(xp.maximum(z, be.scalar(0)), be.scalar(6))


@register
class ReLU6(Activation):
    kind, prefix = "relu6", "relu6"
    summary = "min(max(0, z), 6) (MobileNetV2); derivative 0 at 0 and 6 (PyTorch)"
    formula = "min(max(0, z), 6)"
    derivative_formula = "1 if 0 < z < 6 else 0 (0 at z = 0 and z = 6, as PyTorch)"
    derivative_plain = "1 if 0 < z < 6 else 0"
    tex_name, tex_body = r"\mathrm{ReLU6}", r"\min(\max(0, %s), 6)"
    remark = " (ReLU6'(0) = ReLU6'(6) = 0, PyTorch)"
    convention = ("ReLU6(z) = min(max(0, z), 6); ReLU6'(0) = ReLU6'(6) = 0 (PyTorch; ReLU6 is not differentiable "
                  "at 0 and 6)")
    kink_at_zero = True
    kinks = (0, 6)
    zero_note = " (z = 0 gives 0)"

    def pieces(self, z, a, w):
        return whole(f"min(max(0, {w.num(z)}), 6)"), _three(z, 0, 6, "0", "1", "0")

    def function(self, z, be):
        return _clip6(z, be)

    def derivative(self, z, a, be):
        return be.xp.where((z > 0) & (z < 6), 1 + 0 * z, 0 * z)


@register
class Hardswish(Activation):
    """z * ReLU6(z + 3) / 6, as PyTorch's nn.Hardswish and Keras 3's hard_swish."""

    kind, prefix = "hardswish", "hardswish"
    aliases = ("hard_swish",)
    summary = "z ReLU6(z + 3)/6 (MobileNetV3); derivative 0 at -3, 1 at 3"
    formula = "z * min(max(0, z + 3), 6) / 6"
    derivative_formula = ("0 if z <= -3, z/3 + 1/2 if -3 < z < 3, 1 if z >= 3 (at the kinks -3 and 3 the "
                          "outer pieces, as PyTorch)")
    derivative_plain = "0 if z <= -3, z/3 + 1/2 if -3 < z < 3, 1 if z >= 3"
    tex_name, tex_body = r"\mathrm{hardswish}", r"%s\,\frac{\min(\max(0, %s + 3), 6)}{6}"
    remark = " (hardswish'(-3) = 0, hardswish'(3) = 1, PyTorch)"
    convention = ("hardswish(z) = z * ReLU6(z + 3) / 6 (PyTorch, Keras 3); hardswish'(z) = 0 for z <= -3, "
                  "z/3 + 1/2 for -3 < z < 3, 1 for z >= 3: at the kinks PyTorch takes the outer pieces, "
                  "hardswish'(-3) = 0 and hardswish'(3) = 1")
    kinks = (-3, 3)

    def pieces(self, z, a, w):
        zt = w.num(z)
        return (_three(z, -3, 3, "0", f"{w.factor(z)}({zt} + 3)/6", zt), _three(z, -3, 3, "0", f"{zt}/3 + 1/2", "1"))

    def function(self, z, be):
        return z * _clip6(z + be.scalar(3), be) / be.scalar(6)  # PyTorch's order: (z * clip) / 6

    def derivative(self, z, a, be):
        xp = be.xp
        inside = z / be.scalar(3) + be.scalar(0.5)
        return xp.where(z <= -3, 0 * z, xp.where(z < 3, inside, 1 + 0 * z))


@register
class Hardsigmoid(Activation):
    """ReLU6(z + 3) / 6 = min(max(0, z/6 + 1/2), 1), as PyTorch's nn.Hardsigmoid and Keras 3's
    hard_sigmoid (Keras 2 used 0.2 z + 0.5 clipped at +-2.5)."""

    kind, prefix = "hardsigmoid", "hardsigmoid"
    aliases = ("hard_sigmoid",)
    summary = "ReLU6(z + 3)/6 (PyTorch, Keras 3); derivative 0 at -3 and 3"
    formula = "min(max(0, z + 3), 6) / 6"
    derivative_formula = "1/6 if -3 < z < 3 else 0 (0 at z = -3 and z = 3, as PyTorch)"
    derivative_plain = "1/6 if -3 < z < 3 else 0"
    tex_name, tex_body = r"\mathrm{hardsigmoid}", r"\frac{\min(\max(0, %s + 3), 6)}{6}"
    remark = " (z/6 + 1/2 clipped to [0, 1]; Keras 2 used 0.2 z + 0.5)"
    convention = ("hardsigmoid(z) = ReLU6(z + 3) / 6 = z/6 + 1/2 clipped to [0, 1] (PyTorch, Keras 3; Keras 2 used "
                  "0.2 z + 0.5 clipped at +-2.5); hardsigmoid'(z) = 1/6 for -3 < z < 3, else 0 (0 at the "
                  "kinks -3 and 3, PyTorch)")
    kinks = (-3, 3)

    def pieces(self, z, a, w):
        return _three(z, -3, 3, "0", f"{w.num(z)}/6 + 1/2", "1"), _three(z, -3, 3, "0", "1/6", "0")

    def function(self, z, be):
        return _clip6(z + be.scalar(3), be) / be.scalar(6)

    def derivative(self, z, a, be):
        return be.xp.where((z > -3) & (z < 3), 1 / be.scalar(6) + 0 * z, 0 * z)
