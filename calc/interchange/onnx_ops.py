"""One rule per ONNX operator: the nncalc layer it becomes, its options and weights.

A rule raises Unmappable with the reason when the operator's attributes have no nncalc
equivalent (a 3-D conv, Gemm with alpha != 1, ...); the walk then reports that node in one line.
"""

from __future__ import annotations

from calc.interchange import onnx_ops_act, onnx_ops_conv, onnx_ops_norm, onnx_ops_recurrent
from calc.interchange.onnx_graph import Graph, Unmappable, attrs


def _data(g: Graph, node, count: int = 1) -> list:
    """The first ``count`` inputs, which must be data (not constants)."""
    inputs = list(node.input[:count])
    if len(inputs) < count or not all(g.is_data(t) for t in inputs):
        raise Unmappable("an input is a constant where nncalc expects data")
    return inputs


def _dense_opts(units, bias) -> dict:
    return {"units": int(units)} if bias is not None else {"units": int(units), "bias": False}


def gemm(g: Graph, node) -> None:
    a = attrs(node)
    if a.get("transA", 0) or float(a.get("alpha", 1.0)) != 1.0 or float(a.get("beta", 1.0)) != 1.0:
        raise Unmappable("only Gemm with alpha = beta = 1 and no transA maps (a dense layer)")
    weight = g.const(node, 1, "weight")
    weight = weight if a.get("transB", 0) else weight.T  # dense weights: (out, in)
    bias = g.const(node, 2, "bias")
    if bias is not None:
        if bias.size != weight.shape[0]:
            raise Unmappable("its bias is not one value per output")
        bias = bias.reshape(-1)
    g.emit(node, "dense", _dense_opts(weight.shape[0], bias), _data(g, node),
           {"weight": weight, "bias": bias})


def matmul(g: Graph, node) -> None:
    """x @ W with W stored (in, out): a dense layer; an Add of a stored vector right after it is
    its bias (torch exports Linear on sequences as MatMul + Add)."""
    weight = g.const(node, 1, "weight")
    if weight is None or weight.ndim != 2:
        raise Unmappable("only x @ W with a stored 2-D W maps (a dense layer)")
    bias = None
    users = g.consumers.get(node.output[0], [])
    if len(users) == 1 and users[0].op_type == "Add":
        add = users[0]
        other = [t for t in add.input if t != node.output[0]]
        if len(other) == 1 and other[0] in g.consts and g.consts[other[0]].size == weight.shape[1]:
            bias = g.consts[other[0]].reshape(-1)
            g.skipped.add(id(add))
    name = g.emit(node, "dense", _dense_opts(weight.shape[1], bias), _data(g, node),
                  {"weight": weight.T, "bias": bias})
    if bias is not None:
        g.source[users[0].output[0]] = name


def merge(kind: str):
    def rule(g: Graph, node) -> None:
        inputs = list(node.input)
        layouts = {(t in g.channels_first, t in g.time_major, t in g.flat) for t in inputs}
        if len(layouts) > 1:
            raise Unmappable(f"a {node.op_type} of tensors laid out differently is not mapped")
        if not all(g.is_data(t) for t in inputs):
            raise Unmappable(f"only a {node.op_type} of computed tensors maps ({kind}); "
                             "one of its inputs is a stored constant")
        g.emit(node, kind, {}, inputs, merge=True)
    return rule


def concat(g: Graph, node) -> None:
    axis = int(attrs(node).get("axis", 1))
    rank = g.rank(node.input[0])
    if node.input[0] in g.channels_first and axis in (1, -2):  # (N, C, L): channels are axis 1
        return merge("concat")(g, node)
    if not ((rank == 4 and axis in (1, -3)) or (rank in (2, 3) and axis in (rank - 1, -1))):
        raise Unmappable(f"only a concat on the channels maps (axis {axis} of rank {rank})")
    merge("concat")(g, node)


def _to_vector(g: Graph, node) -> None:
    """(N, C, H, W), (N, C, L) or an already pooled tensor made (N, features): nncalc's flatten
    in ONNX's channel-by-channel order, or nothing when nncalc already holds a vector."""
    tensor = node.input[0]
    dims, rank = g.shapes.get(tensor), g.rank(tensor)
    if tensor in g.flat or rank == 2:
        g.alias(node, tensor)
    elif rank in (4, None):  # unknown rank: a map's flatten, a no-op on a vector
        g.emit(node, "flatten", {"order": "chw"}, _data(g, node))
    elif tensor in g.channels_first and dims and dims[2] == 1:
        g.emit(node, "flatten", {}, _data(g, node))
    else:
        raise Unmappable(f"only a flatten of (N, C, H, W), of (N, C, 1) or of a pooled tensor maps ({dims})")


def flatten(g: Graph, node) -> None:
    axis = int(attrs(node).get("axis", 1))
    if axis != 1:
        raise Unmappable(f"only a flatten from axis 1 maps (axis {axis})")
    _to_vector(g, node)


def channel_shuffle(g: Graph, node) -> bool:
    """ShuffleNet's x.view(N, g, C/g, H, W).transpose(1, 2).reshape(N, C, H, W): a Reshape to
    5-D, a Transpose [0, 2, 1, 3, 4] and a Reshape back, read from the first as one
    channel_shuffle (C/g may be unknown to shape inference: the sizes around it fix it). False
    when ``node`` does not start it."""
    src, dst = g.shapes.get(node.input[0]), g.shapes.get(node.output[0])
    swap = onnx_ops_act._only_user(g, node.output[0], "Transpose")
    back = swap and onnx_ops_act._only_user(g, swap.output[0], "Reshape")
    if not (back and src and dst and len(src) == 4 and len(dst) == 5 and dst[1] and src[1]
            and [int(p) for p in attrs(swap).get("perm", [])] == [0, 2, 1, 3, 4]
            and g.shapes.get(back.output[0]) == src and dst[3:] == src[2:] and src[1] % dst[1] == 0 and dst[2] in (None, src[1] // dst[1])):
        return False
    g.skipped.update((id(swap), id(back)))
    name = g.emit(node, "channel_shuffle", {"groups": int(dst[1])}, _data(g, node))
    g.source[back.output[0]] = name
    return True


def reshape(g: Graph, node) -> None:
    """A reshape that flattens a map (x.view(N, -1)), changes nothing, or starts torch's GroupNorm
    (onnx_ops_norm); others do not map."""
    src, dst = g.shapes.get(node.input[0]), g.shapes.get(node.output[0])
    if onnx_ops_norm.decomposed_groupnorm(g, node) or onnx_ops_recurrent.merge_directions(g, node) \
            or channel_shuffle(g, node):
        return
    if src and dst and len(dst) == 2 and len(src) in (3, 4):
        _to_vector(g, node)
    elif src and dst and src == dst and None not in src:
        g.alias(node, node.input[0])
    else:
        raise Unmappable(f"only a reshape that flattens (N, C, H, W) to (N, C*H*W) maps ({src} -> {dst})")


def squeeze(g: Graph, node) -> None:
    """Squeeze / Unsqueeze that only add or drop size-1 axes nncalc does not hold: of a pooled
    tensor, to (N, features), or (N, C, L) to (N, C, 1, L) and back (the dynamo exporter's
    adaptive_avg_pool1d)."""
    tensor, out = node.input[0], node.output[0]
    src, dst = g.shapes.get(tensor), g.shapes.get(out)
    if onnx_ops_recurrent.merge_directions(g, node):
        return
    if tensor in g.flat:
        g.alias(node, tensor)
    elif g.rank(out) == 2:
        _to_vector(g, node)
    elif tensor in g.channels_first and src and dst and dst == [*src[:2], 1, src[2]]:
        g.alias(node, tensor)
        g.lifted.add(out)
    elif tensor in g.lifted and src and dst and src == [*dst[:2], 1, dst[2]]:
        g.alias(node, tensor)
        g.channels_first.add(out)
    else:
        raise Unmappable(f"only a {node.op_type} of size-1 axes around a pool maps ({src} -> {dst})")


def reduce(mode: str):
    """ReduceMean / ReduceMax: x.mean(dim=1) / x.max(dim=1).values of a sequence (N, L, F), the
    mean / max over positions (axes an attribute up to opset 17, an input from opset 18), or a
    global pool of a map or of (N, C, L) (onnx_ops_conv.reduce_pool)."""
    def rule(g: Graph, node) -> None:
        import numpy as np

        a = attrs(node)
        axes = a.get("axes")
        if axes is None and len(node.input) > 1:
            axes = g.const(node, 1, "axes")
        axes = [] if axes is None else [int(v) for v in np.asarray(axes).reshape(-1)]
        if onnx_ops_conv.reduce_pool(g, node, axes, bool(int(a.get("keepdims", 1))), mode):
            return
        if g.rank(node.input[0]) != 3 or axes not in ([1], [-2]) or int(a.get("keepdims", 1)) \
                or node.input[0] in g.channels_first:
            raise Unmappable(f"only a {mode} over the positions of a sequence (axis 1, keepdims 0) "
                             "or over H and W of a map maps")
        g.emit(node, "sequence_pool", {"mode": mode}, _data(g, node))
    return rule


def _position(g: Graph, node) -> None:
    """x[:, 0] or x[:, -1] of a sequence (N, L, F): its first or last position."""
    index = g.consts.get(node.input[1])
    if g.rank(node.input[0]) != 3 or int(attrs(node).get("axis", 0)) != 1 or index is None or index.size != 1 \
            or int(index.reshape(-1)[0]) not in (0, -1):
        raise Unmappable("only x[:, 0] or x[:, -1] of a sequence maps (the first or last position)")
    mode = "first" if int(index.reshape(-1)[0]) == 0 else "last"
    g.emit(node, "sequence_pool", {"mode": mode}, _data(g, node))


def gather(g: Graph, node) -> None:
    """Rows of a stored table picked by token ids: an embedding (torch's nn.Embedding)."""
    if g.is_data(node.input[0]):
        return _position(g, node)
    table = g.consts.get(node.input[0])
    if table is None or table.ndim != 2 or int(attrs(node).get("axis", 0)) != 0 or not g.is_data(node.input[1]):
        raise Unmappable("only a Gather of rows of a stored table by the input ids maps (an embedding)")
    g.emit(node, "embedding", {"vocab": int(table.shape[0]), "dim": int(table.shape[1])}, [node.input[1]],
           {"weight": table})


def passthrough(g: Graph, node) -> None:
    g.alias(node, _data(g, node)[0])


RULES = {
    **onnx_ops_conv.RULES, **onnx_ops_act.RULES, **onnx_ops_norm.RULES, **onnx_ops_recurrent.RULES,
    "Gemm": gemm, "MatMul": matmul,
    "Add": merge("add"), "Sum": merge("add"), "Mul": merge("multiply"), "Concat": concat,
    "Gather": gather, "ReduceMean": reduce("mean"), "ReduceMax": reduce("max"), "Flatten": flatten, "Reshape": reshape,
    "Squeeze": squeeze, "Unsqueeze": squeeze, "Identity": passthrough, "Dropout": passthrough,
}


LAYOUT_FREE = {*onnx_ops_conv.RULES, *onnx_ops_recurrent.RULES, *(set(onnx_ops_act.RULES) - {"Softmax"}),
               "BatchNormalization", "InstanceNormalization", "Add", "Sum", "Mul", "Concat", "Flatten", "Reshape",
               "Squeeze", "Unsqueeze", "ReduceMean", "ReduceMax", "Identity", "Dropout"}
"""Operators whose rule knows (N, C, L) and (L, N, F) data; any other on such data is refused
(a MatMul or Softmax on the last axis of (N, C, L) would act on L in ONNX and on C in nncalc)."""
