"""Weights saved and loaded as .npz keyed ``layer.param`` (``fc1.weight``, ``bn1.running_mean``), in
the PyTorch layouts of the layers' param_shapes; every array is checked before it is set.
"""

from __future__ import annotations

from dataclasses import dataclass

from calc.engine.npy import check_arrays, npz_headers
from calc.engine.tables import checked_suffix
from calc.errors import MESSAGE_LIMIT, InputError, Where
from calc.shapes import fmt_shape


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


@dataclass(frozen=True)
class GivenWeights:
    """Arrays already read, keyed ``layer.param`` as in an .npz: a model file's own weights (an
    ONNX model's initialisers, calc/interchange/load.py), set as a --weights file's are."""

    file: str  # the model file, named where the run says where its weights came from
    arrays: dict


def load_weights(model, path) -> None:
    """Set every parameter and buffer from an .npz written by save_weights (or by hand, with the
    same names and PyTorch layouts), or from GivenWeights; missing, extra, misshaped or non-finite
    arrays are errors."""
    import numpy as np

    if isinstance(path, GivenWeights):
        _set_weights(model, path.arrays, Where(path.file))
        return
    checked_suffix(path, (".npz",), "--weights")
    where = Where(str(path))
    state = model.state()
    headers = npz_headers(path, where)
    for name, (shape, _) in headers.items():
        if name in state and tuple(shape) != tuple(state[name].shape):
            raise InputError(f"{name} has shape {fmt_shape(shape) or 'scalar'}, expected "
                             f"{fmt_shape(state[name].shape)} (PyTorch layout; dense weights: one row per neuron)", where)
    check_arrays(headers, where)
    try:
        with np.load(path, allow_pickle=False) as archive:
            given = {name: archive[name] for name in archive.files}
    except Exception as exc:  # noqa: BLE001 - zipfile/numpy errors of many kinds
        raise InputError(f"cannot read .npz: {str(exc)[:MESSAGE_LIMIT]}", where) from None
    _set_weights(model, given, where)


def _set_weights(model, given: dict, where: Where) -> None:
    """Every array of ``given`` checked against the model's state (names, shapes, finite), then set."""
    import numpy as np

    state = model.state()
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
