"""The per-layer table of `nncalc summary` as aligned text, without rich's per-cell measuring.

A 10,000-layer network's table has 60,000 cells; rich's Table measures and wraps every one
(about 0.4 ms per row). These cells are short, single-line and never wrap, so their widths are
simply their lengths. Each row is one line; when the optional Config column would push the table
past the console width, the config moves to an indented line under its row instead of being cut.
"""

from __future__ import annotations

from calc.numfmt import grouped
from calc.shapes import compact_shape, fmt_shape

GAP = "   "


def _output(shape) -> str:
    if shape and len(shape) == 2 and max(shape) >= 10_000:  # a sequence of a 32,000-token vocabulary
        return "x".join(grouped(n) for n in shape)
    return grouped(shape[0]) if shape and len(shape) == 1 else compact_shape(shape)


def summary_cells(summary, show_config: bool) -> tuple[list[str], list[list[str]]]:
    """Header and cell texts of every row (containers keep blank counts, leaves '-' for zero)."""
    extras = " (+extra)" if summary.options.include else ""
    header = ["Layer", "Type"] + (["Config"] if show_config else []) + ["Output", "Params", "MACs" + extras]
    rows = []
    for row in summary.rows:
        blank = "" if row.container else "-"
        rows.append(["  " * row.depth + row.name, row.type] + ([row.config or ""] if show_config else []) + [
            _output(row.output_shape), grouped(row.params) if row.params else blank,
            grouped(row.counted_macs) if row.counted_macs else blank])
    return header, rows


def _line(cells: list[str], widths: list[int], right: set[int]) -> str:
    return GAP.join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()


def summary_lines(summary, show_config: bool, width: int) -> tuple[list[str], list[bool]]:
    """The table's lines (title, header, rule, rows) and which of them are container rows."""
    header, rows = summary_cells(summary, show_config)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    config_at = 2 if show_config else None
    fold = config_at is not None and sum(widths) + len(GAP) * (len(widths) - 1) > width
    if fold:  # the config goes under its row, indented to the Type column
        widths.pop(config_at)
        header.pop(config_at)
    right = set(range(len(header) - 3, len(header)))
    total = sum(widths) + len(GAP) * (len(widths) - 1)
    lines = [f"{summary.name}  (input {fmt_shape(summary.input_shape)})".center(total + 2).rstrip(), "",
             _line(header, widths, right), "\u2500" * total]
    containers = [False] * len(lines)
    indent = " " * (widths[0] + len(GAP))
    for source, cells in zip(summary.rows, rows):
        config = cells.pop(config_at) if fold else None
        lines.append(_line(cells, widths, right))
        containers.append(source.container)
        if config:
            lines.append(f"{indent}{config}")
            containers.append(source.container)
    return lines, containers


class SummaryTable:
    """Rendered at the console's width; styles per line (dim containers, bold header) when in colour."""

    def __init__(self, summary, show_config: bool) -> None:
        self.summary, self.show_config = summary, show_config

    def __rich_console__(self, console, options):
        from rich.segment import Segment
        from rich.style import Style

        lines, containers = summary_lines(self.summary, self.show_config, options.max_width - 1)
        dim, bold, plain = Style(dim=True), Style(bold=True), Style()
        for n, (line, container) in enumerate(zip(lines, containers)):
            style = bold if n in (0, 2) else dim if container else plain
            yield Segment(" " + line if line and n else line, style)  # the title is centred over the edges
            yield Segment.line()
        yield Segment.line()
