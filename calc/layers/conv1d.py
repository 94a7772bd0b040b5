"""1-D convolution and pooling on an (L, C) channels-last sequence: conv1d, maxpool1d, avgpool1d.

Each is the 2-D layer's arithmetic on an L x 1 map (kernel (k, 1), padding (before, after, 0, 0)):
the same calc.ops kernels and the same output-size formula (calc.counting.size_formulas), so
``nncalc size conv -i L -k K`` gives the length. One vocabulary: the 2-D kinds take maps, the
``...1d`` kinds take sequences (PyTorch's Conv1d / MaxPool1d / AvgPool1d; Keras Conv1D,
MaxPooling1D, AveragePooling1D). The weight has PyTorch's Conv1d layout (Cout, Cin/g, k).
"""

from __future__ import annotations

from calc.counting import size_formulas
from calc.layers.base import Layer, Shape, fmt_shape, register
from calc.layers.conv import read_bias
from calc.layers.pool import AvgPool, MaxPool
from calc.ops import (
    Window,
    correlate,
    crop,
    max_pool_backward,
    pad,
    scatter,
    spread_windows,
    weight_from_matrix,
    weight_grad,
    weight_matrix,
)
from calc.shapes import is_sequence
from calc.spec.options import Options


def read_padding_1d(opts: Options):
    """padding: an int (both ends) | [before, after] | 'same' | 'valid' -> a mode or (before, after)."""
    value = opts.raw("padding", 0)
    if isinstance(value, str):
        return opts.choice("padding", ("same", "valid"))
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            opts.fail("padding", f"expected an integer, [before, after], same or valid; got {len(value)} values")
        return tuple(opts.check_int("padding", v, minimum=0) for v in value)
    p = opts.check_int("padding", value, minimum=0)
    return (p, p)


class OneD:
    """Options and geometry shared by the 1-D layers: one axis, seen by calc.ops as rows."""

    def read_window(self, opts: Options, stride_default: int | None = None) -> None:
        """kernel, stride (default: ``stride_default``, else the kernel), dilation, padding."""
        k = opts.int("kernel")
        s = opts.int("stride", stride_default or k)
        d = opts.int("dilation", 1) if self.has_dilation else 1
        self.kernel, self.stride, self.dilation = (k, 1), (s, 1), (d, 1)
        self.padding_spec = read_padding_1d(opts)

    def sequence_axes(self, in_shape: Shape, ceil_mode: bool = False) -> tuple[int, int]:
        """(L, C) after checking; sets ``pad``, ``rows`` (the length axis) and ``cols`` (1)."""
        if not is_sequence(in_shape):
            self.fail(f"needs a sequence [length, channels], got {fmt_shape(in_shape)}"
                      + ("; for a map use the 2-D kind" if len(in_shape) == 3 else ""))
        length, c = in_shape
        spec = self.padding_spec
        ((before, after),) = size_formulas.resolve_padding(spec if isinstance(spec, str) else (spec,), (length,),
                                                           self.kernel[:1], self.stride[:1], self.dilation[:1])
        self.pad = (before, after, 0, 0)
        self.rows = size_formulas.window_output(length, self.kernel[0], self.stride[0], before, after,
                                                self.dilation[0], ceil_mode)
        self.cols = size_formulas.window_output(1, 1)
        return length, c

    def window(self) -> Window:
        return Window(self.kernel, self.stride, self.dilation, (self.rows.output, 1))

    def size_axes(self) -> list:
        return [("", self.rows)]  # the length: the L x 1 view's width of 1 is no axis of the layer

    def describe_1d(self, extra=()) -> str:
        before, after, _, _ = self.pad
        parts = [f"k{self.kernel[0]}"]
        if self.stride[0] != 1:
            parts.append(f"/{self.stride[0]}")
        if before or after:
            parts.append(f"pad {before}" if before == after else f"pad {before},{after}")
        if self.dilation[0] != 1:
            parts.append(f"dil {self.dilation[0]}")
        return " ".join([*parts, *extra])


@register
class Conv1d(OneD, Layer):
    """y[l, o] = b[o] + sum_{j, c} x_pad[l*s + j*d, g(o)*Cg + c] W[o, c, j] (cross-correlation);
    L_out = floor((L + pb + pa - d(k-1) - 1)/s) + 1."""

    kind, prefix = "conv1d", "conv"
    aliases = ("convolution1d", "conv_1d")
    summary = "1-D convolution on [L, channels]: filters, kernel, stride, padding (int|[before, after]|same|valid), " \
              "dilation, groups, bias"
    receptive, window_noun = "window", "conv"
    has_dilation = True

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        layer.filters = opts.int("filters")
        layer.read_window(opts, stride_default=1)
        layer.groups = opts.int("groups", 1)
        layer.use_bias, bias_values = read_bias(opts)
        layer.values = {}
        if bias_values is not None:
            layer.values["bias"] = (bias_values, opts.at("bias"))
        if opts.has("weights"):
            layer.values["weights"] = (opts.raw("weights"), opts.at("weights"))
        layer.activation = opts.raw("activation", None)
        layer.trainable = opts.flag("trainable", True)
        opts.finish()
        if layer.filters % layer.groups:
            opts.fail("groups", f"filters ({layer.filters}) must be divisible by groups ({layer.groups})")
        return layer

    def compute_shape(self, in_shape: Shape) -> Shape:
        _, c = self.sequence_axes(in_shape)
        if c % self.groups:
            self.fail(f"input channels ({c}) must be divisible by groups ({self.groups})")
        return (self.rows.output, self.filters)

    def param_shapes(self) -> dict[str, Shape]:
        shapes = {"weight": (self.filters, self.in_shape[1] // self.groups, self.kernel[0])}  # PyTorch Conv1d
        if self.use_bias:
            shapes["bias"] = (self.filters,)
        return shapes

    def param_symbols(self, pname: str) -> list[str]:
        return ["Cout"] if pname == "bias" else ["Cout", "Cin/g" if self.groups > 1 else "Cin", "k"]

    def macs(self) -> int:
        return self.rows.output * self.filters * (self.in_shape[1] // self.groups) * self.kernel[0]

    def mac_text(self) -> tuple[str, str]:
        g = "/g" if self.groups > 1 else ""
        return (f"Lo*Cout * (k*Cin{g})",
                f"{self.rows.output}*{self.filters} * ({self.kernel[0]}*{self.in_shape[1] // self.groups})")

    def costs(self) -> dict[str, int]:
        return {"bias": self.rows.output * self.filters if self.use_bias else 0}

    def describe(self) -> str:
        extra = [f"groups {self.groups}"] if self.groups != 1 else []
        return self.describe_1d(extra + ([] if self.use_bias else ["no bias"]))

    def explicit_values(self, ctx) -> dict:
        """``weights:`` [filters][channels/g][k] (a leading axis of size 1 may be left out)."""
        from calc.layers.conv_values import read_bias_values
        from calc.spec.values import nested_shape, to_array

        out = {}
        if "weights" in self.values:
            raw, where = self.values["weights"]
            shape = self.param_shapes()["weight"]
            forms = [shape, shape[1:] if shape[0] == 1 else None, (shape[0], shape[2]) if shape[1] == 1 else None,
                     shape[2:] if shape[:2] == (1, 1) else None]
            got = nested_shape(raw, where, "weights")
            form = got if got in forms else shape
            out["weight"] = to_array(raw, where, ctx.backend, form, "weights",
                                     "[filters][input channels / groups][k]").reshape(shape)
        if "bias" in self.values:
            raw, where = self.values["bias"]
            out["bias"] = read_bias_values(raw, where, ctx.backend, self.filters)
        return out

    def forward(self, x, ctx):
        """x (N, L, C) as an (N, L, 1, C) map through the 2-D kernels; y (N, Lo, Cout)."""
        xp = ctx.xp
        self.xpad = pad(x[:, :, None, :], self.pad, ctx.scalar(0), xp)
        self.wmat = weight_matrix(self.params["weight"][..., None], self.groups, xp)
        y = correlate(self.xpad, self.wmat, self.window(), xp)[:, :, 0, :]
        if self.use_bias:
            y = y + self.params["bias"]
        return y

    def backward(self, dy, ctx):
        """dW = cross-correlate(x_pad, dy); dx = dy spread back through the kernel; db = sum dy."""
        xp, win = ctx.xp, self.window()
        dy4 = dy[:, :, None, :]
        if self.use_bias:
            self.grads["bias"] = dy.sum(axis=(0, 1))
        shape = self.params["weight"].shape
        dwmat = weight_grad(self.xpad, dy4, win, self.groups, xp)
        self.grads["weight"] = weight_from_matrix(dwmat, (*shape, 1), xp).reshape(shape)
        dxpad = scatter(dy4, self.wmat, win, xp.zeros_like(self.xpad), xp)
        return crop(dxpad, self.pad, (self.in_shape[0], 1))[:, :, 0, :]


class _Pool1d(OneD):
    """A 2-D pooling class on an L x 1 map: kernel, stride (default: the kernel), padding, ceil_mode."""

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        layer.read_window(opts)
        layer.ceil_mode = opts.flag("ceil_mode", False)
        layer.read_extra(opts)
        opts.finish()
        return layer

    def compute_shape(self, in_shape: Shape) -> Shape:
        _, c = self.sequence_axes(in_shape, self.ceil_mode)
        if not isinstance(self.padding_spec, str):
            size_formulas.check_pool_padding(self.kernel[0], max(self.pad[:2]))
        return (self.rows.output, c)

    def costs(self) -> dict[str, int]:
        lo, c = self.out_shape
        return {"pool": lo * c * self.kernel[0]}  # one op per window element

    def describe(self) -> str:
        return self.describe_1d(["ceil"] if self.ceil_mode else [])

    def forward(self, x, ctx):
        return super().forward(x[:, :, None, :], ctx)[:, :, 0, :]

    def backward(self, dy, ctx):
        dxpad = self.spread(dy[:, :, None, :], ctx.xp)
        return crop(dxpad, self.pad, (self.in_shape[0], 1))[:, :, 0, :]


@register
class MaxPool1d(_Pool1d, MaxPool):
    kind = "maxpool1d"
    aliases = ("max_pool1d", "max_pooling1d")
    summary = "1-D max pooling on [L, channels]: kernel, stride (default kernel), padding, dilation, ceil_mode"

    def spread(self, dy4, xp):
        return max_pool_backward(self.xpad, self.y, dy4, self.window(), xp)


@register
class AvgPool1d(_Pool1d, AvgPool):
    kind = "avgpool1d"
    aliases = ("avg_pool1d", "average_pooling1d")
    summary = ("1-D average pooling on [L, channels]: kernel, stride (default kernel), padding, ceil_mode, "
               "count_include_pad")
    has_dilation = False

    def spread(self, dy4, xp):
        return spread_windows(dy4 / self.divisor, self.window(), self.padded_shape, xp)
