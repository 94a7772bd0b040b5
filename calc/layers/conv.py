"""2-D convolution and transposed convolution (cross-correlation, PyTorch weight layouts)."""

from __future__ import annotations

from calc import sizes
from calc.layers.base import Layer, Shape, register
from calc.spec.options import Options


def read_padding(opts: Options, modes=("same", "valid")):
    """padding: int | [ph, pw] | [top, bottom, left, right] | 'same' | 'valid' (unresolved)."""
    value = opts.raw("padding", 0)
    if isinstance(value, str):
        return opts.choice("padding", modes)
    if isinstance(value, (list, tuple)):
        if len(value) not in (2, 4):
            opts.fail("padding", "expected an integer, [pad_h, pad_w], [top, bottom, left, right], "
                      f"or one of {', '.join(modes)}; got {len(value)} values")
        vals = [opts.check_int("padding", v, minimum=0) for v in value]
        return tuple(vals) if len(vals) == 4 else (vals[0], vals[0], vals[1], vals[1])
    p = opts.check_int("padding", value, minimum=0)
    return (p, p, p, p)


def fmt_padding(pad: tuple[int, int, int, int]) -> str:
    top, bottom, left, right = pad
    if top == bottom == left == right:
        return f"pad {top}" if top else ""
    if top == bottom and left == right:
        return f"pad {top},{left}"
    return f"pad {top},{bottom},{left},{right}"


def read_bias(opts: Options):
    """bias: true | false | a number (shared start value) | a list of values (explicit)."""
    value = opts.raw("bias", True)
    if isinstance(value, bool):
        return value, None
    if isinstance(value, (int, float, list)):
        return True, value
    opts.fail("bias", f"expected true, false, a number or a list of numbers, got '{value}'")


class _ConvBase(Layer):
    """Options and bookkeeping shared by conv and transposed conv."""

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
class Conv(_ConvBase):
    """Convolution (cross-correlation): out = floor((i + 2p - d(k-1) - 1)/s) + 1 per axis."""

    kind = "conv"
    prefix = "conv"
    aliases = ("conv2d", "convolution")
    summary = "2-D convolution: filters, kernel, stride, padding (int|[h,w]|same|valid), dilation, groups, bias"

    def compute_shape(self, in_shape: Shape) -> Shape:
        h, w, cin = self.need_map(in_shape)
        self.check_groups(cin)
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        rows, cols = sizes.resolve_padding(self.padding_pairs(), (h, w), self.kernel, self.stride, self.dilation)
        self.pad = rows + cols
        top, bottom, left, right = self.pad
        self.rows = sizes.window_output(h, kh, sh, top, bottom, dh)
        self.cols = sizes.window_output(w, kw, sw, left, right, dw)
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


@register
class ConvTranspose(_ConvBase):
    """Transposed convolution: out = (i-1)s - 2p + d(k-1) + output_padding + 1 per axis."""

    kind = "conv_transpose"
    prefix = "deconv"
    aliases = ("transposed_conv", "deconv", "conv2d_transpose", "convtranspose")
    summary = "transposed convolution: filters, kernel, stride, padding (int|[h,w]|same|valid), output_padding"

    def read_extra(self, opts: Options) -> None:
        self.output_padding_spec = opts.pair("output_padding", 0, minimum=0)
        self.output_padding = self.output_padding_spec  # resolved in build

    def compute_shape(self, in_shape: Shape) -> Shape:
        h, w, cin = self.need_map(in_shape)
        self.check_groups(cin)
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        oph, opw = self.output_padding_spec
        if isinstance(self.padding_spec, str):  # Keras Conv2DTranspose semantics
            if self.output_padding_spec != (0, 0):
                self.fail("output_padding cannot be combined with padding 'same'/'valid'")
            t, b, oph = sizes.transposed_keras_padding(self.padding_spec, h, kh, sh, dh)
            lft, r, opw = sizes.transposed_keras_padding(self.padding_spec, w, kw, sw, dw)
            self.pad = (t, b, lft, r)
            self.output_padding = (oph, opw)
        else:
            self.pad = self.padding_spec
        top, bottom, left, right = self.pad
        self.rows = sizes.transposed_output(h, kh, sh, top, bottom, dh, oph)
        self.cols = sizes.transposed_output(w, kw, sw, left, right, dw, opw)
        return (self.rows.output, self.cols.output, self.filters)

    def param_shapes(self) -> dict[str, Shape]:
        cin = self.in_shape[2]
        shapes = {"weight": (cin, self.filters // self.groups, *self.kernel)}  # PyTorch (Cin, Cout/g, kh, kw)
        if self.use_bias:
            shapes["bias"] = (self.filters,)
        return shapes

    def macs(self) -> int:
        h, w, cin = self.in_shape
        kh, kw = self.kernel
        return h * w * cin * (self.filters // self.groups) * kh * kw  # every input pixel scatters a kernel

    def costs(self) -> dict[str, int]:
        ho, wo, cout = self.out_shape
        return {"bias": ho * wo * cout if self.use_bias else 0}

    def describe(self) -> str:
        text = super().describe()
        if self.output_padding != (0, 0):
            text += f" out_pad {self.output_padding[0]}" if self.output_padding[0] == self.output_padding[1] else f" out_pad {self.output_padding}"
        return text
