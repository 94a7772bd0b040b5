"""The solve / problems / softmax / loss / perceptron / backprop commands, run in-process."""

from __future__ import annotations

import json
from fractions import Fraction


def test_solve_json_has_answers_and_conventions(cli):
    code, out, _ = cli("solve", "networks/mazur", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["conventions"][0].startswith("exact arithmetic")
    assert abs(data["answers"]["E_total"] - 0.298371109) < 1e-9
    assert abs(data["answers"]["fc2.w11+"] - 0.35891648) < 1e-8


def test_solve_markdown_has_display_math(cli):
    code, out, _ = cli("solve", "networks/mazur", "--markdown", "-")
    assert code == 0
    assert out.startswith("# Matt Mazur's backpropagation example")
    assert "**Conventions used**" in out
    assert r"$$z_{1}^{[1]} = w_{11}^{[1]} x_{1} + w_{12}^{[1]} x_{2} + b^{[1]} = 0.15(0.05) + 0.2(0.1) + 0.35 = 0.3775$$" in out
    assert r"\approx 0.5933$$" in out


def test_solve_markdown_to_file(cli, tmp_path):
    target = tmp_path / "mazur.md"
    code, _, _ = cli("solve", "softmax/softmax-jacobian", "--markdown", str(target))
    assert code == 0
    assert "J_{12}" in target.read_text()


def test_template_lists_every_named_quantity_blank(cli):
    import yaml

    code, out, _ = cli("solve", "networks/sigmoid-chain", "--template")
    assert code == 0
    blank = yaml.safe_load(out)
    assert blank["fc1.z1"] is None and blank["dL/dx1"] is None and blank["dy/da0"] is None
    assert "# Backward: fc2 (dense 1 -> 1 no bias) + sigmoid" in out


def test_problems_lists_topics(cli):
    code, out, _ = cli("problems", "--json")
    rows = json.loads(out)
    names = {r["name"] for r in rows}
    assert {"networks/mazur", "softmax/softmax-jacobian", "losses/bce-batch", "perceptrons/and"} <= names
    code, out, _ = cli("problems")
    assert code == 0 and "networks/mazur" in out


def test_softmax_command(cli):
    code, out, _ = cli("softmax", "2.0", "1.0", "0.1", "--jacobian", "--target", "1,0,0", "--json")
    data = json.loads(out)
    assert abs(data["answers"]["p1"] - 0.659001138886) < 1e-12
    assert abs(data["answers"]["J12"] + 0.159763603798) < 1e-12
    assert abs(data["answers"]["dL/dz1"] + 0.340998861114) < 1e-12
    assert any("J^T(-t/p) equals p - t exactly" in f for f in data["findings"])


def test_loss_command_all_conventions(cli):
    code, out, _ = cli("loss", "mse", "--output", "0.8,0.2,0.5", "--target", "1,0,1", "--convention", "all", "--json")
    answers = json.loads(out)["answers"]
    assert answers["loss_sum"] == float(Fraction(33, 100))
    assert answers["loss_half_sum"] == float(Fraction(33, 200))
    assert answers["loss_mean"] == float(Fraction(11, 100))
    assert answers["mean.dL/dy1"] == float(Fraction(-2, 15))


def test_loss_command_batch_of_cross_entropy(cli):
    code, out, _ = cli("loss", "ce", "--output", "0.7,0.2,0.1;0.1,0.8,0.1", "--target", "1,0,0;0,1,0", "--json")
    answers = json.loads(out)["answers"]
    assert abs(answers["sample1.loss"] - 0.356674943939) < 1e-12
    assert abs(answers["loss"] - (0.356674943939 + 0.223143551314) / 2) < 1e-12


def test_perceptron_commands(cli):
    code, out, _ = cli("perceptron", "xor", "--json")
    answers = json.loads(out)["answers"]
    assert [answers[f"row{r}.y"] for r in range(1, 5)] == [0, 1, 1, 0] and answers["all_correct"] is True
    code, out, _ = cli("perceptron", "custom", "--weights", "1,1", "--bias", "-1.5", "--targets", "0,0,0,1")
    assert code == 0 and "the weights implement the gate" in out
    code, out, _ = cli("perceptron", "or", "--weights", "1,1", "--bias", "-1")
    assert "differ from the targets" in out


def test_backprop_command(cli, tmp_path):
    spec = tmp_path / "net.yaml"
    spec.write_text("input: [2]\nlayers:\n  - dense: {units: 2, weights: [[0.15, 0.2], [0.25, 0.3]], bias: 0.35,"
                    " shared_bias: true, activation: sigmoid}\n  - dense: {units: 2, weights: [[0.4, 0.45], [0.5, 0.55]],"
                    " bias: 0.6, shared_bias: true, activation: sigmoid}\n")
    code, out, _ = cli("backprop", str(spec), "--input", "0.05,0.1", "--target", "0.01,0.99", "-c", "half",
                       "--lr", "0.5", "--no-bias-update", "--hidden-deltas", "updated", "--json")
    answers = json.loads(out)["answers"]
    assert abs(answers["loss+"] - 0.291027924) < 1e-9  # Mazur's published figure needs this variant


def test_command_errors_are_one_line(cli, tmp_path):
    code, _, err = cli("softmax", "2", "x")
    assert code == 2 and "SCORES: expected a number" in err
    code, _, err = cli("loss", "mse", "--output", "1,2", "--target", "1")
    assert code == 2 and err.count("\n") == 1
    code, _, err = cli("perceptron", "custom")
    assert code == 2 and "give --weights" in err
    spec = tmp_path / "noweights.yaml"
    spec.write_text("input: [2]\nlayers:\n  - dense: {units: 1}\n")
    code, _, err = cli("backprop", str(spec), "--input", "1,2", "--target", "1")
    assert code == 2 and "no values for its weight" in err
    code, _, err = cli("solve", "networks/mazr")
    assert code == 2 and "did you mean" in err


def test_hand_rounding_reproduces_the_worksheet():
    """The worksheet's sigmoid chain, rounded to 3 decimals as by hand: a1 = 0.562 and z3 = 0.285."""
    from calc.problems_io import load_problem, solve_problem
    from calc.solve.registry import SolveOptions

    exact = solve_problem(load_problem("networks/sigmoid-chain"))
    hand = solve_problem(load_problem("networks/sigmoid-chain"), SolveOptions(3, hand_rounding=True))
    assert hand.answers["a1"] == Fraction("0.562") and hand.answers["z3"] == Fraction("0.285")
    assert round(float(exact.answers["z3"]), 3) == 0.285 and exact.answers["z3"] != Fraction("0.285")
    assert hand.answers["z2"] == Fraction("0.281")  # 0.562 x 0.5, carried rounded


def test_hand_rounding_softmax_worksheet():
    """The worksheet's worksheet writes 7.39 / (7.39 + 2.72 + 1.11) = 7.39 / 11.22 and P = 0.24."""
    from calc.solve.softmax import solve_softmax

    sol = solve_softmax(["2.0", "1.0", "0.1"], stable=False, decimals=2, hand_rounding=True, jacobian=False)
    assert [sol.answers[f"e{i}"] for i in (1, 2, 3)] == [Fraction("7.39"), Fraction("2.72"), Fraction("1.11")]
    assert sol.answers["sum_e"] == Fraction("11.22") and sol.answers["p2"] == Fraction("0.24")
