"""Files the engine reads and writes: network inputs, weights (.npz) and the table readers that
training data (calc.engine.data) shares.

Inputs come as a YAML/JSON list, a .npy array or a .csv of rows. A file may hold one sample or a
batch; a sample may be written in the network's shape (H x W x C, or H x W for one channel) or
flattened row-major over H x W x C (one CSV row per sample). Every value must be a finite number;
every error names the file and the row, line or key, what is wrong and what was expected.
Weights are saved as .npz keyed ``layer.param`` (``fc1.weight``, ``bn1.running_mean``), in the
PyTorch layouts of the layers' param_shapes.
"""

from __future__ import annotations

import csv
from math import prod
from pathlib import Path

from calc.errors import MESSAGE_LIMIT, InputError, Where, short
from calc.shapes import fmt_shape

TABLE_SUFFIXES = (".csv", ".yaml", ".yml", ".json")
YAML_DATA_LIMIT = 64 << 20  # YAML/JSON data parse in Python: beyond this, use .csv or .npy
INPUT_SUFFIXES = (".npy",) + TABLE_SUFFIXES


def _suffix(path: str, allowed: tuple[str, ...], what: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in allowed:
        raise InputError(f"{what}: expected a file ending in {', '.join(allowed)}, got '{Path(path).name}'",
                         Where(str(path)))
    from calc.files import DATA_LIMIT, check_file

    check_file(path, DATA_LIMIT)  # a regular file (no FIFO, no /dev/zero) of bounded size
    return suffix


# -- tables: CSV rows or a YAML/JSON list ----------------------------------------------------------
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
    suffix = _suffix(path, TABLE_SUFFIXES, "data file")
    if suffix == ".csv":
        return _read_csv(path)
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


def _read_csv(path: str):
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


# -- network inputs --------------------------------------------------------------------------
def read_inputs(path: str, input_shape: tuple[int, ...], backend):
    """A batch (N, *input_shape) as a backend array, from .npy, .csv or a YAML/JSON list, or inline
    values as on every command line ('0.05,0.1', samples separated by ';': calc.numtext)."""
    from calc import numtext

    if numtext.is_inline(path):
        rows = numtext.rows(path, "--input")
        values = [cell_value(c, Where("--input"), backend.exact) for row in rows for c in row]
        batch_shape = fit_batch((len(rows), len(rows[0])), tuple(input_shape), Where("--input"))
        return _host_to_backend(values, batch_shape, backend)
    suffix = _suffix(path, INPUT_SUFFIXES, "--input")
    if suffix == ".npy":
        host = _read_npy(path)
        shape = tuple(host.shape)
        values = host.reshape(-1) if not backend.exact else host.reshape(-1).tolist()
    elif suffix == ".csv" and not backend.exact:
        values = _read_csv_floats(path, prod(input_shape), input_shape)
        shape = values.shape
        values = values.reshape(-1)
    elif suffix == ".csv":
        rows, lines, _ = _read_csv(path)
        width = prod(input_shape)
        values = []
        for i, (row, line) in enumerate(zip(rows, lines)):
            if len(row) != width:
                raise InputError(f"has {len(row)} values, expected {width} (one flattened sample of "
                                 f"{fmt_shape(input_shape)}, row-major over H x W x C)", row_where(path, line, i))
            values.extend(cell_value(c, row_where(path, line, i).child(j), backend.exact) for j, c in enumerate(row))
        shape = (len(rows), width)
    else:
        values, shape = _read_nested(path, backend.exact)
    batch_shape = fit_batch(shape, tuple(input_shape), Where(str(path)))
    return _host_to_backend(values, batch_shape, backend)


def npy_header(handle, name: str) -> tuple[tuple[int, ...], object]:
    """(shape, dtype) from the header of an .npy stream, read before any data (a small file may
    claim a huge shape; a member of an .npz may decompress to gigabytes)."""
    from numpy.lib import format as npformat

    try:
        version = npformat.read_magic(handle)
        reader = {(1, 0): npformat.read_array_header_1_0, (2, 0): npformat.read_array_header_2_0}[version]
        shape, _, dtype = reader(handle)
    except Exception as exc:  # noqa: BLE001 - a damaged header raises many kinds
        raise InputError(f"cannot read .npy{' ' + name if name else ''}: {str(exc)[:MESSAGE_LIMIT]}") from None
    return tuple(int(n) for n in shape), dtype


def _check_npy(shapes: dict, where: Where) -> None:
    """Refuse arrays of anything but numbers, and arrays (as float64) past the memory limit."""
    from calc import memory

    total = 0
    for name, (shape, dtype) in shapes.items():
        if dtype.kind not in "iuf" or dtype.hasobject:
            raise InputError(f"{name}: expected an array of numbers, got {dtype} of shape {fmt_shape(shape)}", where)
        total += prod(shape) * max(8, dtype.itemsize)
    try:
        memory.check(total, f"the arrays in {Path(str(where.file)).name}")
    except InputError as exc:
        raise InputError(exc.message, where) from None


def _read_csv_floats(path: str, width: int, input_shape):
    """A (N, width) float64 array from a CSV of flattened samples, row by row: each row is
    converted at once by NumPy (the same correctly rounded doubles as float(Fraction(text))); a
    row it cannot take, or one with NaN/inf, goes through cell_value for the exact message.
    Never a list of every cell as Python objects (20,000 MNIST rows: 15.7 million of them)."""
    import io as _io

    import numpy as np

    from calc.files import DATA_LIMIT, read_text

    reader = csv.reader(_io.StringIO(read_text(path, DATA_LIMIT), newline=""))
    out, first = [], True
    try:
        for number, row in enumerate(reader, start=1):
            cells = [c.strip() for c in row]
            if not any(cells):
                continue
            if first:
                first = False
                if not all(is_number(c) for c in cells):
                    continue  # the header
            where = row_where(path, number, len(out))
            if len(cells) != width:
                raise InputError(f"has {len(cells)} values, expected {width} (one flattened sample of "
                                 f"{fmt_shape(input_shape)}, row-major over H x W x C)", where)
            out.append(row_floats(cells, where))
    except csv.Error as exc:
        raise InputError(f"cannot read CSV: {exc}", Where(str(path))) from None
    if not out:
        raise InputError("the file has no rows" if first else "the file has a header but no data rows",
                         Where(str(path)))
    return np.stack(out)


def row_floats(cells: list[str], where: Where):
    import numpy as np

    if not any("_" in c for c in cells):  # float() reads '1_000'; the exact parser decides on those
        try:
            row = np.array(cells, dtype=np.float64)
        except ValueError:
            row = None
        if row is not None and np.isfinite(row).all():
            return row
    return np.array([cell_value(c, where.child(j), False) for j, c in enumerate(cells)], dtype=np.float64)


def _read_npy(path: str):
    import numpy as np

    try:
        with open(path, "rb") as handle:  # calc.files.check_file ran in _suffix: a regular file
            header = npy_header(handle, "")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", Where(str(path))) from None
    except InputError as exc:
        raise InputError(exc.message, Where(str(path))) from None
    _check_npy({"the array": header}, Where(str(path)))
    try:
        host = np.load(path, allow_pickle=False)
    except Exception as exc:  # noqa: BLE001 - numpy raises many kinds for a bad file
        raise InputError(f"cannot read .npy: {exc}", Where(str(path))) from None
    if host.dtype.kind not in "iuf" or host.ndim == 0:
        raise InputError(f"expected an array of numbers, got {host.dtype} of shape {host.shape}", Where(str(path)))
    bad = np.argwhere(~np.isfinite(host.astype(np.float64)))
    if len(bad):
        index = tuple(int(v) for v in bad[0])
        raise InputError(f"value at {list(index)} is {host[index]}: inputs must be finite numbers", Where(str(path)))
    return host.astype(np.float64)


def _read_nested(path: str, exact: bool):
    from calc.errors import SpecError
    from calc.spec.values import flat, nested_shape
    from calc.spec.yamlio import load_yaml_file

    doc = load_yaml_file(path, YAML_DATA_LIMIT)
    where = Where(str(path), getattr(doc, "line", None))
    if not isinstance(doc, list):
        raise InputError("expected a list: one sample, or a list of samples", where)
    try:
        shape = nested_shape(doc, where, "inputs")
    except SpecError as exc:
        raise InputError(exc.message, _first_bad_row(doc, path)) from None
    return [cell_value(v, where, exact) for v in flat(doc)], shape


def _first_bad_row(doc, path: str) -> Where:
    """The line of the first row that is ragged or holds something other than a finite number."""
    from calc.errors import SpecError
    from calc.spec.values import nested_shape

    shapes = []
    for i, row in enumerate(doc):
        where = Where(str(path), doc.line_of(i) if hasattr(doc, "line_of") else None, f"row {i + 1}")
        try:
            shapes.append(nested_shape(row, where, "inputs"))
        except SpecError:
            return where
        if shapes[-1] != shapes[0]:
            return where
    return Where(str(path))


def fit_batch(shape: tuple[int, ...], want: tuple[int, ...], where: Where) -> tuple[int, ...]:
    """The (N, *want) a file's array shape stands for: one sample or a batch, in the network's
    shape, flattened (row-major over H x W x C), or H x W for a one-channel map."""
    if 0 in tuple(shape):  # NumPy would reshape, multiply and average nothing, or fail inside a layer
        raise InputError(f"inputs have shape {' x '.join(map(str, shape))}: no samples (at least one is needed)", where)
    size = prod(want)
    if tuple(shape) == want:
        return (1, *want)
    if len(shape) >= 1 and tuple(shape[1:]) == want:
        return (shape[0], *want)
    if tuple(shape) == (size,):
        return (1, *want)
    if len(shape) == 2 and shape[1] == size:
        return (shape[0], *want)
    if len(want) == 3 and want[2] == 1:
        if tuple(shape) == want[:2]:
            return (1, *want)
        if len(shape) == 3 and tuple(shape[1:]) == want[:2]:
            return (shape[0], *want)
    raise InputError(f"inputs have shape {fmt_shape(shape) or 'scalar'}, but the network takes "
                     f"{fmt_shape(want)} per sample: give one sample, N x {fmt_shape(want)}, or N rows of "
                     f"{size} values (flattened H x W x C)", where)


def _host_to_backend(values: list, shape: tuple[int, ...], backend):
    import numpy as np

    if not backend.exact and isinstance(values, np.ndarray):  # an .npy: no list of Python floats
        return backend.asarray(values.reshape(shape))
    host = np.empty(len(values), dtype=object if backend.exact else np.float64)
    host[:] = values
    return backend.asarray(host.reshape(shape))


# -- weights ---------------------------------------------------------------------------------
def npz_headers(path: str, where: Where) -> dict:
    """name -> (shape, dtype) of every array in an .npz, from the headers inside the zip."""
    import zipfile

    out = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
                with archive.open(info) as member:
                    out[name] = npy_header(member, f"member {short(name)} of the .npz")
    except InputError as exc:
        raise InputError(exc.message, where) from None
    except (OSError, zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise InputError(f"cannot read .npz: {str(exc)[:MESSAGE_LIMIT]}", where) from None
    return out



def save_weights(model, path: str) -> str:
    """Every parameter and buffer as float64 arrays in an .npz keyed ``layer.param``."""
    import numpy as np

    target = str(path) if str(path).endswith(".npz") else f"{path}.npz"
    arrays = {name: np.asarray(model.backend.to_numpy(v), dtype=np.float64) for name, v in model.state().items()}
    try:
        np.savez(target, **arrays)
    except OSError as exc:
        raise InputError(f"cannot write weights: {exc.strerror}", Where(target)) from None
    return target


def load_weights(model, path: str) -> None:
    """Set every parameter and buffer from an .npz written by save_weights (or by hand, with the
    same names and PyTorch layouts); missing, extra, misshaped or non-finite arrays are errors."""
    import numpy as np

    _suffix(path, (".npz",), "--weights")
    where = Where(str(path))
    state = model.state()
    headers = npz_headers(path, where)
    for name, (shape, _) in headers.items():
        if name in state and tuple(shape) != tuple(state[name].shape):
            raise InputError(f"{name} has shape {fmt_shape(shape) or 'scalar'}, expected "
                             f"{fmt_shape(state[name].shape)} (PyTorch layout; dense weights: one row per neuron)", where)
    _check_npy(headers, where)
    try:
        with np.load(path, allow_pickle=False) as archive:
            given = {name: archive[name] for name in archive.files}
    except Exception as exc:  # noqa: BLE001 - zipfile/numpy errors of many kinds
        raise InputError(f"cannot read .npz: {str(exc)[:MESSAGE_LIMIT]}", where) from None
    missing = [k for k in state if k not in given]
    extra = [k for k in given if k not in state]
    if missing or extra:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + \
                ([f"unexpected {', '.join(extra)}"] if extra else [])
        raise InputError(f"{'; '.join(parts)} (the network {model.network.name} has {', '.join(state)})", where)
    values = {}
    for name, current in state.items():
        arr = given[name]
        if tuple(arr.shape) != tuple(current.shape):
            raise InputError(f"{name} has shape {fmt_shape(arr.shape) or 'scalar'}, expected "
                             f"{fmt_shape(current.shape)} (PyTorch layout; dense weights: one row per neuron)", where)
        if arr.dtype.kind not in "iuf" or not np.isfinite(arr).all():
            raise InputError(f"{name}: weights must be finite numbers", where)
        values[name] = model.backend.asarray(arr.astype(np.float64))
    model.set_state(values)
