"""Smooth relatives of ReLU used by transformers and modern CNNs: GELU (BERT, GPT-2, ViT), SiLU or
swish (EfficientNet, Llama's SwiGLU), softplus and mish. Each is differentiable everywhere, so no
convention at a kink; what a learner must know is which form (GELU's erf or tanh) and which
constants (softplus' beta and threshold) the framework uses.

The worked texts put intermediate values in (Phi(z), sigmoid(z), tanh(softplus(z))), computed on
exact numbers by calc.exact_functions, so a student can follow them with a calculator.
"""

from __future__ import annotations

import math
from fractions import Fraction

from calc import exact_functions as ef
from calc.exact import keep, to_fraction
from calc.layers.activation.base import Activation, whole
from calc.layers.activation.saturating import sigmoid
from calc.layers.base import register
from calc.spec.options import Options

GELU_KAPPA = 0.044715  # the tanh form's cubic coefficient (Hendrycks and Gimpel; PyTorch, TensorFlow)


def _q(z) -> Fraction:
    """z as an exact number for the worked texts' intermediate values."""
    return keep(z) if isinstance(z, Fraction) else to_fraction(z)


def _constant(be, exact, value: float):
    """A constant such as sqrt(2/pi): to 50 digits (an Approx) on the exact backend, else a float."""
    return exact() if be.exact else value


def _sigmoid_q(q: Fraction) -> Fraction:
    return 1 / (1 + ef.exp(-q))


@register
class GELU(Activation):
    """z Phi(z) with Phi the standard normal CDF: the erf form (PyTorch's default approximate='none')
    or the tanh form (approximate: tanh, as in GPT-2 and BERT's original code)."""

    kind, prefix = "gelu", "gelu"
    summary = "z Phi(z): approximate none (erf, default) | tanh (GPT-2)"
    approximate = "none"
    formula = "z Phi(z) = z/2 (1 + erf(z/sqrt(2)))"
    derivative_formula = "Phi(z) + z phi(z) = (1 + erf(z/sqrt(2)))/2 + z e^(-z^2/2)/sqrt(2 pi)"
    tex_name, tex_body = r"\mathrm{GELU}", r"%s\,\Phi(%s)"
    remark = " (the erf form; approximate: tanh gives the tanh form)"
    convention = ("GELU(z) = z Phi(z), Phi the standard normal CDF (the erf form, PyTorch's default "
                  "approximate='none'); GELU'(z) = Phi(z) + z phi(z), phi the normal density")
    TANH = {
        "formula": "z/2 (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)))",
        "derivative_formula": ("(1 + t)/2 + z/2 (1 - t^2) sqrt(2/pi) (1 + 3*0.044715 z^2), "
                               "t = tanh(sqrt(2/pi) (z + 0.044715 z^3))"),
        "remark": " (the tanh form, approximate: tanh; the default is the erf form)",
        "tex_body": r"\frac{%s}{2}\left(1 + \tanh\left(\sqrt{2/\pi}\,(%s + 0.044715\,%s^3)\right)\right)",
        "convention": ("GELU, tanh form (approximate: tanh, as GPT-2): z/2 (1 + t), t = tanh(sqrt(2/pi) "
                       "(z + 0.044715 z^3)); GELU'(z) = (1 + t)/2 + z/2 (1 - t^2) sqrt(2/pi) (1 + 3*0.044715 z^2)"),
    }

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        layer.set_form(opts.choice("approximate", ("none", "tanh"), "none"))
        opts.finish()
        return layer

    def set_form(self, approximate: str) -> None:
        """'none' (erf) or 'tanh': the texts follow the form."""
        self.approximate = approximate
        if approximate == "tanh":
            for name, text in self.TANH.items():
                setattr(self, name, text)

    def describe(self) -> str:
        return "approximate tanh" if self.approximate == "tanh" else ""

    # -- values ------------------------------------------------------------------------------
    def _inner(self, z, be):
        """The tanh form's sqrt(2/pi) (z + 0.044715 z^3) and sqrt(2/pi)."""
        k = _constant(be, lambda: ef.sqrt(2 / ef.pi()), math.sqrt(2 / math.pi))
        return k * (z + be.scalar(GELU_KAPPA) * z * z * z), k

    def _cdf(self, z, be):
        """Phi(z) = (1 + erf(z/sqrt 2))/2."""
        r = _constant(be, lambda: ef.sqrt(Fraction(1, 2)), math.sqrt(0.5))
        return (1 + be.erf(z * r)) / 2

    def function(self, z, be):
        if self.approximate == "tanh":
            return z / 2 * (1 + be.xp.tanh(self._inner(z, be)[0]))
        return z * self._cdf(z, be)

    def derivative(self, z, a, be):
        xp = be.xp
        if self.approximate == "tanh":
            inner, k = self._inner(z, be)
            t = xp.tanh(inner)
            return (1 + t) / 2 + z / 2 * (1 - t * t) * k * (1 + be.scalar(3 * GELU_KAPPA) * z * z)
        c = _constant(be, lambda: 1 / ef.sqrt(2 * ef.pi()), 1 / math.sqrt(2 * math.pi))
        return self._cdf(z, be) + z * xp.exp(-(z * z) / 2) * c

    # -- texts -------------------------------------------------------------------------------
    def pieces(self, z, a, w):
        q, zt, zf = _q(z), w.num(z), w.factor(z)
        if self.approximate == "tanh":
            k = w.num(ef.sqrt(2 / ef.pi()))
            t = w.factor(ef.tanh(ef.sqrt(2 / ef.pi()) * (q + Fraction(str(GELU_KAPPA)) * q ** 3)))
            return (whole(f"{zf}/2 (1 + tanh({k} ({zt} + 0.044715*{zf}^3))) = {zf}/2 (1 + {t})"),
                    whole(f"(1 + {t})/2 + {zf}/2 (1 - {t}^2) {k} (1 + 0.134145*{zf}^2)"))
        cdf = w.num((1 + ef.erf(q * ef.sqrt(Fraction(1, 2)))) / 2)
        pdf = w.num(ef.exp(-q * q / 2) / ef.sqrt(2 * ef.pi()))
        return whole(f"{zf} Phi({zt}) = {zf}({cdf})"), whole(f"Phi({zt}) + {zf} phi({zt}) = {cdf} + {zf}({pdf})")


@register
class SiLU(Activation):
    """z sigmoid(z): PyTorch's nn.SiLU, Keras' silu/swish (swish with beta = 1)."""

    kind, prefix = "silu", "silu"
    aliases = ("swish",)
    summary = "z sigmoid(z) (EfficientNet, SwiGLU); derivative s(1 + z(1 - s))"
    formula = "z sigmoid(z) = z / (1 + e^(-z))"
    derivative_formula = "s (1 + z (1 - s)), s = sigmoid(z)"
    tex_name, tex_body = r"\mathrm{SiLU}", r"\frac{%s}{1 + e^{-%s}}"
    remark = " (swish with beta = 1)"
    convention = ("SiLU (swish) f(z) = z sigmoid(z), swish with beta = 1 (PyTorch nn.SiLU, Keras silu); "
                  "f'(z) = s (1 + z (1 - s)) with s = sigmoid(z), not the activation a")

    def pieces(self, z, a, w):
        zf, s = w.factor(z), w.num(_sigmoid_q(_q(z)))
        return whole(f"{w.num(z)} / (1 + e^(-{zf}))"), whole(f"{s}(1 + {zf}(1 - {s}))")

    def function(self, z, be):
        return z * sigmoid(z, be)

    def derivative(self, z, a, be):
        s = sigmoid(z, be)
        return s * (1 + z * (1 - s))


@register
class Softplus(Activation):
    """ln(1 + e^(beta z)) / beta, returning z itself where beta z > threshold (PyTorch's nn.Softplus:
    beta 1, threshold 20, where the two differ by less than e^-20 ~ 2e-9)."""

    kind, prefix = "softplus", "softplus"
    summary = "ln(1 + e^(beta z))/beta: beta (1), threshold (20, PyTorch)"
    formula = "ln(1 + e^(beta z)) / beta (z itself where beta z > threshold)"
    derivative_formula = "sigmoid(beta z) = 1 / (1 + e^(-beta z)) (1 where beta z > threshold)"
    tex_name = r"\mathrm{softplus}"
    remark = " (a smooth ReLU; its derivative is the sigmoid)"
    convention = ("softplus(z) = ln(1 + e^(beta z)) / beta with beta = {p}; softplus'(z) = sigmoid(beta z); "
                  "where beta z > 20 (the threshold) PyTorch returns z itself, derivative 1")
    constant = ("beta", Fraction(1))
    beta, threshold = 1.0, 20.0

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        layer.beta = opts.number("beta", 1.0)
        if layer.beta <= 0:
            opts.fail("beta", f"expected a number > 0, got {layer.beta}")
        layer.threshold = opts.number("threshold", 20.0)
        opts.finish()
        return layer

    def constants(self) -> dict:
        return {"beta": self.beta, "threshold": self.threshold}

    def describe(self) -> str:
        parts = [f"beta {self.beta:g}"] if self.beta != 1 else []
        return ", ".join(parts + ([f"threshold {self.threshold:g}"] if self.threshold != 20 else []))

    def pieces(self, z, a, w):
        zf, b = w.factor(z), _q(self.beta)
        if b * _q(z) > _q(self.threshold):  # PyTorch returns z itself: the condition is shown
            cond = f"z > {w.num(_q(self.threshold) / b)}"
            return (cond, w.num(z)), (cond, "1")
        if b == 1:
            return whole(f"ln(1 + e^{zf})"), whole(f"1 / (1 + e^(-{zf}))")
        return whole(f"ln(1 + e^({w.num(b)}*{zf})) / {w.num(b)}"), whole(f"1 / (1 + e^(-{w.num(b)}*{zf}))")

    def function(self, z, be):
        xp = be.xp
        beta, threshold = be.scalar(self.beta), be.scalar(self.threshold)
        bz = beta * z
        return xp.where(bz > threshold, z, xp.log1p(xp.exp(xp.minimum(bz, threshold))) / beta)

    def derivative(self, z, a, be):
        beta = be.scalar(self.beta)
        return be.xp.where(beta * z > be.scalar(self.threshold), 1 + 0 * z, sigmoid(beta * z, be))


@register
class Mish(Activation):
    """z tanh(softplus(z)) (Misra 2019; YOLOv4), PyTorch's nn.Mish (softplus without threshold)."""

    kind, prefix = "mish", "mish"
    summary = "z tanh(softplus(z)); derivative t + z s (1 - t^2)"
    formula = "z tanh(ln(1 + e^z))"
    derivative_formula = "t + z s (1 - t^2), t = tanh(ln(1 + e^z)), s = sigmoid(z)"
    tex_name, tex_body = r"\mathrm{Mish}", r"%s\tanh\left(\ln(1 + e^{%s})\right)"
    convention = ("mish(z) = z tanh(softplus(z)) = z tanh(ln(1 + e^z)); mish'(z) = t + z s (1 - t^2) with "
                  "t = tanh(softplus(z)) and s = sigmoid(z)")

    def pieces(self, z, a, w):
        q, zf = _q(z), w.factor(z)
        t, s = w.factor(ef.tanh(ef.log1p(ef.exp(q)))), w.num(_sigmoid_q(q))
        return whole(f"{zf} tanh(ln(1 + e^{zf}))"), whole(f"{t} + {zf}({s})(1 - {t}^2)")

    @staticmethod
    def _softplus(z, be):
        """ln(1 + e^z) as max(z, 0) + ln(1 + e^-|z|): no overflow at z = 1000."""
        xp = be.xp
        return xp.maximum(z, be.scalar(0)) + xp.log1p(xp.exp(-abs(z)))

    def function(self, z, be):
        return z * be.xp.tanh(self._softplus(z, be))

    def derivative(self, z, a, be):
        t = be.xp.tanh(self._softplus(z, be))
        return t + z * sigmoid(z, be) * (1 - t * t)
