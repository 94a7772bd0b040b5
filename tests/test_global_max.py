"""Global max pooling (global_maxpool on maps, sequence_pool max on sequences): counts by hand,
forward and backward against torch autograd (F.adaptive_max_pool2d, x.max(dim=1)) with ties, the
exact backend by hand, and the run's tie convention."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from calc.backend import get_backend
from calc.engine.context import Ctx
from calc.engine.model import Model
from calc.errors import SpecError
from tests.engine_check import BACKENDS, network, nhwc, run
from tests.engine_util import rel_err
from tests.test_engine_pool import torch_input

TOL = 1e-10


def tied_map(rng, shape):
    """Small integers, so most channels hold their maximum at several positions."""
    return rng.integers(-2, 3, shape).astype(np.float64)


def test_global_maxpool_counts_by_hand():
    """7 x 5 x 3 -> 1 x 1 x 3, no parameters, no MACs, one comparison per input value (105)."""
    net = network((7, 5, 3), {"global_max_pool": None}, "flatten", {"dense": {"units": 2}})
    pool, flat, dense = net.leaves()
    assert (pool.kind, pool.out_shape, flat.out_shape) == ("global_maxpool", (1, 1, 3), (3,))
    assert pool.param_count() == pool.macs() == 0 and pool.costs() == {"pool": 7 * 5 * 3}
    assert dense.param_count() == 3 * 2 + 2


def test_sequence_max_counts_by_hand():
    net = network((6, 4), {"sequence_pool": {"mode": "max"}})
    (pool,) = net.leaves()
    assert pool.out_shape == (4,) and pool.param_count() == pool.macs() == 0 and pool.costs() == {"pool": 24}


@pytest.mark.parametrize("device", BACKENDS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_global_maxpool_matches_torch_with_ties(device, dtype):
    """Ties: the gradient goes to the first maximal position (row-major), as torch's
    adaptive_max_pool2d; torch.amax would split it (checked below, so ties really occur)."""
    rng = np.random.default_rng(3)
    x, dy = tied_map(rng, (4, 3, 5, 6)), rng.standard_normal((4, 1, 1, 6))
    y, dx, _, _ = run(network((3, 5, 6), {"global_maxpool": None}), x, dy, device, dtype)
    xt = torch_input(x, False)
    yt = F.adaptive_max_pool2d(xt, 1)
    yt.backward(torch.tensor(dy).permute(0, 3, 1, 2))
    tol = TOL if dtype == "float64" else 1e-6
    assert rel_err(y, nhwc(yt)) <= tol and rel_err(dx, nhwc(xt.grad)) <= tol
    xa = torch_input(x, False)
    xa.amax(dim=(2, 3), keepdim=True).backward(torch.tensor(dy).permute(0, 3, 1, 2))
    assert rel_err(dx, nhwc(xa.grad)) > 0.1  # amax's even split is another rule: the ties are there


@pytest.mark.parametrize("device", BACKENDS)
def test_sequence_max_matches_torch_with_ties(device):
    rng = np.random.default_rng(4)
    x, dy = tied_map(rng, (3, 7, 5)), rng.standard_normal((3, 5))
    y, dx, _, _ = run(network((7, 5), {"sequence_pool": {"mode": "max"}}), x, dy, device)
    xt = torch.tensor(x, requires_grad=True)
    yt = xt.max(dim=1).values
    yt.backward(torch.tensor(dy))
    assert rel_err(y, yt.detach().numpy()) <= TOL and rel_err(dx, xt.grad.numpy()) <= TOL
    assert (dx != 0).sum() == 3 * 5  # one position per sample and feature


def test_exact_global_max_by_hand():
    """Channel 0 holds 7/2 twice (positions (0, 1) and (1, 0)): the first, (0, 1), takes dy."""
    net = network((2, 2, 2), {"global_maxpool": None})
    model = Model(net, Ctx(backend=get_backend("exact")))
    x = np.array([[[1, 0], [Fraction(7, 2), -1]], [[Fraction(7, 2), 5], [2, 4]]], dtype=object)[None]
    y = model.forward(model.backend.asarray(x))
    assert [y[0, 0, 0, c] for c in range(2)] == [Fraction(7, 2), 5]
    dx = model.backward(model.backend.asarray(np.array([[[[Fraction(1, 3), 2]]]], dtype=object)))
    assert dx[0, :, :, 0].tolist() == [[0, Fraction(1, 3)], [0, 0]]
    assert dx[0, :, :, 1].tolist() == [[0, 0], [2, 0]]


def test_the_run_states_the_tie_rule():
    from calc.engine.api import model_conventions

    net = network((3, 3, 2), {"global_maxpool": None}, "flatten")
    model = Model(net, Ctx(backend=get_backend("cpu")))
    lines = [line for line in model_conventions(model, None) if line.startswith("global max ties")]
    assert lines and "first maximal position" in lines[0]


def test_a_vector_is_refused_in_one_line():
    with pytest.raises(SpecError, match="global_maxpool.*needs") as err:
        network((5,), {"global_maxpool": None})
    assert "\n" not in str(err.value)


# -- exported: the generated PyTorch module and the Keras model give the engine's numbers ----------
BOTH = """
    input: [4, 5, 3]
    layers:
      - conv: {filters: 4, kernel: 3, padding: 1}
      - concat:
        - [global_maxpool, flatten]
        - [to_sequence, sequence_pool: {mode: max}]
      - dense: {units: 2}
"""
POOLS_ONLY = """
    input: [3, 4, 2]
    layers:
      - concat:
        - [global_max_pool, flatten: {order: chw}]
        - [to_sequence, sequence_pool: {mode: max}]
"""


def _net(text):
    import textwrap

    from calc.network import network_from_text

    return network_from_text(textwrap.dedent(text), "maxes.yaml")


def test_pytorch_export_gives_the_engine_outputs():
    from tests.test_export_torch_more import check

    check(_net(BOTH))


def test_pytorch_export_backward_takes_the_first_maximum():
    """Tied inputs: the exported module's autograd (AdaptiveMaxPool2d, x.max(dim=1)) puts dL/dx
    where the engine does."""
    from calc.interchange.export import export_code
    from tests.export_util import module_from

    network = _net(POOLS_ONLY)
    rng = np.random.default_rng(5)
    x, dy = tied_map(rng, (3, 3, 4, 2)), rng.standard_normal((3, 4))
    _, dx, _, _ = run(network, x, dy)
    source = export_code(network, "pytorch")
    assert "AdaptiveMaxPool2d(1)" in source and ".max(dim=1).values" in source
    xt = torch.tensor(x, requires_grad=True)
    module_from(source)()(xt.permute(0, 3, 1, 2)).backward(torch.tensor(dy))
    assert rel_err(dx, xt.grad.numpy()) <= TOL  # both branches pick the same (first) cell per channel:
    assert ((dx != 0).sum(axis=(1, 2)) == 1).all()  # one cell of each sample and channel, despite ties


def test_keras_export_runs_in_keras(tmp_path):
    from tests.test_export_keras_seq import same_outputs  # chooses the torch backend, then imports keras

    network = _net(BOTH)
    same_outputs(network, tmp_path)
    from calc.interchange.export import export_code

    source = export_code(network, "keras")
    assert "GlobalMaxPooling2D(keepdims=True" in source and "GlobalMaxPooling1D(" in source


WORKED = """
type: network
title: a global max pool before one neuron
given:
  network:
    input: [2, 2, 1]
    layers:
      - global_maxpool
      - flatten
      - dense: {units: 1, weights: [[2.0]], bias: [0.5]}
  input: [[[[1], [3]], [[3], [-1]]]]
  target: [1]
  loss: {name: mse, reduction: mean}
  optimizer: {name: sgd, lr: 0.1}
  input_gradient: true
"""


def test_worked_solution_by_hand(cli, tmp_path):
    """max(1, 3, 3, -1) = 3, first at x1,2,1 (x2,1,1 ties); z = 2 * 3 + 0.5 = 6.5; dL/dz = 2(6.5 - 1)
    = 11; dL/dy = 11 * 2 = 22 at x1,2,1 only."""
    import json

    path = tmp_path / "worked.yaml"
    path.write_text(WORKED)
    code, out, err = cli("solve", str(path), "--json")
    assert code == 0, err
    steps = {s["name"]: s for s in json.loads(out)["steps"]}
    pool = steps["pool1.y1,1,1"]
    assert (pool["result"], pool["substituted"], pool["note"]) == (3, "max(1, 3, 3, -1)", "at x1,2,1")
    grads = {k: steps[f"dL/dx{k}"]["result"] for k in ("1,1,1", "1,2,1", "2,1,1", "2,2,1")}
    assert grads == {"1,1,1": 0, "1,2,1": 22, "2,1,1": 0, "2,2,1": 0}
    assert "first maximum" in steps["dL/dx2,1,1"]["formula"]
