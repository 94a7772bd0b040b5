"""Tables that fit the terminal: a table too wide for it is folded, never cut.

Rich squeezes a table wider than the console by wrapping its columns down to one word and
then cutting cells with an ellipsis. nncalc never shows a cut number or a cropped header:
when the columns that cannot wrap (numbers, names) plus a readable width for the columns
that can (at least MIN_WRAP characters) exceed the console, the table is shown stacked, one
block per row (the first cell as its heading, then `header: value` lines that wrap).
"""

from __future__ import annotations

MIN_WRAP = 30  # a wrapping column narrower than this reads one word per line


def _text_width(cell) -> tuple[int, int]:
    """(widest line, widest word) of a cell as shown."""
    from rich.text import Text

    plain = cell.plain if isinstance(cell, Text) else str(cell)
    lines = plain.splitlines() or [""]
    widest = max(len(line) for line in lines)
    word = max((len(w) for line in lines for w in line.split()), default=0)
    return widest, word


def needed_width(table) -> int:
    """The narrowest width at which every cell shows whole and wrapped text stays readable."""
    total = 0
    left, right = table.padding[3], table.padding[1]
    for column in table.columns:
        cells = list(column._cells) + ([column.header] if table.show_header else [])
        sizes = [_text_width(c) for c in cells] or [(0, 0)]
        widest = max(s[0] for s in sizes)
        if column.no_wrap:
            total += widest
        else:
            total += max(min(widest, MIN_WRAP), max(s[1] for s in sizes))
        total += left + right
    if not table.pad_edge and table.columns:
        total -= left + right
    edges = 2 if table.box is not None and table.show_edge else 0
    return total + edges + max(len(table.columns) - 1, 0) * (1 if table.box else 0)


def stacked(table):
    """One block per row: the first cell as a heading, the others as `header: value` lines."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    columns = table.columns
    headers = [Text(str(c.header)) if not isinstance(c.header, Text) else c.header for c in columns]
    label_width = max((len(h.plain) for h in headers[1:]), default=0)
    parts = []
    if table.title:
        parts.append(Text(str(table.title), style=table.title_style or "bold"))
    rows = len(columns[0]._cells) if columns else 0
    for r in range(rows):
        cells = [c._cells[r] for c in columns]
        head = cells[0] if isinstance(cells[0], Text) else Text(str(cells[0]))
        block = Table.grid(padding=(0, 1))
        block.add_column(width=label_width + 3, justify="right", no_wrap=True)
        block.add_column(ratio=1, overflow="fold")
        for header, cell in zip(headers[1:], cells[1:]):
            shown = cell if isinstance(cell, Text) else Text(str(cell))
            if shown.plain.strip():
                block.add_row(Text(header.plain + ":", style="dim"), shown)
        parts.append(Group(Text(head.plain.strip() or "-", style="bold"), block))
    if table.caption:
        parts.append(Text(str(table.caption), style="dim"))
    return Group(*parts)


class Fitted:
    """A table decided at render time: itself when it fits the width it is given, else folded."""

    def __init__(self, table, fallback=None) -> None:
        self.table, self.fallback = table, fallback

    def __rich_console__(self, console, options):
        if needed_width(self.table) <= options.max_width:
            yield self.table
        elif self.fallback is not None and needed_width(self.fallback) <= options.max_width:
            yield self.fallback
        else:
            yield stacked(self.fallback if self.fallback is not None else self.table)


def fit(table, fallback=None) -> Fitted:
    """`table` if it fits, else `fallback` (another table of the same data) if that fits, else stacked."""
    return Fitted(table, fallback)
