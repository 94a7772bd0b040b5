"""One time step of the recurrent cells, forward and backward, in PyTorch's formulas and gate order.

Every cell receives ``ax`` = x_t W_ih^T + b_ih (the input projection of all gates, computed for
all steps at once by calc.layers.recurrent) and the previous state; ``w`` is W_hh (G*H, H) and
``b`` is b_hh (G*H,) or None (Keras' single bias, already inside ``ax``). Shapes: (N, G*H) for
gate pre-activations, (N, H) for states. Each forward returns the new state and a cache whose
names (i, f, g, o, c, h / r, z, n, h) are the ones a worked solution shows; backward turns
dL/dh_t (and dL/dc_t) into dL/d(ax), dL/dh_{t-1} (dL/dc_{t-1}), dW_hh and db_hh.
``stage(name, value)`` sees every named value (pre-activations a_i ..., gates, c, h; dL/da) and
returns the one passed on: the worked solutions' observer (calc.engine.Ctx.stage) records them
and may carry a learner's own value on.
Arithmetic uses only the backend's xp, so float, GPU and exact runs share it.
"""

from __future__ import annotations

from calc.layers.activation.rectifiers import ReLU
from calc.layers.activation.saturating import Sigmoid, Tanh

SIGMOID, TANH = Sigmoid(), Tanh()


def same(name, value):
    """The default stage hook: every named value passes on unchanged."""
    return value


def _hidden(a, h_prev, w, b):
    """h_{t-1} W_hh^T (+ b_hh)."""
    out = h_prev @ w.T
    return out if b is None else out + b


def _param_grads(da, h_prev, with_bias: bool):
    """dW_hh = da^T h_{t-1} (summed over the batch), db_hh = sum of da."""
    return da.T @ h_prev, (da.sum(axis=0) if with_bias else None)


class RNNCell:
    """h_t = f(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), f = tanh or relu."""

    gates = 1
    gate_names = ("h",)
    has_cell = False

    def __init__(self, nonlinearity: str = "tanh"):
        self.act = TANH if nonlinearity == "tanh" else ReLU()

    def forward(self, ax, h_prev, c_prev, w, b, be, stage=same):
        a = stage("a", ax + _hidden(ax, h_prev, w, b))
        h = stage("h", self.act.function(a, be))
        return h, None, {"a": a, "h": h, "h_prev": h_prev}

    def backward(self, dh, dc, cache, w, with_bias, be, stage=same):
        da = stage("dL/da", dh * self.act.derivative(cache["a"], cache["h"], be))
        dw, db = _param_grads(da, cache["h_prev"], with_bias)
        return da, da @ w, None, dw, db


class LSTMCell:
    """[i f g o] = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh; i, f, o = sigmoid, g = tanh;
    c_t = f * c_{t-1} + i * g; h_t = o * tanh(c_t)."""

    gates = 4
    gate_names = ("i", "f", "g", "o")
    has_cell = True

    def forward(self, ax, h_prev, c_prev, w, b, be, stage=same):
        a = ax + _hidden(ax, h_prev, w, b)
        hs = a.shape[1] // 4
        ai, af, ag, ao = (stage("a_" + n, a[:, k * hs:(k + 1) * hs]) for k, n in enumerate(self.gate_names))
        i, f, o = (stage(n, SIGMOID.function(z, be)) for n, z in (("i", ai), ("f", af), ("o", ao)))
        g = stage("g", TANH.function(ag, be))
        c = stage("c", f * c_prev + i * g)
        tc = stage("tanh_c", TANH.function(c, be))
        h = stage("h", o * tc)
        return h, c, {"i": i, "f": f, "g": g, "o": o, "c": c, "tanh_c": tc, "h": h, "h_prev": h_prev,
                      "c_prev": c_prev}

    def backward(self, dh, dc, cache, w, with_bias, be, stage=same):
        i, f, g, o, tc = (cache[k] for k in ("i", "f", "g", "o", "tanh_c"))
        dc = dc + dh * o * (1 - tc * tc)  # c_t reaches the loss through h_t and through c_{t+1}
        do = dh * tc
        da = be.xp.concatenate([dc * g * i * (1 - i), dc * cache["c_prev"] * f * (1 - f),
                                dc * i * (1 - g * g), do * o * (1 - o)], axis=1)
        dw, db = _param_grads(da, cache["h_prev"], with_bias)
        return da, da @ w, dc * f, dw, db


class GRUCell:
    """r = sigmoid(a_r), z = sigmoid(a_z), n = tanh(W_in x + b_in + r * (W_hn h_{t-1} + b_hn)),
    h_t = (1 - z) * n + z * h_{t-1} (PyTorch; Keras reset_after=True). With ``reset_after``
    false (Keras reset_after=False, Cho et al. 2014): n = tanh(W_in x + b_n + W_hn (r * h_{t-1})),
    with Keras' one bias (inside ax)."""

    gates = 3
    gate_names = ("r", "z", "n")
    has_cell = False

    def __init__(self, reset_after: bool = True):
        self.reset_after = reset_after

    def forward(self, ax, h_prev, c_prev, w, b, be, stage=same):
        hs = ax.shape[1] // 3
        if self.reset_after:
            gh = _hidden(ax, h_prev, w, b)
            ghn = stage("hn", gh[:, 2 * hs:])  # W_hn h_{t-1} + b_hn, scaled by r below
        else:
            gh = h_prev @ w[:2 * hs].T
        r = stage("r", SIGMOID.function(stage("a_r", ax[:, :hs] + gh[:, :hs]), be))
        z = stage("z", SIGMOID.function(stage("a_z", ax[:, hs:2 * hs] + gh[:, hs:2 * hs]), be))
        rh = None if self.reset_after else r * h_prev
        if not self.reset_after:
            ghn = stage("hn", rh @ w[2 * hs:].T)  # W_hn (r * h_{t-1})
        an = stage("a_n", ax[:, 2 * hs:] + r * ghn if self.reset_after else ax[:, 2 * hs:] + ghn)
        n = stage("n", TANH.function(an, be))
        h = stage("h", (1 - z) * n + z * h_prev)
        return h, None, {"r": r, "z": z, "n": n, "h": h, "h_prev": h_prev, "ghn": ghn, "rh": rh}

    def backward(self, dh, dc, cache, w, with_bias, be, stage=same):
        xp = be.xp
        r, z, n, h_prev = (cache[k] for k in ("r", "z", "n", "h_prev"))
        hs = r.shape[1]
        dan = dh * (1 - z) * (1 - n * n)
        daz = dh * (h_prev - n) * z * (1 - z)
        dh_prev = dh * z
        if self.reset_after:
            dar = dan * cache["ghn"] * r * (1 - r)
            dgh = xp.concatenate([dar, daz, dan * r], axis=1)  # dL/d(W_hh h + b_hh)
            dw, db = _param_grads(dgh, h_prev, with_bias)
            return xp.concatenate([dar, daz, dan], axis=1), dh_prev + dgh @ w, None, dw, db
        drh = dan @ w[2 * hs:]
        dar = drh * h_prev * r * (1 - r)
        drz = xp.concatenate([dar, daz], axis=1)
        dw = xp.concatenate([drz.T @ h_prev, dan.T @ cache["rh"]], axis=0)
        dh_prev = dh_prev + drh * r + drz @ w[:2 * hs]
        return xp.concatenate([dar, daz, dan], axis=1), dh_prev, None, dw, None
