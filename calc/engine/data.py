"""Training data: a table (CSV, or a YAML/JSON list of rows) of features and a label column.

The label is the LAST column unless ``label_column`` names another (a 0-based index, negative
from the end, or a header name). The other columns are the features, in order (a map input is
flattened row-major over H x W x C). What the label becomes depends on the network's output:

- one output unit (sigmoid, regression): the label itself is the target (0/1 or a value);
- K > 1 outputs (softmax): the label is a class index 0..K-1, turned into a one-hot row;
- a row with exactly K target columns after the features (and no label_column) is used as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from calc.engine.tables import cell_value, read_table, row_where
from calc.errors import InputError, Where
from calc.shapes import fmt_shape


@dataclass
class Dataset:
    x: object  # host array (N, *input_shape): float64, or Fractions for the exact backend
    t: object  # host array (N, *output_shape)
    classes: list | None  # class index per sample when labels were classes, else None
    target: str  # how the targets were read, for the conventions shown to the user
    source: str

    def __len__(self) -> int:
        return len(self.x)


def _label_index(label_column, header, width: int, where: Where) -> int:
    if label_column is None:
        return width - 1
    text = str(label_column).strip()
    try:
        index = int(text)
    except ValueError:
        if header is None:
            raise InputError(f"--label-column '{text}': the file has no header row to find the name in; "
                             "give a 0-based column index instead", where) from None
        if text not in header:
            raise InputError(f"--label-column '{text}': no such column; the header has {', '.join(header)}", where) from None
        return header.index(text)
    if not -width <= index < width:
        raise InputError(f"--label-column {index}: the rows have {width} columns (0..{width - 1}, or negative "
                         "from the end)", where)
    return index % width


def read_training_data(path: str, input_shape: tuple[int, ...], output_shape: tuple[int, ...],
                       exact: bool = False, label_column=None) -> Dataset:
    import numpy as np

    rows, lines, header = read_table(path)
    n_in, n_out = prod(input_shape), prod(output_shape)
    width = len(rows[0])
    where = Where(str(path))
    as_columns = label_column is None and n_out > 1 and width == n_in + n_out
    label = None if as_columns else _label_index(label_column, header, width, where)
    expected = n_in + (n_out if as_columns else 1)
    features, targets, classes = [], [], []
    for i, (row, line) in enumerate(zip(rows, lines)):
        at = row_where(path, line, i)
        if len(row) != expected:
            raise InputError(f"has {len(row)} values, expected {n_in} feature(s) (the network takes "
                             f"{fmt_shape(input_shape)}) + 1 label column"
                             + (f", or + {n_out} target columns" if n_out > 1 else ""), at)
        values = _row_values(row, at, exact)
        if as_columns:
            features.append(values[:n_in])
            targets.append(values[n_in:])
            continue
        y = values[label]
        features.append(np.delete(values, label) if not exact else values[:label] + values[label + 1:])
        if n_out == 1:
            targets.append([y])
        else:
            k = _class_index(y, n_out, at)
            classes.append(k)
            targets.append([1 if j == k else 0 for j in range(n_out)])
    dtype = object if exact else np.float64
    x = np.asarray(features, dtype=dtype).reshape(len(rows), *input_shape)
    t = np.asarray(targets, dtype=dtype).reshape(len(rows), *output_shape)
    name = (header[label] if header and label is not None else f"column {label}") if label is not None else ""
    if as_columns:
        target = f"targets: the last {n_out} columns of each row, as given"
    elif n_out == 1:
        target = f"targets: the label ({name}) as the value of the single output"
    else:
        target = f"targets: the label ({name}) is a class index 0..{n_out - 1}, one-hot encoded"
    return Dataset(x, t, classes or None, target, str(path))


def _row_values(row: list, at: Where, exact: bool):
    """A row's numbers: Fractions in a list (exact), else one float64 array converted by NumPy at
    once (calc.engine.tables), not a Python float per cell: 20,000 MNIST rows are 15.7 million cells."""
    if exact:
        return [cell_value(c, at.child(j), exact) for j, c in enumerate(row)]
    from calc.engine.tables import row_floats

    return row_floats([str(c) for c in row], at)


def _class_index(y, n_out: int, where: Where) -> int:
    if float(y) != int(float(y)) or not 0 <= int(float(y)) < n_out:
        raise InputError(f"label {float(y):g} is not a class index 0..{n_out - 1} (the network has {n_out} "
                         "outputs; give one label column of class numbers, or one column per output)", where)
    return int(float(y))
