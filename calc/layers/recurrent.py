"""Recurrent layers: rnn, lstm, gru on an (L, F) sequence, as PyTorch's nn.RNN / nn.LSTM / nn.GRU.

Parameters per stacked layer l and direction (suffix ``_reverse`` for the backward one), PyTorch
names and layouts, gates stacked in PyTorch's order (LSTM i, f, g, o; GRU r, z, n):
``weight_ih_l{l}`` (G*H, in_l), ``weight_hh_l{l}`` (G*H, H), ``bias_ih_l{l}`` and ``bias_hh_l{l}``
(G*H,) each. ``convention: keras`` keeps one bias per gate (``bias_l{l}``: Keras LSTM, SimpleRNN,
and GRU with reset_after false); a Keras GRU with reset_after true (the Keras 2+ default) has two
bias vectors, as PyTorch. Layer l > 0 reads the concatenated directions (in_l = H * dirs).

Counting: MACs per time step = G*H*(in_l + H) per layer and direction (the two matrix products;
gate products and bias adds not counted, as for dense layers); times L for the total. This is
what torch's FlopCounterMode counts / 2.

Output: every step's h (L, H*dirs), or with ``return_sequences: false`` the last one (H*dirs,),
as Keras: the forward direction's h at step L and the backward direction's h after it has read
the whole sequence (at position 1), i.e. torch's h_n of the last layer, both directions.
Initial states are zero.
"""

from __future__ import annotations

from calc.layers.base import Layer, Shape, fmt_shape, register
from calc.layers.recurrent_cells import GRUCell, LSTMCell, RNNCell, same
from calc.shapes import is_sequence
from calc.spec.options import Options


class _Recurrent(Layer):
    receptive = "whole"  # the last step depends on every earlier one (and every one, bidirectional)
    initial = None  # (h_0, c_0) of layer 0, forward direction, (N, H) each: worked solutions set it
    gates = 1
    gate_order = ""
    formula = ""

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        layer.hidden = opts.int("hidden")
        layer.layers = opts.int("layers", 1)
        layer.bidirectional = opts.flag("bidirectional", False)
        layer.return_sequences = opts.flag("return_sequences", True)
        layer.use_bias = opts.flag("bias", True)
        layer.convention = opts.choice("convention", ("pytorch", "keras"), "pytorch")
        layer.read_extra(opts)
        layer.values = opts.raw("weights", None)
        layer.values_at = opts.at("weights")
        layer.trainable = opts.flag("trainable", True)
        opts.finish()
        return layer

    def read_extra(self, opts: Options) -> None:
        pass

    @property
    def two_biases(self) -> bool:
        """b_ih and b_hh (PyTorch; Keras GRU reset_after) or one bias (Keras)."""
        return self.use_bias and self.convention == "pytorch"

    def cell(self):
        raise NotImplementedError

    @property
    def dirs(self) -> int:
        return 2 if self.bidirectional else 1

    def compute_shape(self, in_shape: Shape) -> Shape:
        if not is_sequence(in_shape):
            self.fail(f"needs a sequence [length, features], got {fmt_shape(in_shape)}")
        self.length, self.features = in_shape
        width = self.hidden * self.dirs
        return (self.length, width) if self.return_sequences else (width,)

    def units(self):
        """(suffix, input width) of every layer and direction, in PyTorch's parameter order."""
        for lay in range(self.layers):
            width = self.features if lay == 0 else self.hidden * self.dirs
            for d in range(self.dirs):
                yield f"_l{lay}" + ("_reverse" if d else ""), width

    def param_shapes(self) -> dict[str, Shape]:
        g, shapes = self.gates * self.hidden, {}
        for sfx, width in self.units():
            shapes["weight_ih" + sfx] = (g, width)
            shapes["weight_hh" + sfx] = (g, self.hidden)
            if self.two_biases:
                shapes["bias_ih" + sfx] = (g,)
                shapes["bias_hh" + sfx] = (g,)
            elif self.use_bias:
                shapes["bias" + sfx] = (g,)
        return shapes

    def param_symbols(self, pname: str) -> list[str]:
        return ["G*H", "in" if "_ih" in pname else "H"] if pname.startswith("weight") else ["G*H"]

    def step_macs(self) -> int:
        """Multiply-accumulates of one time step: G*H*(in_l + H) per layer and direction."""
        return sum(self.gates * self.hidden * (width + self.hidden) for _, width in self.units())

    def macs(self) -> int:
        return self.length * self.step_macs()

    def mac_text(self) -> tuple[str, str]:
        terms = " + ".join(f"{self.gates}*{self.hidden}*({w}+{self.hidden})" for _, w in self.units())
        return "L * sum over layers and directions of G*H*(in + H)", f"{self.length} * ({terms})"

    def count_note(self) -> str:
        g = f"{self.gates}*H" if self.gates > 1 else "H"
        return (f"{self.kind} MACs: {g}*(in + H) per time step, layer and direction (W_ih x_t and W_hh h_t-1, "
                "as torch's FlopCounterMode), times L steps; gate products and bias adds not counted")

    def costs(self) -> dict[str, int]:
        per = sum(1 for n in self.param_shapes() if n.startswith("bias")) * self.gates * self.hidden
        return {"bias": self.length * per}

    def fans(self) -> tuple[int, int]:
        """The tensor being drawn (init_params), else weight_ih_l0 (G*H, in) as torch reads it."""
        return self._fans or (self.features, self.gates * self.hidden)

    def describe(self) -> str:
        parts = [f"{self.features} -> {self.hidden}"]
        if self.layers > 1:
            parts.append(f"x{self.layers} layers")
        if self.bidirectional:
            parts.append("bidir")
        parts.append("all steps" if self.return_sequences else "last step")
        if self.convention == "keras":
            parts.append("keras")
        if not self.use_bias:
            parts.append("no bias")
        parts.append(f"{self.step_macs():,} MACs/step")
        return " ".join(parts)

    def run_note(self):
        return ("recurrent gates", f"{self.kind} {self.gate_order}",
                "PyTorch stacking of the gate rows in W_ih, W_hh and the biases; zero initial states")

    # -- running --------------------------------------------------------------------------
    def init_params(self, ctx) -> None:
        """PyTorch's RNN init U(-1/sqrt(H), 1/sqrt(H)) for every tensor (torch_default); another
        initialiser draws each weight with its own fans (torch's rule for 2-D: in, out = dim 1,
        dim 0) and sets the biases to zero (ctx.init_param's rule). Spec ``weights:`` win."""
        self.params, self.grads, self.buffers = {}, {}, {}
        given = self.explicit_values(ctx)
        for name, shape in self.param_shapes().items():
            if name in given:
                self.params[name] = given[name]
                continue
            weight = name.startswith("weight")
            self._fans = (shape[1], shape[0]) if weight and ctx.init != "torch_default" else (self.hidden, self.hidden)
            self.params[name] = ctx.init_param(self, "weight" if weight else "bias", shape)
            ctx.drawn[-1] = f"{self.name}.{name}"
        self._fans = None

    _fans: tuple | None = None

    def explicit_values(self, ctx) -> dict:
        if self.values is None:
            return {}
        from calc.errors import SpecError
        from calc.spec.values import to_array

        shapes = self.param_shapes()
        if not isinstance(self.values, dict):
            raise SpecError(f"expected a mapping of parameter names to values ({', '.join(shapes)})", self.values_at)
        out = {}
        for name, raw in self.values.items():
            if name not in shapes:
                raise SpecError(f"unknown parameter '{name}'; this layer has {', '.join(shapes)}", self.values_at)
            out[name] = to_array(raw, self.values_at.child(name), ctx.backend, shapes[name], "weights",
                                 f"{self.gate_order} rows stacked, PyTorch layout")
        return out

    def forward(self, x, ctx):
        """x (N, L, F) -> (N, L, H*dirs) or (N, H*dirs); layer by layer, direction by direction."""
        xp, cell = ctx.xp, self.cell()
        self.tapes = []  # per layer: [(input, [step caches]) per direction]
        for lay in range(self.layers):
            outs, tape = [], []
            for d in range(self.dirs):
                hs, caches = self._run(x, lay, d, cell, ctx)
                outs.append(hs)
                tape.append(caches)
            self.tapes.append((x, tape))
            x = outs[0] if self.dirs == 1 else xp.concatenate(outs, axis=2)
        if self.return_sequences:
            return x
        last = x[:, -1, :self.hidden]
        return last if self.dirs == 1 else xp.concatenate([last, x[:, 0, self.hidden:]], axis=1)

    def _names(self, lay: int, d: int):
        sfx = f"_l{lay}" + ("_reverse" if d else "")
        bias_in = ("bias_ih" if self.two_biases else "bias") + sfx
        return "weight_ih" + sfx, "weight_hh" + sfx, bias_in, "bias_hh" + sfx

    def _run(self, x, lay, d, cell, ctx):
        """One direction of one layer over time: h_t for every t (N, L, H) and the step caches."""
        xp, p = ctx.xp, self.params
        wi, wh, bi, bh = self._names(lay, d)
        n, length = x.shape[0], x.shape[1]
        ax = x @ p[wi].T  # (N, L, G*H): the input projection of every step at once
        if bi in p:
            ax = ax + p[bi]
        h = xp.zeros((n, self.hidden), dtype=ctx.backend.dtype)
        c = h
        if self.initial is not None and (lay, d) == (0, 0):  # a worked step from a given state
            h, c = self.initial
        hs, caches = [None] * length, [None] * length
        for t in (range(length - 1, -1, -1) if d else range(length)):
            h, c, cache = cell.forward(ax[:, t], h, c, p[wh], p.get(bh), ctx.backend, self._stage(ctx, t, lay, d))
            hs[t], caches[t] = h, cache
        return xp.stack(hs, axis=1), caches

    def _stage(self, ctx, t: int, lay: int, d: int):
        """The stage hook of step t: names such as 'h@2' (step 2 of layer 0, forward direction),
        'h@2/l1/reverse' otherwise; the identity when nothing watches the pass."""
        if ctx.observer is None:
            return same
        where = (f"/l{lay}" if lay else "") + ("/reverse" if d else "")
        return lambda name, value: ctx.stage(self, f"{name}@{t + 1}{where}", value)

    def backward(self, dy, ctx):
        """Backpropagation through time, last layer first; dW summed over steps and the batch."""
        xp, cell, hsz = ctx.xp, self.cell(), self.hidden
        if not self.return_sequences:
            x_last = self.tapes[-1][0]
            full = xp.zeros((x_last.shape[0], x_last.shape[1], hsz * self.dirs), dtype=ctx.backend.dtype)
            full[:, -1, :hsz] = dy[:, :hsz]
            if self.dirs == 2:
                full[:, 0, hsz:] = dy[:, hsz:]
            dy = full
        for lay in range(self.layers - 1, -1, -1):
            x, tape = self.tapes[lay]
            dx = None
            for d in range(self.dirs):
                part = self._back(x, dy[:, :, d * hsz:(d + 1) * hsz], tape[d], lay, d, cell, ctx)
                dx = part if dx is None else dx + part
            dy = dx
        return dy

    def _back(self, x, dhs, caches, lay, d, cell, ctx):
        """dL/dx of one direction; accumulates its parameter gradients over the steps."""
        xp, p = ctx.xp, self.params
        wi, wh, bi, bh = self._names(lay, d)
        length = x.shape[1]
        dh = xp.zeros(dhs[:, 0].shape, dtype=ctx.backend.dtype)
        dc, dw, db, dax = dh, 0, 0, [None] * length
        for t in (range(length) if d else range(length - 1, -1, -1)):  # against the reading order
            stage = self._stage(ctx, t, lay, d)
            dh_t = stage("dL/dh", dhs[:, t] + dh)  # from the output at t and from step t+1
            dax[t], dh, dc, dwt, dbt = cell.backward(dh_t, dc, caches[t], p[wh], bh in p, ctx.backend, stage)
            dw, db = dw + stage("dL/dW_hh", dwt), (db + dbt if dbt is not None else db)
        dax = xp.stack(dax, axis=1)  # (N, L, G*H)
        flat = dax.reshape(-1, dax.shape[2])
        self.grads[wi] = flat.T @ x.reshape(-1, x.shape[2])
        self.grads[wh] = dw
        if bi in p:
            self.grads[bi] = flat.sum(axis=0)
        if bh in p:
            self.grads[bh] = db
        return dax @ p[wi]


@register
class RNN(_Recurrent):
    kind, prefix = "rnn", "rnn"
    aliases = ("simple_rnn", "simplernn")
    summary = ("Elman RNN on [L, features]: hidden, layers, bidirectional, return_sequences, "
               "nonlinearity tanh|relu, bias, convention pytorch|keras")
    gate_order = "h"

    def read_extra(self, opts: Options) -> None:
        self.nonlinearity = opts.choice("nonlinearity", ("tanh", "relu"), "tanh")

    def cell(self):
        return RNNCell(self.nonlinearity)

    def describe(self) -> str:
        text = super().describe()
        return text if self.nonlinearity == "tanh" else f"relu {text}"


@register
class LSTM(_Recurrent):
    kind, prefix = "lstm", "lstm"
    summary = ("LSTM on [L, features] (gates i, f, g, o): hidden, layers, bidirectional, "
               "return_sequences, bias, convention pytorch|keras")
    gates, gate_order = 4, "i, f, g, o"

    def cell(self):
        return LSTMCell()


@register
class GRU(_Recurrent):
    kind, prefix = "gru", "gru"
    summary = ("GRU on [L, features] (gates r, z, n): hidden, layers, bidirectional, "
               "return_sequences, bias, convention pytorch|keras, reset_after")
    gates, gate_order = 3, "r, z, n"

    def read_extra(self, opts: Options) -> None:
        self.reset_after = opts.flag("reset_after", True)
        if not self.reset_after and self.convention != "keras":
            opts.fail("reset_after", "reset_after: false is Keras' GRU (one bias); add convention: keras")

    @property
    def two_biases(self) -> bool:
        return self.use_bias and self.reset_after  # PyTorch, and Keras' default reset_after=True

    def cell(self):
        return GRUCell(self.reset_after)
