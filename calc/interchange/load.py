"""What a SPEC argument names, decided once for every command and for library users: a spec
(YAML or JSON) or a bundled network name, an ONNX model, or a Keras config (.json, or the
config.json inside a .keras zip).

    from calc.interchange.load import load_network, load_model
    load_network("examples/onnx/small-cnn.onnx")      # a Network, as from a spec
    load_model("model.bin").weights                   # an ONNX model's own weights

The kind is read from the file's first bytes as well as from its suffix, so an ONNX model saved as
.bin or a Keras config saved as .txt load too. Only those first bytes are read before the kind is
known; the whole file is then read under that kind's limit (calc/files.py), so a large file that is
not a model is refused by its size, never read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from calc.errors import InputError, Where
from calc.files import DATA_LIMIT, TEXT_LIMIT, check_file, read_head, read_text

SPEC, ONNX, KERAS = "spec", "onnx", "keras"
MODEL_SUFFIXES = (".onnx", ".keras")
ZIP_MAGIC = b"PK\x03\x04"
NONE_OF_THEM = "expected a YAML spec, an ONNX model or a Keras config (.json, .keras)"


@dataclass
class LoadedModel:
    """A network and where it came from; ``weights`` holds the model file's own weights (an ONNX
    model's initialisers, a .keras archive's variables: calc.engine.weights.GivenWeights), which
    `run` and `train` use unless --weights is given."""

    network: object
    kind: str
    weights: object = None

    @property
    def keras(self) -> bool:
        """Keras' counting conventions apply (batch-norm statistics are non-trainable params)."""
        return self.kind == KERAS


def looks_like_onnx(head: bytes) -> bool:
    """A serialised ModelProto begins with field 1, its IR version (tag 0x08, a small varint),
    then another field's tag: protobuf writes fields in number order, and every exporter sets it."""
    return len(head) > 2 and head[0] == 0x08 and 0 < head[1] < 0x80 and head[2] & 0x07 in (0, 2)


def _is_text(head: bytes) -> bool:
    """UTF-8 without NUL bytes (the head may end inside a character: that is still text)."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3 and b"\0" not in head
    return b"\0" not in head


def _keras_json(path) -> bool:
    """A JSON object with a class_name at the top: a Keras config (the Keras reader says what is
    wrong with it if it is not a model); a spec has no class_name key."""
    import json

    try:
        config = json.loads(read_text(path, TEXT_LIMIT))
    except (InputError, ValueError):
        return False  # not JSON (YAML, or not text): the spec reader says what is wrong with it
    except RecursionError:
        return str(path).lower().endswith(".json")  # nested too deeply: the reader of its kind says so
    return isinstance(config, dict) and "class_name" in config


def file_kind(spec) -> str:
    """SPEC, ONNX or KERAS for a path or bundled name; one line for a file that cannot be any."""
    name = str(spec)
    path = Path(name)
    if not path.exists():
        if name.lower().endswith(MODEL_SUFFIXES):
            check_file(path)  # "no such file"
        return SPEC  # a bundled name, or a missing spec the spec reader names
    check_file(path, DATA_LIMIT)  # a directory, device or FIFO; a model past the largest limit
    head = read_head(path)
    where = Where(name)
    if name.lower().endswith(".keras") or head.startswith(ZIP_MAGIC):
        return KERAS
    if looks_like_onnx(head):
        return ONNX
    if name.lower().endswith(".onnx"):
        reason = "the file is empty" if not head else "it does not begin as an ONNX model does"
        raise InputError(f"not an ONNX model: {reason}", where)
    check_file(path, TEXT_LIMIT)  # a spec or a Keras config is text: refused by its size, unread
    if not head.strip():
        raise InputError(f"the file is empty; {NONE_OF_THEM}", where)
    if not _is_text(head):
        raise InputError("neither a spec, an ONNX model nor a Keras config (a binary file)", where)
    if head.lstrip()[:1] == b"{" and _keras_json(path):
        return KERAS
    return SPEC


def _onnx_model(path: str, with_weights: bool) -> LoadedModel:
    """The network from the spec text convert would write, and the initialisers as its weights."""
    from calc.engine.weights import GivenWeights
    from calc.interchange.onnx_map import map_model, spec_text, weights_arrays
    from calc.network import network_from_text

    mapped = map_model(path)
    network = network_from_text(spec_text(mapped, Path(path).name), path)
    return LoadedModel(network, ONNX, GivenWeights(path, weights_arrays(mapped)) if with_weights else None)


def _keras_model(path: str, with_weights: bool) -> LoadedModel:
    """A Keras config's network; a .keras archive's weights too where h5py reads them."""
    from calc.engine.weights import GivenWeights
    from calc.interchange.keras_convert import keras_model

    read = keras_model(path, with_weights)
    return LoadedModel(read.network, KERAS, GivenWeights(path, read.arrays) if read.arrays else None)


def load_model(spec, with_weights: bool = False) -> LoadedModel:
    """A spec file, a bundled name, an ONNX model or a Keras config, whichever ``spec`` is; with
    the model file's own weights on request (`run`, `train`), else none are held."""
    kind = file_kind(spec)
    if kind == ONNX:
        return _onnx_model(str(spec), with_weights)
    if kind == KERAS:
        return _keras_model(str(spec), with_weights)
    from calc.network import load_network as load_spec

    return LoadedModel(load_spec(spec), SPEC)


def load_network(spec):
    """The Network of a spec, bundled name, ONNX model or Keras config (see load_model)."""
    return load_model(spec).network


def convert_model(source: str, spec_path: str, weights_path: str | None, with_weights: bool = True):
    """`nncalc convert MODEL`: Converted (ONNX) or KerasConverted, by the model's kind; anything
    else (a spec, a bundled name) is one line."""
    kind = file_kind(source)
    if kind == ONNX:
        from calc.interchange.onnx_convert import convert_onnx

        return convert_onnx(source, spec_path, weights_path, with_weights)
    if kind == KERAS:
        from calc.interchange.keras_convert import convert_keras

        return convert_keras(source, spec_path, weights_path, with_weights)
    check_file(source)  # "no such file" for a bundled name or a missing file
    raise InputError("not an ONNX model or a Keras config; convert reads .onnx, .json (Keras) and .keras files",
                     Where(str(source)))
