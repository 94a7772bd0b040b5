"""nncalc check's report as a rich table: quantity, your value, ours, the verdict and why."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from calc.render.fit import fit
from calc.render.verdicts import LABELS, missing_line, rows, summary_line, tolerance_line

STYLES = {"correct": "green", "rounded": "green", "carried": "yellow", "wrong": "bold red", "invalid": "magenta",
          "blank": "dim"}


def verdicts_renderable(report):
    table = Table(title=f"{report.title}  (answers: {report.answers_file})", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Quantity", overflow="fold", min_width=8)
    table.add_column("Yours", justify="right", overflow="fold")
    table.add_column("Ours", justify="right", overflow="fold")
    table.add_column("Verdict", no_wrap=True)
    found = rows(report, "\n", invalid_cap=20)
    why = any(reason for *_, reason in found)  # an empty Why column (all right) is left out
    if why:
        table.add_column("Why", ratio=1)  # wraps; fit() moves it under each row when it would be squeezed
    for quantity, mine, our, status, reason in found:
        sub = quantity.startswith("  ")
        table.add_row(Text(quantity, style="dim" if sub else "bold"), mine, our,
                      Text(LABELS[status], style=STYLES[status]), *([reason] if why else []))
    footer = Text(summary_line(report), style="bold green" if report.ok else "bold red")
    lines = [fit(table, below=4 if why else None), footer]
    if report.missing:
        lines.append(Text(missing_line(report), style="dim" if report.allow_blank else "red"))
    return Group(*lines, Text(tolerance_line(report.tolerance), style="dim"))
