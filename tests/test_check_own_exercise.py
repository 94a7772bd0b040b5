"""From "my own exercise" to "check my answers" (issue 9): `nncalc check` takes what solve takes
plus a network spec with backprop's options, and the direct commands take --answers FILE.
Exit codes as `nncalc check`: 0 all answered and right, 1 wrong or not answered, 2 unusable.
Expected values are hand arithmetic."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = "examples/mazur.yaml"  # Mazur's 2-2-2 sigmoid network as a plain spec (no problem envelope)
MAZUR = ("-x", "0.05,0.1", "-t", "0.01,0.99", "-c", "half", "--lr", "0.5")


def nncalc(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env, cwd=cwd)


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def slip_file(tmp_path: Path) -> Path:
    """A wrong local derivative at the first output and the delta the learner multiplied from it."""
    h1, h2 = sigmoid(0.15 * 0.05 + 0.20 * 0.10 + 0.35), sigmoid(0.25 * 0.05 + 0.30 * 0.10 + 0.35)
    o1 = sigmoid(0.40 * h1 + 0.45 * h2 + 0.60)
    mine = 0.1968  # ours: o1(1 - o1) = 0.1868
    path = tmp_path / "mine.yaml"
    path.write_text(f"fc2.da1/dz1: {mine}\nfc2.delta1: {round((o1 - 0.01) * mine, 4)}\n")
    return path


def statuses(out: subprocess.CompletedProcess) -> dict:
    return {v["name"]: v["status"] for v in json.loads(out.stdout)["verdicts"]}


def test_check_a_spec_with_backprops_options(tmp_path):
    mine = str(slip_file(tmp_path))
    out = nncalc("check", SPEC, "-a", mine, *MAZUR, "--allow-blank", "--json")
    assert out.returncode == 1, out.stderr
    assert statuses(out) == {"fc2.da1/dz1": "wrong", "fc2.delta1": "carried"}


def test_backprop_answers_checks_what_it_solved(tmp_path):
    mine = str(slip_file(tmp_path))
    out = nncalc("backprop", SPEC, *MAZUR, "--answers", mine, "--json")
    assert out.returncode == 1, out.stderr
    data = json.loads(out.stdout)
    assert statuses(out) == {"fc2.da1/dz1": "wrong", "fc2.delta1": "carried"}
    assert "fc1.z1" in data["missing"] and data["allow_blank"] is False


def test_backprop_template_then_check(tmp_path):
    template = nncalc("backprop", SPEC, *MAZUR, "--template")
    assert template.returncode == 0 and "fc2.delta1: null" in template.stdout
    path = tmp_path / "blank.yaml"
    path.write_text(template.stdout)
    out = nncalc("check", SPEC, "-a", str(path), *MAZUR)
    assert out.returncode == 1 and "not all answered" in out.stdout  # an untouched template does not pass
    out = nncalc("check", SPEC, "-a", str(path), *MAZUR, "--allow-blank")
    assert out.returncode == 0


def test_a_spec_where_a_problem_is_expected_says_what_to_do(tmp_path):
    for args in (("check", SPEC, "-a", str(slip_file(tmp_path))), ("solve", SPEC)):
        out = nncalc(*args)
        assert out.returncode == 2 and "Traceback" not in out.stderr
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and "network spec, not a problem" in lines[0] and "--input" in lines[0]


def test_softmax_answers_right_missing_and_unusable(tmp_path):
    e = [math.exp(2.0), math.exp(1.0), math.exp(0.1)]  # written by hand without the max shift
    s = sum(e)
    right = "".join(f"e{i + 1}: {e[i]:.6f}\n" for i in range(3)) + f"sum_e: {s:.6f}\n" + \
        "".join(f"p{i + 1}: {e[i] / s:.6f}\n" for i in range(3))
    path = tmp_path / "softmax.yaml"
    path.write_text(right)
    out = nncalc("softmax", "2", "1", "0.1", "--no-shift", "--answers", str(path))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "7 of 7 right" in out.stdout
    path.write_text(right.replace(f"p3: {e[2] / s:.6f}\n", ""))
    out = nncalc("softmax", "2", "1", "0.1", "--no-shift", "--answers", str(path))
    assert out.returncode == 1 and "1 missing" in out.stdout and "p3" in out.stdout
    path.write_text("- just a list\n")
    out = nncalc("softmax", "2", "1", "0.1", "--answers", str(path))
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1


def test_batchnorm_answers_carry_the_learners_mean(tmp_path):
    path = tmp_path / "bn.yaml"
    path.write_text("mean: 5\nx_minus_mean: [-3, -1, 1, 3, 5]\n")  # mean of 2..10 is 6: one slip
    out = nncalc("batchnorm", "2", "4", "6", "8", "10", "--answers", str(path), "--json")
    assert out.returncode == 1 and statuses(out) == {"mean": "wrong", "x_minus_mean": "carried"}


def test_conv2d_answers(tmp_path):
    path = tmp_path / "conv.yaml"
    path.write_text("output_size: 1\nO11: 5\noutput: [[5]]\n")  # 1*1 + 2*0 + 3*0 + 4*1
    out = nncalc("conv2d", "--input", "1,2;3,4", "--kernel", "1,0;0,1", "--answers", str(path))
    assert out.returncode == 0 and "3 of 3 right" in out.stdout
    path.write_text("output_size: 1\nO11: 6\noutput: [[5]]\n")
    out = nncalc("conv2d", "--input", "1,2;3,4", "--kernel", "1,0;0,1", "--answers", str(path))
    assert out.returncode == 1 and "WRONG" in out.stdout


def test_network_options_with_a_problem_are_refused_in_one_line(tmp_path):
    out = nncalc("check", "networks/mazur", "-a", str(slip_file(tmp_path)), "--input", "1,2")
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "drop --input" in out.stderr


def test_perceptron_answers(tmp_path):
    path = tmp_path / "xor.yaml"  # row 2 = (0, 1): h2 = relu(0 + 1 - 1) = 0, but the bias is forgotten
    path.write_text("row2.fc1.z2: 1\nrow2.fc1.a2: 1\nrow2.fc2.z1: -1\nrow2.y: 0\n")  # y = relu(1 - 2*1)
    out = nncalc("perceptron", "xor", "--answers", str(path), "--json")
    assert out.returncode == 1
    assert list(statuses(out).values()) == ["wrong", "carried", "carried", "carried"]
