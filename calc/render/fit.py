"""Tables that fit the terminal: a table too wide for it is folded, never cut.

Rich squeezes a table wider than the console by wrapping its columns down to one word and
then cutting cells with an ellipsis. nncalc never shows a cut number or a cropped header:
when the columns that cannot wrap (numbers, names), the longest words of short texts and a
readable width for long texts (MIN_WRAP characters) exceed the console, the table folds: a named
column moves under each row, or the columns are shown in parts (the first column repeated, as
wide arrays are printed), or, as a last resort, the rows are stacked, one block per row (the first
cell as its heading, then `header: value` lines that wrap).
"""

from __future__ import annotations

MIN_WRAP = 30  # a wrapping column narrower than this reads one word per line


def _column_widths(table, console, options) -> list[tuple[int, int, int]]:
    """(floor, natural, padding) per column: floor is the narrowest readable width (the whole of a
    cell that cannot wrap, the longest word of a short text, MIN_WRAP for a long one)."""
    found = []
    for column in table.columns:
        shortest, widest = table._measure_column(console, options, column)
        padding = table._get_padding_width(column._index)
        if shortest == widest or column.no_wrap:  # nothing to wrap: say so, or rich shrinks the widest
            column.no_wrap, shortest = True, widest  # column below its longest word and cuts it
        if not column.no_wrap and widest - padding > MIN_WRAP:
            shortest = max(shortest, MIN_WRAP + padding)
        found.append((shortest, widest, padding))
    return found


def needed_width(table, console, options) -> int:
    """The narrowest width at which every cell shows whole and long texts stay readable."""
    return table._extra_width + sum(floor for floor, _, _ in _column_widths(table, console, options))


def _shrink(floors: list[int], widths: list[int], room: int) -> list[int] | None:
    """Narrow the widest columns one character at a time, never below their floor, until they fit `room`."""
    widths = list(widths)
    if sum(floors) > room:
        return None
    excess = sum(widths) - room
    while excess > 0:
        i = max((j for j, floor in enumerate(floors) if widths[j] > floor), key=lambda j: widths[j])
        widths[i] -= 1
        excess -= 1
    return widths


def _narrowed(table, console, options):
    """The table itself if it fits, else with the wrapping columns narrowed (widest first, never below
    their floor), or None when even the floors do not fit."""
    columns = _column_widths(table, console, options)
    widths = _shrink([f for f, _, _ in columns], [n for _, n, _ in columns], options.max_width - table._extra_width)
    if widths is None:
        return None
    for column, width, (_, natural, padding) in zip(table.columns, widths, columns):
        if width < natural:
            column.width = width - padding
    return table


def _subtable(table, indices: list[int], first: bool):
    """A copy of `table` with only the columns at `indices` (the title on the first part only)."""
    from rich.table import Table

    out = Table(title=table.title if first else None, box=table.box,
                pad_edge=table.pad_edge, padding=table.padding, show_header=table.show_header,
                show_edge=table.show_edge, title_style=table.title_style, title_justify=table.title_justify)
    for i in indices:
        c = table.columns[i]
        out.add_column(c.header, justify=c.justify, style=c.style, no_wrap=c.no_wrap, overflow=c.overflow)
    for r, row in enumerate(table.rows):
        out.add_row(*(table.columns[i]._cells[r] for i in indices), style=row.style)
    return out


def _in_parts(table, console, options):
    """The columns in parts that each fit, the first (the row's name) repeated in every part, the way
    wide numeric arrays are printed; None when the name and one other column do not fit."""
    parts, current = [], [0]
    for i in range(1, len(table.columns)):
        if needed_width(_subtable(table, current + [i], False), console, options) <= options.max_width:
            current.append(i)
        elif len(current) > 1:
            parts.append(current)
            current = [0, i]
        else:
            return None
    parts.append(current)
    if len(parts) == 1 or needed_width(_subtable(table, current, False), console, options) > options.max_width:
        return None
    from rich.text import Text

    tables = [_narrowed(_subtable(table, p, k == 0), console, options) for k, p in enumerate(parts)]
    return tables + ([Text(" " + str(table.caption), style="dim")] if table.caption else [])


def _text_sizes(cells) -> tuple[int, int]:
    """(widest line, longest word) of some cells as shown."""
    from rich.cells import cell_len

    lines = [line for cell in cells for line in str(getattr(cell, "plain", cell)).splitlines()]
    return (max((cell_len(line) for line in lines), default=0),
            max((cell_len(word) for line in lines for word in line.split()), default=0))


def _below(table, index: int, console, options):
    """The rows without column `index`, each followed by that column's text on full-width lines
    (indented); None when the other columns do not fit either."""
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    keep = [c for i, c in enumerate(table.columns) if i != index]
    gap = 3  # as a SIMPLE_HEAD table: padding, separator, padding
    sizes = [_text_sizes(list(c._cells) + [c.header]) for c in keep]
    floors = [natural if c.no_wrap else word for c, (natural, word) in zip(keep, sizes)]
    widths = _shrink(floors, [n for n, _ in sizes], options.max_width - 1 - gap * (len(keep) - 1))
    if widths is None:
        return None

    def grid(cells, style=None):
        out = Table.grid(padding=(0, 0, 0, gap), pad_edge=False)
        for i, (column, width) in enumerate(zip(keep, widths)):  # a grid column's width includes its padding
            out.add_column(width=width + (gap if i else 0), justify=column.justify, style=column.style,
                           overflow="fold")
        out.add_row(*cells, style=style)
        return Padding(out, (0, 0, 0, 1))

    parts = []
    if table.title:
        parts += [Text(str(table.title), style=table.title_style or "bold", justify="center"), Text("")]
    if table.show_header:
        parts += [grid([c.header for c in keep], "bold"), Text(" " + "\u2500" * (sum(widths) + gap * (len(widths) - 1)))]
    for r, row in enumerate(table.rows):
        parts.append(grid([c._cells[r] for c in keep], row.style))
        extra = table.columns[index]._cells[r]
        if str(getattr(extra, "plain", extra)).strip():
            parts.append(Padding(extra if isinstance(extra, Text) else Text(str(extra)), (0, 0, 0, 5)))
    return parts


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

    def __init__(self, table, fallback=None, below: int | None = None) -> None:
        self.table, self.fallback, self.below = table, fallback, below

    def __rich_console__(self, console, options):
        for table in (self.table, self.fallback):
            fitted = table is not None and _narrowed(table, console, options)
            if fitted:
                yield fitted
                return
        folded = self.below is not None and _below(self.table, self.below, console, options)
        folded = folded or _in_parts(self.fallback if self.fallback is not None else self.table, console, options)
        if folded:
            yield from folded
            return
        yield stacked(self.fallback if self.fallback is not None else self.table)


def fit(table, fallback=None, below: int | None = None) -> Fitted:
    """`table` if it fits, else `fallback` (another table of the same data) if that fits, else with
    column `below` moved under each row, else its columns in parts that fit, else stacked."""
    return Fitted(table, fallback, below)
