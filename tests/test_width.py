"""Every command form renders readably at 80 columns (and at 100 and 120): issue 9.

No line wider than the terminal, no cell cut to '…', no trailing spaces, counts with thousands
separators. The command forms are listed in tests/width_cases.py (every bundled problem, every
zoo network, the listings, size and direct commands); each is run in-process.
"""

from __future__ import annotations

import re

import pytest

from tests.width_cases import DIRECT, TEN_CLASSES, all_cases, problems_in, render

WIDE = [["zoo"], ["layers"], ["summary", "googlenet", "--config"], ["solve", "cnn/cnn-forward-backward"],
        ["softmax", "3.2", "5.1", "0.7", "1.2", "4.4", "2.5", "0.1", "--jacobian"]]


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    return all_cases(tmp_path_factory.mktemp("width"))


def test_every_command_form_fits_80_columns(cases):
    broken = {}
    for case in cases:
        code, out = render(case, 80)
        found = problems_in(out, 80) + ([f"exit {code}"] if code not in (0, 1) else [])
        if found:
            broken[" ".join(case)] = found[:3]
    assert not broken, broken
    assert len(cases) > len(DIRECT) + 60  # every problem and network took part


@pytest.mark.parametrize("width", [100, 120])
def test_wider_terminals(width, cases):
    picked = WIDE + [c for c in cases if c[0] == "run"]
    broken = {" ".join(c): problems_in(out, width) for c in picked for code, out in [render(c, width)]}
    assert not any(broken.values()), broken


def test_the_rules_catch_what_they_should():
    """The checker itself: each rule fires on a line that breaks it, and only there."""
    assert problems_in("x" * 81, 80) and not problems_in("x" * 80, 80)
    assert problems_in("0.1\u2026", 80)
    assert problems_in("layer  ", 80)
    assert problems_in("conv1   conv   34944", 80) and not problems_in("conv1   conv   34,944", 80)
    assert not problems_in("fc1   dense   25088 -> 4096", 80)  # a dimension in a config, not a count


def test_ten_class_outputs_are_whole_at_80(tmp_path):
    """`run` of a 10-class network used to show '0.1…': every probability is shown whole."""
    spec, inputs = tmp_path / "ten.yaml", tmp_path / "in.yaml"
    spec.write_text(TEN_CLASSES)
    inputs.write_text("[[1, 2, 3, 4]]\n")
    code, out = render(["run", str(spec), "--input", str(inputs), "--seed", "1"], 80)
    assert code == 0
    values = re.findall(r"\d\.\d+", out.split("Conventions")[0])
    assert len(values) == 10 and abs(sum(float(v) for v in values) - 1) < 1e-3  # softmax sums to 1


def test_piped_output_has_no_trailing_spaces():
    code, out = render(["summary", "resnet18"], 80)
    assert code == 0 and all(line == line.rstrip() for line in out.splitlines())
