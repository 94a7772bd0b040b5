"""Table readers that network inputs (calc.engine.inputs) and training data (calc.engine.data)
share: a CSV of rows (a first row that is not all numbers is the header) or a YAML/JSON list of
rows, and the checks on one cell. Every error names the file and the row or line.
"""

from __future__ import annotations

import csv
from pathlib import Path

from calc.errors import InputError, Where, short

TABLE_SUFFIXES = (".csv", ".yaml", ".yml", ".json")
YAML_DATA_LIMIT = 64 << 20  # YAML/JSON data parse in Python: beyond this, use .csv or .npy


def checked_suffix(path: str, allowed: tuple[str, ...], what: str) -> str:
    """The lower-case suffix of a file named on the command line, after checking it is one of
    ``allowed`` and a regular file of bounded size (no FIFO, no /dev/zero)."""
    suffix = Path(path).suffix.lower()
    if suffix not in allowed:
        raise InputError(f"{what}: expected a file ending in {', '.join(allowed)}, got '{Path(path).name}'",
                         Where(str(path)))
    from calc.files import DATA_LIMIT, check_file

    check_file(path, DATA_LIMIT)  # a regular file (no FIFO, no /dev/zero) of bounded size
    return suffix


def is_number(text) -> bool:
    """A number as a cell may hold it ('0.5', '-2', '1/3'); NaN/inf count too, to be rejected later."""
    from calc.exact import to_fraction

    try:
        to_fraction(text)
    except InputError:
        return str(text).strip().lower().lstrip("+-") in ("nan", "inf", "infinity")
    return True


def read_table(path: str) -> tuple[list[list], list[int], list[str] | None]:
    """(rows of cells, the line of each row, the header names or None) from a CSV file (a first
    row that is not all numbers is the header) or a YAML/JSON list of rows."""
    suffix = checked_suffix(path, TABLE_SUFFIXES, "data file")
    if suffix == ".csv":
        return read_csv(path)
    from calc.spec.yamlio import LocList, load_yaml_file

    doc = load_yaml_file(path, YAML_DATA_LIMIT)
    if not isinstance(doc, list) or not doc:
        raise InputError("expected a non-empty list of rows (one list of numbers per sample)", Where(str(path)))
    lines = [doc.line_of(i) if isinstance(doc, LocList) else None for i in range(len(doc))]
    rows = [row if isinstance(row, list) else [row] for row in doc]
    return rows, lines, None


class CsvRows:
    """The data rows of a CSV text (cells stripped; blank rows and the header left out), parsed
    again on every pass instead of held as cells: 20,000 MNIST rows are 15.7 million cell strings,
    about 1 GB, where the text is 110 MB. ``lines``: the row number of each, ``header`` or None."""

    def __init__(self, text: str, path: str):
        self.text, self.path = text, path
        self.header, self.lines = None, []
        for line, cells in self._scan():
            if not self.lines and self.header is None and not all(is_number(c) for c in cells):
                self.header = cells
                continue
            self.lines.append(line)
        if not self.lines:
            raise InputError("the file has a header but no data rows" if self.header else "the file has no rows",
                             Where(str(path)))

    def _scan(self):
        import io as _io

        try:
            for i, row in enumerate(csv.reader(_io.StringIO(self.text, newline=""))):
                cells = [c.strip() for c in row]
                if any(cells):
                    yield i + 1, cells
        except csv.Error as exc:
            raise InputError(f"cannot read CSV: {exc}", Where(str(self.path))) from None

    def __iter__(self):
        rows = self._scan()
        if self.header is not None:
            next(rows)
        return (cells for _, cells in rows)

    def __len__(self) -> int:
        return len(self.lines)

    def __getitem__(self, index: int) -> list[str]:
        if index != 0:
            raise IndexError("CsvRows gives its first row by index; iterate for the others")
        return next(iter(self))


def read_csv(path: str):
    from calc.files import DATA_LIMIT, read_text

    rows = CsvRows(read_text(path, DATA_LIMIT), path)
    return rows, rows.lines, rows.header


def cell_value(cell, where: Where, exact: bool):
    """A finite number from a cell (text kept exact for the exact backend: '0.1' -> 1/10)."""
    from calc.exact import to_fraction

    if isinstance(cell, bool) or cell is None or isinstance(cell, (list, dict)):
        raise InputError(f"expected a number, got {short(cell)}", where)
    try:
        value = to_fraction(cell, "value")
    except InputError as exc:
        message = exc.message.replace("value: ", "")
        suffix = " (NaN/inf and text are not allowed)" if message.startswith("expected") else ""
        raise InputError(message + suffix, where) from None
    if exact:
        return value
    from calc.exact import to_float

    try:
        return to_float(value)
    except InputError as exc:
        raise InputError(exc.message.replace("value: ", ""), where) from None


def row_where(path: str, line, index: int) -> Where:
    return Where(str(path), line, f"row {index + 1}")


def row_floats(cells: list[str], where: Where):
    """One CSV row as float64, converted at once by NumPy when it can; otherwise cell by cell
    through cell_value, for the exact message."""
    import numpy as np

    if not any("_" in c for c in cells):  # float() reads '1_000'; the exact parser decides on those
        try:
            row = np.array(cells, dtype=np.float64)
        except ValueError:
            row = None
        if row is not None and np.isfinite(row).all():
            return row
    return np.array([cell_value(c, where.child(j), False) for j, c in enumerate(cells)], dtype=np.float64)
