"""ONNX normalisations as nncalc layers: BatchNormalization (inference), LayerNormalization,
InstanceNormalization, GroupNormalization and the GroupNorm torch exports as Reshape,
InstanceNormalization, Reshape, Mul, Add."""

from __future__ import annotations

from calc.interchange.onnx_graph import Graph, Unmappable, attrs
from calc.interchange.onnx_ops_conv import _data


def _eps(a: dict) -> float:
    return float(f"{float(a.get('epsilon', 1e-5)):.6g}")  # stored as float32: 9.99999975e-06 is 1e-5


def batchnorm(g: Graph, node) -> None:
    a = attrs(node)
    if int(a.get("training_mode", 0)):
        raise Unmappable("training-mode batch norm is not mapped (export in eval mode)")
    scale, bias, mean, var = (g.const(node, i, w) for i, w in ((1, "scale"), (2, "bias"), (3, "mean"), (4, "var")))
    g.emit(node, "batchnorm", {"eps": _eps(a)}, _data(g, node),
           {"weight": scale, "bias": bias, "running_mean": mean, "running_var": var})


def layernorm(g: Graph, node) -> None:
    a = attrs(node)
    rank = g.rank(node.input[0])
    axis = int(a.get("axis", -1))
    if node.input[0] in g.channels_first:
        raise Unmappable("a layer norm over L of (N, C, L) is not mapped (nncalc normalises channels)")
    if axis != -1 and (rank is None or axis != rank - 1):
        raise Unmappable(f"only a layer norm over the last axis maps (axis {axis})")
    scale, bias = g.const(node, 1, "scale"), g.const(node, 2, "bias")
    opts = {"eps": _eps(a)}
    if bias is None:
        opts["bias"] = False
    g.emit(node, "layernorm", opts, _data(g, node), {"weight": scale, "bias": bias})


def _identity_affine(scale, bias) -> bool:
    """scale all 1 and bias all 0: torch's affine=False norms export these, which are no parameters."""
    import numpy as np

    return bool(np.all(np.asarray(scale) == 1) and np.all(np.asarray(bias) == 0))


def instancenorm(g: Graph, node) -> None:
    """InstanceNormalization of a map: instancenorm (affine unless scale 1 and bias 0)."""
    if g.rank(node.input[0]) != 4:
        raise Unmappable("only an instance norm of a map (N, C, H, W) maps (nncalc's instancenorm is 2-D)")
    a = attrs(node)
    scale, bias = g.const(node, 1, "scale"), g.const(node, 2, "bias")
    opts = {"eps": _eps(a)}
    if _identity_affine(scale, bias):
        g.emit(node, "instancenorm", opts, _data(g, node))
    else:
        g.emit(node, "instancenorm", {**opts, "affine": True}, _data(g, node), {"weight": scale, "bias": bias})


def groupnorm(g: Graph, node) -> None:
    """GroupNormalization with one scale and bias per channel (opset 21; opset 18's per-group
    scale has no nncalc equivalent of the same parameter count)."""
    a = attrs(node)
    groups = int(a.get("num_groups", 0))
    scale, bias = g.const(node, 1, "scale"), g.const(node, 2, "bias")
    channels = (g.shapes.get(node.input[0]) or [None, None])[1]
    if g.rank(node.input[0]) != 4 or scale.size != channels or channels is None:
        raise Unmappable("only a group norm of a map with one scale per channel maps")
    g.emit(node, "groupnorm", {"groups": groups, "eps": _eps(a)}, _data(g, node), {"weight": scale, "bias": bias})


def _users(g: Graph, tensor: str, op: str):
    users = g.consumers.get(tensor, [])
    return users[0] if len(users) == 1 and users[0].op_type == op else None


def _channel_const(g: Graph, node, tensor: str, channels: int):
    """The stored per-channel (C, 1, 1) operand of a Mul or Add, flattened; None if it is not one."""
    other = [t for t in node.input if t != tensor]
    value = g.consts.get(other[0]) if len(other) == 1 else None
    if value is None or value.size != channels or (value.ndim == 3 and value.shape[1:] != (1, 1)):
        return None
    return value.reshape(-1)


def decomposed_groupnorm(g: Graph, node) -> bool:
    """torch's GroupNorm export: Reshape (N, C, H, W) -> (N, G, -1), InstanceNormalization with
    scale 1 and bias 0, Reshape back, then Mul by gamma and Add of beta (C each). False if the
    Reshape does not start this pattern."""
    src, dst = g.shapes.get(node.input[0]), g.shapes.get(node.output[0])
    norm = _users(g, node.output[0], "InstanceNormalization")
    back = norm and _users(g, norm.output[0], "Reshape")
    if not (back and src and dst and len(src) == 4 and len(dst) == 3 and src[1]):
        return False
    scale, bias = g.consts.get(norm.input[1]), g.consts.get(norm.input[2])
    if scale is None or bias is None or not _identity_affine(scale, bias) or src[1] % scale.size:
        raise Unmappable("a Reshape to groups before an instance norm with its own scale is not mapped")
    opts, params, end = {"groups": int(scale.size), "eps": _eps(attrs(norm))}, {}, back
    mul = _users(g, back.output[0], "Mul")
    gamma = mul and _channel_const(g, mul, back.output[0], src[1])
    add = gamma is not None and _users(g, mul.output[0], "Add")
    beta = add and _channel_const(g, add, mul.output[0], src[1])
    if beta is not None and beta is not False:
        params, end = {"weight": gamma, "bias": beta}, add
        g.skipped.update((id(mul), id(add)))
    else:
        opts["affine"] = False
    g.skipped.update((id(norm), id(back)))
    name = g.emit(node, "groupnorm", opts, _data(g, node), params)
    g.source[end.output[0]] = name
    return True


RULES = {
    "BatchNormalization": batchnorm, "LayerNormalization": layernorm,
    "InstanceNormalization": instancenorm, "GroupNormalization": groupnorm,
}
