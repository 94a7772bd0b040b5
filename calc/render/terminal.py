"""Rich terminal output: summary tables and step-by-step solutions."""

from __future__ import annotations

import re

from rich import box
from rich.console import Group
from rich.panel import Panel
from rich.table import Table as RichTable
from rich.text import Text

from calc.numfmt import DEFAULT_DECIMALS, grouped, human, size_bytes
from calc.render.console import make_console  # noqa: F401  (re-exported)
from calc.render.fit import fit
from calc.render.steps import StepTable, number_text
from calc.render.summary_table import SummaryTable
from calc.render.wording import summary_warnings

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
    table = SummaryTable(summary, show_config)
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
    warnings = summary_warnings(summary)
    if warnings:
        parts.append(_bullets("Warnings", warnings, "yellow"))
    return Group(*parts)


def solution_renderable(solution, decimals: int = DEFAULT_DECIMALS):
    """A solution: conventions first, then step tables (one per section), tables, findings."""
    from calc.solve.step import Table

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
            steps = StepTable(step.section, decimals)
            section = step.section
        steps.add(step)
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
    if hasattr(table, "matrices"):  # calc.solve.grid.Grid: matrices as aligned grids
        from calc.render.grid import grid_renderable

        return grid_renderable(table, decimals)
    out = RichTable(title=table.title, box=box.SIMPLE_HEAD, pad_edge=False)
    for col in table.columns:  # Text: no markup, so "E[y_i]" stays as written
        out.add_column(Text(str(col)), justify="right")
    for row in table.rows:
        out.add_row(*(Text(number_text(v, decimals)) for v in row))
    if table.note:
        out.caption = table.note
    return fit(out)


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
            parts.append(fit(table))
        table.add_row(r["name"], r["title"])
    parts.append(Text("Solve one with: nncalc solve NAME  (--markdown FILE, --json, --template)", style="dim"))
    return Group(*parts)


def zoo_renderable(rows: list[dict], width: int = 80):
    """The bundled networks with their totals; the rounded MACs and descriptions when wide."""
    from calc.render.wording import zoo_published_text

    wide = width >= 130
    notes = "\n".join(f"{r['name']}: {r['notes']}" for r in rows if r.get("notes"))
    table = RichTable(title="Bundled networks: nncalc summary NAME", box=box.SIMPLE_HEAD, pad_edge=False,
                      padding=(0, 0, 0, 1), show_edge=False, caption=notes or None,
                      caption_justify="left")  # 2-space gaps, no edge: 80 columns
    columns = ["name", "input", "params", "MACs"] + (["", "description"] if wide else []) + ["published"]
    for col in columns:
        table.add_column(col, justify="left" if col in ("name", "published", "description") else "right",
                         no_wrap=col != "description")
    for r in rows:
        cells = [r["name"], "x".join(map(str, r["input_shape"])), grouped(r["total_params"]),
                 grouped(r["total_macs"])]
        if wide:
            cells += [human(r["total_macs"]), r["description"]]
        table.add_row(*cells, zoo_published_text(r["published"]))
    return fit(table)


def layers_renderable(rows: list[dict]):
    """The layer types a spec can use: name, then what it takes (wrapped with a hanging indent)."""
    grid = RichTable.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, style="bold")
    grid.add_column(ratio=1, overflow="fold")
    for r in rows:
        alias = f" (also {', '.join(r['aliases'])})" if r["aliases"] else ""
        grid.add_row(r["name"], r["summary"] + alias)
    return grid
