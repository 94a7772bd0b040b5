"""What a new user tripped over, one test each (issue 10's walk-through as a student).

Expected values are worked out by hand here, never read from nncalc's output.
"""

from __future__ import annotations

import pytest

from calc.check import check
from calc.check.answers import answers_from_text
from calc.problems_io import bundled_problems, load_problem, solve_problem
from calc.render.template import answer_template


@pytest.mark.parametrize("name", ["softmax/softmax-worksheet", "perceptrons/and", "optimizers/adam",
                                  "networks/mazur-published-error"])
def test_template_fits_80_columns(name):
    """The template is printed to the terminal before it is edited: its comments wrap."""
    text = answer_template(solve_problem(load_problem(name)))
    assert all(len(line) <= 80 for line in text.splitlines()), text
    assert "--allow-blank" in text  # a null left in the file is blank, and blank fails


def test_every_bundled_template_fits_80_columns():
    long = [(n, line) for n in bundled_problems()
            for line in answer_template(solve_problem(load_problem(n))).splitlines() if len(line) > 80]
    assert not long


# momentum 0.9, lr 0.1 on f = w^2 from w0 = 1, PyTorch form b_t = 0.9 b_(t-1) + g_t, w_t = w_(t-1) - 0.1 b_t:
# g1 = 2, b1 = 2, w1 = 0.8; g2 = 1.6, b2 = 3.4, w2 = 0.46; g3 = 0.92, b3 = 3.98, w3 = 0.062.
MOMENTUM_RIGHT = "g1: 2\nb1: 2\nw1: 0.8\ng2: 1.6\nb2: 3.4\nw2: 0.46\ng3: 0.92\nb3: 3.98\nw3: 0.062\nf_final: 0.003844\n"


def _momentum(text: str, allow_blank: bool = False):
    return check(load_problem("optimizers/momentum"), answers_from_text(text, "mine.yaml"), allow_blank=allow_blank)


def test_momentum_steps_shown_by_solve_are_checkable_and_complete():
    """solve shows g1, b1, w1 ...: those names are answers, and answering every step answers
    the vectors w, g, b and w_final too (nothing reported missing)."""
    report = _momentum(MOMENTUM_RIGHT)
    assert {v.name: v.status for v in report.verdicts} == {k: "correct" for k in
                                                           ["g1", "b1", "w1", "g2", "b2", "w2", "g3", "b3", "w3",
                                                            "f_final"]}
    assert report.missing == [] and report.ok and report.exit_code == 0
    template = answer_template(solve_problem(load_problem("optimizers/momentum")))
    assert "g1: null" in template and "w3: null" in template


def test_momentum_slip_carried_through_later_steps():
    """w2 written 0.56 (ours 0.46): from it g3 = 2 * 0.56 = 1.12, b3 = 0.9 * 3.4 + 1.12 = 4.18,
    w3 = 0.56 - 0.1 * 4.18 = 0.142 and f = 0.142^2 = 0.020164 all follow: carried, not wrong."""
    text = MOMENTUM_RIGHT.replace("w2: 0.46", "w2: 0.56").replace("g3: 0.92", "g3: 1.12") \
        .replace("b3: 3.98", "b3: 4.18").replace("w3: 0.062", "w3: 0.142").replace("f_final: 0.003844", "f_final: 0.020164")
    status = {v.name: v.status for v in _momentum(text).verdicts}
    assert status["w2"] == "wrong"
    assert [status[k] for k in ("g3", "b3", "w3", "f_final")] == ["carried"] * 4


def test_template_names_the_label_solve_shows():
    """solve shows 'variance / n' where the answer is var_biased: the template says so."""
    text = answer_template(solve_problem(load_problem("batchnorm/z-4-8-6-10")))
    assert "var_biased: null  # variance / n" in text.splitlines()
    assert "mean: null" in text.splitlines()  # the label is the name: no comment


def test_template_without_steps_has_no_dangling_heading():
    """sigmoid-derivative has only the vectors f and df/dz: no 'more answers ... above' heading."""
    text = answer_template(solve_problem(load_problem("activations/sigmoid-derivative")))
    assert "above" not in text and "\n\n\n" not in text
    assert "f: null" in text and "df/dz: null" in text


def _render(report) -> str:
    from rich.console import Console

    from calc.render.verdicts_rich import verdicts_renderable

    console = Console(width=80, record=True, color_system=None, file=open("/dev/null", "w"))
    console.print(verdicts_renderable(report))
    return console.export_text()


def test_blank_verdict_is_called_blank_and_an_all_right_table_has_no_why_column():
    """A null answer is 'blank' in its row as in the summary and --allow-blank; a table where every
    answer is right has no empty Why column. Max pool 2x2/2 of [[1,1,2,4],[5,6,7,8],[3,2,1,0],[1,2,3,4]]
    is [[6, 8], [3, 4]]."""
    problem = load_problem("cnn/max-pool-slice")
    right = check(problem, answers_from_text("pool_output: [[6, 8], [3, 4]]\n", "mine.yaml"), allow_blank=True)
    assert right.ok and "Why" not in _render(right)
    blank = check(problem, answers_from_text("pool_output: [[6, 8], [3, 4]]\nP11:\n", "mine.yaml"))
    row = next(line for line in _render(blank).splitlines() if line.strip().startswith("P11"))
    assert row.split()[-1] == "blank" and not blank.ok and blank.exit_code == 1


def _nncalc(*args: str, cwd=None):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1", "TERM": "dumb", "PYTHONPATH": str(root)}
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env,
                          cwd=cwd or root)


def test_direct_answers_take_allow_blank(tmp_path):
    """softmax(2, 1, 0.1): p1 = e^2 / (e^2 + e + e^0.1) = 7.389 / 11.212 = 0.659, so 0.66 is right to
    2 decimals; the other answers are missing: exit 1, and 0 with --allow-blank as nncalc check."""
    mine = tmp_path / "mine.yaml"
    mine.write_text("p1: 0.66\n")
    assert _nncalc("softmax", "2", "1", "0.1", "--answers", str(mine)).returncode == 1
    out = _nncalc("softmax", "2", "1", "0.1", "--answers", str(mine), "--allow-blank")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "blank and missing allowed" in out.stdout


@pytest.mark.parametrize("command", ["softmax", "loss", "perceptron", "backprop", "graph", "batchnorm", "activation",
                                     "optimizer", "ewma", "init", "dropout", "conv2d", "pool", "conv-backward"])
def test_every_command_with_answers_offers_allow_blank(command):
    text = _nncalc(command, "--help").stdout
    assert "--answers" in text and "--allow-blank" in text
    assert "\n  --template " in text  # its --answers help says '--template prints a blank one'


def test_direct_command_template_lists_what_answers_takes(tmp_path):
    """softmax 2 1 0.1 --template: the names that --answers accepts, and a filled-in copy checks."""
    out = _nncalc("softmax", "2", "1", "0.1", "--template")
    assert out.returncode == 0 and "p1: null" in out.stdout and "sum_e: null" in out.stdout
    # stable: e^(z - 2) = 1, e^-1 = 0.367879, e^-1.9 = 0.149569; sum 1.517448
    mine = tmp_path / "mine.yaml"
    mine.write_text(out.stdout.replace("max_z: null", "max_z: 2").replace("e1: null", "e1: 1")
                    .replace("e2: null", "e2: 0.368").replace("e3: null", "e3: 0.150")
                    .replace("sum_e: null", "sum_e: 1.517").replace("p1: null", "p1: 0.659")
                    .replace("p2: null", "p2: 0.242").replace("p3: null", "p3: 0.099"))
    checked = _nncalc("softmax", "2", "1", "0.1", "--answers", str(mine))
    assert checked.returncode == 0, checked.stdout


@pytest.mark.parametrize("text", ["22x", "x22", "2,,3", ""])
def test_a_size_with_an_empty_part_is_refused(text):
    """'22x' used to be read as 22: a typo must not pass as a number."""
    out = _nncalc("size", "conv", "--input", text, "--kernel", "3")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip() == f"nncalc: error: --input: expected integers such as 5 or 5x5, got '{text}'"


def test_unknown_network_is_one_short_line():
    out = _nncalc("summary", "lenet")
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1 and len(out.stderr.strip()) <= 120
    assert "did you mean 'lenet5'?" in out.stderr and "nncalc zoo" in out.stderr


@pytest.mark.parametrize("name", ["cnn", "softmax/"])
def test_a_topic_is_not_a_problem(name):
    """'nncalc solve cnn' names a topic: say so and name one of its problems (softmax used to get
    'did you mean relu-softmax?', a network exercise)."""
    from calc.errors import SpecError
    from calc.problems_io import find_problem

    with pytest.raises(SpecError, match=r"is a topic of \d+ problems.*such as (cnn|softmax)/"):
        find_problem(name)


@pytest.mark.parametrize("args,message", [
    (["check", "softmax/softmax-worksheet", "--answers", ""], "--answers: expected a file name, got ''"),
    (["softmax", "1", "2", "--answers", ""], "--answers: expected a file name, got ''"),
    # neither given: 'not both' was wrong
    (["optimizer", "sgd"], "give either the gradients (--grads) or a function (--function)"),
    (["dropout", "1,2,3", "--mask", "1,0"], "mask: expected 3 values of 0 (dropped) or 1 (kept), got 1, 0"),
    (["batchnorm", "1,2,3", "--eps", "-1"], "eps: expected a number >= 0, got -1"),  # not '(-1)'
])
def test_wrong_inputs_read_plainly(args, message):
    out = _nncalc(*args)
    assert out.returncode == 2 and out.stderr.strip() == f"nncalc: error: {message}"


def test_unknown_initialiser_lists_the_canonical_names_only():
    out = _nncalc("init", "hee", "--fan-in", "3")
    assert out.returncode == 2 and "xavier_uniform" not in out.stderr and "he_normal" in out.stderr
    assert len(out.stderr.strip()) < 200


def test_sigmoid_derivative_follows_the_learners_rounded_a():
    """One sigmoid neuron w = (2, -3), b = -3 at x = (-1, -2): z = 1, a = sigmoid(1) = 0.7311.
    A learner who rounds a to 0.73 and then writes a(1 - a) = 0.73 * 0.27 = 0.1971 has the method
    right: carried, not 'wrong, no known slip' (the derivative used to be ours, from 0.7311)."""
    from nncalc_cli.answers import spec_problem

    problem = spec_problem("examples/one-neuron.yaml", "-1,-2", "1", "mse", None, None, 1, False, "original")
    text = "fc1.z1: 1\nfc1.a1: 0.73\nfc1.da1/dz1: 0.1971\nfc1.delta1: -0.106434\n"  # delta = 2(0.73 - 1) * 0.1971
    status = {v.name: v.status for v in check(problem, answers_from_text(text, "mine.yaml"), allow_blank=True).verdicts}
    assert status == {"fc1.z1": "correct", "fc1.a1": "rounded", "fc1.da1/dz1": "carried", "fc1.delta1": "carried"}


def test_short_a_is_answers_on_direct_commands_too():
    """docs/vocabulary.md: -a is --answers; it was so on check only."""
    out = _nncalc("softmax", "2", "1", "0.1", "-a", "examples/answers/softmax.yaml", "--allow-blank")
    assert out.returncode == 0 and "3 of 3 right" in out.stdout


def test_a_decimal_comma_says_so():
    from calc.check.answers import ItemError, written

    with pytest.raises(ItemError, match=r"a decimal point, not a comma: 7\.39"):
        written("7,39")
    assert written("62,378,344").value == 62378344  # grouped thousands stay numbers


@pytest.mark.parametrize("args,message", [
    # an empty --lr was taken as no --lr, and the solution printed without its SGD step
    (["backprop", "examples/one-neuron.yaml", "--input", "-1,-2", "--target", "1", "--lr", ""],
     "--lr: expected a number such as 0.5, -2 or 1/3, got ''"),
    # an empty --markdown was taken as no --markdown, and the solution printed instead
    (["solve", "softmax/softmax-worksheet", "--markdown", ""], "--markdown: expected a file name, or '-' to print, got ''"),
    (["summary", "lenet5", "--markdown", ""], "--markdown: expected a file name, or '-' to print, got ''"),
    (["check", "softmax/cs231n-scores", "-a", "examples/handwritten/cs231n-scores.yaml", "--markdown", ""],
     "--markdown: expected a file name, or '-' to print, got ''"),
])
def test_an_empty_option_value_is_an_error(args, message):
    out = _nncalc(*args)
    assert out.returncode == 2 and out.stdout == "" and out.stderr.strip() == f"nncalc: error: {message}"


def test_one_byte_is_singular():
    from calc.memory import fmt_bytes

    assert (fmt_bytes(1), fmt_bytes(2), fmt_bytes(0)) == ("1 byte", "2 bytes", "0 bytes")


def test_problems_lists_one_topic():
    """'nncalc problems softmax': the softmax topic only (its 4 bundled files), and a typo is one line."""
    from calc.problems_io import bundled_problems

    out = _nncalc("problems", "softmax", "--json")
    import json

    names = [row["name"] for row in json.loads(out.stdout)]
    assert names == sorted(n for n in bundled_problems() if n.startswith("softmax/")) and len(names) == 4
    typo = _nncalc("problems", "sofmax")
    assert typo.returncode == 2 and "did you mean 'softmax'?" in typo.stderr and len(typo.stderr.splitlines()) == 1


def test_template_and_answers_together_are_refused(tmp_path):
    """--template wrote a blank file and --answers checked one: which wins was silent."""
    from typer.testing import CliRunner

    import cli

    answers = tmp_path / "a.yaml"
    answers.write_text("p1: 0.5\n", encoding="utf-8")
    result = CliRunner().invoke(cli.app, ["softmax", "1", "2", "--template", "--answers", str(answers)])
    assert result.exit_code != 0 and "--template and --answers: choose one" in str(result.exception or result.output)
