"""The recurrent problems recomputed with PyTorch (float64): every gate from the textbook formulas
in torch operations, checked against torch's own nn.LSTMCell / nn.GRUCell for h and c; the BPTT
gradients by torch autograd through nn.RNN, and each step's dL/dW_hh contribution from the
hand rule dL/da_t h_{t-1}^T (their sum checked against autograd's total)."""

from __future__ import annotations

from tests.derivations import derivation

LSTM = {  # problems/recurrent/lstm-cell-step.yaml
    "x": [1, 2], "h_prev": [0.5], "c_prev": [0.2],
    "W": {"i": [[0.1, 0.2]], "f": [[0.3, -0.1]], "g": [[0.5, 0.4]], "o": [[-0.2, 0.3]]},
    "U": {"i": [[0.4]], "f": [[0.2]], "g": [[-0.3]], "o": [[0.1]]},
    "b": {"i": [0.1], "f": [0.5], "g": [0], "o": [-0.1]},
}
GRU = {  # problems/recurrent/gru-step.yaml
    "x": [1, 2], "h_prev": [0.5, -0.5],
    "W": {"r": [[0.1, 0.2], [0.3, 0.1]], "z": [[0.3, -0.1], [0, 0.2]], "n": [[0.5, 0.4], [-0.5, 0.1]]},
    "U": {"r": [[0.4, 0.1], [0, 0.2]], "z": [[0.2, 0], [0.1, 0.1]], "n": [[-0.3, 0.2], [0.5, 0.5]]},
    "b": {"r": [0.1, 0], "z": [0.5, 0], "n": [0, 0.1]}, "b_hn": [0.2, -0.1],
}
BPTT = {"x": [1, -1, 2], "w_xh": 0.5, "w_hh": 0.8, "b": 0.1, "target": 0.5}  # problems/recurrent/rnn-bptt-3-steps.yaml


def _t(v):
    import torch

    return torch.tensor(v, dtype=torch.float64)


def _plain(t):
    values = t.detach().reshape(-1).tolist()
    return values[0] if len(values) == 1 else values


@derivation("recurrent/lstm-cell-step")
def lstm_cell_step():
    import torch

    p, x, h, c = LSTM, _t(LSTM["x"]), _t(LSTM["h_prev"]), _t(LSTM["c_prev"])
    a = {k: _t(p["W"][k]) @ x + _t(p["U"][k]) @ h + _t(p["b"][k]) for k in "ifgo"}
    gate = {k: (torch.tanh if k == "g" else torch.sigmoid)(a[k]) for k in "ifgo"}
    c_new = gate["f"] * c + gate["i"] * gate["g"]
    h_new = gate["o"] * torch.tanh(c_new)
    cell = torch.nn.LSTMCell(2, 1).double()
    with torch.no_grad():
        cell.weight_ih.copy_(torch.cat([_t(p["W"][k]) for k in "ifgo"]))
        cell.weight_hh.copy_(torch.cat([_t(p["U"][k]) for k in "ifgo"]))
        cell.bias_ih.copy_(torch.cat([_t(p["b"][k]) for k in "ifgo"]))
        cell.bias_hh.zero_()
    th, tc = cell(x[None], (h[None], c[None]))
    assert torch.allclose(th[0], h_new, atol=1e-15) and torch.allclose(tc[0], c_new, atol=1e-15)
    out = {f"a_{k}": _plain(a[k]) for k in "ifgo"} | {k: _plain(gate[k]) for k in "ifgo"}
    return out | {"c": _plain(c_new), "tanh_c": _plain(torch.tanh(c_new)), "h": _plain(h_new)}


@derivation("recurrent/gru-step")
def gru_step():
    import torch

    p, x, h = GRU, _t(GRU["x"]), _t(GRU["h_prev"])
    a = {k: _t(p["W"][k]) @ x + _t(p["U"][k]) @ h + _t(p["b"][k]) for k in "rz"}
    r, z = torch.sigmoid(a["r"]), torch.sigmoid(a["z"])
    hn = _t(p["U"]["n"]) @ h + _t(p["b_hn"])
    a_n = _t(p["W"]["n"]) @ x + _t(p["b"]["n"]) + r * hn
    n = torch.tanh(a_n)
    h_new = (1 - z) * n + z * h
    cell = torch.nn.GRUCell(2, 2).double()
    with torch.no_grad():
        cell.weight_ih.copy_(torch.cat([_t(p["W"][k]) for k in "rzn"]))
        cell.weight_hh.copy_(torch.cat([_t(p["U"][k]) for k in "rzn"]))
        cell.bias_ih.copy_(torch.cat([_t(p["b"][k]) for k in "rzn"]))
        cell.bias_hh.copy_(torch.cat([torch.zeros(4, dtype=torch.float64), _t(p["b_hn"])]))
    assert torch.allclose(cell(x[None], h[None])[0], h_new, atol=1e-15)
    return {"a_r": _plain(a["r"]), "r": _plain(r), "a_z": _plain(a["z"]), "z": _plain(z), "hn": _plain(hn),
            "a_n": _plain(a_n), "n": _plain(n), "h": _plain(h_new)}


@derivation("recurrent/rnn-bptt-3-steps")
def rnn_bptt():
    """h_t = tanh(w_xh x_t + w_hh h_{t-1} + b), h_0 = 0; E = 1/2 (h_3 - y)^2."""
    import torch

    p = BPTT
    rnn = torch.nn.RNN(1, 1, batch_first=True).double()
    with torch.no_grad():
        rnn.weight_ih_l0.fill_(p["w_xh"])
        rnn.weight_hh_l0.fill_(p["w_hh"])
        rnn.bias_ih_l0.fill_(p["b"])
        rnn.bias_hh_l0.zero_()
    out, _ = rnn(_t(p["x"]).reshape(1, 3, 1))
    out.retain_grad()
    loss = 0.5 * (out[0, -1, 0] - p["target"]) ** 2
    loss.backward()
    hs = [0.0] + out.detach().reshape(-1).tolist()
    values = {f"h{t}": hs[t] for t in (1, 2, 3)}
    values |= {f"a{t}": p["w_xh"] * p["x"][t - 1] + p["w_hh"] * hs[t - 1] + p["b"] for t in (1, 2, 3)}
    # dL/dh_t by hand: the loss at t = 3, then back through w_hh and tanh'
    dh = {3: hs[3] - p["target"]}
    da = {3: dh[3] * (1 - hs[3] ** 2)}
    for t in (2, 1):
        dh[t] = p["w_hh"] * da[t + 1]
        da[t] = dh[t] * (1 - hs[t] ** 2)
    per_step = {t: da[t] * hs[t - 1] for t in (1, 2, 3)}
    total = rnn.weight_hh_l0.grad.item()
    assert abs(sum(per_step.values()) - total) < 1e-15
    values |= {"loss": loss.item()} | {f"dL/dh{t}": dh[t] for t in (1, 2, 3)} | {f"dL/da{t}": da[t] for t in (1, 2, 3)}
    values |= {f"dL/dW_hh.t{t}": per_step[t] for t in (1, 2, 3)}
    values |= {"dL/dW_hh": total, "dL/dW_xh": rnn.weight_ih_l0.grad.item(), "dL/db": rnn.bias_ih_l0.grad.item()}
    return values
