"""Reading an .onnx file, bounded: the size is checked before the protobuf is parsed, and the
``onnx`` package (the optional extra ``nncalc[onnx]``) is imported only here, when a model is read."""

from __future__ import annotations

from calc.errors import InputError, Where
from calc.files import DATA_LIMIT, read_bytes

EXTRA_HINT = '.onnx files need the onnx package: pip install "nncalc[onnx]"'


def onnx_module():
    """The onnx package, or one line saying how to install it."""
    try:
        import onnx
    except ImportError:
        raise InputError(EXTRA_HINT) from None
    return onnx


def read_model(path: str):
    """The ModelProto of ``path`` with shapes inferred (ranks of every tensor the mapping asks)."""
    onnx = onnx_module()
    data = read_bytes(path, DATA_LIMIT)
    where = Where(str(path))
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # noqa: BLE001 - protobuf raises DecodeError and others
        raise InputError(f"not an ONNX model: {str(exc)[:120] or type(exc).__name__}", where) from None
    if not model.graph.node:
        raise InputError("not an ONNX model: the graph has no nodes", where)
    try:
        model = onnx.shape_inference.infer_shapes(model)
    except Exception:  # noqa: BLE001, S110 - shapes are a help; the mapping says what it misses
        pass
    return model
