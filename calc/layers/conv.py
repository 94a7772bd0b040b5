"""2-D convolution (cross-correlation, PyTorch weight layouts), and ConvBase, the options, weights
and bias it shares with the transposed convolution (calc.layers.conv_transpose).

Counting (shapes, parameters, MACs) and computing (forward/backward through calc.ops).
Spec-given ``weights:`` and ``bias:`` are read by calc.layers.conv_values.
"""

from __future__ import annotations

from calc.counting import size_formulas
from calc.layers.base import Layer, Shape, register
from calc.ops import Window, correlate, crop, gemm_ordered, pad, scatter, weight_from_matrix, weight_grad, weight_matrix
from calc.spec.options import Options, read_padding  # noqa: F401  (pool imports it from here)


def fmt_padding(pad: tuple[int, int, int, int]) -> str:
    top, bottom, left, right = pad
    if top == bottom == left == right:
        return f"pad {top}" if top else ""
    if top == bottom and left == right:
        return f"pad {top},{left}"
    return f"pad {top},{bottom},{left},{right}"


def read_bias(opts: Options):
    """bias: true | false | a number (shared start value, also as text: '1/3') | a list of values."""
    value = opts.raw("bias", True)
    if isinstance(value, bool):
        return value, None
    if isinstance(value, (int, float, list)):
        return True, value
    if isinstance(value, str):
        from calc.errors import InputError
        from calc.exact import to_fraction

        try:
            to_fraction(value)
            return True, value
        except InputError:
            pass
    opts.fail("bias", f"expected true, false, a number or a list of numbers, got '{value}'")


class ConvBase(Layer):
    """Options and bookkeeping shared by conv and transposed conv."""

    window_noun = "conv"

    def __init__(self, where, filters, kernel, stride, padding, dilation, groups, bias):
        super().__init__(where)
        self.filters = filters
        self.kernel = kernel
        self.stride = stride
        self.padding_spec = padding
        self.dilation = dilation
        self.groups = groups
        self.use_bias = bias
        self.pad = (0, 0, 0, 0)  # (top, bottom, left, right), resolved in build
        self.values: dict = {}  # explicit `weights:` / `bias:` values, checked by the engine

    @classmethod
    def from_options(cls, opts: Options):
        filters = opts.int("filters")
        kernel = opts.pair("kernel")
        stride = opts.pair("stride", 1)
        dilation = opts.pair("dilation", 1)
        groups = opts.int("groups", 1)
        padding = read_padding(opts)
        use_bias, bias_values = read_bias(opts)
        layer = cls(opts.where, filters, kernel, stride, padding, dilation, groups, use_bias)
        layer.read_extra(opts)
        if bias_values is not None:
            layer.values["bias"] = (bias_values, opts.at("bias"))
        if opts.has("weights"):
            layer.values["weights"] = (opts.raw("weights"), opts.at("weights"))
        layer.activation = opts.raw("activation", None)
        layer.trainable = opts.flag("trainable", True)
        opts.finish()
        if filters % groups:
            opts.fail("groups", f"filters ({filters}) must be divisible by groups ({groups})")
        return layer

    def read_extra(self, opts: Options) -> None:
        pass

    weight_layout = "oihw"  # how spec-given ``weights:`` are nested (Conv also accepts TensorFlow's hwio)

    def explicit_values(self, ctx) -> dict:
        from calc.layers.conv_values import read_bias_values, read_kernels

        out = {}
        if "weights" in self.values:
            raw, where = self.values["weights"]
            out["weight"] = read_kernels(raw, where, ctx.backend, self.param_shapes()["weight"], self.weight_axes,
                                         self.weight_layout)
        if "bias" in self.values:
            raw, where = self.values["bias"]
            out["bias"] = read_bias_values(raw, where, ctx.backend, self.filters)
        return out

    def init_params(self, ctx) -> None:
        """As every layer; the weight is then held in GEMM order (same values, same shape)."""
        super().init_params(ctx)
        self.params["weight"] = gemm_ordered(self.params["weight"], self.groups, ctx.xp)

    def kernel_weight(self):
        """The kernel as applied. Deep-learning convolution is cross-correlation, so this is the
        stored weight; a true-convolution option would return w[:, :, ::-1, ::-1] here and rotate
        the gradient back in ``kernel_grad``."""
        return self.params["weight"]

    def kernel_grad(self, grad):
        """dL/d(stored weight) from dL/d(kernel as applied); the identity for cross-correlation."""
        return grad

    def check_groups(self, cin: int) -> None:
        if cin % self.groups:
            self.fail(f"input channels ({cin}) must be divisible by groups ({self.groups})")

    def describe(self) -> str:
        kh, kw = self.kernel
        parts = [f"{kh}x{kw}"]
        if self.stride != (1, 1):
            parts.append("/" + (str(self.stride[0]) if self.stride[0] == self.stride[1] else "x".join(map(str, self.stride))))
        if fmt_padding(self.pad):
            parts.append(fmt_padding(self.pad))
        if self.dilation != (1, 1):
            parts.append(f"dil {self.dilation[0]}" if self.dilation[0] == self.dilation[1] else f"dil {self.dilation}")
        if self.groups != 1:
            parts.append(f"groups {self.groups}")
        if not self.use_bias:
            parts.append("no bias")
        return " ".join(parts)


@register
class Conv(ConvBase):
    """Convolution (cross-correlation): out = floor((i + 2p - d(k-1) - 1)/s) + 1 per axis."""

    kind = "conv"
    receptive = "window"
    prefix = "conv"
    aliases = ("conv2d", "convolution")
    summary = "2-D convolution: filters, kernel, stride, padding (int|[h,w]|same|valid), dilation, groups, bias"

    def param_symbols(self, pname: str) -> list[str]:
        if pname == "bias":
            return ["Cout"]
        return ["Cout", "Cin/g" if self.groups > 1 else "Cin", "kh", "kw"]

    def mac_text(self) -> tuple[str, str]:
        ho, wo, cout = self.out_shape
        kh, kw = self.kernel
        return ("Ho*Wo*Cout * (kh*kw*Cin" + ("/g" if self.groups > 1 else "") + ")",
                f"{ho}*{wo}*{cout} * ({kh}*{kw}*{self.in_shape[2] // self.groups})")

    def compute_shape(self, in_shape: Shape) -> Shape:
        h, w, cin = self.need_map(in_shape)
        self.check_groups(cin)
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        rows, cols = size_formulas.resolve_padding(self.padding_pairs(), (h, w), self.kernel, self.stride, self.dilation)
        self.pad = rows + cols
        top, bottom, left, right = self.pad
        self.rows = size_formulas.window_output(h, kh, sh, top, bottom, dh)
        self.cols = size_formulas.window_output(w, kw, sw, left, right, dw)
        return (self.rows.output, self.cols.output, self.filters)

    def param_shapes(self) -> dict[str, Shape]:
        cin = self.in_shape[2]
        shapes = {"weight": (self.filters, cin // self.groups, *self.kernel)}  # PyTorch OIHW
        if self.use_bias:
            shapes["bias"] = (self.filters,)
        return shapes

    def macs(self) -> int:
        ho, wo, cout = self.out_shape
        cin = self.in_shape[2]
        kh, kw = self.kernel
        return ho * wo * cout * (cin // self.groups) * kh * kw  # each output: Cin/g*kh*kw products

    def costs(self) -> dict[str, int]:
        ho, wo, cout = self.out_shape
        return {"bias": ho * wo * cout if self.use_bias else 0}

    weight_axes = ("filters", "input channels per group")

    def read_extra(self, opts: Options) -> None:
        # TensorFlow/Keras kernels are [kh][kw][in][out] (HWIO): accepted as written, stored as OIHW
        self.weight_layout = opts.choice("weight_layout", ("oihw", "hwio"), "oihw")

    def window(self) -> Window:
        return Window(self.kernel, self.stride, self.dilation, (self.rows.output, self.cols.output))

    def forward(self, x, ctx):
        """y[n,oh,ow,o] = b[o] + sum_{i,j,c} x_pad[n, oh*sh + i*dh, ow*sw + j*dw, g(o)*Cg + c]
        * W[o, c, i, j]; x (N, H, W, Cin), W (Cout, Cin/g, kh, kw), y (N, Ho, Wo, Cout)."""
        xp = ctx.xp
        self.xpad = pad(x, self.pad, ctx.scalar(0), xp)
        self.wmat = weight_matrix(self.kernel_weight(), self.groups, xp)
        y = correlate(self.xpad, self.wmat, self.window(), xp)
        if self.use_bias:
            y += self.params["bias"]
        return y

    def backward(self, dy, ctx):
        """dW = cross-correlate(x_pad, dy); dx = dy spread back through the rotated kernel
        (col2im of dy W^T), cropped to the unpadded input; db = sum of dy over N, Ho, Wo."""
        xp = ctx.xp
        win = self.window()
        if self.use_bias:
            self.grads["bias"] = dy.sum(axis=(0, 1, 2))
        dwmat = weight_grad(self.xpad, dy, win, self.groups, xp)
        self.grads["weight"] = self.kernel_grad(weight_from_matrix(dwmat, self.params["weight"].shape, xp))
        dxpad = scatter(dy, self.wmat, win, xp.zeros_like(self.xpad), xp)
        return crop(dxpad, self.pad, self.in_shape[:2])
