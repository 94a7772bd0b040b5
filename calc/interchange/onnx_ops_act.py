"""ONNX activations as nncalc's activation layers: one rule per operator, attributes checked
against what the nncalc layer computes (a Selu with other constants, a HardSigmoid other than
PyTorch's, a Clip to other bounds are refused, never approximated)."""

from __future__ import annotations

from calc.interchange.onnx_graph import Graph, Unmappable, attrs
from calc.interchange.onnx_ops_conv import _data

SELU = (1.6732632423543772, 1.0507009873554805)  # alpha, gamma: torch.nn.SELU and ONNX's defaults


def activation(kind: str, keys: dict | None = None):
    """An element-wise activation; ``keys`` renames ONNX attributes to nncalc options."""
    def rule(g: Graph, node) -> None:
        a = attrs(node)
        opts = {new: round(float(a[old]), 7) for old, new in (keys or {}).items() if old in a}
        g.emit(node, kind, opts, _data(g, node))
    return rule


def gelu(g: Graph, node) -> None:
    approximate = attrs(node).get("approximate", "none")
    g.emit(node, "gelu", {"approximate": approximate} if approximate != "none" else {}, _data(g, node))


def _scalar(g: Graph, node, value: float) -> bool:
    """Whether one input of ``node`` is the stored number ``value`` (float32 precision)."""
    return any(t in g.consts and g.consts[t].size == 1 and abs(float(g.consts[t].reshape(-1)[0]) - value) < 1e-6
               for t in node.input)


def _only_user(g: Graph, tensor: str, op: str):
    users = g.consumers.get(tensor, [])
    return users[0] if len(users) == 1 and users[0].op_type == op else None


def erf_gelu(g: Graph, node) -> None:
    """x * (1 + erf(x / sqrt 2)) * 0.5: the exact GELU as torch exports it before opset 20's Gelu
    (Div, Erf, Add, Mul, Mul), read from its Div as one `gelu`."""
    from types import SimpleNamespace

    x = node.input[0]
    erf = _only_user(g, node.output[0], "Erf") if _scalar(g, node, 2 ** 0.5) and g.is_data(x) else None
    one = erf and _only_user(g, erf.output[0], "Add")
    times = one and _scalar(g, one, 1.0) and _only_user(g, one.output[0], "Mul")
    half = times and x in times.input and _only_user(g, times.output[0], "Mul")
    if not (half and _scalar(g, half, 0.5)):
        raise Unmappable("only a Div by sqrt(2) that starts an exact GELU (x * (1 + erf(x / sqrt 2)) * 0.5) maps")
    g.skipped.update(id(n) for n in (erf, one, times, half))
    g.emit(SimpleNamespace(name=node.name.replace("Div", "Gelu"), op_type="Gelu", output=[half.output[0]]),
           "gelu", {}, [x])


def hardsigmoid(g: Graph, node) -> None:
    a = attrs(node)
    if abs(float(a.get("alpha", 0.2)) - 1 / 6) > 1e-6 or abs(float(a.get("beta", 0.5)) - 0.5) > 1e-6:
        raise Unmappable("only alpha = 1/6, beta = 1/2 maps (PyTorch's hardsigmoid)")
    g.emit(node, "hardsigmoid", {}, _data(g, node))


def clip(g: Graph, node) -> None:
    a = attrs(node)
    low = g.const(node, 1, "min") if len(node.input) > 1 else a.get("min")
    high = g.const(node, 2, "max") if len(node.input) > 2 else a.get("max")
    low = None if low is None else float(low)
    high = None if high is None else float(high)
    if low == 0.0 and high == 6.0:
        g.emit(node, "relu6", {}, _data(g, node))
    elif low == 0.0 and high is None:
        g.emit(node, "relu", {}, _data(g, node))
    else:
        raise Unmappable(f"only Clip to [0, 6] (relu6) or [0, inf) (relu) maps, got [{low}, {high}]")


def softmax(g: Graph, node) -> None:
    axis = int(attrs(node).get("axis", -1))
    rank = g.rank(node.input[0])
    if axis != -1 and (rank is None or axis != rank - 1):
        raise Unmappable(f"only a softmax over the last axis maps (axis {axis})")
    g.emit(node, "softmax", {}, _data(g, node))


def selu(g: Graph, node) -> None:
    a = attrs(node)
    if abs(float(a.get("alpha", SELU[0])) - SELU[0]) > 1e-6 or abs(float(a.get("gamma", SELU[1])) - SELU[1]) > 1e-6:
        raise Unmappable("only Selu with the standard alpha and gamma (torch.nn.SELU's) maps")
    g.emit(node, "selu", {}, _data(g, node))


def prelu(g: Graph, node) -> None:
    """PRelu with a stored slope: one shared (torch's default) or one per channel (C, 1, ...)."""
    import numpy as np

    slope = g.const(node, 1, "slope")
    rank, channels = g.rank(node.input[0]) or 0, (g.shapes.get(node.input[0]) or [None, None])[1]
    shape = [1] * (rank - slope.ndim) + list(slope.shape)  # broadcast against (N, C, ...)
    squeezed = np.asarray(slope).reshape(-1)
    if squeezed.size == 1:
        per = "single"
    elif len(shape) == rank >= 2 and shape[1] == channels and squeezed.size == channels:
        per = "channel"
    else:
        raise Unmappable(f"only one slope or one per channel maps (slope shape {list(slope.shape)})")
    g.emit(node, "prelu", {"per": per}, _data(g, node), {"weight": squeezed})


def softplus(g: Graph, node) -> None:
    """Softplus; the dynamo exporter writes torch's threshold as Where(x > 20, x, softplus(x)),
    read with it as one softplus (the two differ by less than e^-20 above the threshold)."""
    x, out = node.input[0], node.output[0]
    where = _only_user(g, out, "Where")
    greater = where and next((u for u in g.consumers.get(x, []) if u.op_type == "Greater"
                              and u.output[0] == where.input[0] and u.input[0] == x), None)
    if greater and list(where.input[1:]) == [x, out] and _scalar(g, greater, 20.0):
        g.skipped.update((id(greater), id(where)))
        name = g.emit(node, "softplus", {}, _data(g, node))
        g.source[where.output[0]] = name
        return
    g.emit(node, "softplus", {}, _data(g, node))


RULES = {
    "Relu": activation("relu"), "Sigmoid": activation("sigmoid"), "Tanh": activation("tanh"),
    "LeakyRelu": activation("leaky_relu", {"alpha": "slope"}), "Elu": activation("elu", {"alpha": "alpha"}),
    "Selu": selu, "Softplus": softplus, "Mish": activation("mish"), "PRelu": prelu,
    "HardSwish": activation("hardswish"), "HardSigmoid": hardsigmoid, "Gelu": gelu, "Div": erf_gelu, "Clip": clip,
    "Softmax": softmax,
}
