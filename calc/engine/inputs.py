"""Network inputs: a batch read from a YAML/JSON list, a .npy array, a .csv of rows or inline
values. A file may hold one sample or a batch; a sample may be written in the network's shape
(H x W x C, or H x W for one channel) or flattened row-major over H x W x C (one CSV row per
sample). Every value must be a finite number; every error names the file and the row, line or
key, what is wrong and what was expected.
"""

from __future__ import annotations

import csv
from math import prod

from calc.engine.npy import check_arrays, npy_header
from calc.engine.tables import (
    TABLE_SUFFIXES,
    YAML_DATA_LIMIT,
    cell_value,
    checked_suffix,
    is_number,
    read_csv,
    row_floats,
    row_where,
)
from calc.errors import InputError, Where
from calc.shapes import fmt_shape

INPUT_SUFFIXES = (".npy",) + TABLE_SUFFIXES


def read_inputs(path: str, input_shape: tuple[int, ...], backend):
    """A batch (N, *input_shape) as a backend array, from .npy, .csv or a YAML/JSON list, or inline
    values as on every command line ('0.05,0.1', samples separated by ';': calc.numtext)."""
    from calc import numtext

    if numtext.is_inline(path):
        rows = numtext.rows(path, "--input")
        values = [cell_value(c, Where("--input"), backend.exact) for row in rows for c in row]
        batch_shape = fit_batch((len(rows), len(rows[0])), tuple(input_shape), Where("--input"))
        return _host_to_backend(values, batch_shape, backend)
    suffix = checked_suffix(path, INPUT_SUFFIXES, "--input")
    if suffix == ".npy":
        host = _read_npy(path)
        shape = tuple(host.shape)
        values = host.reshape(-1) if not backend.exact else host.reshape(-1).tolist()
    elif suffix == ".csv" and not backend.exact:
        values = _read_csv_floats(path, prod(input_shape), input_shape)
        shape = values.shape
        values = values.reshape(-1)
    elif suffix == ".csv":
        rows, lines, _ = read_csv(path)
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


def _read_npy(path: str):
    import numpy as np

    try:
        with open(path, "rb") as handle:  # calc.files.check_file ran in _suffix: a regular file
            header = npy_header(handle, "")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", Where(str(path))) from None
    except InputError as exc:
        raise InputError(exc.message, Where(str(path))) from None
    check_arrays({"the array": header}, Where(str(path)))
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
