"""Step tables of worked solutions (Quantity | Formula / with numbers | Result) that fit the terminal.

The layout is decided at render time, for the width the console gives:
- a result too wide to leave the formula column MIN_WRAP characters (a matrix, a long vector)
  moves below its formula, as `= value`, instead of squeezing the formula column;
- when the names and results leave the formula column fewer than MIN_WRAP characters, the
  steps are stacked: the name (and a short result) on one line, the formula indented below.
Nothing is ever cut: long words fold.
"""

from __future__ import annotations

from fractions import Fraction
from numbers import Integral

from rich import box
from rich.table import Table as RichTable
from rich.text import Text

from calc.numfmt import fmt, fmt_exact, grouped, shown_exactly
from calc.render.fit import MIN_WRAP


def number_text(value, decimals: int) -> str:
    """fmt(), with thousands separators on whole numbers (counts): 105415200 -> 105,415,200."""
    if isinstance(value, bool):
        return fmt(value, decimals)
    if isinstance(value, Integral) or (isinstance(value, Fraction) and value.denominator == 1):
        return grouped(int(value))
    return fmt(value, decimals)


def result_text(result, decimals: int) -> str:
    shown = number_text(result, decimals)
    exact = fmt_exact(result)
    if exact and exact != shown and (not shown_exactly(result, decimals) or result.denominator <= 10):
        shown = f"{shown}\n(= {exact})"  # a fraction that says more than the decimal, or a simple one
    return shown


def step_cell(step) -> Text:
    cell = Text()
    if step.formula:
        cell.append(step.formula, style="cyan")
    if step.substituted:
        if step.formula:
            cell.append("\n")
        cell.append(("= " if step.formula else "") + step.substituted)
    if step.note:
        cell.append("\n" + step.note, style="dim italic")
    return cell


def _widest(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


class StepTable:
    """The steps of one section, laid out when the console width is known."""

    def __init__(self, title: str = "", decimals: int = 4) -> None:
        self.title = title
        self.decimals = decimals
        self.rows: list[tuple[str, Text, str]] = []

    def add(self, step) -> None:
        self.rows.append((step.label, step_cell(step), result_text(step.result, self.decimals)))

    def __rich_console__(self, console, options):
        width = options.max_width
        names = max((len(label) for label, _, _ in self.rows), default=0)
        room = max(16, width - names - 6 - MIN_WRAP)  # the widest result that leaves the formula MIN_WRAP
        rows = []
        for label, cell, result in self.rows:
            if _widest(result) > room:  # the value below the formula, the formula keeps its room
                cell = cell.copy()
                if cell.plain:
                    cell.append("\n")
                cell.append("= " + result.replace("\n", " "), style="green")
                result = ""
            rows.append((label, cell, result))
        names = max((len(r[0]) for r in rows), default=0)
        results = max([_widest(r[2]) for r in rows] + [len("Result")])
        if width - names - results - 6 >= MIN_WRAP:
            yield self._table(rows)
        else:
            yield from self._stacked(rows, width)

    def _table(self, rows):
        table = RichTable(box=box.SIMPLE_HEAD, pad_edge=False, expand=False)
        if self.title:
            table.title, table.title_style = self.title, "bold magenta"
        table.add_column("Quantity", style="bold", no_wrap=True)
        table.add_column("Formula / with numbers", ratio=1, overflow="fold")
        table.add_column("Result", justify="right", style="green", no_wrap=True)
        for label, cell, result in rows:
            table.add_row(label, cell, result)
        return table

    def _stacked(self, rows, width):
        if self.title:
            yield Text(self.title, style="bold magenta", justify="center")
        for label, cell, result in rows:
            line = Text(label, style="bold")
            short = result and "\n" not in result and len(label) + 2 + len(result) <= width
            if short:
                line.append(" " * (width - len(label) - len(result)) + result, style="green")
            yield line
            body = RichTable.grid(padding=(0, 0, 0, 4))
            body.add_column(overflow="fold")
            if cell.plain:
                body.add_row(cell)
            if result and not short:
                body.add_row(Text("= " + result.replace("\n", " "), style="green"))
            yield body
        yield Text("")
