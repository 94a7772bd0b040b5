""".npy and .npz headers, read before any data: a small file may claim a huge shape, and a member
of an .npz may decompress to gigabytes. Network inputs (calc.engine.inputs) and weights
(calc.engine.weights) both check them here before loading.
"""

from __future__ import annotations

from math import prod
from pathlib import Path

from calc.errors import MESSAGE_LIMIT, InputError, Where, short
from calc.shapes import fmt_shape


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


def check_arrays(shapes: dict, where: Where) -> None:
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
