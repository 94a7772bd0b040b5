"""Rich terminal output: summary tables and step-by-step solutions."""

from __future__ import annotations

import re

from rich import box
from rich.console import Group
from rich.panel import Panel
from rich.table import Table as RichTable
from rich.text import Text

from calc.numfmt import DEFAULT_DECIMALS, fmt, fmt_exact, grouped, human, shown_exactly, size_bytes
from calc.shapes import compact_shape, fmt_shape

_LIST_ITEM = re.compile(r"^\s*([-*\u2022]|\d+[.)])\s")


def reflow(text: str) -> str:
    """Join hard-wrapped lines of a YAML block into paragraphs; keep blank lines and list items."""
    out: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            out.append("")
        elif out and out[-1] and not _LIST_ITEM.match(line):
            out[-1] = f"{out[-1]} {line.strip()}"
        else:
            out.append(line.rstrip())
    return "\n".join(out)


def _bullets(title: str, lines: list[str], style: str):
    """A titled list with hanging indents, so wrapped lines stay readable."""
    grid = RichTable.grid(padding=(0, 1))
    grid.add_column(width=3, justify="right")
    grid.add_column(ratio=1)
    for line in lines:
        grid.add_row(Text("-", style=style), Text(line, style=style))
    return Group(Text(title, style=f"bold {style}"), grid)


def summary_renderable(summary, show_config: bool | None = None, width: int | None = None):
    """The per-layer table with totals, conventions and warnings below it.

    The config column is shown when asked, or by default when the terminal is wide enough.
    """
    if show_config is None:
        show_config = (width or 80) >= 110
    extras_shown = bool(summary.options.include)
    table = RichTable(title=f"{summary.name}  (input {fmt_shape(summary.input_shape)})",
                      box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Layer", no_wrap=True)
    table.add_column("Type", no_wrap=True)
    if show_config:
        table.add_column("Config", no_wrap=True)
    table.add_column("Output", justify="right", no_wrap=True)
    table.add_column("Params", justify="right", no_wrap=True)
    table.add_column("MACs" + (" (+extra)" if extras_shown else ""), justify="right", no_wrap=True)
    for row in summary.rows:
        style = "dim" if row.container else None
        name = "  " * row.depth + row.name
        params = grouped(row.params) if row.params else ("-" if not row.container else "")
        macs = grouped(row.counted_macs) if row.counted_macs else ("-" if not row.container else "")
        cells = [name, row.type] + ([row.config] if show_config else []) + [
            compact_shape(row.output_shape), params, macs]
        table.add_row(*cells, style=style)
    totals = Text()
    totals.append(f"Total params:          {grouped(summary.total_params):>15}  ({human(summary.total_params)})\n", style="bold")
    totals.append(f"Trainable params:      {grouped(summary.trainable_params):>15}\n")
    totals.append(f"Non-trainable params:  {grouped(summary.non_trainable_params):>15}\n")
    if not summary.options.keras:
        totals.append(f"Buffers (BN mean/var): {grouped(summary.buffers):>15}\n")
    totals.append(f"MACs:                  {grouped(summary.total_macs):>15}  ({human(summary.total_macs)}MAC)\n", style="bold")
    totals.append(f"FLOPs (2 x MACs):      {grouped(summary.flops):>15}  ({human(summary.flops)}FLOP)\n")
    totals.append(f"Memory (float32): input {size_bytes(summary.input_bytes)}, activations "
                  f"{size_bytes(summary.activation_bytes)}, params {size_bytes(summary.param_bytes)}", style="dim")
    parts = [table, totals, Text(""), _bullets("Conventions", summary.conventions, "cyan")]
    if summary.warnings:
        parts.append(_bullets("Warnings", summary.warnings, "yellow"))
    return Group(*parts)


def _steps_table() -> RichTable:
    table = RichTable(box=box.SIMPLE_HEAD, pad_edge=False, expand=False)
    table.add_column("Quantity", style="bold", no_wrap=True)
    table.add_column("Formula / with numbers", ratio=1)
    table.add_column("Result", justify="right", style="green", no_wrap=True)
    return table


def _step_cell(step) -> Text:
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


def solution_renderable(solution, decimals: int = DEFAULT_DECIMALS):
    """A solution: conventions first, then step tables (one per section), tables, findings."""
    from calc.steps.step import Table

    parts = [Text(solution.title, style="bold underline")]
    if solution.question:
        parts.append(Text(reflow(solution.question) + (f"\n(source: {solution.source})" if solution.source else ""),
                          style="italic"))
    if solution.conventions:
        parts.append(_bullets("Conventions", solution.conventions, "cyan"))
    steps, section = None, None
    for step in solution.steps:
        if isinstance(step, Table):
            if steps is not None:
                parts.append(steps)
                steps = None
            parts.append(table_renderable(step, decimals))
            continue
        if steps is None or (step.section and step.section != section):
            if steps is not None:
                parts.append(steps)
            steps = _steps_table()
            if step.section:
                steps.title = step.section
                steps.title_style = "bold magenta"
            section = step.section
        result = fmt(step.result, decimals)
        exact = fmt_exact(step.result)
        if exact and exact != result and (not shown_exactly(step.result, decimals) or step.result.denominator <= 10):
            result = f"{result}\n(= {exact})"  # a fraction that says more than the decimal, or a simple one
        steps.add_row(step.label, _step_cell(step), result)
    if steps is not None:
        parts.append(steps)
    if solution.findings:
        parts.append(_bullets("Findings", solution.findings, "yellow"))
    if solution.summary:
        parts.append(Panel(Text(solution.summary, style="bold green"), expand=False))
    if solution.notes:
        parts.append(Group(Text("Notes on this exercise", style="bold"), Text(reflow(solution.notes), style="dim")))
    return Group(*parts)


def table_renderable(table, decimals: int = DEFAULT_DECIMALS):
    if hasattr(table, "matrices"):  # calc.steps.grid.Grid: matrices as aligned grids
        from calc.render.grid import grid_renderable

        return grid_renderable(table, decimals)
    out = RichTable(title=table.title, box=box.SIMPLE_HEAD, pad_edge=False)
    for col in table.columns:  # Text: no markup, so "E[y_i]" stays as written
        out.add_column(Text(str(col)), justify="right")
    for row in table.rows:
        out.add_row(*(Text(fmt(v, decimals)) for v in row))
    if table.note:
        out.caption = table.note
    return out


MIN_COLUMNS, MAX_COLUMNS, DEFAULT_COLUMNS = 20, 1000, 80


def _columns_from_env() -> int | None:
    """COLUMNS when it is a usable width; 80 when it is set but absurd (0 printed nothing at all,
    a million makes every table a megabyte); None when unset (rich asks the terminal)."""
    import os

    text = os.environ.get("COLUMNS")
    if text is None:
        return None
    try:
        value = int(text.strip())
    except ValueError:
        return DEFAULT_COLUMNS
    return value if MIN_COLUMNS <= value <= MAX_COLUMNS else DEFAULT_COLUMNS


def make_console(width: int | None = None, stderr: bool = False):
    from rich.console import Console

    width = width if width is not None else _columns_from_env()
    # markup/emoji off: names and text from specs ("fc[/]", ":x:") are shown as written, never parsed
    return Console(width=width, stderr=stderr, highlight=False, soft_wrap=False, markup=False, emoji=False)


def problems_renderable(rows):
    """The bundled problems, one table per topic: the name to pass to 'nncalc solve' and the title."""
    parts, topic, table = [], None, None
    for r in rows:
        if r["topic"] != topic:
            topic = r["topic"]
            table = RichTable(title=topic or "other", title_justify="left", title_style="bold magenta",
                              box=box.SIMPLE_HEAD, pad_edge=False, show_header=False)
            table.add_column("name", no_wrap=True, style="bold")
            table.add_column("title", ratio=1)
            parts.append(table)
        table.add_row(r["name"], r["title"])
    parts.append(Text("Solve one with: nncalc solve NAME  (--markdown FILE, --json, --template)", style="dim"))
    return Group(*parts)


def zoo_renderable(rows: list[dict], width: int = 80) -> RichTable:
    """The bundled networks with their totals; the rounded MACs and descriptions when wide."""
    wide = width >= 130
    table = RichTable(title="Bundled networks: nncalc summary NAME", box=box.SIMPLE_HEAD, pad_edge=False,
                      padding=(0, 1))
    columns = ["name", "input", "params", "MACs"] + (["", "description"] if wide else []) + ["published"]
    for col in columns:
        table.add_column(col, justify="left" if col in ("name", "published", "description") else "right",
                         no_wrap=col != "description")
    for r in rows:
        cells = [r["name"], "x".join(map(str, r["input_shape"])), grouped(r["total_params"]),
                 grouped(r["total_macs"])]
        if wide:
            cells += [human(r["total_macs"]), r["description"]]
        table.add_row(*cells, r["matches"])
    return table
