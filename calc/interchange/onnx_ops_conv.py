"""ONNX convolutions, pools, padding and resizing as nncalc layers: Conv (1-D on (N, C, L) ->
conv1d, 2-D -> conv), ConvTranspose (2-D), MaxPool / AveragePool (1-D and 2-D), global pools,
a zero Pad folded into the conv or average pool after it, Resize / Upsample -> upsample.

ONNX writes padding as explicit pads or as auto_pad; both become explicit (before, after) pads
per axis here, computed with ONNX's own rule, so nncalc's `same` (whose odd padding may sit on
the other side) is never relied upon.
"""

from __future__ import annotations

from calc.interchange.onnx_graph import Graph, Unmappable, attrs


def _ints(values) -> list[int]:
    return [int(v) for v in values]


def _same_pads(size: int, k: int, s: int, d: int, upper: bool) -> tuple[int, int]:
    """ONNX auto_pad SAME_UPPER / SAME_LOWER: output ceil(size / s), the odd pad at the end
    (UPPER) or at the start (LOWER)."""
    total = max((-(-size // s) - 1) * s + d * (k - 1) + 1 - size, 0)
    small, big = total // 2, total - total // 2
    return (small, big) if upper else (big, small)


def _spatial(g: Graph, node) -> list[int]:
    dims = g.shapes.get(node.input[0])
    if not dims or any(d is None for d in dims[2:]):
        raise Unmappable("auto_pad SAME needs the input's size, which shape inference did not give")
    return _ints(dims[2:])


def _pads(g: Graph, node, a: dict, kernel: list) -> list[tuple[int, int]]:
    """(before, after) per spatial axis: explicit pads, auto_pad, plus a Pad folded before it."""
    n = len(kernel)
    mode = a.get("auto_pad", "NOTSET")
    strides, dil = _ints(a.get("strides", [1] * n)), _ints(a.get("dilations", [1] * n))
    if mode in ("SAME_UPPER", "SAME_LOWER"):
        sizes = _spatial(g, node)
        pads = [_same_pads(i, k, s, d, mode == "SAME_UPPER") for i, k, s, d in zip(sizes, kernel, strides, dil)]
    elif mode in ("NOTSET", "VALID"):
        flat = _ints(a.get("pads", [0] * 2 * n)) if mode == "NOTSET" else [0] * 2 * n
        pads = list(zip(flat[:n], flat[n:]))
    else:
        raise Unmappable(f"auto_pad {mode} is not an ONNX padding mode")
    extra = g.pads.get(node.input[0], [(0, 0)] * n)
    return [(b + eb, e + ee) for (b, e), (eb, ee) in zip(pads, extra)]


def _padding(pads: list) -> int | list:
    """nncalc's padding: one int when all sides agree, else [before, after] (1-D) or
    [top, bottom, left, right] (2-D)."""
    sides = [p for pair in pads for p in pair]
    return sides[0] if len(set(sides)) == 1 else sides


def _window(g: Graph, node, a: dict, kernel) -> dict:
    """kernel, stride, padding of a 1-D or 2-D window (3-D and more: Unmappable)."""
    kernel = _ints(kernel)
    if len(kernel) not in (1, 2):
        raise Unmappable(f"a {len(kernel)}-D window: nncalc has no 3-D layers")
    if len(kernel) == 1 and node.input[0] not in g.channels_first:
        raise Unmappable("a 1-D window on a tensor that is not (N, C, L)")
    one = (lambda v: int(v[0])) if len(kernel) == 1 else (lambda v: v[0] if v[0] == v[1] else list(v))
    opts = {"kernel": one(kernel), "stride": one(_ints(a.get("strides", [1] * len(kernel))))}
    padding = _padding(_pads(g, node, a, kernel))
    if padding:
        opts["padding"] = padding
    return opts


def _dilation_groups(a: dict, opts: dict, n: int) -> dict:
    dil = _ints(a.get("dilations", [1] * n))
    if any(d != 1 for d in dil):
        opts["dilation"] = dil[0] if len(set(dil)) == 1 else dil
    if int(a.get("group", 1)) != 1:
        opts["groups"] = int(a["group"])
    return opts


def conv(g: Graph, node) -> None:
    """Conv with weight (Cout, Cin/g, k...) : conv1d on (N, C, L), conv on (N, C, H, W)."""
    a = attrs(node)
    weight = g.const(node, 1, "weight")
    if weight is None or weight.ndim not in (3, 4):
        raise Unmappable("a 3-D convolution: nncalc has no 3-D layers" if weight is not None and weight.ndim == 5
                         else "only 1-D and 2-D convolutions with a stored weight map")
    bias = g.const(node, 2, "bias")
    opts = {"filters": int(weight.shape[0]), **_window(g, node, a, weight.shape[2:])}
    _dilation_groups(a, opts, weight.ndim - 2)
    if opts["stride"] == 1:
        opts.pop("stride")
    if bias is None:
        opts["bias"] = False
    kind = "conv1d" if weight.ndim == 3 else "conv"
    g.emit(node, kind, opts, _data(g, node), {"weight": weight, "bias": bias})


def _transposed_pads(g: Graph, node, a: dict, kernel: list) -> list[tuple[int, int]]:
    """ConvTranspose's pads: explicit, or from output_shape / auto_pad SAME (ONNX's formula:
    total = s(i-1) + output_padding + d(k-1) + 1 - out; the odd one at the end for SAME_UPPER, at
    the start otherwise, as the spec and onnxruntime place it)."""
    n = len(kernel)
    mode, out = a.get("auto_pad", "NOTSET"), a.get("output_shape")
    if out is None and mode not in ("SAME_UPPER", "SAME_LOWER"):
        flat = _ints(a.get("pads", [0] * 2 * n)) if mode != "VALID" else [0] * 2 * n
        return list(zip(flat[:n], flat[n:]))
    sizes = _spatial(g, node)
    strides, dil = _ints(a.get("strides", [1] * n)), _ints(a.get("dilations", [1] * n))
    outpad = _ints(a.get("output_padding", [0] * n))
    out = _ints(out)[-n:] if out is not None else [i * s for i, s in zip(sizes, strides)]
    pads = []
    for i, k, s, d, op, o in zip(sizes, kernel, strides, dil, outpad, out):
        total = s * (i - 1) + op + d * (k - 1) + 1 - o
        if total < 0:
            raise Unmappable(f"output_shape {out} is larger than the transposed convolution makes")
        small, big = total // 2, total - total // 2
        pads.append((small, big) if mode == "SAME_UPPER" else (big, small))
    return pads


def conv_transpose(g: Graph, node) -> None:
    """ConvTranspose with weight (Cin, Cout/g, kh, kw): nncalc's conv_transpose (2-D only)."""
    a = attrs(node)
    weight = g.const(node, 1, "weight")
    if weight is None or weight.ndim != 4:
        raise Unmappable("only 2-D transposed convolutions with a stored weight map (nncalc has no "
                         "1-D or 3-D conv_transpose)")
    kernel = _ints(weight.shape[2:])
    group = int(a.get("group", 1))
    opts = {"filters": int(weight.shape[1]) * group, "kernel": kernel[0] if kernel[0] == kernel[1] else kernel}
    strides = _ints(a.get("strides", [1, 1]))
    if strides != [1, 1]:
        opts["stride"] = strides[0] if strides[0] == strides[1] else strides
    padding = _padding(_transposed_pads(g, node, a, kernel))
    if padding:
        opts["padding"] = padding
    outpad = _ints(a.get("output_padding", [0, 0]))
    if any(outpad):
        opts["output_padding"] = outpad[0] if outpad[0] == outpad[1] else outpad
    _dilation_groups(a, opts, 2)
    bias = g.const(node, 2, "bias")
    if bias is None:
        opts["bias"] = False
    g.emit(node, "conv_transpose", opts, _data(g, node), {"weight": weight, "bias": bias})


def pool(kind: str):
    """MaxPool / AveragePool: the 2-D kind on maps, the ...1d kind on (N, C, L)."""
    def rule(g: Graph, node) -> None:
        a = attrs(node)
        kernel = a.get("kernel_shape") or []
        opts = _window(g, node, a, kernel)
        if any(int(d) != 1 for d in a.get("dilations", [1] * len(kernel))):
            raise Unmappable("dilated pooling is not mapped")
        if int(a.get("ceil_mode", 0)):
            opts["ceil_mode"] = True
        if kind == "avgpool":  # ONNX's default is 0; PyTorch exports its True explicitly
            folded = node.input[0] in g.pads  # a zero Pad before it counts as values: include them
            opts["count_include_pad"] = folded or bool(int(a.get("count_include_pad", 0)))
            if folded and "pads" in a and any(_ints(a["pads"])) and not int(a.get("count_include_pad", 0)):
                raise Unmappable("a Pad before an average pool that also pads without counting its pads")
        g.emit(node, kind + ("1d" if len(kernel) == 1 else ""), opts, _data(g, node))
    return rule


GLOBAL_POOLS = {"mean": ("global_avgpool", "average"), "max": ("global_maxpool", "max")}
"""sequence_pool mode -> (the map's global pool kind, its word)."""


def global_pool(mode: str):
    """GlobalAveragePool / GlobalMaxPool: global_avgpool / global_maxpool of a map; of (N, C, L)
    the mean / max over positions, a vector in nncalc where ONNX keeps (N, C, 1) (a Flatten or
    Squeeze after it then changes nothing)."""
    kind, word = GLOBAL_POOLS[mode]

    def rule(g: Graph, node) -> None:
        if node.input[0] in g.channels_first:
            g.emit(node, "sequence_pool", {"mode": mode}, _data(g, node))
            g.flat.add(node.output[0])
            g.channels_first.discard(node.output[0])
            return
        if g.rank(node.input[0]) != 4:
            raise Unmappable(f"only a global {word} pool of (N, C, H, W) or (N, C, L) maps")
        g.emit(node, kind, {}, _data(g, node))
    return rule


def reduce_pool(g: Graph, node, axes: list[int], keepdims: bool, mode: str = "mean") -> bool:
    """ReduceMean / ReduceMax over H and W of a map (the dynamo exporter's AdaptiveAvgPool2d(1) /
    AdaptiveMaxPool2d(1), x.amax(dim=(2, 3))) or over L of (N, C, L): a global average / max pool;
    False when the axes are others."""
    rank = g.rank(node.input[0])
    spatial = sorted(a % rank for a in axes) if rank else []
    if rank == 4 and spatial == [2, 3] and node.input[0] not in g.lifted:
        g.emit(node, GLOBAL_POOLS[mode][0], {}, _data(g, node))
        if not keepdims:
            g.emit(node, "flatten", {"order": "chw"}, [node.output[0]])
        return True
    lifted = rank == 4 and spatial in ([3], [2, 3]) and node.input[0] in g.lifted  # (N, C, 1, L)
    if lifted or rank == 3 and spatial == [2] and node.input[0] in g.channels_first:
        g.emit(node, "sequence_pool", {"mode": mode}, _data(g, node))
        g.channels_first.discard(node.output[0])
        g.flat.add(node.output[0])
        return True
    return False


def pad(g: Graph, node) -> None:
    """A constant zero Pad of the spatial axes read only by a Conv or an AveragePool: folded into
    that layer's padding (torch's nn.ZeroPad2d / F.pad before a conv)."""
    import numpy as np

    a = attrs(node)
    pads = a.get("pads") if "pads" in a else g.const(node, 1, "pads")
    value = g.const(node, 2, "value") if len(node.input) > 2 else a.get("value", 0.0)
    if a.get("mode", "constant") != "constant" or (value is not None and float(np.asarray(value).reshape(-1)[0]) != 0):
        raise Unmappable("only a zero (constant) Pad folded into the conv after it maps")
    if len(node.input) > 3 and node.input[3]:
        raise Unmappable("a Pad of chosen axes is not mapped")
    pads = _ints(np.asarray(pads).reshape(-1))
    n = len(pads) // 2
    users = g.consumers.get(node.output[0], [])
    if n not in (3, 4) or any(pads[:2] + pads[n:n + 2]) or min(pads) < 0 or len(users) != 1 \
            or users[0].op_type not in ("Conv", "AveragePool"):
        raise Unmappable("only a zero Pad of the spatial axes read by one Conv or AveragePool maps "
                         "(folded into its padding)")
    g.pads[node.output[0]] = list(zip(pads[2:n], pads[n + 2:]))
    g.alias(node, _data(g, node)[0])


def _resize_scale(g: Graph, node) -> list:
    """Integer output/input factors of H and W from the scales or the sizes input."""
    import numpy as np

    dims = g.shapes.get(node.input[0])
    scales = None
    if node.op_type == "Upsample":
        scales = g.const(node, 1, "scales") if len(node.input) > 1 else attrs(node).get("scales")
    else:
        scales = g.const(node, 2, "scales") if len(node.input) > 2 and node.input[2] else None
        sizes = g.const(node, 3, "sizes") if len(node.input) > 3 and node.input[3] else None
        if (scales is None or np.asarray(scales).size == 0) and sizes is not None and dims and None not in dims[2:]:
            sizes = _ints(np.asarray(sizes).reshape(-1))
            scales = [1.0, 1.0, *(o / i for o, i in zip(sizes[2:], dims[2:]))] if len(sizes) == 4 else []
    scales = [float(v) for v in np.asarray(scales if scales is not None else []).reshape(-1)]
    if len(scales) != 4 or scales[:2] != [1.0, 1.0] or any(s != int(s) or s < 1 for s in scales[2:]):
        raise Unmappable(f"only a resize of H and W by whole factors maps (scales {scales})")
    return [int(s) for s in scales[2:]]


RESIZE_MODES = {  # (mode, coordinate_transformation_mode, nearest_mode) -> upsample options
    ("nearest", "asymmetric", "floor"): {"mode": "nearest"},
    ("linear", "pytorch_half_pixel", None): {"mode": "bilinear"},
    ("linear", "half_pixel", None): {"mode": "bilinear"},
    ("linear", "align_corners", None): {"mode": "bilinear", "align_corners": True},
}


def resize(g: Graph, node) -> None:
    """Resize (opset 10+) and Upsample (opset 7-9) of a map: upsample, nearest as torch's
    (asymmetric, floor) or bilinear (half pixel or align_corners)."""
    a = attrs(node)
    mode = a.get("mode", "nearest")
    coords = a.get("coordinate_transformation_mode", "half_pixel" if node.op_type == "Resize" else "asymmetric")
    if node.op_type == "Upsample" or (mode == "nearest" and "coordinate_transformation_mode" not in a
                                      and node.domain in ("", "ai.onnx") and g.opset < 11):
        coords = "asymmetric"  # opset 10's Resize and Upsample: no such attribute, asymmetric
    key = (mode, coords, a.get("nearest_mode", "round_prefer_floor") if mode == "nearest" else None)
    if key not in RESIZE_MODES or int(a.get("antialias", 0)) or g.rank(node.input[0]) != 4:
        raise Unmappable(f"only torch's nearest (asymmetric, floor) and bilinear resizes of a map "
                         f"map (mode {mode}, {coords})")
    scale = _resize_scale(g, node)
    opts = {"scale": scale[0] if scale[0] == scale[1] else scale, **RESIZE_MODES[key]}
    g.emit(node, "upsample", opts, _data(g, node))


def _data(g: Graph, node, count: int = 1) -> list:
    """The first ``count`` inputs, which must be data (not constants)."""
    inputs = list(node.input[:count])
    if len(inputs) < count or not all(g.is_data(t) for t in inputs):
        raise Unmappable("an input is a constant where nncalc expects data")
    return inputs


RULES = {
    "Conv": conv, "ConvTranspose": conv_transpose, "Pad": pad,
    "MaxPool": pool("maxpool"), "AveragePool": pool("avgpool"),
    "GlobalAveragePool": global_pool("mean"), "GlobalMaxPool": global_pool("max"),
    "Resize": resize, "Upsample": resize,
}
