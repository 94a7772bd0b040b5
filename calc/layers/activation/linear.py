"""The identity (kind 'linear', as Keras' activation='linear'): f(z) = z, no work counted."""

from __future__ import annotations

from calc.layers.activation.base import Activation, whole
from calc.layers.base import register
from calc.spec.options import Options


@register
class Identity(Activation):
    kind, prefix = "linear", "linear"
    aliases = ("identity", "none")
    summary = "identity (no activation)"
    formula, derivative_formula = "z", "1"
    tex_name, tex_body = r"\mathrm{id}", "%s"
    convention = "the identity: f(z) = z, f'(z) = 1"

    def pieces(self, z, a, w):
        return whole(w.num(z)), whole("1")

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
