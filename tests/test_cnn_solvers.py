"""Worked CNN solutions (issue 5) against PyTorch: conv, true convolution, im2col, pooling and
their backward passes on random integer cases through the problem solvers; every written sum
evaluates to the value it shows; bad input gives one located line; the CLI commands."""

from __future__ import annotations

import json
import re
from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from calc.errors import NNCalcError, Where
from calc.solve.registry import SolveOptions, solver_for

torch.set_default_dtype(torch.float64)


def solve(kind: str, given: dict):
    return solver_for(kind, Where())(given, Where("test.yaml"), SolveOptions())


def as_float(value):
    return np.asarray(value, dtype=object).astype(float)


def chw(x: torch.Tensor) -> list:
    """(C, H, W) tensor -> nested ints, the problems' channel-by-channel layout."""
    return x.to(torch.int64).tolist()


def conv_case(seed: int):
    g = torch.Generator().manual_seed(seed)
    r = lambda lo, hi: int(torch.randint(lo, hi, (1,), generator=g))  # noqa: E731
    cin, cout = r(1, 4), r(1, 4)
    kh, kw, s, d, p = r(1, 4), r(1, 4), r(1, 3), r(1, 3), r(0, 2)
    h, w = d * (kh - 1) + 1 + r(0, 5), d * (kw - 1) + 1 + r(0, 5)
    x = torch.randint(-5, 6, (cin, h, w), generator=g).double()
    k = torch.randint(-3, 4, (cout, cin, kh, kw), generator=g).double()
    b = torch.randint(-2, 3, (cout,), generator=g).double()
    given = {"input": chw(x), "kernel": chw(k), "bias": b.to(torch.int64).tolist(), "stride": s, "padding": p,
             "dilation": d, "windows": "none"}
    return given, x, k, b, (s, p, d)


@pytest.mark.parametrize("seed", range(25))
def test_conv_matches_torch(seed):
    given, x, k, b, (s, p, d) = conv_case(seed)
    want = F.conv2d(x[None], k, b, stride=s, padding=p, dilation=d)[0]
    sol = solve("conv", given)
    got = as_float(sol.answers["output"])
    assert np.array_equal(got.reshape(want.shape), want.numpy())
    assert sol.answers["O11" if want.shape[0] == 1 else "O11_1"] == want[0, 0, 0].item()


@pytest.mark.parametrize("seed", range(10))
def test_true_convolution_is_the_flipped_kernel(seed):
    given, x, k, b, (s, p, d) = conv_case(seed)
    given["flip"] = True
    want = F.conv2d(x[None], k.flip(-1, -2), b, stride=s, padding=p, dilation=d)[0]
    got = as_float(solve("conv", given).answers["output"])
    assert np.array_equal(got.reshape(want.shape), want.numpy())


def test_true_convolution_matches_a_textbook_loop():
    """Y[i,j] = sum_a sum_b X[i-a, j-b] W[a,b] (the notes "Simple Neural Networks"), valid part, written as a loop."""
    x = np.arange(30).reshape(5, 6) % 7 - 3
    w = np.array([[1, 2, 0], [-1, 3, 1]])
    out = [[sum(x[i - a, j - b] * w[a, b] for a in range(2) for b in range(3)) for j in range(2, 6)]
           for i in range(1, 5)]
    got = solve("conv", {"input": x.tolist(), "kernel": w.tolist(), "flip": True}).answers["output"]
    assert as_float(got).tolist() == out


@pytest.mark.parametrize("seed", range(6))
def test_im2col_view_is_unfold_times_filters(seed):
    given, x, k, b, (s, p, d) = conv_case(seed)
    given.pop("bias")
    given["im2col"] = True
    sol = solve("conv", given)
    patches, wmat = as_float(sol.answers["patches"]), as_float(sol.answers["filter_matrix"])
    cin, (kh, kw) = x.shape[0], k.shape[2:]
    cols = F.unfold(x[None], (kh, kw), dilation=d, padding=p, stride=s)[0]  # (C*kh*kw, L), channel-major
    ours = patches.reshape(-1, kh, kw, cin).transpose(0, 3, 1, 2).reshape(len(patches), -1)
    assert np.array_equal(ours, cols.T.numpy())
    out = as_float(sol.answers["output"]).reshape(k.shape[0], -1).T
    assert np.array_equal(patches @ wmat, out)


def test_hwio_kernel_is_tensorflows_layout():
    rng = np.random.default_rng(3)
    x = rng.integers(-3, 4, (4, 4, 2))
    hwio = rng.integers(-2, 3, (3, 3, 2, 3))
    want = F.conv2d(torch.tensor(x).permute(2, 0, 1)[None].double(), torch.tensor(hwio).permute(3, 2, 0, 1).double(),
                    padding=1)[0]
    sol = solve("conv", {"input": x.tolist(), "input_layout": "hwc", "kernel": hwio.tolist(), "weight_layout": "hwio",
                         "padding": 1, "windows": "none"})
    assert np.array_equal(as_float(sol.answers["output"]), want.numpy())


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_forward_and_backward_match_torch(seed, kind):
    g = torch.Generator().manual_seed(seed)
    c, k, s = int(torch.randint(1, 3, (1,), generator=g)), int(torch.randint(1, 4, (1,), generator=g)), \
        int(torch.randint(1, 3, (1,), generator=g))
    p = int(torch.randint(0, k // 2 + 1, (1,), generator=g))
    x = torch.randint(-4, 5, (c, 5, 6), generator=g).double().requires_grad_()
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    y = pool(x[None], k, s, p)[0]
    dy = torch.randint(-3, 4, y.shape, generator=g).double()
    y.backward(dy)
    given = {"input": chw(x.detach()), "type": kind, "kernel": k, "stride": s, "padding": p, "windows": "none",
             "grad_output": dy.to(torch.int64).tolist() if c > 1 else dy[0].to(torch.int64).tolist()}
    sol = solve("pool", given)
    assert np.allclose(as_float(sol.answers["pool_output"]).reshape(y.shape), y.detach().numpy(), rtol=0, atol=1e-12)
    assert np.allclose(as_float(sol.answers["dL/dX"]).reshape(x.shape), x.grad.numpy(), rtol=0, atol=1e-12)


def test_max_pool_reports_the_chosen_element_by_the_tie_rule():
    sol = solve("pool", {"input": [[5, 5], [5, 1]], "kernel": 2, "grad_output": [[1]]})
    step = next(s for s in sol.steps if getattr(s, "name", "") == "P11")
    assert "chosen: X11" in step.note  # ties: first in row-major order, as PyTorch routes the gradient
    assert as_float(sol.answers["dL/dX"]).tolist() == [[1, 0], [0, 0]]


def test_relu_check_commutes_for_max_not_always_for_avg():
    x = [[-4, 1], [2, -3]]
    assert solve("pool", {"input": x, "kernel": 2, "relu_check": True}).answers["commutes"] is True
    assert solve("pool", {"input": x, "type": "avg", "kernel": 2, "relu_check": True}).answers["commutes"] is False


@pytest.mark.parametrize("seed", range(15))
def test_conv_backward_matches_autograd(seed):
    given, x, k, b, (s, p, d) = conv_case(seed + 100)
    x.requires_grad_(), k.requires_grad_(), b.requires_grad_()
    y = F.conv2d(x[None], k, b, stride=s, padding=p, dilation=d)[0]
    dy = torch.randint(-3, 4, y.shape, generator=torch.Generator().manual_seed(seed)).double()
    y.backward(dy)
    given.update(grad_output=dy[0].to(torch.int64).tolist() if y.shape[0] == 1 else chw(dy), lr="0.5")
    given.pop("windows")
    sol = solve("conv_backward", given)
    assert np.array_equal(as_float(sol.answers["dL/dF"]).reshape(k.shape), k.grad.numpy())
    assert np.array_equal(as_float(sol.answers["dL/dX"]).reshape(x.shape), x.grad.numpy())
    db = [sol.answers["dL/db" + (str(o + 1) if len(b) > 1 else "")] for o in range(len(b))]
    assert as_float(db).tolist() == b.grad.tolist()
    assert np.array_equal(as_float(sol.answers["F_new"]).reshape(k.shape), (k - 0.5 * k.grad).detach().numpy())


def _evaluate(text: str) -> Fraction:
    """A written sum such as '2*1 + 4*(-2)' or '1(0.9) + 0.1' evaluated exactly."""
    expr = re.sub(r"(\d)\(", r"\1*(", text)
    expr = re.sub(r"(-?\d+(?:\.\d+)?)", r"Fraction('\1')", expr)
    return eval(expr, {"Fraction": Fraction})  # noqa: S307 - test-only, digits and operators


@pytest.mark.parametrize("problem", ["cnn/feature-map-padding", "cnn/homework-rgb-conv", "cnn/conv-backward-exercise",
                                     "cnn/cnn-forward-backward", "cnn/true-convolution"])
def test_every_written_sum_equals_its_value(problem):
    from calc.problems_io import load_problem, solve_problem
    from calc.solve.step import Step

    sol = solve_problem(load_problem(problem))
    checked = 0
    for step in sol.steps:
        text = step.substituted if isinstance(step, Step) else ""
        if not text or not re.fullmatch(r"[-+*() .\d]+", text) or step.result is None:
            continue
        assert _evaluate(text) == step.result or abs(float(_evaluate(text)) - float(step.result)) < 1e-3, step.label
        checked += 1
    assert checked >= 4


def test_network_with_conv_pool_flatten_matches_autograd():
    from calc.problems_io import problem_from_text, solve_problem

    text = """
type: network
given:
  network:
    input: [4, 4, 2]
    layers:
      - conv: {filters: 2, kernel: 2, padding: 1, stride: 2, bias: [0.5, -1],
               weights: [[[[1, -2], [0, 3]], [[2, 1], [-1, 0]]], [[[0, 1], [1, 1]], [[-3, 2], [1, -1]]]]}
      - relu
      - maxpool: {kernel: 2, stride: 1}
      - flatten: {order: chw}
      - dense: {units: 2, weights: [[0.1, -0.2, 0.3, 0.4, 0.5, -0.6, 0.7, 0.8], [0.2, 0.1, -0.3, 0.2, 0.1, 0.4, -0.5, 0.3]], bias: 0}
      - softmax
  input: [[[1, 0], [2, 1], [0, 3], [1, 1]], [[2, 2], [1, 0], [3, 1], [0, 0]],
          [[0, 1], [1, 2], [2, 2], [3, 0]], [[1, 3], [0, 1], [1, 0], [2, 2]]]
  target: [0, 1]
  loss: cross_entropy
  optimizer: {name: sgd, lr: 0.1}
  input_gradient: true
expected: {loss: 0}
"""
    sol = solve_problem(problem_from_text(text))
    x = torch.tensor([[[1., 0], [2, 1], [0, 3], [1, 1]], [[2, 2], [1, 0], [3, 1], [0, 0]],
                      [[0, 1], [1, 2], [2, 2], [3, 0]], [[1, 3], [0, 1], [1, 0], [2, 2]]]).permute(2, 0, 1)[None]
    x.requires_grad_()
    w = torch.tensor([[[[1., -2], [0, 3]], [[2, 1], [-1, 0]]], [[[0, 1], [1, 1]], [[-3, 2], [1, -1]]]],
                     requires_grad=True)
    b = torch.tensor([0.5, -1], requires_grad=True)
    wd = torch.tensor([[0.1, -0.2, 0.3, 0.4, 0.5, -0.6, 0.7, 0.8], [0.2, 0.1, -0.3, 0.2, 0.1, 0.4, -0.5, 0.3]],
                      requires_grad=True)
    z = F.conv2d(x, w, b, stride=2, padding=1)
    pooled = F.max_pool2d(F.relu(z), 2, 1)
    p = torch.softmax(wd @ pooled.reshape(-1), 0)
    loss = -torch.log(p[1])
    loss.backward()
    assert float(sol.answers["loss"]) == pytest.approx(loss.item(), rel=1e-12)
    assert np.allclose(as_float(sol.answers["conv1.output"]), z[0].detach().numpy())
    assert np.allclose(as_float(sol.answers["pool1.output"]), pooled[0].detach().numpy())
    assert float(sol.answers["dL/dconv1.F12_2,1"]) == pytest.approx(w.grad[1, 0, 0, 1].item(), rel=1e-12, abs=1e-15)
    assert float(sol.answers["dL/dconv1.b2"]) == pytest.approx(b.grad[1].item(), rel=1e-12, abs=1e-15)
    assert np.allclose(as_float(sol.answers["dL/dconv1.input"]), x.grad[0].numpy(), atol=1e-12)
    assert float(sol.answers["conv1.F11_1,1+"]) == pytest.approx((w - 0.1 * w.grad)[0, 0, 0, 0].item(), rel=1e-12)
    assert any("flatten order chw" in c for c in sol.conventions)
    assert any("tie" in c for c in sol.conventions)


def test_edge_display_clips_but_keeps_raw_values():
    sol = solve("edge", {"image": [[0, 0, 0], [0, 0, 0], [255, 255, 255], [255, 255, 255]],
                         "kernels": {"h": [[-1, -1, -1], [0, 0, 0], [1, 1, 1]]}})
    assert as_float(sol.answers["output_h"]).tolist() == [[765], [765]]  # 3 x 255 below, 0 above
    assert as_float(sol.answers["display_h"]).tolist() == [[255], [255]]
    assert any("outside 0..255" in f for f in sol.findings)


def test_receptive_fields_follow_the_recurrence():
    from calc.counting.receptive import receptive_fields
    from calc.network import network_from_text

    net = network_from_text("""
input: [64, 64, 3]
layers:
  - conv: {filters: 4, kernel: 3, dilation: 2}
  - maxpool: {kernel: 3, stride: 2}
  - conv: {filters: 4, kernel: 5, stride: 2}
  - flatten
""")
    sizes = [r.after.size[0] for r in receptive_fields(net)]
    # 1 + 2*2 = 5; 5 + 2*1 = 7 (jump 2); 7 + 4*2 = 15 (jump 4); flatten: all 64
    assert sizes == [5, 7, 15, 64]


@pytest.mark.parametrize("args,where", [
    (["conv2d", "-x", "1,2;3", "-k", "1"], "input: ragged rows"),
    (["conv2d", "-x", "1,2;3,4", "-k", "1,1,1;1,1,1;1,1,1"], "kernel: conv: kernel 3 is larger than the padded input 2"),
    (["conv2d", "-x", "[[[1,2],[3,4]],[[1,2],[3,4]]]", "-k", "1"], "kernel: a single kh x kw kernel, but the input has 2"),
    (["conv2d", "-x", "1,2;3,4", "-k", "1", "-s", "0"], "--stride: expected integers >= 1, got 0"),
    (["conv-backward", "-x", "1,2,3;4,5,6;7,8,9", "-k", "1,0;0,1", "-g", "1,2,3;4,5,6"],
     "grad_output: expected 2 x 2 values"),
    (["pool", "-x", "1,2;3,4", "-k", "2", "-g", "1,2"], "grad_output: expected 1 x 1 values"),
])
def test_bad_input_is_one_located_line(cli, args, where):
    code, out, err = cli(*args)
    assert code == 2
    assert err.count("\n") == 1 and where in err and "Traceback" not in err


def test_bad_problem_file_names_the_key(tmp_path):
    from calc.problems_io import load_problem, solve_problem

    path = tmp_path / "bad.yaml"
    path.write_text("type: conv\ngiven:\n  input: [[1, 2], [3, 4]]\n  kernel: [[1, 2]]\n  stride: 0\nexpected: {x: 1}\n")
    with pytest.raises(NNCalcError) as exc:
        solve_problem(load_problem(str(path)))
    assert str(exc.value).startswith(f"{path}:5: given.stride: expected an integer >= 1, got 0")


@pytest.mark.parametrize("args,keys", [
    (["conv2d", "-x", "2,4,9;2,1,4;1,1,2", "-k", "1,2;3,4", "--im2col", "--json"], ["output", "O11", "patches"]),
    (["pool", "-x", "1,1,2,4;5,6,7,8;3,2,1,0;1,2,3,4", "-k", "2", "--relu-check", "--json"],
     ["pool_output", "P11", "commutes"]),
    (["conv-backward", "-x", "1,0,-1;1,0,1;0,1,1", "-k", "-1,2;3,1", "-g", "-0.2,0.2;0.1,-0.1", "--bias", "0",
      "--lr", "0.5", "--json"], ["dL/dF", "dL/dX", "dL/db", "F_new", "b_new"]),
])
def test_cli_json(cli, args, keys):
    code, out, err = cli(*args)
    assert code == 0, err
    data = json.loads(out)
    assert all(k in data["answers"] for k in keys)
    assert any("grid" in s and s["matrices"] for s in data["steps"])


def test_cli_markdown_boxes_the_window(cli):
    code, out, _ = cli("conv2d", "-x", "1,2,3;4,5,6;7,8,9", "-k", "1,0;0,1", "--markdown", "-")
    assert code == 0
    assert r"\boxed{1}" in out and r"\begin{bmatrix}" in out and "O_{11}" in out


def test_cli_terminal_marks_the_window(cli):
    code, out, _ = cli("conv2d", "-x", "1,2,3;4,5,6;7,8,9", "-k", "1,0;0,1")
    assert code == 0
    assert "[1]" in out and "[5]" in out and "O11 = X11 F11 + X12 F12 + X21 F21 + X22 F22" in out


def test_matrices_from_csv_and_yaml_files(cli, tmp_path):
    (tmp_path / "x.csv").write_text("1,2,3\n4,5,6\n7,8,9\n")
    (tmp_path / "k.yaml").write_text("[[0, 1], [1, 0]]\n")
    code, out, err = cli("conv2d", "-x", str(tmp_path / "x.csv"), "-k", str(tmp_path / "k.yaml"), "--json")
    assert code == 0, err
    assert json.loads(out)["answers"]["output"] == [[6, 8], [12, 14]]


def test_network_with_average_pooling_matches_autograd():
    from calc.problems_io import problem_from_text, solve_problem

    text = """
type: network
given:
  network:
    input: [3, 3, 1]
    layers:
      - conv: {filters: 1, kernel: 2, padding: 1, weights: [[1, -1], [2, 0.5]], bias: 0.25}
      - avgpool: {kernel: 2, stride: 2}
      - flatten
      - dense: {units: 1, weights: [[0.5, -1, 0.25, 2]], bias: 0}
  input: [[[1], [2], [0]], [[0], [1], [3]], [[2], [1], [1]]]
  target: [1]
  loss: {name: mse, reduction: half_sum}
  input_gradient: true
expected: {loss: 0}
"""
    sol = solve_problem(problem_from_text(text))
    x = torch.tensor([[1., 2, 0], [0, 1, 3], [2, 1, 1]], requires_grad=True)
    w = torch.tensor([[1., -1], [2, 0.5]], requires_grad=True)
    z = F.conv2d(x[None, None], w[None, None], torch.tensor([0.25]), padding=1)
    pooled = F.avg_pool2d(z, 2, 2)
    y = torch.tensor([0.5, -1, 0.25, 2]) @ pooled.reshape(-1)
    loss = 0.5 * (y - 1) ** 2
    loss.backward()
    assert float(sol.answers["loss"]) == pytest.approx(loss.item(), rel=1e-12)
    assert np.allclose(as_float(sol.answers["pool1.output"]), pooled[0, 0].detach().numpy())
    assert np.allclose(as_float(sol.answers["dL/dconv1.input"]), x.grad.numpy())
    assert float(sol.answers["dL/dconv1.F21"]) == pytest.approx(w.grad[1, 0].item(), rel=1e-12)
    step = next(s for s in sol.steps if getattr(s, "name", "") == "pool1.y1,1,1")
    assert step.formula.endswith("/ 4") and "conv1.z" not in step.formula


def test_hwio_weights_in_a_spec_equal_the_oihw_ones_and_wrong_shapes_name_the_layout():
    from calc.backend import get_backend
    from calc.engine.context import Ctx
    from calc.engine.model import Model
    from tests.conftest import net_from

    hwio = np.arange(24).reshape(2, 2, 3, 2) - 12  # [kh][kw][in][out]
    spec = "input: [4, 4, 3]\nlayers:\n  - conv: {filters: 2, kernel: 2, weight_layout: hwio, bias: false, weights: %s}\n"
    model = Model(net_from(spec % hwio.tolist()), Ctx(backend=get_backend("exact")))
    assert as_float(model.layers[0].params["weight"]).tolist() == hwio.transpose(3, 2, 0, 1).tolist()
    with pytest.raises(NNCalcError, match="weight_layout hwio: \\[kh\\]\\[kw\\]"):
        Model(net_from(spec % hwio[:, :, :2].tolist()), Ctx(backend=get_backend("exact")))


def test_count_receptive_field_defaults_to_the_widest_path():
    """A residual block's field is its body's (3x3 /2 then 3x3: r = 3 + 2*2 = 7 by hand), not the
    1x1 shortcut's, although the shortcut is the last windowed layer in order."""
    from calc.problems_io import problem_from_text, solve_problem

    text = """type: cnn_count
given:
  network:
    input: [16, 16, 3]
    layers:
      - residual:
          body:
            - conv: {filters: 8, kernel: 3, padding: 1, stride: 2}
            - relu
            - conv: {filters: 8, kernel: 3, padding: 1}
          shortcut:
            - conv: {filters: 8, kernel: 1, stride: 2}
"""
    assert solve_problem(problem_from_text(text)).answers["receptive_field"] == 7
