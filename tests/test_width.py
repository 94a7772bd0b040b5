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


def _plain(renderable, width: int) -> str:
    from rich.console import Console

    console = Console(width=width, record=True, color_system=None)
    with console.capture() as captured:
        console.print(renderable)
    return captured.get()


def _numbers_table(columns: int):
    from rich.table import Table

    table = Table(title="T")
    table.add_column("row")
    for j in range(columns):
        table.add_column(f"col{j + 1}", justify="right")
    for i in range(3):
        table.add_row(f"r{i + 1}", *(f"{(i + 1) * 1000003 + j}" for j in range(columns)))
    return table


def test_a_table_that_fits_is_left_alone():
    from calc.render.fit import fit

    assert _plain(fit(_numbers_table(3)), 80) == _plain(_numbers_table(3), 80)


def test_a_wide_table_folds_into_parts_with_every_number_whole():
    from calc.render.fit import fit

    out = _plain(fit(_numbers_table(12)), 80)
    assert "\u2026" not in out and max(len(line) for line in out.splitlines()) <= 80
    for i in range(3):
        for j in range(12):
            assert str((i + 1) * 1000003 + j) in out  # each number shown once, whole
    assert out.count("r1") == out.count("row") > 1  # the row names repeat in every part


def test_every_command_has_a_case(cases):
    """A new command needs a case in tests/width_cases.py (and an entry in cli.COMMANDS)."""
    import cli

    assert set(cli.COMMANDS) <= {case[0] for case in cases}
