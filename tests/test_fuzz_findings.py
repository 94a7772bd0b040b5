"""Regressions for failures the command-line fuzzer (tests/fuzz/) found, fixed at their cause."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

PROBLEMS = Path(__file__).resolve().parents[1] / "problems"
OR_GATE = PROBLEMS / "perceptrons/or.yaml"
RIGHT = "row4.y: 1\n"  # the OR gate's output for (1, 1): right at any tolerance


@pytest.mark.parametrize(("tol", "shown"), [("1e999", "absolute 1e+999"), ("1e-999", "absolute 1e-999"),
                                            ("0.001", "absolute 0.001")])
def test_a_tolerance_beyond_float_range_is_shown_not_crashed_on(cli, tmp_path, tol, shown):
    """`--abs 1e999` raised OverflowError in the report line; 1e-999 must not read as 0 either."""
    answers = tmp_path / "a.yaml"
    answers.write_text(RIGHT, encoding="utf-8")
    code, out, err = cli("check", str(OR_GATE), "-a", str(answers), "--abs", tol, "--markdown", "-", "--allow-blank")
    assert code == 0, err
    assert f"relative tolerance 1e-06, {shown};" in out


def test_a_matrix_too_long_to_be_a_file_name_is_parsed_as_a_matrix(cli):
    """Path.is_file() raised 'File name too long' before the value reached the matrix parser."""
    kernel = ",".join(["1"] * 301)  # 601 characters: longer than any file name (255)
    code, _, err = cli("conv2d", "--input", "1,2;3,4", "-k", kernel)
    assert code == 2 and "kernel 301 is larger than the padded input 2" in err


@pytest.mark.parametrize("steps", ["100000", "1" * 300])
def test_a_problem_files_optimizer_steps_are_bounded_like_the_option(cli, tmp_path, steps):
    """`steps:` in a problem file had no upper bound (the option stops at 1000): a 300-digit count
    crashed formatting, 10**5 steps ran without end."""
    problem = tmp_path / "p.yaml"
    problem.write_text(f"type: optimizer\ngiven: {{optimizer: sgd, lr: 0.1, function: 'w^2', start: 1, steps: {steps}}}\n",
                       encoding="utf-8")
    code, _, err = cli("solve", str(problem))
    assert code == 2 and "steps: expected 1 to 1000, got " in err and len(err) < 200, err


def test_a_huge_number_in_an_answers_file_is_shown_as_written(cli, tmp_path):
    """str() of the learner's value (a 4,767-digit denominator) crashed the verdict table."""
    answers = tmp_path / "a.yaml"
    answers.write_text("x: -6e-4767\n", encoding="utf-8")
    code, out, err = cli("check", "graphs/cs231n-add-multiply", "-a", str(answers))
    assert code == 1 and "-6e-4767" in out and "no quantity named 'x'" in out.replace("\n", " ").replace("  ", " ")


def test_a_400_digit_integer_in_run_data_is_refused_with_its_size(cli, tmp_path):
    """float() of a 400-digit YAML integer raised OverflowError while the data's shape was read."""
    (tmp_path / "s.yaml").write_text("name: t\ninput: [2]\nlayers:\n  - dense: {units: 1}\n", encoding="utf-8")
    (tmp_path / "x.yaml").write_text(f"- [1{'0' * 400}, 2]\n", encoding="utf-8")
    code, _, err = cli("run", str(tmp_path / "s.yaml"), "-i", str(tmp_path / "x.yaml"))
    assert code == 2 and "1.000e+400 is beyond the float64 range" in err


def test_float32_overflow_in_run_is_a_stated_finding_not_a_numpy_warning(cli, tmp_path):
    """3e38 + 3e38 leaves float32's range (3.4e38): NumPy printed a RuntimeWarning with a source line."""
    spec = tmp_path / "res.yaml"
    spec.write_text("name: r\ninput: [2]\nlayers:\n  - residual:\n      body:\n"
                    "        - dense: {units: 2, weights: [[1, 0], [0, 1]], bias: [0, 0]}\n", encoding="utf-8")
    data = tmp_path / "big.yaml"
    data.write_text("- [3e38, 1]\n", encoding="utf-8")
    code, out, err = cli("run", str(spec), "-i", str(data), "--dtype", "float32", "--json")
    assert code == 0 and "Warning" not in err
    result = json.loads(out)
    assert result["outputs"][0][1] == 2.0  # 1 + 1
    assert any(line.startswith("overflow: 1 output value(s) are inf or nan") for line in result["conventions"])
