"""A Keras model's JSON config (``model.to_json()``, or config.json inside a ``.keras`` zip) read
without TensorFlow: Sequential and Functional models as nncalc specs, counted with Keras'
conventions (batch-norm moving statistics are non-trainable parameters).

Keras is channels-last like nncalc, so shapes and flatten order carry over as they are. A layer
with a fused activation (Dense(..., activation='relu')) becomes the layer and the activation as
two entries; later references to the Keras layer take the activation's output.
"""

from __future__ import annotations

import json

from calc.errors import InputError, Where
from calc.files import DATA_LIMIT, TEXT_LIMIT, check_file, read_head, read_text

ACTIVATIONS = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "softmax": "softmax", "elu": "elu",
               "selu": "selu", "gelu": "gelu", "swish": "silu", "silu": "silu", "softplus": "softplus",
               "relu6": "relu6", "hard_sigmoid": "hardsigmoid", "hard_swish": "hardswish",
               "hard_silu": "hardswish", "mish": "mish", "leaky_relu": "leaky_relu", "linear": None}


class Unmappable(Exception):
    """A Keras layer (or option) with no nncalc equivalent: the reason, one line per layer."""


def read_config(path: str) -> dict:
    """The parsed config of a .json file or of config.json inside a .keras zip, both bounded."""
    where = Where(str(path))
    if is_archive(path):
        text = _zip_member(path, where)
    else:
        text = read_text(path, TEXT_LIMIT)
    try:
        config = json.loads(text)
    except ValueError as exc:
        raise InputError(f"not a Keras model config: {str(exc)[:80]}", where) from None
    except RecursionError:
        raise InputError("not a Keras model config: nested too deeply to read", where) from None
    if not is_model_config(config):
        raise InputError("not a Keras model config: expected class_name Sequential or Functional "
                         "with a config holding its layers", where)
    return config


def is_archive(path) -> bool:
    """A .keras file, or a zip under another name (a .keras saved as model.zip): read as an archive."""
    return str(path).lower().endswith(".keras") or read_head(path, 4) == b"PK\x03\x04"


def is_model_config(config) -> bool:
    return (isinstance(config, dict) and config.get("class_name") in ("Sequential", "Functional", "Model")
            and isinstance(config.get("config"), dict) and isinstance(config["config"].get("layers"), list))


def _zip_member(path: str, where: Where) -> str:
    import zipfile

    check_file(path, DATA_LIMIT)
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("config.json")
            if info.file_size > TEXT_LIMIT:
                raise InputError("config.json in the archive is too large to be a model config", where)
            with archive.open(info) as member:
                return member.read(TEXT_LIMIT + 1).decode("utf-8")
    except KeyError:
        raise InputError("a .keras file without config.json", where) from None
    except (zipfile.BadZipFile, OSError, UnicodeDecodeError) as exc:
        raise InputError(f"not a .keras archive: {str(exc)[:80]}", where) from None

