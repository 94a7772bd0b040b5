"""conv1d, maxpool1d, avgpool1d on (L, C) sequences against torch Conv1d / MaxPool1d / AvgPool1d:
random layers (tests/specgen_layers.py, lengths from PyTorch's documented rule) for shapes,
parameter counts, MACs (FlopCounterMode / 2), and forward/backward in float64 (1e-10)."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from tests.engine_check import network, run
from tests.engine_util import rel_err

torch = pytest.importorskip("torch")


def _random_layers(kind: str, count: int):
    from tests import specgen_layers as sl
    from tests.specgen import SpecGen

    out, seed = [], 0
    while len(out) < count:
        gen = SpecGen(seed)
        seed += 1
        shape = (gen.rng.randint(1, 16), gen.rng.randint(1, 4))
        piece = getattr(sl, kind)(gen, shape)
        if piece is not None:
            out.append((shape, piece))
    return out


CASES = [(kind, shape, piece) for kind in ("conv1d", "maxpool1d", "avgpool1d")
         for shape, piece in _random_layers(kind, 25)]


@pytest.mark.parametrize("kind,shape,piece", CASES, ids=lambda v: yaml.safe_dump(v, default_flow_style=True).strip()
                         if isinstance(v, dict) else None)
def test_random_layer_against_torch(kind, shape, piece):
    from torch.utils.flop_counter import FlopCounterMode

    from tests.torch_ref import copy_params, to_torch, torch_grads

    net = network(shape, piece.entry)
    layer = net.leaves()[0]
    assert layer.out_shape == piece.shape
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, *shape))
    dy = rng.normal(size=(2, *layer.out_shape))
    y, dx, grads, _ = run(net, x, dy)
    model = to_torch(net.root)
    assert layer.param_count() == sum(p.numel() for p in model.parameters())
    copy_params(model)
    with FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, *shape, dtype=torch.float64))
    assert layer.macs() == counter.get_total_flops() // 2
    tx = torch.tensor(x, requires_grad=True)
    ty = model(tx)
    ty.backward(torch.tensor(dy))
    assert rel_err(y, ty.detach().numpy()) < 1e-10
    assert rel_err(dx, tx.grad.numpy()) < 1e-10
    for name, value in torch_grads(model).items():
        assert rel_err(grads[name], value) < 1e-10, name


def test_exact_backend_conv1d_by_hand():
    """x = 1 2 3 4 (one channel), kernel [1, 0, -1], bias 1/2: y = 1 - 3 + 1/2, 2 - 4 + 1/2."""
    net = network((4, 1), {"conv1d": {"filters": 1, "kernel": 3, "weights": [1, 0, -1], "bias": "1/2"}})
    y, dx, grads, _ = run(net, np.array([[[1], [2], [3], [4]]]), np.array([[[1], [1]]]), "exact")
    assert y.ravel().tolist() == [-1.5, -1.5]
    assert dx.ravel().tolist() == [1, 1, -1, -1]  # each x_i gets the kernel taps that touched it
    assert grads["conv1.weight"].ravel().tolist() == [3, 5, 7] and grads["conv1.bias"].tolist() == [2]


@pytest.mark.parametrize("length,kernel,stride,padding,dilation", [(100, 5, 2, 0, 1), (17, 3, 1, 1, 2), (9, 4, 3, 2, 1)])
def test_size_command_is_the_conv1d_length(length, kernel, stride, padding, dilation):
    """`nncalc size conv -i L` (one axis) is the conv1d length: torch Conv1d's output agrees."""
    import json

    from typer.testing import CliRunner

    import cli as cli_module

    args = ["size", "conv", "-i", str(length), "-k", str(kernel), "-s", str(stride), "-p", str(padding),
            "-d", str(dilation), "--json"]
    result = CliRunner().invoke(cli_module.app, args)
    assert result.exit_code == 0, result.output
    conv = torch.nn.Conv1d(1, 1, kernel, stride, padding, dilation)
    out = conv(torch.zeros(1, 1, length)).shape[-1]
    assert json.loads(result.stdout)["answers"] == {"output": out}
    net = network((length, 1), {"conv1d": {"filters": 1, "kernel": kernel, "stride": stride, "padding": padding,
                                           "dilation": dilation}})
    assert net.leaves()[0].out_shape == (out, 1)


@pytest.mark.parametrize("shape,entry,message", [
    ((8, 8, 3), {"conv1d": {"filters": 2, "kernel": 3}}, r"needs a sequence \[length, channels\], got 8 x 8 x 3"),
    ((8, 3), {"conv": {"filters": 2, "kernel": 3}}, r"needs a feature map .*; for a sequence \[length, channels\] use conv1d"),
    ((8, 3), {"conv1d": {"filters": 2, "kernel": [3, 3]}}, "kernel: expected an integer"),
    ((8, 3), {"conv1d": {"filters": 2, "kernel": 3, "padding": [1, 2, 3]}}, "padding: expected an integer, "
     r"\[before, after\]"),
    ((8, 3), {"maxpool1d": {"kernel": 2, "padding": 2}}, "more than half the kernel"),
    ((2, 3), {"conv1d": {"filters": 2, "kernel": 5}}, "kernel 5 is larger than the padded input 2"),
])
def test_bad_specs_are_one_line(shape, entry, message):
    from calc.errors import SpecError

    with pytest.raises(SpecError, match=message):
        network(shape, entry)


def test_example_sequence_network_counts_and_runs_as_torch():
    """examples/sequence-layers.yaml (conv1d, maxpool1d, gru, lstm, dense) as one torch model:
    sum(p.numel()), FlopCounterMode / 2 and the forward pass agree."""
    from torch.utils.flop_counter import FlopCounterMode

    from calc.backend import get_backend
    from calc.counting.stats import summarize
    from calc.engine.context import Ctx
    from calc.engine.model import Model
    from calc.network import load_network
    from tests.torch_ref import copy_params, to_torch

    net = load_network("examples/sequence-layers.yaml")
    s = summarize(net)
    model = to_torch(net.root)
    assert s.total_params == sum(p.numel() for p in model.parameters())
    with FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, 50, 16, dtype=torch.float64))
    assert s.total_macs == counter.get_total_flops() // 2
    be = get_backend("cpu")
    ours = Model(net, Ctx(backend=be, seed=1))
    copy_params(model)  # every layer's parameters, the recurrent ones by their PyTorch names
    x = np.random.default_rng(0).normal(size=(2, 50, 16))
    assert rel_err(ours.forward(be.asarray(x)), model(torch.tensor(x)).detach().numpy()) < 1e-10


def test_worked_count_names_one_length_for_conv1d():
    """cnn_count on a conv1d: one output-size step, the length floor((50 + 4 - 4 - 1)/1) + 1 = 50."""
    from calc.errors import Where
    from calc.solve.cnn.count import solve_cnn_count_problem
    from calc.solve.registry import SolveOptions

    given = {"network": {"input": [50, 16], "layers": [{"conv1d": {"filters": 32, "kernel": 5, "padding": 2}}]}}
    sol = solve_cnn_count_problem(given, Where(), SolveOptions())
    assert sol.answers["conv1.output_size"] == 50
    assert not any(name.startswith("conv1.output_size_") for name in sol.answers)
    assert sol.answers["conv1.multiplications"] == 50 * 32 * 16 * 5
