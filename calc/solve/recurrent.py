"""One LSTM cell step and one GRU step worked out, every gate with its numbers.

    type: lstm_step                 # or gru_step
    given:
      x: [1, 2]                     # x_t (F values)
      h_prev: [0.1]                 # h_{t-1} (H values; default zeros); lstm: c_prev too
      W: {i: [[...]], f: ..., g: ..., o: ...}   # input weights per gate, H x F (gru: r, z, n)
      U: {i: [[...]], ...}          # recurrent weights per gate, H x H
      b: {i: [...], ...}            # one bias per gate (default zeros); gru: b_hn too
      reset_after: true             # gru: r scales (U_n h + b_hn) (PyTorch, Keras 2); false: U_n (r h)

Values come from calc.layers.recurrent's LSTM / GRU run on the exact backend for one step: the
cell hands every named value to the context's stage hook, which records it (hand rounding as a
student carries it) and passes a learner's own value on for nncalc check. Answer names: the
pre-activations ``a_i`` ... (``a_r``, ``a_z``, ``a_n``), the gates ``i``, ``f``, ``g``, ``o``
(``r``, ``z``, ``n``), ``c``, ``tanh_c``, ``h``; one number when H = 1, else a list.
"""

from __future__ import annotations

from fractions import Fraction

from calc.engine.observer import Observer
from calc.errors import SpecError
from calc.solve import given as g
from calc.solve.registry import SolveOptions, problem_type
from calc.solve.step import Solution, Step
from calc.solve.text import Writer, join_sum

ACTS = {"i": "sigmoid", "f": "sigmoid", "g": "tanh", "o": "sigmoid", "r": "sigmoid", "z": "sigmoid", "n": "tanh"}


class StageRecorder(Observer):
    """Records every stage a recurrent layer names (hand-rounded) by answer name, and passes a
    learner's carried value on in its place. ``naming`` turns 'h@2' into the answer name."""

    def __init__(self, writer: Writer, carry, be, naming):
        self.writer, self.carry, self.be, self.naming = writer, carry, be, naming
        self.values: dict = {}

    def stage(self, layer, name: str, value):
        key = self.naming(name)
        value = self.be.asarray(self.writer.round_array(value)) if self.writer.hand else value
        self.values[key] = value
        if key in self.carry:
            return self.be.asarray(_flat(self.carry.take(key, None))).reshape(value.shape)
        return value


def _flat(value) -> list:
    if isinstance(value, list):
        return [v for item in value for v in _flat(item)]
    return [value]


def answer(array):
    """A (1, H) stage as one number (H = 1) or a list of H."""
    values = [Fraction(v) for v in array.ravel()]
    return values[0] if len(values) == 1 else values


def show(value, writer: Writer) -> str:
    """One number, or a bracketed list."""
    return writer.vec(value) if isinstance(value, list) else writer.num(value)


def affine_text(w, x, u, h, b, writer: Writer) -> str:
    """'w.x + u.h + b' with the numbers, one row per unit ('; ' between units)."""
    rows = []
    for j in range(len(w)):
        terms = [f"{writer.factor(a)}*{writer.factor(v)}" for a, v in zip(w[j], x)]
        terms += [f"{writer.factor(a)}*{writer.factor(v)}" for a, v in zip(u[j], h)]
        terms.append(writer.factor(b[j]))
        rows.append(join_sum(terms))
    return "; ".join(rows)


def read_gates(given, where, key: str, gates: str, shape, default=None) -> dict:
    """{gate: matrix or vector} from a mapping such as W: {i: ..., f: ...}."""
    value = g.raw(given, where, key, default if default is not None else g.REQUIRED)
    if value is default:
        return {k: default[k] for k in gates}
    place = g.at(given, where, key)
    if not isinstance(value, dict):
        raise SpecError(f"expected a mapping with one entry per gate ({', '.join(gates)})", place)
    g.check_keys(value, place, tuple(gates), key)
    missing = [k for k in gates if k not in value]
    if missing:
        raise SpecError(f"missing gate {', '.join(missing)} (gates {', '.join(gates)})", place)
    if len(shape) == 2:
        return {k: g.matrix(value, place, k, shape=shape) for k in gates}
    return {k: g.vector(value, place, k, length=shape[0]) for k in gates}


def read_cell(given, where, gates: str, extra=()):
    """x, h_prev and the per-gate W, U, b of a one-step problem."""
    g.check_keys(given, where, ("x", "h_prev", "W", "U", "b", *extra))
    x = g.vector(given, where, "x")
    w_raw = g.raw(given, where, "W")
    first = w_raw.get(gates[0]) if isinstance(w_raw, dict) else None
    hidden = len(first) if isinstance(first, list) and first and isinstance(first[0], list) else 1
    h_prev = g.vector(given, where, "h_prev", [Fraction(0)] * hidden, length=hidden)
    w = read_gates(given, where, "W", gates, (hidden, len(x)))
    u = read_gates(given, where, "U", gates, (hidden, hidden))
    b = read_gates(given, where, "b", gates, (hidden,), {k: [Fraction(0)] * hidden for k in gates})
    return x, h_prev, w, u, b, hidden


def run_step(layer, params: dict, x, h_prev, c_prev, options: SolveOptions):
    """One step of ``layer`` on the exact backend from the given state; the recorder holds every
    named value (answer name = the stage's name without its step)."""
    from calc.backend import get_backend
    from calc.engine.context import Ctx

    be = get_backend("exact")
    writer = Writer(options.decimals, options.hand_rounding)
    recorder = StageRecorder(writer, options.learner.carry(), be, lambda name: name.split("@")[0])
    layer.params = {k: be.asarray(v) for k, v in params.items()}
    layer.grads, layer.buffers = {}, {}
    layer.initial = (be.asarray([h_prev]), be.asarray([c_prev if c_prev is not None else [0] * len(h_prev)]))
    layer.forward(be.asarray([[x]]), Ctx(backend=be, observer=recorder))
    return recorder.values, writer


def build(kind: str, hidden: int, features: int, **opts):
    from calc.errors import Where
    from calc.layers import REGISTRY
    from calc.spec.options import Options

    layer = REGISTRY[kind].from_options(Options({"hidden": hidden, "convention": "keras", **opts}, Where(), kind))
    layer.name = kind
    layer.build((1, features))
    return layer


def gate_steps(sol: Solution, gates: str, values, w, x, u, h_prev, b, writer, sec: str, pre: dict | None = None):
    """a_k = W_k x + U_k h + b_k and k = act(a_k) for each gate k."""
    for k in gates:
        text = (pre or {}).get(k) or affine_text(w[k], x, u[k], h_prev, b[k], writer)
        formula = (pre or {}).get(k + "_formula") or f"W_{k} x + U_{k} h_prev + b_{k}"
        sol.add(Step(f"a_{k}", formula, text, answer(values["a_" + k]), name="a_" + k, section=sec))
        fn = ACTS[k]
        sol.add(Step(k, f"{fn}(a_{k})", f"{fn}({show(answer(values['a_' + k]), writer)})",
                     answer(values[k]), name=k, section=sec))


@problem_type("lstm_step")
def solve_lstm_step(given, where, options: SolveOptions) -> Solution:
    """given: x, h_prev, c_prev, W/U/b per gate i, f, g, o."""
    x, h_prev, w, u, b, hidden = read_cell(given, where, "ifgo", ("c_prev",))
    c_prev = g.vector(given, where, "c_prev", [Fraction(0)] * hidden, length=hidden)
    layer = build("lstm", hidden, len(x))
    params = {"weight_ih_l0": [row for k in "ifgo" for row in w[k]], "weight_hh_l0": [row for k in "ifgo" for row in u[k]],
              "bias_l0": [v for k in "ifgo" for v in b[k]]}
    values, writer = run_step(layer, params, x, h_prev, c_prev, options)
    sol = Solution("One LSTM cell step", [
        "gates i (input), f (forget), g (candidate), o (output): a_k = W_k x + U_k h_prev + b_k; "
        "i, f, o = sigmoid(a), g = tanh(a) (PyTorch's order i, f, g, o; Keras i, f, c, o)",
        "c = f * c_prev + i * g, h = o * tanh(c), element by element; one bias per gate (PyTorch's b_ih + b_hh)",
    ])
    sec = "Gates"
    gate_steps(sol, "ifgo", values, w, x, u, h_prev, b, writer, sec)
    sec = "Cell and hidden state"
    f, i, gv, o = (_flat(answer(values[k])) for k in "figo")
    terms = "; ".join(f"{writer.factor(a)}*{writer.factor(cp)} + {writer.factor(bb)}*{writer.factor(cc)}"
                      for a, cp, bb, cc in zip(f, c_prev, i, gv))
    sol.add(Step("c", "f * c_prev + i * g", terms, answer(values["c"]), name="c", section=sec))
    sol.add(Step("tanh(c)", "tanh(c)", f"tanh({show(answer(values['c']), writer)})", answer(values["tanh_c"]),
                 name="tanh_c", section=sec))
    tc = _flat(answer(values["tanh_c"]))
    sol.add(Step("h", "o * tanh(c)", "; ".join(f"{writer.factor(a)}*{writer.factor(t)}" for a, t in zip(o, tc)),
                 answer(values["h"]), name="h", section=sec))
    sol.summary = f"c = {show(sol.answers['c'], writer)}, h = {show(sol.answers['h'], writer)}"
    return sol


@problem_type("gru_step")
def solve_gru_step(given, where, options: SolveOptions) -> Solution:
    """given: x, h_prev, W/U/b per gate r, z, n, b_hn (reset_after), reset_after."""
    x, h_prev, w, u, b, hidden = read_cell(given, where, "rzn", ("b_hn", "reset_after"))
    after = g.flag(given, where, "reset_after", True)
    b_hn = g.vector(given, where, "b_hn", [Fraction(0)] * hidden, length=hidden)
    if not after and "b_hn" in given:
        raise SpecError("b_hn is the recurrent bias of reset_after: true; with false there is one bias per gate",
                        g.at(given, where, "b_hn"))
    layer = build("gru", hidden, len(x), reset_after=after)
    params = {"weight_ih_l0": [row for k in "rzn" for row in w[k]], "weight_hh_l0": [row for k in "rzn" for row in u[k]]}
    bias = [v for k in "rzn" for v in b[k]]
    if after:
        params.update(bias_ih_l0=bias, bias_hh_l0=[Fraction(0)] * 2 * hidden + b_hn)
    else:
        params["bias_l0"] = bias
    values, writer = run_step(layer, params, x, h_prev, None, options)
    candidate = ("n = tanh(W_n x + b_n + r * (U_n h_prev + b_hn)) (PyTorch; Keras reset_after=True)" if after else
                 "n = tanh(W_n x + U_n (r * h_prev) + b_n) (Cho et al. 2014; Keras reset_after=False)")
    sol = Solution("One GRU step", [
        "gates r (reset), z (update): a_k = W_k x + U_k h_prev + b_k, k = sigmoid(a_k)", candidate,
        "h = (1 - z) * n + z * h_prev (PyTorch, Keras: z keeps the old state; some texts swap z and 1 - z)",
    ])
    sec = "Gates"
    gate_steps(sol, "rz", values, w, x, u, h_prev, b, writer, sec)
    r, hn = _flat(answer(values["r"])), _flat(answer(values["hn"]))
    if after:
        sol.add(Step("U_n h_prev + b_hn", "U_n h_prev + b_hn", affine_text(u["n"], h_prev, [[]] * hidden, [], b_hn,
                                                                            writer),
                     answer(values["hn"]), name="hn", section=sec))
        pre = "; ".join(join_sum([f"{writer.factor(a)}*{writer.factor(v)}" for a, v in zip(w["n"][j], x)]
                                 + [writer.factor(b["n"][j]), f"{writer.factor(r[j])}*{writer.factor(hn[j])}"])
                        for j in range(hidden))
        formula = "W_n x + b_n + r * (U_n h_prev + b_hn)"
    else:
        rh = [a * v for a, v in zip(r, h_prev)]
        sol.add(Step("U_n (r * h_prev)", "U_n (r * h_prev)", affine_text(u["n"], rh, [[]] * hidden, [],
                                                                          [0] * hidden, writer),
                     answer(values["hn"]), name="hn", section=sec))
        pre = "; ".join(join_sum([f"{writer.factor(a)}*{writer.factor(v)}" for a, v in zip(w["n"][j], x)]
                                 + [writer.factor(hn[j]), writer.factor(b["n"][j])]) for j in range(hidden))
        formula = "W_n x + U_n (r * h_prev) + b_n"
    gate_steps(sol, "n", values, w, x, u, h_prev, b, writer, sec, {"n": pre, "n_formula": formula})
    z, n = _flat(answer(values["z"])), _flat(answer(values["n"]))
    text = "; ".join(f"(1 - {writer.num(a)})*{writer.factor(c)} + {writer.factor(a)}*{writer.factor(hp)}"
                     for a, c, hp in zip(z, n, h_prev))
    sol.add(Step("h", "(1 - z) * n + z * h_prev", text, answer(values["h"]), name="h", section="Hidden state"))
    sol.summary = f"h = {show(sol.answers['h'], writer)}"
    return sol
