"""Inverted dropout: rate = probability of DROPPING; survivors scaled by 1/(1 - rate) in
training, identity at test time (PyTorch/Keras). The original paper kept units with
probability p and scaled at test time instead (``scaling: test``); conventions.md asks us to
say which.

The mask is drawn from the run's seeded generator on the host (the same mask on every
backend), or given in the spec for exercises: ``mask:`` of 1 (keep) and 0 (drop), one per
value of a sample (shared by every sample of the batch) or one row per sample.
"""

from __future__ import annotations

from calc.errors import InputError, SpecError
from calc.layers.base import Layer, Shape, register
from calc.shapes import fmt_shape
from calc.spec.options import Options

SCALINGS = ("inverted", "test")  # scale survivors by 1/(1 - rate) in training | scale by 1 - rate at test


@register
class Dropout(Layer):
    kind = "dropout"
    receptive = "identity"
    mode_dependent = True
    prefix = "dropout"
    summary = "dropout: rate (probability of dropping, default 0.5); identity at test time"
    scaling = "inverted"
    given_mask = None  # set by from_options, or by a solver before build()
    mask_where = None

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        key = "p" if opts.has("p") and not opts.has("rate") else "rate"
        layer.rate = opts.number(key, 0.5, minimum=0.0, maximum=1.0, open_max=True)
        layer.scaling = opts.choice("scaling", SCALINGS, "inverted")
        layer.given_mask = opts.raw("mask", None)
        layer.mask_where = opts.at("mask")
        opts.finish()
        return layer

    def compute_shape(self, in_shape: Shape) -> Shape:
        if self.given_mask is not None:
            self._check_mask(in_shape)
        return in_shape

    def _check_mask(self, in_shape: Shape) -> None:
        from calc.spec.values import flat, nested_shape

        shape = nested_shape(self.given_mask, self.mask_where, "mask")
        if shape != tuple(in_shape) and shape[1:] != tuple(in_shape):
            raise SpecError(f"mask: expected shape {fmt_shape(in_shape)} (one 0/1 per value, shared by every "
                            f"sample) or N x {fmt_shape(in_shape)} (one row per sample), got {fmt_shape(shape)}",
                            self.mask_where)
        if any(str(v) not in ("0", "1", "0.0", "1.0") for v in flat(self.given_mask)):
            raise SpecError("mask: expected 1 (keep) or 0 (drop) only", self.mask_where)
        self.mask_shape = shape

    def keep(self, x, ctx):
        """The keep mask (1/0) for this batch: the spec's, or drawn with P(drop) = rate."""
        if self.given_mask is None:
            return ctx.backend.asarray((ctx.rng.random(x.shape) >= float(self.rate)).astype(float))
        mask = ctx.backend.asarray(self.given_mask)
        if len(self.mask_shape) == len(x.shape) and self.mask_shape[0] != x.shape[0]:
            raise InputError(f"dropout '{self.name}': the spec's mask has {self.mask_shape[0]} rows (one per "
                             f"sample) but the batch has {x.shape[0]} samples", self.mask_where)
        return mask + 0 * x  # broadcast a per-sample mask over the batch

    def forward(self, x, ctx):
        if not ctx.training or (self.rate == 0 and self.given_mask is None):
            self.mask = None
            if ctx.training or self.scaling == "inverted":
                return x
            return x * (1 - ctx.scalar(self.rate))  # original paper: expected training output at test time
        scale = 1 / (1 - ctx.scalar(self.rate)) if self.scaling == "inverted" else ctx.scalar(1)
        self.mask = self.keep(x, ctx) * scale
        return x * self.mask

    def backward(self, dy, ctx):
        return dy if self.mask is None else dy * self.mask

    def describe(self) -> str:
        text = f"rate {self.rate:g}" + (" given mask" if self.given_mask is not None else "")
        return text + (", scaled at test" if self.scaling == "test" else "")
