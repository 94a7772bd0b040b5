"""`nncalc convert`: an .onnx file written as a spec (YAML) and its weights (.npz, the layout of
calc/engine/weights.py), the spec counted once more from the written text so that what the user
gets is what was checked."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from calc.errors import InputError, Where


@dataclass
class Converted:
    """What convert wrote, for the renderers."""

    source: str
    spec_path: str
    weights_path: str | None
    layers: int
    arrays: int
    params: int
    macs: int

    def lines(self) -> list[str]:
        out = [f"wrote {self.spec_path} ({self.layers} layers, {self.params:,} params, {self.macs:,} MACs)"]
        if self.weights_path:
            out.append(f"wrote {self.weights_path} ({self.arrays} arrays, keyed layer.param as --weights reads them)")
            out.append(f"run it: nncalc run {self.spec_path} --weights {self.weights_path} -i INPUTS")
        return out


def _refuse_same(target: str, source: str, option: str) -> None:
    if os.path.exists(target) and os.path.samefile(target, source):
        raise InputError(f"{option}: '{target}' is the model being converted; give another file name")


def _write(path: str, text: str, option: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{option}: cannot write '{path}': {exc.strerror}") from None


def convert_onnx(source: str, spec_path: str, weights_path: str | None, with_weights: bool = True) -> Converted:
    """Map ``source``, build the network from the spec text, then write the spec and weights."""
    import numpy as np

    from calc.counting.stats import summarize
    from calc.interchange.onnx_map import map_model, spec_text, weights_arrays
    from calc.network import network_from_text

    if not spec_path.endswith((".yaml", ".yml")):
        raise InputError(f"-o: expected a .yaml file name, got '{spec_path[:60]}'")
    mapped = map_model(source)
    text = spec_text(mapped, Path(source).name)
    network = network_from_text(text, spec_path)
    summary = summarize(network)
    arrays = weights_arrays(mapped)
    if with_weights:
        weights_path = weights_path or str(Path(spec_path).with_suffix(".npz"))
        if not weights_path.endswith(".npz"):
            raise InputError(f"--weights: expected a .npz file name, got '{weights_path[:60]}'")
        _check_weights(network, arrays, Where(source))
        _refuse_same(weights_path, source, "--weights")
    _refuse_same(spec_path, source, "-o")
    _write(spec_path, text, "-o")
    if with_weights:
        try:
            np.savez(weights_path, **arrays)
        except OSError as exc:
            raise InputError(f"--weights: cannot write '{weights_path}': {exc.strerror}") from None
    return Converted(source, spec_path, weights_path if with_weights else None, len(mapped.entries),
                     len(arrays), summary.total_params, summary.total_macs)


def _check_weights(network, arrays: dict, where: Where) -> None:
    """Every parameter and buffer of the network has its array, in its shape (a mapping slip
    would otherwise surface only when the weights are loaded)."""
    expected = {f"{layer.name}.{key}": tuple(shape) for layer in network.leaves()
                for key, shape in {**layer.param_shapes(), **layer.buffer_shapes()}.items()}
    got = {name: tuple(a.shape) for name, a in arrays.items()}
    if expected != got:
        wrong = sorted(set(expected.items()) ^ set(got.items()))[:4]
        raise InputError(f"the model's weights do not fit the converted layers: {wrong}", where)
