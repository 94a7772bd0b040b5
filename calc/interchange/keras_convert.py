"""A Keras config (.json, or a .keras archive) as a spec, with the archive's weights when h5py
can read them: what `nncalc convert` writes and what every command that takes a SPEC loads.

The spec keeps the Keras layer names; it is counted once more from the written text, with
Keras' conventions (batch-norm moving statistics are non-trainable parameters), so that
`nncalc summary SPEC --keras` gives what `nncalc summary model.json` gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from calc.errors import InputError, Where
from calc.interchange.onnx_convert import Converted, _refuse_same, _write


@dataclass
class KerasConverted(Converted):
    """What convert wrote from a Keras model, and the line on its weights and counting."""

    note: str = ""

    def lines(self) -> list[str]:
        out = super().lines()
        out.append(f"counted as Keras counts: nncalc summary {self.spec_path} --keras")
        return out + ([self.note] if self.note else [])


@dataclass
class KerasModel:
    """A Keras model read: its network, the spec text, the layer entries, the weights keyed
    'entry.param' ({} when none were read) and the line saying why none were."""

    network: object
    text: str
    entries: int
    arrays: dict
    note: str = ""


def keras_model(path: str, with_weights: bool = True) -> KerasModel:
    """The network of a Keras config with, from a .keras archive, its weights (h5py permitting)."""
    from calc.interchange.keras_map import map_keras
    from calc.interchange.keras_weights import keras_arrays, read_variables
    from calc.interchange.onnx_map import spec_text
    from calc.network import network_from_text

    mapped = map_keras(path)
    text = spec_text(mapped, Path(path).name)
    network = network_from_text(text, str(path))
    if not with_weights:
        return KerasModel(network, text, len(mapped.entries), {})
    variables, note = read_variables(path)
    arrays, note = keras_arrays(mapped.layers, variables) if variables is not None else ({}, note)
    if arrays:
        _check_fit(network, arrays, path)
    return KerasModel(network, text, len(mapped.entries), arrays, note)


def _check_fit(network, arrays: dict, path: str) -> None:
    """Every parameter and buffer has its array, in its shape, and nothing else is there: checked on
    the shapes alone (nothing allocated), so a mapping slip is one line here, not a wrong number."""
    expected = {f"{layer.name}.{key}": tuple(shape) for layer in network.leaves()
                for key, shape in {**layer.param_shapes(), **layer.buffer_shapes()}.items()}
    got = {name: tuple(array.shape) for name, array in arrays.items()}
    if expected != got:
        wrong = sorted(set(expected.items()) ^ set(got.items()))[:4]
        raise InputError(f"the model's weights do not fit the converted layers: {wrong}", Where(str(path)))


def convert_keras(source: str, spec_path: str, weights_path: str | None, with_weights: bool = True):
    """Write the spec of a Keras config (and the .keras archive's weights as an .npz)."""
    import numpy as np

    from calc.counting.stats import CountOptions, summarize
    from calc.network import network_from_text

    if not spec_path.endswith((".yaml", ".yml")):
        raise InputError(f"-o: expected a .yaml file name, got '{spec_path[:60]}'")
    read = keras_model(source, with_weights)
    arrays = read.arrays
    network = network_from_text(read.text, spec_path)
    summary = summarize(network, CountOptions(keras=True))
    if arrays:
        weights_path = weights_path or str(Path(spec_path).with_suffix(".npz"))
        if not weights_path.endswith(".npz"):
            raise InputError(f"--weights: expected a .npz file name, got '{weights_path[:60]}'")
        _refuse_same(weights_path, source, "--weights")
    _refuse_same(spec_path, source, "-o")
    _write(spec_path, read.text, "-o")
    if arrays:
        try:
            np.savez(weights_path, **arrays)
        except OSError as exc:
            raise InputError(f"--weights: cannot write '{weights_path}': {exc.strerror}", Where(source)) from None
    return KerasConverted(source, spec_path, weights_path if arrays else None, read.entries, len(arrays),
                          summary.total_params, summary.total_macs, read.note)
