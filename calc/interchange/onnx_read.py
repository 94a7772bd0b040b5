"""Reading an .onnx file, bounded: the size is checked before the protobuf is parsed, and the
``onnx`` package (the optional extra ``nncalc[onnx]``) is imported only here, when a model is read."""

from __future__ import annotations

import os

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
    _check_opset(onnx, model, where)
    _load_external(model, path, where)
    _check_quantized(model, where)
    return _inferred(onnx, model)


def _inferred(onnx, model):
    """Shapes inferred, with the values of shape arithmetic followed (data_prop: a Reshape to
    (N, g, C/g, H, W) built from x.shape gets its sizes); plain inference if that fails."""
    for options in ({"data_prop": True}, {}):
        try:
            return onnx.shape_inference.infer_shapes(model, **options)
        except Exception:  # noqa: BLE001, S112 - shapes are a help; the mapping says what it misses
            continue
    return model


QUANTIZED = ("QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv", "QLinearMatMul",
             "ConvInteger", "MatMulInteger", "QLinearAdd", "QLinearMul", "QGemm")


def _check_opset(onnx, model, where: Where) -> None:
    """An opset newer than the installed onnx package knows: its operators cannot be checked."""
    known = onnx.defs.onnx_opset_version()
    used = max([o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] or [0])
    if used > known:
        raise InputError(f"opset {used} is newer than the installed onnx package reads (up to {known}); "
                         "upgrade onnx or export with an older opset", where)


def _check_quantized(model, where: Where) -> None:
    """A quantized model, said once (not once per QLinearConv)."""
    kinds = sorted({n.op_type for n in model.graph.node if n.op_type in QUANTIZED})
    if kinds:
        raise InputError(f"quantized models are not read ({', '.join(kinds[:3])}"
                         f"{', ...' if len(kinds) > 3 else ''}); export the float model", where)


def _external_file(location: str, path: str, where: Where) -> str:
    """The external data file beside the model: a plain file name only, so that a model cannot
    make nncalc read any other file (/dev/zero, ../secret)."""
    if not location or os.path.basename(location) != location or location in (".", ".."):
        raise InputError(f"external data '{location[:40]}': only a file beside the model is read", where)
    return os.path.join(os.path.dirname(os.path.abspath(path)), location)


def _nbytes(tensor) -> int:
    from math import prod

    import numpy as np
    from onnx import helper

    return prod(tensor.dims) * np.dtype(helper.tensor_dtype_to_np_dtype(tensor.data_type)).itemsize


def _load_external(model, path: str, where: Where) -> None:
    """Weights the exporter wrote beside the model (torch 2.13's default export writes
    model.onnx.data), read bounded from files next to it and stored into the tensors."""
    from onnx import TensorProto

    files: dict[str, bytes] = {}
    for tensor in model.graph.initializer:
        if tensor.data_location != TensorProto.EXTERNAL:
            continue
        info = {e.key: e.value for e in tensor.external_data}
        name = _external_file(info.get("location", ""), path, where)
        if name not in files:
            files[name] = read_bytes(name, DATA_LIMIT)
        offset = int(info.get("offset", 0))
        length = int(info.get("length", _nbytes(tensor)))
        if offset < 0 or length != _nbytes(tensor) or offset + length > len(files[name]):
            raise InputError(f"external data of '{tensor.name[:40]}' lies outside {info['location'][:40]}", where)
        tensor.raw_data = files[name][offset:offset + length]
        tensor.data_location = TensorProto.DEFAULT
        del tensor.external_data[:]
