"""nncalc check on the recurrent and 1-D conv problems: a wrong value is found, what follows from it
is carried, and the slips these types know are named. Every learner value here is written by hand."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import cli as cli_module


def check(problem: str, answers: dict, tmp_path) -> dict:
    path = tmp_path / "answers.yaml"
    path.write_text("".join(f"{k}: {v}\n" for k, v in answers.items()))
    result = CliRunner().invoke(cli_module.app, ["check", problem, "-a", str(path), "--json"])
    assert result.exit_code in (0, 1), result.output
    return {v["name"]: v for v in json.loads(result.stdout)["verdicts"]}


def test_lstm_cell_without_the_forget_gate(tmp_path):
    """c = i * g = 0.69 * 0.8178 = 0.5642 (f * c_prev left out); tanh(0.5642) = 0.5111 and
    0.5866 * 0.5111 = 0.2998 follow from it."""
    gates = {"a_i": 0.8, "a_f": 0.7, "a_g": 1.15, "a_o": 0.35, "i": 0.69, "f": 0.6682, "g": 0.8178, "o": 0.5866}
    verdicts = check("recurrent/lstm-cell-step", gates | {"c": 0.5642, "tanh_c": 0.5111, "h": 0.2998}, tmp_path)
    assert all(verdicts[k]["status"] in ("correct", "rounded") for k in gates)
    assert verdicts["c"]["status"] == "wrong"
    assert verdicts["tanh_c"]["status"] == verdicts["h"]["status"] == "carried"


def test_bptt_without_tanh_derivative(tmp_path):
    """dL/da3 written as dL/dh3 (tanh' left out) is named as that other quantity; the steps below
    it, computed from it, are carried."""
    answers = {"a1": 0.6, "h1": 0.537, "a2": 0.0296, "h2": 0.0296, "a3": 1.1237, "h3": 0.8089, "loss": 0.0477,
               "dL/dh3": 0.3089, "dL/da3": 0.3089, "dL/dh2": 0.2471}
    verdicts = check("recurrent/rnn-bptt-3-steps", answers, tmp_path)
    assert verdicts["dL/da3"]["status"] == "wrong" and "dL/dh3" in verdicts["dL/da3"]["diagnosis"]
    assert verdicts["dL/dh2"]["status"] == "carried"  # 0.8 * 0.3089 = 0.2471


@pytest.mark.parametrize("answers,slip", [
    # kernel [1, 0, -1] flipped to [-1, 0, 1]: 0*(-1) + 3*0 + 1*1 + 0.5 = 1.5 ... 9*(-1) + 2*0 + 0*1 + 0.5
    ({"y1": 1.5, "y3": 8.5, "y4": -8.5}, "kernel flipped"),
    # ceil((7 + 2 - 2 - 1)/2) + 1 is 4 too: no slip to name there, so a length of 5 is plain wrong
    ({"output_size": 5}, ""),
])
def test_conv1d_slips(tmp_path, answers, slip):
    verdicts = check("cnn/conv1d-by-hand", answers, tmp_path)
    for name in answers:
        assert verdicts[name]["status"] == "wrong"
        assert slip in verdicts[name]["diagnosis"]
