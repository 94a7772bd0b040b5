"""Pooling: max / average windows, global and adaptive average pooling (no parameters)."""

from __future__ import annotations

from calc import sizes
from calc.layers.base import Layer, Shape, register
from calc.layers.conv import fmt_padding, read_padding
from calc.spec.options import Options


class _WindowPool(Layer):
    """A k x k window with stride (default: the kernel), padding and optional ceil_mode."""

    prefix = "pool"
    has_dilation = False

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
        rows, cols = sizes.resolve_padding(self.padding_pairs(), (h, w), self.kernel, self.stride, self.dilation)
        self.pad = rows + cols
        if not isinstance(self.padding_spec, str):
            sizes.check_pool_padding(kh, max(self.pad[:2]))
            sizes.check_pool_padding(kw, max(self.pad[2:]))
        top, bottom, left, right = self.pad
        self.rows = sizes.window_output(h, kh, sh, top, bottom, dh, self.ceil_mode)
        self.cols = sizes.window_output(w, kw, sw, left, right, dw, self.ceil_mode)
        return (self.rows.output, self.cols.output, c)

    def costs(self) -> dict[str, int]:
        ho, wo, c = self.out_shape
        return {"pool": ho * wo * c * self.kernel[0] * self.kernel[1]}  # one op per window element

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
    kind = "maxpool"
    aliases = ("max_pool", "maxpool2d", "max_pooling")
    summary = "max pooling: kernel, stride (default kernel), padding, dilation, ceil_mode"
    has_dilation = True


@register
class AvgPool(_WindowPool):
    kind = "avgpool"
    aliases = ("avg_pool", "avgpool2d", "average_pooling")
    summary = "average pooling: kernel, stride (default kernel), padding, ceil_mode, count_include_pad"

    def read_extra(self, opts: Options) -> None:
        self.count_include_pad = opts.flag("count_include_pad", True)  # PyTorch default


@register
class GlobalAvgPool(Layer):
    """Average over all positions: H x W x C -> 1 x 1 x C (as PyTorch's AdaptiveAvgPool2d(1))."""

    kind = "global_avgpool"
    prefix = "pool"
    aliases = ("global_avg_pool", "globalavgpool", "global_average_pooling")
    summary = "global average pooling: H x W x C -> 1 x 1 x C"

    def compute_shape(self, in_shape: Shape) -> Shape:
        _, _, c = self.need_map(in_shape)
        return (1, 1, c)

    def costs(self) -> dict[str, int]:
        h, w, c = self.in_shape
        return {"pool": h * w * c}


def adaptive_windows(size: int, out: int) -> list[tuple[int, int]]:
    """PyTorch adaptive pooling windows: [floor(i*n/o), ceil((i+1)*n/o)) for i in range(o)."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


@register
class AdaptiveAvgPool(Layer):
    """Average pooling to a fixed output size with PyTorch's adaptive windows."""

    kind = "adaptive_avgpool"
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
        h, w, c = self.need_map(in_shape)
        oh, ow = self.output
        self.row_windows = adaptive_windows(h, oh)
        self.col_windows = adaptive_windows(w, ow)
        return (oh, ow, c)

    def costs(self) -> dict[str, int]:
        c = self.in_shape[2]
        rows = sum(b - a for a, b in self.row_windows)
        cols = sum(b - a for a, b in self.col_windows)
        return {"pool": rows * cols * c}

    def describe(self) -> str:
        return f"to {self.output[0]}x{self.output[1]}"
