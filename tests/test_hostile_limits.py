"""Hostile structure (issue 10, causes 4-6): deep or long expressions, eps = 0 divisions, and
arguments the engine used to hand to NumPy unchecked. Expected values are hand-derived."""

import json
import math
import re
import time

import numpy as np
import pytest

from calc import graph as cg
from calc.errors import InputError, SpecError
from calc.expr import parse
from tests.conftest import net_from


# -- 4. recursion: depth has a limit, length has none ----------------------------------------------
@pytest.mark.parametrize("source", [
    "(" * 10_000 + "x" + ")" * 10_000,
    "exp(" * 3_000 + "x" + ")" * 3_000,
    "0" + "-" * 5_000 + "x",
    "x" + "^x" * 3_000,
])
def test_deep_nesting_is_a_clean_error(cli, source):
    code, _, err = cli("graph", source, "-v", "x=1")
    assert code == 2 and "nested more than 200 levels deep" in err
    assert len(err) < 600  # the message quotes a short excerpt, not 20 KB of parentheses


def test_a_flat_sum_of_2000_terms_through_the_cli(cli):
    code, out, _ = cli("graph", "+".join(["x"] * 2000), "-v", "x=3", "--json")
    data = json.loads(out)
    assert code == 0 and data["f"] == 6000 and data["df/dx"] == 2000


def test_a_flat_sum_of_20000_terms_is_linear():
    start = time.perf_counter()
    value, grads = cg.gradient(parse(" + ".join(["x"] * 10_000 + ["y * x"] * 10_000)), {"x": 2, "y": 5})
    assert value == 10_000 * 2 + 10_000 * 10
    assert grads == {"x": 10_000 + 10_000 * 5, "y": 10_000 * 2}
    assert time.perf_counter() - start < 20


def test_long_chains_of_every_left_associative_operator():
    value, grads = cg.gradient(parse("x" + "*x/x" * 1500 + "-x" * 1500), {"x": 3})
    assert value == 3 - 1500 * 3 and grads["x"] == 1 - 1500


def _block(expr: str):
    return net_from("name: t\ninput: [4]\nblocks:\n  b:\n    params: [w]\n"
                    f"    layers: [dense: {{units: '{expr}'}}]\nlayers:\n  - b: {{w: 3}}\n")


def test_block_expression_with_5000_terms():
    net = _block("${" + "+".join(["w"] * 5000) + "}")
    assert net.output_shape == (15000,)


@pytest.mark.parametrize("expr,fragment", [
    ("${" + "(" * 500 + "w" + ")" * 500 + "}", "nested more than 100 levels deep"),
    ("${1" + "0" * 5000 + "}", "more than 1000 digits"),
    ("${w/2}", "'w/2' = 3/2 is not an integer"),
    ("${w//(w-3)}", "division by zero"),
    ("${w.real}", "only integers, parameters and + - * / // % are allowed"),
])
def test_block_expression_errors(expr, fragment):
    with pytest.raises(SpecError, match=re.escape(fragment)):
        _block(expr)


def test_block_expression_precedence_is_pythons():
    assert _block("${w*2+(w-1)//3%5-w}").output_shape == (3 * 2 + (2 // 3) % 5 - 3,)
    assert _block("${-w+-(-w)+9}").output_shape == (9,)


# -- 5. division by zero with eps = 0 ---------------------------------------------------------------
def test_batchnorm_constant_batch_eps_0(cli):
    code, out, _ = cli("batchnorm", "3", "3", "3", "--eps", "0", "--beta", "2", "--json")
    data = json.loads(out)
    assert code == 0 and data["y"] == [2, 2, 2] and data["x_hat"] == [0, 0, 0]  # y = beta
    assert any("x-hat = 0/0 is undefined; convention used: x-hat = 0" in f for f in data["findings"])


def test_batchnorm_constant_batch_eps_0_backward_is_named_undefined(cli):
    code, out, _ = cli("batchnorm", "3", "3", "3", "--eps", "0", "--grad", "1,2,3", "--json")
    data = json.loads(out)
    assert code == 0 and "dL/dx" not in data
    assert any("dL/dx is undefined" in f for f in data["findings"])


@pytest.mark.parametrize("name,want", [
    ("adagrad", -0.01 * 1 / math.sqrt(1)),  # lr 0.01; s = 0 + 0 + 1
    ("rmsprop", -0.01 * 1 / math.sqrt(0.01)),  # lr 0.01; v3 = (1 - 0.99) * 1
    ("adam", -0.001 * (0.1 / (1 - 0.9 ** 3)) / math.sqrt(0.001 / (1 - 0.999 ** 3))),  # m3 = 0.1, v3 = 0.001
])
def test_optimizers_with_zero_gradients_and_eps_0(cli, name, want):
    code, out, _ = cli("optimizer", name, "--grads", "0,0,1", "--eps", "0", "--json")
    data = json.loads(out)
    assert code == 0 and data["w_final"] == pytest.approx(want, rel=1e-12)
    assert sum("the update is 0/0" in f for f in data["findings"]) == 2  # steps 1 and 2


def test_float_engine_adam_with_zero_gradient_and_eps_0_takes_no_step():
    from calc.backend import get_backend
    from calc.engine.optim import make_optimizer

    be = get_backend("cpu")
    opt = make_optimizer("adam", eps=0.0)
    state = {}
    w = be.asarray([1.0, 2.0])
    for _ in range(2):
        w = opt.update(w, be.asarray([0.0, 0.5]), state, be)
    assert np.isfinite(w).all() and w[0] == 1.0  # PyTorch gives nan for the first entry


# -- 6. arguments checked before NumPy sees them -----------------------------------------------------
@pytest.mark.parametrize("command", [["run", "examples/xor.yaml", "--input", "examples/xor.csv"],
                                     ["train", "examples/xor.yaml", "--data", "examples/xor.csv", "--epochs", "1"]])
def test_negative_seed_is_refused(cli, command):
    code, _, err = cli(*command, "--seed=-1")
    assert code == 2 and "--seed" in err and "-1" in err


def test_engine_context_refuses_a_negative_seed():
    from calc.engine.context import Ctx

    with pytest.raises(InputError, match="seed: expected an integer from 0"):
        Ctx(seed=-1)


@pytest.mark.parametrize("shape", [(0, 2), (0,), (3, 0)])
def test_zero_sample_npy_is_refused(cli, tmp_path, shape):
    path = tmp_path / "empty.npy"
    np.save(path, np.zeros(shape))
    code, _, err = cli("run", "examples/xor.yaml", "--input", str(path))
    assert code == 2 and str(path) in err and ("no samples" in err or "inputs have shape" in err)


def test_eval_batchnorm_with_zero_running_var_and_eps_0(cli, tmp_path):
    spec = tmp_path / "bn.yaml"
    spec.write_text("name: bn\ninput: [2]\nlayers:\n  - batchnorm: {eps: 0, running_var: 0, running_mean: 0}\n")
    data = tmp_path / "x.csv"
    data.write_text("a,b\n1,2\n")  # (1 - 0)/sqrt(0 + 0): infinite, not the 0/0 convention
    code, _, err = cli("run", str(spec), "--input", str(data))
    assert code == 2 and "x-hat = (x - mean)/0 is infinite" in err


def test_a_diverging_training_run_says_so(cli, tmp_path):
    spec = tmp_path / "lin.yaml"
    spec.write_text("name: lin\ninput: [2]\nlayers:\n  - dense: {units: 1}\n")
    code, out, err = cli("train", str(spec), "--data", "examples/xor.csv", "--lr", "1e300", "--epochs", "4",
                         "--loss", "mse")
    assert code == 0 and "RuntimeWarning" not in err
    assert "diverged: the loss is not finite from epoch 2 on" in out  # epoch 2 overflows 1e300 * ~1
