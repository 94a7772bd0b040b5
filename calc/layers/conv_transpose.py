"""2-D transposed convolution (PyTorch weight layout (Cin, Cout/g, kh, kw)): every input pixel
scatters a kernel into the output. Options, weights and bias as calc.layers.conv.ConvBase.
"""

from __future__ import annotations

from calc.counting import size_formulas
from calc.layers.base import Shape, register
from calc.layers.conv import ConvBase
from calc.ops import Window, correlate, crop, pad, scatter, weight_from_matrix, weight_grad, weight_matrix
from calc.spec.options import Options


@register
class ConvTranspose(ConvBase):
    """Transposed convolution: out = (i-1)s - 2p + d(k-1) + output_padding + 1 per axis."""

    kind = "conv_transpose"
    receptive = "transposed"
    window_noun = ""  # its output size is not a sliding window's (calc.counting.size_formulas.transposed_output)
    prefix = "deconv"
    aliases = ("transposed_conv", "deconv", "conv2d_transpose", "convtranspose")
    summary = "transposed convolution: filters, kernel, stride, padding (int|[h,w]|same|valid), output_padding"

    def param_symbols(self, pname: str) -> list[str]:
        if pname == "bias":
            return ["Cout"]
        return ["Cin", "Cout/g" if self.groups > 1 else "Cout", "kh", "kw"]  # PyTorch's (Cin, Cout/g, kh, kw)

    def mac_text(self) -> tuple[str, str]:
        h, w, cin = self.in_shape
        kh, kw = self.kernel
        return ("Hi*Wi*Cin * (kh*kw*Cout" + ("/g" if self.groups > 1 else "") + ")",
                f"{h}*{w}*{cin} * ({kh}*{kw}*{self.filters // self.groups})")

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
            t, b, oph = size_formulas.transposed_keras_padding(self.padding_spec, h, kh, sh, dh)
            lft, r, opw = size_formulas.transposed_keras_padding(self.padding_spec, w, kw, sw, dw)
            self.pad = (t, b, lft, r)
            self.output_padding = (oph, opw)
        else:
            self.pad = self.padding_spec
        top, bottom, left, right = self.pad
        self.rows = size_formulas.transposed_output(h, kh, sh, top, bottom, dh, oph)
        self.cols = size_formulas.transposed_output(w, kw, sw, left, right, dw, opw)
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

    weight_axes = ("input channels", "filters per group")

    def window(self) -> Window:
        """One kernel placement per input pixel (the positions of the conv this one transposes)."""
        h, w, _ = self.in_shape
        return Window(self.kernel, self.stride, self.dilation, (h, w))

    def forward(self, x, ctx):
        """The input gradient of a conv from Cout to Cin channels with this weight: every input
        pixel adds x[n,h,w,:] @ W[:, :, i, j] at row h*s + i*d, column w*s + j*d of the full
        (H-1)s + d(k-1) + 1 + output_padding map, which is then cropped by the padding.
        x (N, H, W, Cin), W (Cin, Cout/g, kh, kw), y (N, Ho, Wo, Cout)."""
        xp = ctx.xp
        win = self.window()
        self.x = x
        self.wmat = weight_matrix(self.kernel_weight(), self.groups, xp)  # (g, kh*kw*Cout/g, Cin/g)
        full = (win.reach(0) + self.output_padding[0], win.reach(1) + self.output_padding[1])
        y = crop(scatter(x, self.wmat, win, xp.zeros((x.shape[0], *full, self.filters), dtype=x.dtype), xp),
                 self.pad, self.out_shape[:2])
        return y + self.params["bias"] if self.use_bias else y

    def backward(self, dy, ctx):
        """dx = cross-correlate(dy placed in the full map, W) (a strided conv); dW = sum of
        x^T (dy patches); db = sum of dy."""
        xp = ctx.xp
        win = self.window()
        top, _, left, _ = self.pad
        full = (win.reach(0) + self.output_padding[0], win.reach(1) + self.output_padding[1])
        ho, wo, _ = self.out_shape
        dyfull = pad(dy, (top, full[0] - top - ho, left, full[1] - left - wo), ctx.scalar(0), xp)
        if self.use_bias:
            self.grads["bias"] = dy.sum(axis=(0, 1, 2))
        dwmat = weight_grad(dyfull, self.x, win, self.groups, xp)
        self.grads["weight"] = self.kernel_grad(weight_from_matrix(dwmat, self.params["weight"].shape, xp))
        return correlate(dyfull, self.wmat, win, xp)

    def describe(self) -> str:
        text = super().describe()
        if self.output_padding != (0, 0):
            text += f" out_pad {self.output_padding[0]}" if self.output_padding[0] == self.output_padding[1] else f" out_pad {self.output_padding}"
        return text
