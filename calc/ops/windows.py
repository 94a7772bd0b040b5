"""Sliding-window geometry and the im2col copy, on NHWC arrays of any backend.

A ``Window`` of kh x kw taps, stride (sh, sw) and dilation (dh, dw) sits at Ho x Wo positions
of an already padded map: position (oh, ow), tap (i, j) reads row oh*sh + i*dh and column
ow*sw + j*dw. The sizes themselves come from calc.counting.size_formulas (the layer resolves them); here they
are only used.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

# Elements of one im2col block (patches matrix): 2^23 floats = 32 MiB in float32, 64 MiB in
# float64. Larger batches are processed in blocks of samples, or of output rows of one sample.
BLOCK_ELEMENTS = 1 << 23


@dataclass(frozen=True)
class Window:
    """kh x kw taps with stride and dilation at ``out`` = (Ho, Wo) positions of a padded map."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    out: tuple[int, int]

    def reach(self, axis: int) -> int:
        """Rows (axis 0) or columns (axis 1) of the padded map the positions touch:
        (o - 1) s + d (k - 1) + 1."""
        return (self.out[axis] - 1) * self.stride[axis] + self.dilation[axis] * (self.kernel[axis] - 1) + 1

    def tap(self, i: int, j: int):
        """Index of tap (i, j) at every position: a strided slice of the padded map (a view)."""
        (sh, sw), (dh, dw), (ho, wo) = self.stride, self.dilation, self.out
        return (slice(None), slice(i * dh, i * dh + sh * (ho - 1) + 1, sh),
                slice(j * dw, j * dw + sw * (wo - 1) + 1, sw))

    def taps(self):
        """(i, j) in row-major order: top row first, left to right (the max-pool tie order)."""
        return [(i, j) for i in range(self.kernel[0]) for j in range(self.kernel[1])]


def pad(x, pads, fill, xp):
    """x (N, H, W, C) with (top, bottom, left, right) rows/columns of ``fill`` around it."""
    top, bottom, left, right = pads
    if not any(pads):
        return x
    n, h, w, c = x.shape
    out = xp.empty((n, h + top + bottom, w + left + right, c), dtype=x.dtype)
    out.fill(fill)
    out[:, top:top + h, left:left + w, :] = x
    return out


def crop(xpad, pads, size):
    """The (H, W) = ``size`` interior of a padded map (undoes ``pad``), a view."""
    top, _, left, _ = pads
    h, w = size
    return xpad[:, top:top + h, left:left + w, :]


def window_view(xpad, win: Window, xp):
    """Read-only view (N, Ho, Wo, kh, kw, C) of every window: no copy (as_strided)."""
    n, hp, wp, c = xpad.shape
    assert win.reach(0) <= hp and win.reach(1) <= wp, (win, xpad.shape)
    s_n, s_h, s_w, s_c = xpad.strides
    (sh, sw), (dh, dw), (ho, wo) = win.stride, win.dilation, win.out
    shape = (n, ho, wo, win.kernel[0], win.kernel[1], c)
    strides = (s_n, s_h * sh, s_w * sw, s_h * dh, s_w * dw, s_c)
    return xp.lib.stride_tricks.as_strided(xpad, shape, strides)


def im2col(xpad, win: Window, groups: int, xp):
    """Patches (N*Ho*Wo, groups, kh*kw*Cg): row = one output position, columns ordered
    (tap row, tap column, channel) within each group of Cg = C/groups channels."""
    n, _, _, c = xpad.shape
    kh, kw = win.kernel
    cg = c // groups
    rows = n * win.out[0] * win.out[1]
    if win.kernel == (1, 1) and win.stride == (1, 1) and xpad.flags.c_contiguous:
        return xpad[:, :win.out[0], :win.out[1]].reshape(rows, groups, cg)  # 1x1: the map itself
    view = window_view(xpad, win, xp).reshape(n, *win.out, kh, kw, groups, cg)
    return xp.ascontiguousarray(view.transpose(0, 1, 2, 5, 3, 4, 6)).reshape(rows, groups, kh * kw * cg)


def blocks(win: Window, n: int, row_elements: int, budget: int | None = None):
    """Split the (sample, output row) grid into pieces whose patch matrix has at most ``budget``
    elements (one output row of one sample at least). Yields (n0, n1, h0, h1, window, rows):
    ``rows`` is the slice of padded-input rows the piece reads; ``window`` has Ho = h1 - h0."""
    budget = budget or BLOCK_ELEMENTS
    ho = win.out[0]
    per_row = win.out[1] * row_elements
    if ho * per_row <= budget:
        step = max(1, budget // (ho * per_row))
        for n0 in range(0, n, step):
            yield n0, min(n, n0 + step), 0, ho, win, slice(None)
        return
    step = max(1, budget // per_row)
    for s in range(n):
        for h0 in range(0, ho, step):
            h1 = min(ho, h0 + step)
            piece = replace(win, out=(h1 - h0, win.out[1]))
            first = h0 * win.stride[0]
            yield s, s + 1, h0, h1, piece, slice(first, first + piece.reach(0))
