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


def axis_taps(n: int, o: int, scale, mode: str, align_corners: bool) -> list[tuple[list, list]]:
    """One axis as taps [(indices, weights)] of length o: output i = sum_t w_t[i] * input idx_t[i]."""
    if mode == "nearest":
        return [(nearest_sources(n, o, scale), [Fraction(1)] * o)]
    srcs = bilinear_sources(n, o, scale, align_corners)
    return [([s[1] for s in srcs], [s[3] for s in srcs]), ([s[2] for s in srcs], [s[4] for s in srcs])]


def transpose_taps(taps: list, n: int) -> list[tuple[list, list]]:
    """The taps of the transposed map (length n): input j = sum of w * output i over the (i, w)
    that read j; padded with weight 0 to the largest count."""
    per: list[list] = [[] for _ in range(n)]
    for idx, weights in taps:
        for i, (j, wt) in enumerate(zip(idx, weights)):
            if wt != 0:
                per[j].append((i, wt))
    k = max(1, max(len(p) for p in per))
    return [([p[t][0] if t < len(p) else 0 for p in per], [p[t][1] if t < len(p) else Fraction(0) for p in per])
            for t in range(k)]


def _gather(x, taps: list, axis: int, ctx):
    """sum over taps of x taken at the tap's indices along ``axis``, times its weights."""
    out = None
    for idx, weights in taps:
        shape = [1] * x.ndim
        shape[axis] = len(idx)
        w = ctx.backend.asarray([ctx.scalar(v) for v in weights]).reshape(shape)
        where = idx if ctx.backend.exact else ctx.xp.asarray(idx)  # integer indices (exact: a list)
        term = x.take(where, axis=axis) * w
        out = term if out is None else out + term
    return out


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
        self._taps = None  # the interpolation taps follow the input size
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
        """(A_h (Ho, H), A_w (Wo, W)) on ctx's backend: the interpolation as matrices, for worked
        solutions of small maps (the engine gathers instead, in memory proportional to the output)."""
        (h, w, _), (ho, wo, _) = self.in_shape, self.out_shape
        scale = self.scale or (None, None)

        def matrix(n, o, s):
            rows = axis_weights(n, o, s, self.mode, self.align_corners)
            return ctx.backend.asarray([[ctx.scalar(v) for v in row] for row in rows])
        return matrix(h, ho, scale[0]), matrix(w, wo, scale[1])

    def taps(self) -> tuple:
        """Per axis (rows, columns): (forward taps, backward taps), computed once."""
        if getattr(self, "_taps", None) is None:
            (h, w, _), (ho, wo, _) = self.in_shape, self.out_shape
            scale = self.scale or (None, None)
            fwd = [axis_taps(n, o, s, self.mode, self.align_corners) for n, o, s in ((h, ho, scale[0]), (w, wo, scale[1]))]
            self._taps = tuple((f, transpose_taps(f, n)) for f, n in zip(fwd, (h, w)))
        return self._taps

    def forward(self, x, ctx):
        """Rows, then columns: y[i] = sum over taps t of w_t[i] x[idx_t[i]] along each axis."""
        (rows, _), (cols, _) = self.taps()
        return _gather(_gather(x, rows, 1, ctx), cols, 2, ctx)

    def backward(self, dy, ctx):
        """The transposed taps: each input collects the gradients of the outputs it fed, weighted."""
        (_, rows), (_, cols) = self.taps()
        return _gather(_gather(dy, cols, 2, ctx), rows, 1, ctx)

    def count_note(self) -> str:
        return ("upsample: no parameters and 0 MACs by convention (nothing meets a learned weight; "
                "bilinear's interpolation arithmetic is not counted)")

    def describe(self) -> str:
        if self.size is not None:
            how = f"to {self.size[0]}x{self.size[1]}"
        else:
            how = f"x{self.scale[0]}" if self.scale[0] == self.scale[1] else f"x{self.scale[0]}x{self.scale[1]}"
        return f"{how} {self.mode}" + (" align_corners" if self.align_corners else "")
