"""Backpropagation through time for a vanilla (Elman) RNN, step by step.

    type: rnn_bptt
    given:
      x: [1, -1, 2]          # one number per step (one feature) or one list per step
      W_xh: 0.5              # a number (one unit, one feature) or a matrix H x F
      W_hh: 0.8              # a number or a matrix H x H
      b: 0.1                 # one bias per unit (default 0)
      h0: 0                  # the initial state (default zeros)
      target: 0.5            # y for the last step: E = 1/2 sum (h_T - y)^2
      nonlinearity: tanh     # or relu

Forward a_t = W_xh x_t + W_hh h_{t-1} + b, h_t = f(a_t); backward from the last step:
dL/dh_t = (h_T - y at t = T) + W_hh^T dL/da_{t+1}, dL/da_t = dL/dh_t * f'(a_t), and each step adds
dL/da_t h_{t-1}^T to dL/dW_hh (the same matrix is used at every step). Every value comes from
calc.layers.recurrent.RNN on the exact backend (its stage hook) and the loss from
calc.engine.losses. Answer names: a1, h1, ..., loss, dL/dh3, dL/da3, dL/dW_hh.t3 (the step's
contribution), dL/dW_hh, dL/dW_xh, dL/db.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from calc.errors import SpecError
from calc.solve import given as g
from calc.solve.recurrent import StageRecorder, affine_text, answer, build, show
from calc.solve.registry import SolveOptions, problem_type
from calc.solve.step import Solution, Step
from calc.solve.text import Writer, join_sum

KEYS = ("x", "W_xh", "W_hh", "b", "h0", "target", "nonlinearity")


def _matrix(given, where, key, shape=None):
    """A number (a 1 x 1 matrix) or a list of rows."""
    value = g.raw(given, where, key)
    if isinstance(value, list):
        return g.matrix(given, where, key, shape=shape)
    rows = [[g.number(given, where, key)]]
    if shape is not None and shape != (1, 1):
        raise SpecError(f"expected a {shape[0]} x {shape[1]} matrix, got one number", g.at(given, where, key))
    return rows


def _steps(given, where) -> list[list[Fraction]]:
    value = g.raw(given, where, "x")
    if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
        return g.matrix(given, where, "x")
    return [[v] for v in g.vector(given, where, "x")]


def matrix_answer(array):
    """One number for a 1 x 1 matrix, else its rows."""
    rows = [[Fraction(v) for v in row] for row in array]
    return rows[0][0] if array.size == 1 else rows


def _naming(name: str) -> str:
    base, t = name.split("@")
    return f"dL/dW_hh.t{t}" if base == "dL/dW_hh" else f"{base}{t}"


@dataclass
class Given:
    xs: list  # one list of inputs per step
    w_xh: list
    w_hh: list
    b: list
    h0: list
    target: list
    act: str


def _read(given, where) -> Given:
    g.check_keys(given, where, KEYS)
    xs = _steps(given, where)
    w_xh = _matrix(given, where, "W_xh")
    hidden, features = len(w_xh), len(w_xh[0])
    if len(xs[0]) != features:
        raise SpecError(f"W_xh has {features} columns but each step has {len(xs[0])} inputs", g.at(given, where, "W_xh"))
    zeros = [Fraction(0)] * hidden
    return Given(xs, w_xh, _matrix(given, where, "W_hh", (hidden, hidden)),
                 g.vector(given, where, "b", zeros, length=hidden), g.vector(given, where, "h0", zeros, length=hidden),
                 g.vector(given, where, "target", length=hidden),
                 g.choice(given, where, "nonlinearity", ("tanh", "relu"), "tanh"))


def _run(p: Given, options: SolveOptions):
    """The RNN layer forward and backward on the exact backend: (stage values, layer, loss)."""
    from calc.backend import get_backend
    from calc.engine.context import Ctx
    from calc.engine.losses import get_loss

    be = get_backend("exact")
    carry = options.learner.carry()
    recorder = StageRecorder(Writer(options.decimals, options.hand_rounding), carry, be, _naming)
    layer = build("rnn", len(p.w_xh), len(p.w_xh[0]), nonlinearity=p.act)
    layer.params = {"weight_ih_l0": be.asarray(p.w_xh), "weight_hh_l0": be.asarray(p.w_hh), "bias_l0": be.asarray(p.b)}
    layer.grads, layer.buffers = {}, {}
    layer.initial = (be.asarray([p.h0]), be.asarray([p.h0]))
    ctx = Ctx(backend=be, observer=recorder)
    hs = layer.forward(be.asarray([p.xs]), ctx)
    loss, target = get_loss("mse", "half_sum"), be.asarray([p.target])
    value = carry.take("loss", loss.value(hs[:, -1], target, be))
    dy = be.xp.zeros(hs.shape, dtype=object)
    dy[:, -1] = loss.grad(hs[:, -1], target, be)  # E = 1/2 sum (h_T - y)^2 on the last step only
    layer.backward(dy, ctx)
    return recorder.values, layer, value


@problem_type("rnn_bptt")
def solve_rnn_bptt(given, where, options: SolveOptions) -> Solution:
    """given: x, W_xh, W_hh, b, h0, target, nonlinearity."""
    p = _read(given, where)
    v, layer, value = _run(p, options)
    writer = Writer(options.decimals, options.hand_rounding)
    steps, act = len(p.xs), p.act
    fp = "1 - h_t^2" if act == "tanh" else "1 if a_t > 0 else 0"
    h0 = p.h0[0] if len(p.h0) == 1 else p.h0
    sol = Solution(f"Backpropagation through time: a vanilla RNN over {steps} steps", [
        f"a_t = W_xh x_t + W_hh h_(t-1) + b, h_t = {act}(a_t), h_0 = {show(h0, writer)}",
        f"loss on the last step only: E = 1/2 sum (h_{steps} - y)^2, so dE/dh_{steps} = h_{steps} - y",
        f"backward: dL/dh_t = W_hh^T dL/da_(t+1) (plus dE/dh_t at t = {steps}), dL/da_t = dL/dh_t * ({fp}); "
        "the weights are shared by every step, so their gradients are sums over the steps",
    ])
    _forward_steps(sol, v, p, writer)
    h_last = _list(answer(v[f"h{steps}"]))
    sol.add(Step("loss", f"1/2 sum (h{steps} - y)^2",
                 "1/2 * (" + join_sum([f"({writer.num(h)} - {writer.factor(y)})^2" for h, y in zip(h_last, p.target)])
                 + ")", value, name="loss", section="Loss"))
    _backward_steps(sol, v, steps, p.w_hh, p.h0, act, writer, p.target)
    _gradient_steps(sol, v, layer, p, writer)
    sol.summary = f"dL/dW_hh = {show(sol.answers['dL/dW_hh'], writer)}"
    return sol


def _forward_steps(sol: Solution, v: dict, p: Given, writer: Writer) -> None:
    h_prev, sec = p.h0, "Forward pass"
    for t in range(1, len(p.xs) + 1):
        sol.add(Step(f"a{t}", f"W_xh x_{t} + W_hh h_{t - 1} + b",
                     affine_text(p.w_xh, p.xs[t - 1], p.w_hh, h_prev, p.b, writer),
                     answer(v[f"a{t}"]), name=f"a{t}", section=sec))
        sol.add(Step(f"h{t}", f"{p.act}(a{t})", f"{p.act}({show(answer(v[f'a{t}']), writer)})", answer(v[f"h{t}"]),
                     name=f"h{t}", section=sec))
        h_prev = _list(answer(v[f"h{t}"]))


def _gradient_steps(sol: Solution, v: dict, layer, p: Given, writer: Writer) -> None:
    """The shared weights' gradients: each a sum of one term per step."""
    sec, steps = "Gradients of the shared weights", range(1, len(p.xs) + 1)
    terms = " + ".join(show(matrix_answer(v[f"dL/dW_hh.t{t}"]), writer) for t in steps)
    sol.add(Step("dL/dW_hh", "sum over t of dL/da_t h_(t-1)^T", terms, matrix_answer(layer.grads["weight_hh_l0"]),
                 name="dL/dW_hh", section=sec))
    x_of = [x[0] if len(x) == 1 else x for x in p.xs]
    xterms = " + ".join(f"{show(answer(v[f'dL/da{t}']), writer)} * {show(x_of[t - 1], writer)}" for t in steps)
    sol.add(Step("dL/dW_xh", "sum over t of dL/da_t x_t^T", xterms, matrix_answer(layer.grads["weight_ih_l0"]),
                 name="dL/dW_xh", section=sec))
    sol.add(Step("dL/db", "sum over t of dL/da_t", " + ".join(show(answer(v[f"dL/da{t}"]), writer) for t in steps),
                 answer(layer.grads["bias_l0"]), name="dL/db", section=sec))


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


def _backward_steps(sol, v, steps, w_hh, h0, act, writer, target) -> None:
    sec = "Backward through time"
    for t in range(steps, 0, -1):
        if t == steps:
            text = "; ".join(f"{writer.num(h)} - {writer.factor(y)}" for h, y in zip(_list(answer(v[f"h{t}"])), target))
            formula = f"h{t} - y"
        else:
            da = _list(answer(v[f"dL/da{t + 1}"]))
            text = "; ".join(join_sum([f"{writer.factor(w_hh[k][j])}*{writer.factor(da[k])}" for k in range(len(da))])
                             for j in range(len(w_hh)))
            formula = f"W_hh^T dL/da{t + 1}"
        sol.add(Step(f"dL/dh{t}", formula, text, answer(v[f"dL/dh{t}"]), name=f"dL/dh{t}", section=sec))
        h = _list(answer(v[f"h{t}"]))
        dh = _list(answer(v[f"dL/dh{t}"]))
        local = [f"(1 - {writer.num(v)}^2)" if act == "tanh" else ("1" if v > 0 else "0") for v in h]
        sol.add(Step(f"dL/da{t}", f"dL/dh{t} * {act}'(a{t})",
                     "; ".join(f"{writer.factor(d)}*{lv}" for d, lv in zip(dh, local)),
                     answer(v[f"dL/da{t}"]), name=f"dL/da{t}", section=sec))
        prev = h0 if t == 1 else _list(answer(v[f"h{t - 1}"]))
        sol.add(Step(f"dL/dW_hh, step {t}", f"dL/da{t} h{t - 1}^T",
                     f"{show(answer(v[f'dL/da{t}']), writer)} * {writer.vec(prev) if len(prev) > 1 else writer.num(prev[0])}",
                     matrix_answer(v[f"dL/dW_hh.t{t}"]), name=f"dL/dW_hh.t{t}", section=sec))
