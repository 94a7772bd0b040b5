"""Pooling: max / average windows, global max and average pooling, adaptive average pooling (no
parameters).

Counting and computing; the window kernels are in calc.ops.pool. Padding is already resolved
on the layer as ``self.pad`` = (top, bottom, left, right).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import gcd
from typing import ClassVar

from calc.counting import size_formulas
from calc.layers.base import Layer, Shape, register
from calc.layers.conv import fmt_padding, read_padding
from calc.ops import (
    Window,
    crop,
    first_max,
    first_max_backward,
    max_pool,
    max_pool_backward,
    pad,
    spread_windows,
    sum_windows,
)
from calc.ops.pool import MAX_TIES, TIE_RULE
from calc.spec.options import Options


@dataclass(frozen=True)
class PoolWords:
    """How a worked solution words one window pooling, so no solver asks for the kind."""

    name: str  # "max pooling": titles and conventions
    symbol: str  # "MaxPool", as in "MaxPool(ReLU(x)) = ReLU(MaxPool(x))?"
    backward: str  # where each window's gradient goes (a network solution's convention line)
    gradient: str  # what one input's dL/dX sums
    no_gradient: str  # why an input cell receives nothing: "0 (never a window's maximum)"
    relu_order: str  # whether pooling and ReLU commute, and why


class _WindowPool(Layer):
    """A k x k window with stride (default: the kernel), padding and optional ceil_mode."""

    receptive = "window"
    window_noun = "pooling"
    prefix = "pool"
    has_dilation = False
    # what reduces a window: "max" (one input wins and takes the gradient; padding is -inf) or
    # "mean" (the window's sum over divisors(); the gradient is shared); worked solutions ask this
    pool_reduce: ClassVar[str] = ""
    words: ClassVar[PoolWords | None] = None

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        layer.kernel = opts.pair("kernel")
        layer.stride = opts.pair("stride", layer.kernel)
        layer.padding_spec = read_padding(opts)
        layer.ceil_mode = opts.flag("ceil_mode", False)
        layer.dilation = opts.pair("dilation", 1) if cls.has_dilation else (1, 1)
        layer.read_extra(opts)
        opts.finish()
        return layer

    def read_extra(self, opts: Options) -> None:
        pass

    def compute_shape(self, in_shape: Shape) -> Shape:
        h, w, c = self.need_map(in_shape)
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        rows, cols = size_formulas.resolve_padding(self.padding_pairs(), (h, w), self.kernel, self.stride, self.dilation)
        self.pad = rows + cols
        if not isinstance(self.padding_spec, str):
            size_formulas.check_pool_padding(kh, max(self.pad[:2]))
            size_formulas.check_pool_padding(kw, max(self.pad[2:]))
        top, bottom, left, right = self.pad
        self.rows = size_formulas.window_output(h, kh, sh, top, bottom, dh, self.ceil_mode)
        self.cols = size_formulas.window_output(w, kw, sw, left, right, dw, self.ceil_mode)
        return (self.rows.output, self.cols.output, c)

    def costs(self) -> dict[str, int]:
        ho, wo, c = self.out_shape
        return {"pool": ho * wo * c * self.kernel[0] * self.kernel[1]}  # one op per window element

    def window(self) -> Window:
        return Window(self.kernel, self.stride, self.dilation, (self.rows.output, self.cols.output))

    def run_pad(self) -> tuple[int, int, int, int]:
        """self.pad plus the cells a ceil_mode window reaches past the padded input (bottom/right;
        they hold -inf for max, 0 for sums, and never count in a divisor)."""
        top, bottom, left, right = self.pad
        return top, bottom + self.rows.ceil_overhang, left, right + self.cols.ceil_overhang

    def describe(self) -> str:
        (kh, kw), (sh, sw) = self.kernel, self.stride
        parts = [f"{kh}x{kw}", f"/{sh}" if sh == sw else f"/{sh}x{sw}"]
        if fmt_padding(self.pad):
            parts.append(fmt_padding(self.pad))
        if self.dilation != (1, 1):
            parts.append(f"dil {self.dilation[0]}")
        if self.ceil_mode:
            parts.append("ceil")
        return " ".join(parts)


@register
class MaxPool(_WindowPool):
    """y = max of each window; padding cells are -inf, so they never win (PyTorch).

    Backward routes each output's gradient to the one input that held its window's maximum;
    overlapping windows add. Ties: the first maximal element of the window in row-major order
    (topmost row, then leftmost column) gets the whole gradient, as PyTorch's CPU max_pool2d
    (NCHW and channels-last kernels alike; checked in tests/test_engine_pool.py).
    """

    kind = "maxpool"
    aliases = ("max_pool", "maxpool2d", "max_pooling")
    summary = "max pooling: kernel, stride (default kernel), padding, dilation, ceil_mode"
    has_dilation = True
    tie_rule = TIE_RULE
    pool_reduce = "max"
    words = PoolWords(
        "max pooling", "MaxPool",
        "max pooling backward: each window's gradient goes to the element that was its maximum; " + TIE_RULE,
        "sum of the gradients of the windows whose maximum it is", "never a window's maximum",
        "max and ReLU are both non-decreasing, so taking the max before or after clipping negatives gives the "
        "same numbers")

    def forward(self, x, ctx):
        """y[n,oh,ow,c] = max_{i,j} x_pad[n, oh*sh + i*dh, ow*sw + j*dw, c]; (N,H,W,C) -> (N,Ho,Wo,C)."""
        self.xpad = pad(x, self.run_pad(), float("-inf"), ctx.xp)
        self.y = max_pool(self.xpad, self.window(), ctx.xp)
        return self.y

    def backward(self, dy, ctx):
        dxpad = max_pool_backward(self.xpad, self.y, dy, self.window(), ctx.xp)
        return crop(dxpad, self.pad, self.in_shape[:2])


@register
class AvgPool(_WindowPool):
    kind = "avgpool"
    aliases = ("avg_pool", "avgpool2d", "average_pooling")
    summary = ("average pooling: kernel, stride (default kernel), padding, ceil_mode, count_include_pad "
               "(default true as PyTorch; false with padding 'same', as Keras/TensorFlow)")
    pool_reduce = "mean"
    words = PoolWords(
        "average pooling", "Pool",
        "average pooling backward: each window's gradient is shared equally by its cells",
        "each window's gradient divided by its size", "in no window",
        "averaging mixes negative and positive values, so clipping before or after can differ")

    def read_extra(self, opts: Options) -> None:
        # PyTorch divides by the padded window; 'same' is TensorFlow's padding, and TensorFlow
        # divides by the input cells only: each default follows the framework the padding is from
        self.count_include_pad = opts.flag("count_include_pad", self.padding_spec != "same")

    def divisors(self) -> list[list[int]]:
        """Ho x Wo window sizes the sums are divided by, as PyTorch's avg_pool2d: a window
        starting at o*s - pad_before is cut at input + pad_after (ceil_mode windows may reach
        past it); without count_include_pad only the input cells it covers count."""
        def extents(axis: size_formulas.AxisSize) -> list[int]:
            out = []
            for o in range(axis.output):
                start = o * axis.stride - axis.pad_before
                end = min(start + axis.kernel, axis.input + axis.pad_after)
                if not self.count_include_pad:
                    start, end = max(start, 0), min(end, axis.input)
                out.append(end - start)
            return out
        heights, widths = extents(self.rows), extents(self.cols)
        return [[h * w for w in widths] for h in heights]

    def forward(self, x, ctx):
        """y[n,oh,ow,c] = (sum of the window over x zero-padded) / divisors()[oh][ow]."""
        xpad = pad(x, self.run_pad(), ctx.scalar(0), ctx.xp)
        self.padded_shape = xpad.shape
        self.divisor = ctx.backend.asarray(self.divisors())[:, :, None]  # (Ho, Wo, 1)
        total = sum_windows(xpad, self.window(), ctx.xp)
        return total / self.divisor

    def backward(self, dy, ctx):
        """Each window cell receives dy / divisor (overlapping windows add)."""
        dxpad = spread_windows(dy / self.divisor, self.window(), self.padded_shape, ctx.xp)
        return crop(dxpad, self.pad, self.in_shape[:2])


class GlobalPool(Layer):
    """H x W x C -> 1 x 1 x C over every position (the average and the max share shape and cost):
    one "pool" operation per input value, no MACs, no parameters."""

    receptive = "whole"
    prefix = "pool"

    def compute_shape(self, in_shape: Shape) -> Shape:
        _, _, c = self.need_map(in_shape)
        return (1, 1, c)

    def costs(self) -> dict[str, int]:
        h, w, c = self.in_shape
        return {"pool": h * w * c}


@register
class GlobalAvgPool(GlobalPool):
    """Average over all positions: H x W x C -> 1 x 1 x C (as PyTorch's AdaptiveAvgPool2d(1))."""

    kind = "global_avgpool"
    aliases = ("global_avg_pool", "globalavgpool", "global_average_pooling")
    summary = "global average pooling: H x W x C -> 1 x 1 x C"

    def forward(self, x, ctx):
        """y[n,0,0,c] = sum_{h,w} x[n,h,w,c] / (H W)."""
        self.x_shape = x.shape
        return x.sum(axis=(1, 2), keepdims=True) / ctx.scalar(x.shape[1] * x.shape[2])

    def backward(self, dy, ctx):
        """dx[n,h,w,c] = dy[n,0,0,c] / (H W) at every position."""
        n, h, w, c = self.x_shape
        return ctx.xp.broadcast_to(dy / ctx.scalar(h * w), self.x_shape).copy()


@register
class GlobalMaxPool(GlobalPool):
    """Maximum over all positions: H x W x C -> 1 x 1 x C (as PyTorch's AdaptiveMaxPool2d(1),
    Keras' GlobalMaxPooling2D(keepdims=True)); a ``flatten`` after it gives the vector.

    Counted as global_avgpool: one "pool" operation per input value (H W C comparisons; the
    first value of a channel costs one too, as the average's first add), no MACs, no parameters.
    Backward: each channel's gradient goes to the one position that held its maximum, the first
    in row-major order on ties (torch's adaptive_max_pool2d keeps the first index; torch.amax
    would split a tie evenly).
    """

    kind = "global_maxpool"
    aliases = ("global_max_pool", "globalmaxpool", "global_max_pooling")
    summary = "global max pooling: H x W x C -> 1 x 1 x C"

    def run_note(self) -> tuple[str, str, str]:
        return MAX_TIES

    def forward(self, x, ctx):
        """y[n,0,0,c] = max_{h,w} x[n,h,w,c]; remembers where each maximum was."""
        n, h, w, c = self.x_shape = x.shape
        y, self.where = first_max(x.reshape(n, h * w, c), ctx.xp)
        return y.reshape(n, 1, 1, c)

    def backward(self, dy, ctx):
        """dx = dy[n,0,0,c] at the (first) position of channel c's maximum, 0 elsewhere."""
        n, h, w, c = self.x_shape
        return first_max_backward(self.where, dy.reshape(n, c), h * w, ctx.xp).reshape(self.x_shape)


def adaptive_windows(size: int, out: int) -> list[tuple[int, int]]:
    """PyTorch adaptive pooling windows: [floor(i*n/o), ceil((i+1)*n/o)) for i in range(o)."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def adaptive_window_cells(size: int, out: int) -> int:
    """Sum of the adaptive window lengths, n + o - gcd(n, o), without listing the o windows: the
    sum telescopes to sum_j ceil(jn/o) - floor(jn/o) over j = 1..o, and jn/o is a whole number
    for gcd(n, o) of those j."""
    return size + out - gcd(size, out)


@register
class AdaptiveAvgPool(Layer):
    """Average pooling to a fixed output size with PyTorch's adaptive windows."""

    kind = "adaptive_avgpool"
    receptive = "whole"
    prefix = "pool"
    aliases = ("adaptive_avg_pool", "adaptiveavgpool2d")
    summary = "adaptive average pooling: output [h, w] (windows as PyTorch)"

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        layer.output = opts.pair("output")
        opts.finish()
        return layer

    def compute_shape(self, in_shape: Shape) -> Shape:
        _, _, c = self.need_map(in_shape)
        return (*self.output, c)

    @property
    def row_windows(self) -> list[tuple[int, int]]:
        return adaptive_windows(self.in_shape[0], self.output[0])

    @property
    def col_windows(self) -> list[tuple[int, int]]:
        return adaptive_windows(self.in_shape[1], self.output[1])

    def costs(self) -> dict[str, int]:
        (h, w, c), (oh, ow) = self.in_shape, self.output
        # one add per cell of every window; closed form, so a huge output size costs no time
        return {"pool": adaptive_window_cells(h, oh) * adaptive_window_cells(w, ow) * c}

    def averaging(self, ctx):
        """(A_h (oh, H), A_w (ow, W)): row o averages its window, A[o, a:b] = 1/(b - a). The pool
        is separable: y[n] = A_h x[n] A_w^T per channel."""
        def matrix(windows, size):
            a = ctx.xp.zeros((len(windows), size), dtype=ctx.backend.dtype)
            for o, (start, end) in enumerate(windows):
                a[o, start:end] = ctx.scalar(Fraction(1, end - start))
            return a
        h, w, _ = self.in_shape
        return matrix(self.row_windows, h), matrix(self.col_windows, w)

    def forward(self, x, ctx):
        """y = A_h x A_w^T (windows [floor(o n/out), ceil((o+1) n/out))); (N,H,W,C) -> (N,oh,ow,C)."""
        xp = ctx.xp
        n, h, w, c = x.shape
        (oh, ow), (self.a_h, self.a_w) = self.output, self.averaging(ctx)
        rows = xp.matmul(self.a_h, x.reshape(n, h, w * c)).reshape(n * oh, w, c)  # average rows
        return xp.matmul(self.a_w, rows).reshape(n, oh, ow, c)  # then columns

    def backward(self, dy, ctx):
        """dx = A_h^T dy A_w: each output's gradient shared evenly over its window."""
        xp = ctx.xp
        n, oh, ow, c = dy.shape
        h, w, _ = self.in_shape
        rows = xp.matmul(self.a_w.T, dy.reshape(n * oh, ow, c)).reshape(n, oh, w * c)
        return xp.matmul(self.a_h.T, rows).reshape(n, h, w, c)

    def describe(self) -> str:
        return f"to {self.output[0]}x{self.output[1]}"
