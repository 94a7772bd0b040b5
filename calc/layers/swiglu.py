"""SwiGLU, the gated feed-forward of Llama: y = W2 (silu(W1 x) * (W3 x)), no biases by default.

Hugging Face names W1 gate_proj, W3 up_proj and W2 down_proj; the parameters here are
gate_weight (hidden, d), up_weight (hidden, d) and down_weight (d, hidden), torch.nn.Linear
layouts. It acts per position on a sequence (L, d) or on a vector (d,).
MACs: 3 d hidden per position; extra costs ("act"): silu and the gating product, one operation
each per hidden value and position.
"""

from __future__ import annotations

from calc.layers.attention import linear_param
from calc.layers.base import Layer, Shape, register
from calc.shapes import fmt_shape, is_sequence
from calc.spec.options import Options

PARTS = ("gate", "up", "down")


@register
class SwiGLU(Layer):
    kind = "swiglu"
    receptive = "identity"  # per position: output i reads input i only
    prefix = "ffn"
    summary = "gated feed-forward (Llama): hidden; W2(silu(W1 x) * W3 x), per position, bias false"

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        layer.hidden = opts.int("hidden")
        layer.use_bias = opts.flag("bias", False)
        opts.finish()
        return layer

    def compute_shape(self, in_shape: Shape) -> Shape:
        if not (is_sequence(in_shape) or len(in_shape) == 1):
            self.fail(f"needs a sequence (length x features) or a vector, got {fmt_shape(in_shape)}")
        self.d_model = in_shape[-1]
        return in_shape

    @property
    def positions(self) -> int:
        return self.in_shape[0] if len(self.in_shape) == 2 else 1

    def widths(self) -> dict[str, tuple[int, int]]:
        d, h = self.d_model, self.hidden
        return {"gate": (h, d), "up": (h, d), "down": (d, h)}

    def param_shapes(self) -> dict[str, Shape]:
        shapes = {}
        for part, (out, inp) in self.widths().items():
            shapes[f"{part}_weight"] = (out, inp)
            if self.use_bias:
                shapes[f"{part}_bias"] = (out,)
        return shapes

    def param_symbols(self, pname: str) -> list[str]:
        return ["out", "in"] if pname.endswith("weight") else ["out"]

    def macs(self) -> int:
        return self.positions * 3 * self.d_model * self.hidden

    def mac_text(self) -> tuple[str, str]:
        return "length*3*d*hidden", f"{self.positions}*3*{self.d_model}*{self.hidden}"

    def costs(self) -> dict[str, int]:
        bias = self.positions * (2 * self.hidden + self.d_model) if self.use_bias else 0
        return {"act": 2 * self.positions * self.hidden, "bias": bias}

    def fans(self) -> tuple[int, int]:
        return self.d_model, self.hidden

    def describe(self) -> str:
        return f"{self.d_model} -> 2x{self.hidden} -> {self.d_model}" + (" bias" if self.use_bias else "")

    # -- running --------------------------------------------------------------------------
    def init_params(self, ctx) -> None:
        """Each of the three projections drawn like a torch.nn.Linear of its own."""
        self.params, self.grads, self.buffers = {}, {}, {}
        for name, shape in self.param_shapes().items():
            out, inp = self.widths()[name.split("_")[0]]
            self.params[name] = linear_param(ctx, self, name, shape, inp, out)

    def _linear(self, x, part):
        y = x @ self.params[f"{part}_weight"].T
        return y + self.params[f"{part}_bias"] if self.use_bias else y

    def forward(self, x, ctx):
        xp = ctx.xp
        self.x = x
        self.g = self._linear(x, "gate")
        self.u = self._linear(x, "up")
        self.sig = 1 / (1 + xp.exp(-self.g))
        self.s = self.g * self.sig  # silu
        self.h = self.s * self.u
        return self._linear(self.h, "down")

    def _grads(self, part, inp, dy):
        flat_in, flat_dy = inp.reshape(-1, inp.shape[-1]), dy.reshape(-1, dy.shape[-1])
        self.grads[f"{part}_weight"] = flat_dy.T @ flat_in
        if self.use_bias:
            self.grads[f"{part}_bias"] = flat_dy.sum(axis=0)

    def backward(self, dy, ctx):
        self._grads("down", self.h, dy)
        dh = dy @ self.params["down_weight"]
        du = dh * self.s
        dg = dh * self.u * self.sig * (1 + self.g * (1 - self.sig))  # silu'(g)
        self._grads("up", self.x, du)
        self._grads("gate", self.x, dg)
        return dg @ self.params["gate_weight"] + du @ self.params["up_weight"]
