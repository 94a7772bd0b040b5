"""rnn / lstm / gru against torch: parameter counts (sum of numel), MACs (FlopCounterMode / 2),
and forward and backward through time against torch autograd in float64 (nn.RNN, nn.LSTM,
nn.GRU; Keras' one-bias formulas written in torch operations in tests/torch_ref.py)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.engine_check import BACKENDS, network, run
from tests.engine_util import rel_err

torch = pytest.importorskip("torch")

CASES = [
    ("rnn", {}), ("rnn", {"nonlinearity": "relu", "layers": 2}), ("rnn", {"bidirectional": True, "bias": False}),
    ("lstm", {}), ("lstm", {"layers": 2, "bidirectional": True}), ("lstm", {"return_sequences": False}),
    ("lstm", {"return_sequences": False, "bidirectional": True, "layers": 2}),
    ("gru", {}), ("gru", {"layers": 3, "bias": False}), ("gru", {"bidirectional": True, "return_sequences": False}),
    ("lstm", {"convention": "keras"}), ("rnn", {"convention": "keras", "bidirectional": True}),
    ("gru", {"convention": "keras"}), ("gru", {"convention": "keras", "reset_after": False, "layers": 2}),
    ("gru", {"convention": "keras", "reset_after": False, "bidirectional": True, "return_sequences": False}),
]


def _twin(net, params):
    from tests.torch_ref import to_torch

    model = to_torch(net.root)
    with torch.no_grad():
        for name, t in model[0].nncalc_targets().items():
            t.copy_(torch.from_numpy(params[f"{net.leaves()[0].name}.{name}"]))
    return model


@pytest.mark.parametrize("kind,opts", CASES)
@pytest.mark.parametrize("device", BACKENDS)
def test_forward_backward_through_time_against_torch(kind, opts, device):
    net = network((5, 4), {kind: {"hidden": 3, **opts}})
    layer = net.leaves()[0]
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2, 5, 4))
    dy = rng.normal(size=(2, *layer.out_shape))
    y, dx, grads, params = run(net, x, dy, device)
    model = _twin(net, params)
    tx = torch.tensor(x, requires_grad=True)
    ty = model(tx)
    ty.backward(torch.tensor(dy))
    assert rel_err(y, ty.detach().numpy()) < 1e-10
    assert rel_err(dx, tx.grad.numpy()) < 1e-10
    targets = model[0].nncalc_targets()
    assert set(grads) == {f"{layer.name}.{n}" for n in targets}
    for name, t in targets.items():
        assert rel_err(grads[f"{layer.name}.{name}"], t.grad.numpy()) < 1e-10, name


@pytest.mark.parametrize("kind,opts", [c for c in CASES if c[1].get("convention") != "keras"])
def test_counts_equal_torch(kind, opts):
    """Parameters = sum(p.numel()); MACs = FlopCounterMode / 2 (torch counts the RNN's matrix
    products on CPU); the output shape is torch's output or h_n."""
    from torch.utils.flop_counter import FlopCounterMode

    from tests.torch_ref import to_torch

    net = network((6, 5), {kind: {"hidden": 7, **opts}})
    layer = net.leaves()[0]
    model = to_torch(net.root)
    assert layer.param_count() == sum(p.numel() for p in model.parameters())
    with FlopCounterMode(display=False) as counter:
        out = model(torch.zeros(1, 6, 5, dtype=torch.float64))
    assert layer.macs() == counter.get_total_flops() // 2
    assert tuple(out.shape[1:]) == layer.out_shape


@pytest.mark.parametrize("kind,opts,params", [
    # Keras model.count_params(), by its documented formulas: LSTM 4(H(F+H) + H), SimpleRNN H(F+H) + H,
    # GRU reset_after=True 3(H(F+H) + 2H), reset_after=False 3(H(F+H) + H); F = 5, H = 7
    ("lstm", {}, 4 * (7 * 12 + 7)), ("rnn", {}, 7 * 12 + 7), ("gru", {}, 3 * (7 * 12 + 14)),
    ("gru", {"reset_after": False}, 3 * (7 * 12 + 7)),
])
def test_keras_convention_counts_by_hand(kind, opts, params):
    net = network((6, 5), {kind: {"hidden": 7, "convention": "keras", **opts}})
    assert net.leaves()[0].param_count() == params


def test_exact_backend_agrees_with_float():
    net = network((3, 2), {"lstm": {"hidden": 2, "bidirectional": True, "return_sequences": False}})
    rng = np.random.default_rng(1)
    x, dy = rng.normal(size=(1, 3, 2)), rng.normal(size=(1, 4))
    y, dx, grads, _ = run(net, x, dy, "cpu")
    ye, dxe, grads_e, _ = run(net, x, dy, "exact")
    assert rel_err(y, ye) < 1e-12 and rel_err(dx, dxe) < 1e-12
    for name in grads:
        assert rel_err(grads[name], grads_e[name]) < 1e-12


@pytest.mark.parametrize("entry,message", [
    ({"lstm": {"hidden": 0}}, "hidden: expected an integer >= 1"),
    ({"gru": {"hidden": 2, "reset_after": False}}, "add convention: keras"),
    ({"rnn": {"hidden": 2, "nonlinearity": "sigmoid"}}, "expected one of tanh, relu"),
])
def test_bad_options_are_one_line(entry, message):
    from calc.errors import SpecError

    with pytest.raises(SpecError, match=message):
        network((4, 3), entry)


def test_a_map_input_is_refused():
    from calc.errors import SpecError

    with pytest.raises(SpecError, match=r"needs a sequence \[length, features\], got 4 x 4 x 3"):
        network((4, 4, 3), {"lstm": {"hidden": 2}})


@pytest.mark.parametrize("entry,params", [
    ({"lstm": {"hidden": 256, "layers": 2}}, 921_600),  # PyTorch LSTM(128 -> 256), 2 layers (model-stats reference)
    ({"gru": {"hidden": 256}}, 296_448),  # PyTorch GRU(128 -> 256)
])
def test_reference_figures(entry, params):
    assert network((10, 128), entry).leaves()[0].param_count() == params


def test_zoo_lstm_classifier_matches_keras_summary():
    """keras.io 'Bidirectional LSTM on IMDB' model.summary: 2,560,000 + 98,816 + 98,816 + 129."""
    from calc.network import load_network

    rows = [leaf.param_count() for leaf in load_network("lstm-classifier").leaves()]
    assert rows == [2_560_000, 98_816, 98_816, 129, 0]
