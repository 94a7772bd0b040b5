"""One rule per ONNX operator: the nncalc layer it becomes, its options and weights.

A rule raises Unmappable with the reason when the operator's attributes have no nncalc
equivalent (a 3-D conv, Gemm with alpha != 1, ...); the walk then reports that node in one line.
"""

from __future__ import annotations

from calc.interchange.onnx_graph import Graph, Unmappable, attrs


def _pair(values):
    """A window attribute as the spec writes it: one int when both axes agree."""
    a, b = (int(v) for v in values)
    return a if a == b else [a, b]


def _window(node, a: dict) -> dict:
    """kernel, stride, padding (ONNX pads: top, left, bottom, right) of a 2-D window."""
    kernel = a.get("kernel_shape")
    if kernel is None or len(kernel) != 2:
        raise Unmappable("only 2-D windows map (NCHW)")
    if a.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
        raise Unmappable(f"auto_pad {a['auto_pad']} is not mapped; export with explicit pads")
    top, left, bottom, right = (int(p) for p in a.get("pads", [0, 0, 0, 0]))
    padding = top if top == bottom == left == right else [top, bottom, left, right]
    opts = {"kernel": _pair(kernel), "stride": _pair(a.get("strides", [1, 1]))}
    if padding:
        opts["padding"] = padding
    return opts


def _data(g: Graph, node, count: int = 1) -> list:
    """The first ``count`` inputs, which must be data (not constants)."""
    inputs = list(node.input[:count])
    if len(inputs) < count or not all(g.is_data(t) for t in inputs):
        raise Unmappable("an input is a constant where nncalc expects data")
    return inputs


def conv(g: Graph, node) -> None:
    a = attrs(node)
    weight = g.const(node, 1, "weight")
    if weight is None or weight.ndim != 4:
        raise Unmappable("only 2-D convolutions map")
    bias = g.const(node, 2, "bias")
    opts = {"filters": int(weight.shape[0]), **_window(node, {**a, "kernel_shape": weight.shape[2:]})}
    if any(int(d) != 1 for d in a.get("dilations", [1, 1])):
        opts["dilation"] = _pair(a["dilations"])
    if int(a.get("group", 1)) != 1:
        opts["groups"] = int(a["group"])
    opts.pop("stride") if opts["stride"] == 1 else None
    if bias is None:
        opts["bias"] = False
    g.emit(node, "conv", opts, _data(g, node), {"weight": weight, "bias": bias})


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
        if not all(g.is_data(t) for t in inputs):
            raise Unmappable(f"only a {node.op_type} of computed tensors maps ({kind}); "
                             "one of its inputs is a stored constant")
        g.emit(node, kind, {}, inputs, merge=True)
    return rule


def concat(g: Graph, node) -> None:
    axis = int(attrs(node).get("axis", 1))
    rank = g.rank(node.input[0])
    if not ((rank == 4 and axis in (1, -3)) or (rank in (2, 3) and axis in (rank - 1, -1))):
        raise Unmappable(f"only a concat on the channels maps (axis {axis} of rank {rank})")
    merge("concat")(g, node)


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


def pool(kind: str):
    def rule(g: Graph, node) -> None:
        a = attrs(node)
        opts = _window(node, a)
        if any(int(d) != 1 for d in a.get("dilations", [1, 1])):
            raise Unmappable("dilated pooling is not mapped")
        if int(a.get("ceil_mode", 0)):
            opts["ceil_mode"] = True
        if kind == "avgpool":  # ONNX's default is 0; PyTorch exports its True explicitly
            opts["count_include_pad"] = bool(int(a.get("count_include_pad", 0)))
        g.emit(node, kind, opts, _data(g, node))
    return rule


def global_avgpool(g: Graph, node) -> None:
    g.emit(node, "global_avgpool", {}, _data(g, node))


def batchnorm(g: Graph, node) -> None:
    a = attrs(node)
    if int(a.get("training_mode", 0)):
        raise Unmappable("training-mode batch norm is not mapped (export in eval mode)")
    scale, bias, mean, var = (g.const(node, i, w) for i, w in ((1, "scale"), (2, "bias"), (3, "mean"), (4, "var")))
    eps = float(f"{float(a.get('epsilon', 1e-5)):.6g}")  # stored as float32: 9.99999975e-06 is 1e-5
    g.emit(node, "batchnorm", {"eps": eps}, _data(g, node),
           {"weight": scale, "bias": bias, "running_mean": mean, "running_var": var})


def layernorm(g: Graph, node) -> None:
    a = attrs(node)
    rank = g.rank(node.input[0])
    axis = int(a.get("axis", -1))
    if axis != -1 and (rank is None or axis != rank - 1):
        raise Unmappable(f"only a layer norm over the last axis maps (axis {axis})")
    scale, bias = g.const(node, 1, "scale"), g.const(node, 2, "bias")
    opts = {"eps": float(f"{float(a.get('epsilon', 1e-5)):.6g}")}
    if bias is None:
        opts["bias"] = False
    g.emit(node, "layernorm", opts, _data(g, node), {"weight": scale, "bias": bias})


def flatten(g: Graph, node) -> None:
    axis = int(attrs(node).get("axis", 1))
    rank = g.rank(node.input[0])
    if axis != 1:
        raise Unmappable(f"only a flatten from axis 1 maps (axis {axis})")
    if rank == 2:
        g.alias(node, node.input[0])
    elif rank in (4, None):
        g.emit(node, "flatten", {"order": "chw"}, _data(g, node))
    else:
        raise Unmappable(f"a flatten of rank {rank} is not mapped")


def reshape(g: Graph, node) -> None:
    """A reshape that flattens a map (x.view(N, -1)) or changes nothing; others do not map."""
    src, dst = g.shapes.get(node.input[0]), g.shapes.get(node.output[0])
    if src and dst and len(src) == 4 and len(dst) == 2:
        g.emit(node, "flatten", {"order": "chw"}, _data(g, node))
    elif src and dst and src == dst and None not in src:
        g.alias(node, node.input[0])
    else:
        raise Unmappable(f"only a reshape that flattens (N, C, H, W) to (N, C*H*W) maps ({src} -> {dst})")


def reduce_mean(g: Graph, node) -> None:
    """x.mean(dim=1) of a sequence (N, L, F): the mean over positions (axes an attribute up to
    opset 17, an input from opset 18)."""
    import numpy as np

    a = attrs(node)
    axes = a.get("axes")
    if axes is None and len(node.input) > 1:
        axes = g.const(node, 1, "axes")
    axes = [] if axes is None else [int(v) for v in np.asarray(axes).reshape(-1)]
    if g.rank(node.input[0]) != 3 or axes not in ([1], [-2]) or int(a.get("keepdims", 1)):
        raise Unmappable("only a mean over the positions of a sequence (axis 1, keepdims 0) maps")
    g.emit(node, "sequence_pool", {"mode": "mean"}, _data(g, node))


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
    "Conv": conv, "Gemm": gemm, "MatMul": matmul,
    "Add": merge("add"), "Sum": merge("add"), "Mul": merge("multiply"), "Concat": concat,
    "Relu": activation("relu"), "Sigmoid": activation("sigmoid"), "Tanh": activation("tanh"),
    "LeakyRelu": activation("leaky_relu", {"alpha": "slope"}), "Elu": activation("elu", {"alpha": "alpha"}),
    "Selu": activation("selu"), "Softplus": activation("softplus"), "Mish": activation("mish"),
    "HardSwish": activation("hardswish"), "HardSigmoid": hardsigmoid, "Gelu": gelu, "Div": erf_gelu, "Clip": clip,
    "Softmax": softmax,
    "MaxPool": pool("maxpool"), "AveragePool": pool("avgpool"), "GlobalAveragePool": global_avgpool,
    "BatchNormalization": batchnorm, "LayerNormalization": layernorm,
    "Gather": gather, "ReduceMean": reduce_mean, "Flatten": flatten, "Reshape": reshape, "Identity": passthrough, "Dropout": passthrough,
}
