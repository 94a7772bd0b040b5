"""Fully connected layers and the reshaping/regularising layers around them."""

from __future__ import annotations

from math import prod

from calc.layers.base import Layer, Shape, fmt_shape, is_map, register
from calc.layers.conv import read_bias
from calc.shapes import is_sequence
from calc.spec.options import Options


@register
class Dense(Layer):
    """z = W a + b with W of shape (units, inputs): one row per neuron, as in the course notes."""

    kind = "dense"
    receptive = "whole"
    prefix = "fc"
    aliases = ("fc", "fully_connected")  # not "linear": that is the identity activation (Keras)
    summary = "fully connected: units, bias (true|false|value|list), shared_bias, weights, activation"

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        layer.units = opts.int("units")
        layer.use_bias, bias_values = read_bias(opts)
        layer.shared_bias = opts.flag("shared_bias", False)  # one bias for all neurons (Mazur)
        layer.values = {}
        if bias_values is not None:
            layer.values["bias"] = (bias_values, opts.at("bias"))
        if opts.has("weights"):
            layer.values["weights"] = (opts.raw("weights"), opts.at("weights"))
        layer.weight_layout = opts.choice("weight_layout", ("out_in", "in_out"), "out_in")
        layer.activation = opts.raw("activation", None)
        layer.trainable = opts.flag("trainable", True)
        opts.finish()
        if layer.shared_bias and not layer.use_bias:
            opts.fail("shared_bias", "shared_bias needs a bias")
        return layer

    def compute_shape(self, in_shape: Shape) -> Shape:
        if is_map(in_shape):
            h, w, c = in_shape
            if h * w != 1:  # Keras would apply Dense per pixel; PyTorch needs a flatten first
                self.fail(f"input is an unflattened {fmt_shape(in_shape)} map; add 'flatten' before "
                          "it (order hwc, or flatten: {order: chw})")
            self.inputs = c
        elif len(in_shape) == 1:
            self.inputs = in_shape[0]
        elif is_sequence(in_shape):  # per position, on the last axis (torch.nn.Linear, Keras Dense)
            self.inputs = in_shape[1]
            return (in_shape[0], self.units)
        else:
            self.fail(f"expected a vector input, got {fmt_shape(in_shape)}")
        return (self.units,)

    def param_shapes(self) -> dict[str, Shape]:
        shapes = {"weight": (self.units, self.inputs)}
        if self.use_bias:
            shapes["bias"] = (1,) if self.shared_bias else (self.units,)
        return shapes

    def param_symbols(self, pname: str) -> list[str]:
        return ["units", "inputs"] if pname == "weight" else ["units"]

    @property
    def positions(self) -> int:
        """How many times the weights are applied: 1 on a vector, L on an (L, F) sequence."""
        return self.out_shape[0] if self.out_shape and len(self.out_shape) == 2 else 1

    def mac_text(self) -> tuple[str, str]:
        if self.positions > 1:
            return "length*inputs*units", f"{self.positions}*{self.inputs}*{self.units}"
        return "inputs*units", f"{self.inputs}*{self.units}"

    def macs(self) -> int:
        return self.positions * self.inputs * self.units  # one product per weight and position

    def costs(self) -> dict[str, int]:
        return {"bias": self.positions * self.units if self.use_bias else 0}

    def explicit_values(self, ctx) -> dict:
        from calc.spec.values import to_array

        out = {}
        if "weights" in self.values:
            raw, where = self.values["weights"]
            if self.weight_layout == "in_out":  # Keras kernel: one row per input
                w = to_array(raw, where, ctx.backend, (self.inputs, self.units), "weights",
                             f"weight_layout in_out: {self.inputs} rows (inputs) of {self.units} (neurons)")
                out["weight"] = w.T.copy()
            else:
                out["weight"] = to_array(raw, where, ctx.backend, (self.units, self.inputs), "weights",
                                         f"one row per neuron: {self.units} rows of {self.inputs} inputs")
        if "bias" in self.values:
            raw, where = self.values["bias"]
            shape = self.param_shapes()["bias"]
            if not isinstance(raw, list):
                raw = [raw] * shape[0]  # one number: the start value of every bias
            out["bias"] = to_array(raw, where, ctx.backend, shape, "bias",
                                   "one shared bias" if self.shared_bias else f"one per neuron: {self.units}")
        return out

    def forward(self, x, ctx):
        """z = x W^T + b; x (N, in) or (N, L, in) per position, W (out, in)."""
        self.x_shape = x.shape
        if self.positions > 1:  # a sequence: every position is one more row
            x2 = x.reshape(-1, x.shape[-1])
            self.x = x2
            y = x2 @ self.params["weight"].T
            if self.use_bias:
                y = y + self.params["bias"]
            return y.reshape(x.shape[0], x.shape[1], self.units)
        x2 = x.reshape(x.shape[0], -1)
        self.x = x2
        y = x2 @ self.params["weight"].T
        if self.use_bias:
            y = y + self.params["bias"]  # shared bias: shape (1,) broadcasts over the neurons
        return y

    def backward(self, dy, ctx):
        """dW = dy^T x, db = sum over the batch (and over neurons if shared), dx = dy W."""
        dy = dy.reshape(-1, self.units)  # a sequence: positions are rows like samples
        self.grads["weight"] = dy.T @ self.x
        if self.use_bias:
            db = dy.sum(axis=0)
            self.grads["bias"] = db.sum(keepdims=True) if self.shared_bias else db
        return (dy @ self.params["weight"]).reshape(self.x_shape)

    def describe(self) -> str:
        text = f"{self.inputs} -> {self.units}"
        if not self.use_bias:
            text += " no bias"
        elif self.shared_bias:
            text += " shared bias"
        return text


@register
class Flatten(Layer):
    """H x W x C -> H*W*C, row-major over (H, W, C) like Keras; order: chw flattens per channel."""

    kind = "flatten"
    receptive = "whole"
    prefix = "flatten"
    summary = "flatten a map to a vector: order hwc (default, Keras) or chw (PyTorch NCHW)"

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        layer.order = opts.choice("order", ("hwc", "chw"), "hwc")
        opts.finish()
        return layer

    def compute_shape(self, in_shape: Shape) -> Shape:
        return (prod(in_shape),)

    def forward(self, x, ctx):
        self.x_shape = x.shape
        if self.order == "chw" and x.ndim == 4:  # channel by channel, as PyTorch's NCHW flatten
            x = x.transpose(0, 3, 1, 2)
        return x.reshape(x.shape[0], -1)

    def backward(self, dy, ctx):
        if self.order == "chw" and len(self.x_shape) == 4:
            n, h, w, c = self.x_shape
            return dy.reshape(n, c, h, w).transpose(0, 2, 3, 1)
        return dy.reshape(self.x_shape)

    def describe(self) -> str:
        return f"order {self.order}" if self.order != "hwc" else ""

    def run_note(self) -> tuple[str, str, str]:
        return "flatten order", self.order, "hwc: row-major over H x W x C"
