"""The model run once on a probe input (onnx's reference evaluator, plain NumPy), every tensor's
value kept: attention is read from what its nodes compute, not only from how they are wired.

Exporters write the same attention many ways (a packed projection cut by Split, Slice or Gather,
heads by Reshape and Transpose or Unsqueeze and Squeeze, the scale on the scores or split over
Q and K, a causal mask by Trilu, Where or an added constant). The values on one random input tell
which rows of a weight make Q, K and V, the scale, and the mask, whatever the nodes were; and the
attention rebuilt from what was read is compared with the model's own output before it is kept.
"""

from __future__ import annotations

from math import prod

from calc import memory
from calc.errors import InputError
from calc.interchange.onnx_graph import Unmappable

SHAPE_OPS = ("Shape", "Size")  # their outputs are sizes, not data


def data_tensors(model, input_name: str) -> set:
    """Tensors computed from the model's input (sizes read by Shape excepted): the only ones a
    layer may take; a mask built from constants and sizes is not data, one built from the input is."""
    data = {input_name}
    for node in model.graph.node:
        if node.op_type not in SHAPE_OPS and any(t in data for t in node.input):
            data.update(t for t in node.output if t)
    return data


def _probe_input(model, info, consts: dict, batch: int):
    import numpy as np
    from onnx import helper

    t = info.type.tensor_type
    dims = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else batch for d in t.shape.dim]
    dtype = helper.tensor_dtype_to_np_dtype(t.elem_type)
    rng = np.random.default_rng(0)
    if np.issubdtype(dtype, np.integer):  # token ids: rows every table read by them has
        rows = [consts[n.input[0]].shape[0] for n in model.graph.node
                if n.op_type == "Gather" and len(n.input) > 1 and n.input[1] == info.name and n.input[0] in consts]
        return rng.integers(0, min(rows, default=2), dims).astype(dtype)
    return rng.standard_normal(dims).astype(dtype)


def probe_bytes(g, batch: int) -> int:
    """What the probe run keeps: every tensor (its own element size) with shapes inferred again for
    the probe's input, and the weights once more. A dim still unknown (a slice of a buffer) counts
    as the input's longest. Checked before running, so that a large model is refused with the
    figure instead of filling the memory."""
    from onnx import helper

    graph = _concrete(g.model, g.input_name, batch).graph
    dims = [d.dim_value for i in graph.input for d in i.type.tensor_type.shape.dim]
    unknown, total = max([batch, *dims]), 0
    for info in [*graph.value_info, *graph.input, *graph.output]:
        t = info.type.tensor_type
        size = helper.tensor_dtype_to_np_dtype(t.elem_type).itemsize if t.elem_type else 8
        total += size * prod(d.dim_value if d.HasField("dim_value") else unknown for d in t.shape.dim)
    return total + sum(int(v.nbytes) for v in g.consts.values())


def _concrete(model, input_name: str, batch: int):
    """The model's shapes inferred for an input of ``batch`` samples (the sizes computed from
    x.shape then resolve: data_prop); the model as read where inference fails."""
    import onnx

    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    for info in copy.graph.input:
        for d in info.type.tensor_type.shape.dim if info.name == input_name else ():
            if not d.HasField("dim_value"):
                d.dim_value = batch
    del copy.graph.value_info[:]
    try:
        return onnx.shape_inference.infer_shapes(copy, data_prop=True)
    except Exception:  # noqa: BLE001 - the first inference's shapes are the estimate's fallback
        return model


def probe_values(g, batch: int) -> dict:
    """Every tensor's value on one random input of ``batch`` samples (dynamic dims become batch,
    a batch no fixed dim equals, so that (N, L) and (L, N) differ); Unmappable when onnx's
    reference evaluator cannot run the model."""
    from onnx.reference import ReferenceEvaluator

    model = g.model
    info = next(i for i in model.graph.input if i.name == g.input_name)
    fixed = {d.dim_value for d in info.type.tensor_type.shape.dim}
    batch = next(b for b in (batch, 3, 5, 7, 11, 13) if b not in fixed or b == 13)  # no (L, N) mix-up
    try:
        memory.check(probe_bytes(g, batch), "running the model once to read its attention")
    except InputError as exc:
        raise InputError(exc.message, g.where) from None
    try:
        feed = {g.input_name: _probe_input(model, info, g.consts, batch)}
        return ReferenceEvaluator(model).run(None, feed, intermediate=True)
    except Exception as exc:  # noqa: BLE001 - any operator the evaluator lacks: one line, no traceback
        raise Unmappable(f"the model could not be run to read its attention ({str(exc)[:80]})") from None
