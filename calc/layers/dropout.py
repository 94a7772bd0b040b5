"""Inverted dropout: rate = probability of DROPPING; survivors scaled by 1/(1 - rate) in
training, identity at test time (PyTorch/Keras). The original paper kept units with
probability p and scaled at test time instead (``scaling: test``); conventions.md asks us to
say which."""

from __future__ import annotations

from calc.layers.base import Layer, register
from calc.spec.options import Options

SCALINGS = ("inverted", "test")  # scale survivors by 1/(1 - rate) in training | scale by 1 - rate at test


@register
class Dropout(Layer):
    kind = "dropout"
    prefix = "dropout"
    summary = "dropout: rate (probability of dropping, default 0.5); identity at test time"
    scaling = "inverted"

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        key = "p" if opts.has("p") and not opts.has("rate") else "rate"
        layer.rate = opts.number(key, 0.5, minimum=0.0, maximum=1.0, open_max=True)
        layer.scaling = opts.choice("scaling", SCALINGS, "inverted")
        opts.finish()
        return layer

    def forward(self, x, ctx):
        if not ctx.training or self.rate == 0:
            self.mask = None
            if ctx.training or self.scaling == "inverted":
                return x
            return x * (1 - ctx.scalar(self.rate))  # original paper: expected training output at test time
        keep = ctx.rng.random(x.shape) >= float(self.rate)  # drawn on the host: same mask on every backend
        return self.apply_mask(x, keep, ctx)

    def apply_mask(self, x, keep, ctx):
        """Training output for a keep mask (NumPy booleans): x * keep, times 1/(1 - rate) if inverted."""
        scale = 1 / (1 - ctx.scalar(self.rate)) if self.scaling == "inverted" else ctx.scalar(1)
        self.mask = ctx.backend.asarray(keep.astype(float)) * scale
        return x * self.mask

    def backward(self, dy, ctx):
        return dy if self.mask is None else dy * self.mask

    def describe(self) -> str:
        return f"rate {self.rate:g}" + (", scaled at test" if self.scaling == "test" else "")
