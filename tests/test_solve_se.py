"""The squeeze-and-excitation worked solution: its problem file's expected values recomputed by
PyTorch (tests/zoo_torch.SqueezeExcitation, torchvision's block copied), `nncalc check` on it, and
located errors."""

from __future__ import annotations

import pytest
import torch
import yaml

from calc.errors import SpecError
from calc.problems_io import find_problem
from tests.zoo_torch import SqueezeExcitation

PROBLEM = "cnn/squeeze-excitation"


def _problem() -> dict:
    return yaml.safe_load(find_problem(PROBLEM).read_text())


def test_expected_values_are_pytorchs():
    p = _problem()
    giv, exp = p["given"], p["expected"]
    c, s = len(giv["x"]), len(giv["w1"])
    block = SqueezeExcitation(c, s).double()
    with torch.no_grad():
        block.fc1.weight.copy_(torch.tensor(giv["w1"], dtype=torch.float64).reshape(s, c, 1, 1))
        block.fc1.bias.copy_(torch.tensor(giv["b1"], dtype=torch.float64))
        block.fc2.weight.copy_(torch.tensor(giv["w2"], dtype=torch.float64).reshape(c, s, 1, 1))
        block.fc2.bias.copy_(torch.tensor(giv["b2"], dtype=torch.float64))
        x = torch.tensor([giv["x"]], dtype=torch.float64)
        means = x.mean((2, 3))[..., None, None]
        z = block.fc1(means)
        e = block.fc2(torch.relu(z))
        y = block(x)
    want = {**{f"s{k + 1}": v for k, v in enumerate(means.flatten().tolist())},
            **{f"z{j + 1}": v for j, v in enumerate(z.flatten().tolist())},
            **{f"a{j + 1}": v for j, v in enumerate(torch.relu(z).flatten().tolist())},
            **{f"e{k + 1}": v for k, v in enumerate(e.flatten().tolist())},
            **{f"g{k + 1}": v for k, v in enumerate(torch.sigmoid(e).flatten().tolist())},
            **{f"y{k + 1}": m for k, m in enumerate(y[0].tolist())},
            "params": sum(t.numel() for t in block.parameters())}
    assert set(want) == set(exp)
    for name, value in want.items():
        assert torch.allclose(torch.tensor(exp[name], dtype=torch.float64), torch.tensor(value, dtype=torch.float64),
                              rtol=1e-12, atol=1e-12), name


def test_check_right_answers_and_a_carried_slip(cli, tmp_path):
    exp = _problem()["expected"]
    right = tmp_path / "right.yaml"
    right.write_text(yaml.safe_dump(exp))
    code, out, err = cli("check", PROBLEM, "--answers", str(right))
    assert code == 0, out + err
    slip = tmp_path / "slip.yaml"  # the sum 12 instead of the mean 3; z1 and a1 follow from it
    slip.write_text("s1: 12\nz1: 5\na1: 5\n")
    code, out, err = cli("check", PROBLEM, "--answers", str(slip), "--allow-blank", "--json")
    import json

    verdicts = {v["name"]: v["status"] for v in json.loads(out)["verdicts"]}
    assert code == 1 and verdicts == {"s1": "wrong", "z1": "carried", "a1": "carried"}


def test_bad_shapes_are_located():
    from calc.errors import Where
    from calc.solve.registry import SolveOptions
    from calc.solve.squeeze_excitation import solve_se_problem

    giv = _problem()["given"]
    with pytest.raises(SpecError, match="w2: expected 2"):
        solve_se_problem({**giv, "w2": [[1, 2, 3]] * 3}, Where("p.yaml"), SolveOptions())
    with pytest.raises(SpecError, match="same H x W"):
        solve_se_problem({**giv, "x": [[[1, 2]], [[1], [2]], [[0, 0]]]}, Where("p.yaml"), SolveOptions())
