"""Upsampling of maps (H, W, C) as torch.nn.Upsample: nearest or bilinear, by a scale or to a size.

Both modes are separable: each output row is a fixed mix of input rows, each output column of
input columns, so y[n, :, :, c] = A_h x[n, :, :, c] A_w^T with interpolation matrices A_h (Ho, H)
and A_w (Wo, W) whose entries are exact fractions (the exact backend keeps them so). Per axis,
with input size n, output size o and ratio r = n / o (1 / scale when a scale is given, as
torch with recompute_scale_factor unset):

- nearest: output i copies input floor(i r) (at most n - 1);
- bilinear, align_corners false (torch's and Keras' default, "half-pixel centres"):
  src = max((i + 1/2) r - 1/2, 0); align_corners true: src = i (n - 1)/(o - 1) (0 when o = 1);
  then i0 = floor(src), i1 = min(i0 + 1, n - 1), weights 1 - (src - i0) and src - i0.

No parameters. MACs 0 by convention (no multiply-accumulate with a learned weight; bilinear's
interpolation arithmetic is not counted). Receptive field: the jump is divided by the scale
(outputs are 1/scale input steps apart, as a transposed conv); nearest sees one input value,
bilinear at most two neighbours per axis (r + j_prev).
"""

from __future__ import annotations

from fractions import Fraction
from math import floor

from calc.layers.base import Layer, Shape, register
from calc.spec.options import Options

MODES = ("nearest", "bilinear")


def source_ratio(n: int, o: int, scale: int | None, align_corners: bool) -> Fraction:
    """Input steps per output step on one axis (torch's area_pixel_compute_scale)."""
    if align_corners:
        return Fraction(n - 1, o - 1) if o > 1 else Fraction(0)
    return Fraction(1, scale) if scale else Fraction(n, o)


def nearest_sources(n: int, o: int, scale: int | None) -> list[int]:
    """Input index each output copies: floor(i r), at most n - 1."""
    r = source_ratio(n, o, scale, False)
    return [min(floor(i * r), n - 1) for i in range(o)]


def bilinear_sources(n: int, o: int, scale: int | None, align_corners: bool) -> list[tuple]:
    """Per output index: (src, i0, i1, w0, w1), src the exact source coordinate."""
    r = source_ratio(n, o, scale, align_corners)
    out = []
    for i in range(o):
        src = i * r if align_corners else max((i + Fraction(1, 2)) * r - Fraction(1, 2), Fraction(0))
        i0 = min(floor(src), n - 1)
        i1 = min(i0 + 1, n - 1)
        lam = src - i0
        out.append((src, i0, i1, 1 - lam, lam))
    return out


def axis_weights(n: int, o: int, scale: int | None, mode: str, align_corners: bool) -> list[list[Fraction]]:
    """The (o, n) interpolation matrix of one axis, as lists of Fractions."""
    rows = [[Fraction(0)] * n for _ in range(o)]
    if mode == "nearest":
        for i, j in enumerate(nearest_sources(n, o, scale)):
            rows[i][j] = Fraction(1)
        return rows
    for i, (_, i0, i1, w0, w1) in enumerate(bilinear_sources(n, o, scale, align_corners)):
        rows[i][i0] += w0
        rows[i][i1] += w1
    return rows


@register
class Upsample(Layer):
    """Nearest or bilinear upsampling of a map by integer scales or to a size (torch.nn.Upsample)."""

    kind = "upsample"
    receptive = "transposed"
    prefix = "up"
    aliases = ("upsampling", "upsampling2d", "upsample2d")
    summary = ("upsampling of a map (torch.nn.Upsample): scale (int|[h,w]) or size (int|[h,w]), "
               "mode (nearest|bilinear), align_corners (false); no params, 0 MACs")

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        has_scale, has_size = (opts.raw(key, None) is not None for key in ("scale", "size"))
        if has_scale == has_size:
            opts.fail("size" if has_size else "scale", "give exactly one of scale and size (scale: 2 doubles "
                      "height and width; size: [h, w] is the output size)")
        layer.scale = opts.pair("scale") if has_scale else None
        layer.size = opts.pair("size") if has_size else None
        layer.mode = opts.choice("mode", MODES, "nearest")
        align = opts.raw("align_corners", None)
        opts.finish()
        if align is not None:
            if layer.mode == "nearest":
                opts.fail("align_corners", "align_corners applies to bilinear only (as torch)")
            layer.align_corners = opts.flag("align_corners", False)
        else:
            layer.align_corners = False
        return layer

    def compute_shape(self, in_shape: Shape) -> Shape:
        h, w, c = self.need_map(in_shape)
        if self.size is not None:
            return (*self.size, c)
        return (h * self.scale[0], w * self.scale[1], c)

    def receptive_window(self):
        """(kernel, stride, dilation) for the "transposed" rule: stride = output/input steps per axis;
        kernel 1 (nearest: one source) or stride + 1 (bilinear: r grows by one input step)."""
        (h, w, _), (ho, wo, _) = self.in_shape, self.out_shape
        stride = tuple(Fraction(s) if self.scale else Fraction(o, i)
                       for s, o, i in zip(self.scale or (None, None), (ho, wo), (h, w)))
        stride = tuple(int(s) if s.denominator == 1 else s for s in stride)
        kernel = (1, 1) if self.mode == "nearest" else tuple(s + 1 for s in stride)
        return kernel, stride, (1, 1)

    def matrices(self, ctx):
        """(A_h (Ho, H), A_w (Wo, W)) on ctx's backend."""
        (h, w, _), (ho, wo, _) = self.in_shape, self.out_shape
        scale = self.scale or (None, None)

        def matrix(n, o, s):
            rows = axis_weights(n, o, s, self.mode, self.align_corners)
            return ctx.backend.asarray([[ctx.scalar(v) for v in row] for row in rows])
        return matrix(h, ho, scale[0]), matrix(w, wo, scale[1])

    def forward(self, x, ctx):
        """y = A_h x A_w^T per sample and channel: (N, H, W, C) -> (N, Ho, Wo, C)."""
        xp = ctx.xp
        n, h, w, c = x.shape
        (ho, wo, _), (self.a_h, self.a_w) = self.out_shape, self.matrices(ctx)
        rows = xp.matmul(self.a_h, x.reshape(n, h, w * c)).reshape(n * ho, w, c)
        return xp.matmul(self.a_w, rows).reshape(n, ho, wo, c)

    def backward(self, dy, ctx):
        """dx = A_h^T dy A_w: each output's gradient goes back to its sources with their weights."""
        xp = ctx.xp
        n, ho, wo, c = dy.shape
        h, w, _ = self.in_shape
        rows = xp.matmul(self.a_w.T, dy.reshape(n * ho, wo, c)).reshape(n, ho, w * c)
        return xp.matmul(self.a_h.T, rows).reshape(n, h, w, c)

    def count_note(self) -> str:
        return ("upsample: no parameters and 0 MACs by convention (nothing meets a learned weight; "
                "bilinear's interpolation arithmetic is not counted)")

    def describe(self) -> str:
        if self.size is not None:
            how = f"to {self.size[0]}x{self.size[1]}"
        else:
            how = f"x{self.scale[0]}" if self.scale[0] == self.scale[1] else f"x{self.scale[0]}x{self.scale[1]}"
        return f"{how} {self.mode}" + (" align_corners" if self.align_corners else "")
