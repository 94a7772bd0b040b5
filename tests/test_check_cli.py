"""`nncalc check` from the command line: exit codes 0/1/2, --json, --markdown, tolerance options,
and bad input as one line (never a traceback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RIGHT = "examples/handwritten/cs231n-scores.yaml"  # right: every verdict is correct/rounded/carried
WRONG = "examples/handwritten/softmax-worksheet.yaml"


def nncalc(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env, cwd=ROOT)


def test_exit_0_when_everything_is_right():
    out = nncalc("check", "softmax/cs231n-scores", "--answers", RIGHT, "--allow-blank")
    assert out.returncode == 0, out.stderr
    assert "6 of 7 right; 1 carried from earlier answers; 8 missing; blank and missing allowed" in out.stdout
    out = nncalc("check", "softmax/cs231n-scores", "--answers", RIGHT)  # the loss etc. not answered
    assert out.returncode == 1 and "8 missing; not all answered" in out.stdout and "loss.1" in out.stdout


def test_exit_1_when_something_is_wrong():
    out = nncalc("check", "softmax/softmax-worksheet", "-a", WRONG)
    assert out.returncode == 1
    assert "WRONG" in out.stdout and "truncated" in out.stdout and "2 wrong" in out.stdout


@pytest.mark.parametrize("text,message", [
    (None, "no such file"),
    ("p1: [0.1\n", "YAML syntax error"),
    ("- 0.66\n", "expected a mapping"),
    ("", "empty"),
])
def test_exit_2_for_an_unusable_answers_file(tmp_path, text, message):
    path = tmp_path / "mine.yaml"
    if text is not None:
        path.write_text(text)
    out = nncalc("check", "softmax/softmax-worksheet", "--answers", str(path))
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert str(path) in out.stderr


def test_exit_2_for_an_unknown_problem_or_option_value(tmp_path):
    out = nncalc("check", "softmax/no-such-problem", "--answers", RIGHT)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    out = nncalc("check", "softmax/cs231n-scores", "--answers", RIGHT, "--rel", "abc")
    assert out.returncode == 2 and "--rel" in out.stderr


def test_bad_items_exit_1_and_name_their_line(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("p1: 0.66\np7: 0.2\np2: lots\n")
    out = nncalc("check", "softmax/softmax-worksheet", "--answers", str(path))
    assert out.returncode == 1 and "Traceback" not in out.stdout + out.stderr
    assert "line 2: no quantity named 'p7'" in out.stdout and "line 3: expected a number" in out.stdout


def test_json_document():
    out = nncalc("check", "softmax/softmax-worksheet", "-a", WRONG, "--json")
    assert out.returncode == 1
    data = json.loads(out.stdout)
    assert data["ok"] is False and data["exit_code"] == 1
    assert data["summary"]["wrong"] == 2 and data["summary"]["carried"] == 1 and data["summary"]["right"] == 4
    by = {v["name"]: v for v in data["verdicts"]}
    assert by["sum_e"]["status"] == "carried" and by["sum_e"]["upstream"] == ["e1", "e2", "e3"]
    assert by["p1"]["written"] == "0.65" and by["p1"]["yours"] == 0.65 and abs(by["p1"]["ours"] - 0.65900114) < 1e-8
    assert "truncated" in by["p1"]["diagnosis"] and by["p1"]["line"] == 11


def test_json_elements_of_a_matrix():
    out = nncalc("check", "softmax/softmax-jacobian", "-a", "examples/handwritten/softmax-jacobian.yaml",
                 "--json")
    jac = next(v for v in json.loads(out.stdout)["verdicts"] if v["name"] == "jacobian")
    assert [e["index"] for e in jac["elements"]][:2] == [[1, 1], [1, 2]]
    assert jac["elements"][6]["status"] == "wrong" and "sign" in jac["elements"][6]["diagnosis"]


def test_markdown_to_a_file_and_to_stdout(tmp_path):
    target = tmp_path / "report.md"
    out = nncalc("check", "softmax/softmax-worksheet", "-a", WRONG, "--markdown", str(target))
    # as every command: the file, one line on stderr, nothing on stdout (the report is in the file)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr == f"wrote {target} (Markdown, {target.read_text().count(chr(10))} lines)\n"
    text = target.read_text()
    assert text.startswith("# Check: ") and "| `sum_e` | 11.22 |" in text and "**4 of 7 right" in text
    out = nncalc("check", "softmax/cs231n-scores", "-a", RIGHT, "--markdown", "-", "--allow-blank")
    assert out.returncode == 0 and out.stdout.startswith("# Check: ") and "Verdict" in out.stdout
    out = nncalc("check", "softmax/cs231n-scores", "-a", RIGHT, "--markdown", "-", "--json")
    assert out.returncode == 2 and out.stdout == "" and "--markdown - and --json" in out.stderr


def test_decimals_and_tolerance_options():
    out = nncalc("check", "softmax/softmax-worksheet", "-a", WRONG, "--rel", "0.02", "--json")
    assert json.loads(out.stdout)["summary"]["wrong"] == 1  # 0.65 is within 2% of 0.6590; 0.91 is still wrong
    out = nncalc("check", "softmax/cs231n-scores", "-a", RIGHT, "--decimals", "3", "--json")
    data = json.loads(out.stdout)
    assert data["tolerance"]["decimals"] == 3 and data["exit_code"] == 1  # 2 decimals written, 3 asked


def test_template_lists_the_names_check_accepts():
    out = nncalc("solve", "softmax/softmax-jacobian", "--template")
    assert out.returncode == 0 and "jacobian: null" in out.stdout and "p1: null" in out.stdout
