"""The ``given`` of convolution and pooling problems: maps, kernels, and the layers they make.

    input: [[2, 4, 9], ...]        # one channel: a matrix; several: one matrix per channel
    input_layout: chw              # [channels][rows][cols] (the course's x[:, :, c] slices) or
                                   # hwc ([rows][cols][channels], a TensorFlow tensor as printed)
    kernel: [[1, 2], [3, 4]]       # kh x kw; [channels][kh][kw] (one filter); [filters][kh][kw]
                                   # (one-channel input); [filters][channels][kh][kw]
    weight_layout: hwio            # TensorFlow's [kh][kw][channels][filters] instead
    bias: 1 | [1, 0]               # one per filter (a filter's bias is shared by its positions)
    stride: 2, padding: 1 | same | valid | [ph, pw], dilation: 1

The numbers are exact (Fractions from the text). Layers are the real ones (calc.layers.conv.Conv,
calc.layers.pool.MaxPool / AvgPool) built from these options and run on the exact backend, so
every value shown is the engine's; every mistake is one located error.
"""

from __future__ import annotations

from dataclasses import dataclass

from calc.errors import SpecError, Where
from calc.solve.given import at, choice, raw
from calc.spec.yamlio import LocMap

MAP_LAYOUTS = ("chw", "hwc")


def backend():
    from calc.backend import get_backend

    return get_backend("exact")


def shape_of(value, place: Where, key: str) -> tuple:
    """Nested-list shape; ragged rows or text where a number belongs are one located error."""
    from calc.spec.values import nested_shape

    try:
        return nested_shape(value, place, key)
    except SpecError as exc:
        raise SpecError(exc.message.removeprefix(f"{key}: ").removeprefix("value: "), place) from None


def read_map(given, where: Where, key: str = "input", layout_key: str = "input_layout"):
    """A map (H, W, C) as an exact array: a matrix is one channel; 3-D lists follow the layout."""
    from calc.spec.values import to_array

    value = raw(given, where, key)
    place = at(given, where, key)
    shape = shape_of(value, place, key)
    layout = choice(given, where, layout_key, MAP_LAYOUTS, "chw")
    if len(shape) == 2:
        return to_array(value, place, backend(), shape, key).reshape(*shape, 1)
    if len(shape) != 3:
        raise SpecError(f"expected a matrix [rows][columns], or one matrix per channel [channels][rows][columns] "
                        f"({layout_key}: hwc for [rows][columns][channels]); got {len(shape)} nesting levels", place)
    arr = to_array(value, place, backend(), shape, key)
    return backend().xp.ascontiguousarray(arr.transpose(1, 2, 0)) if layout == "chw" else arr


@dataclass
class KernelSpec:
    raw: object  # the nested list as written
    where: Where
    filters: int
    channels: int  # input channels each filter sees
    size: tuple[int, int]
    layout: str  # oihw | hwio


def read_kernel(given, where: Where, in_channels: int, key: str = "kernel") -> KernelSpec:
    """Shape of the written kernel, checked against the input's channels (groups divide them)."""
    value = raw(given, where, key)
    place = at(given, where, key)
    shape = shape_of(value, place, key)
    layout = choice(given, where, "weight_layout", ("oihw", "hwio"), "oihw")
    groups = raw(given, where, "groups", 1)
    groups = groups if isinstance(groups, int) and not isinstance(groups, bool) and groups >= 1 else 1
    if len(shape) == 2:
        filters, channels, size = 1, 1, shape
    elif len(shape) == 4 and layout == "hwio":
        channels, filters, size = shape[2], shape[3], shape[:2]
    elif len(shape) == 4:
        filters, channels, size = shape[0], shape[1], shape[2:]
    elif len(shape) == 3 and layout == "oihw":
        if in_channels == 1:
            filters, channels = shape[0], 1
        elif shape[0] * groups == in_channels:
            filters, channels = 1, shape[0]
        else:
            raise SpecError(f"{shape[0]} kernel slices of {shape[1]} x {shape[2]}, but the input has {in_channels} "
                            "channels: give one slice per channel ([channels][kh][kw]) for one filter, or "
                            "[filters][channels][kh][kw]", place)
        size = shape[1:]
    else:
        forms = ("[kh][kw][channels][filters]" if layout == "hwio" else
                 "[kh][kw], [channels][kh][kw], [filters][kh][kw] or [filters][channels][kh][kw]")
        raise SpecError(f"expected a kernel as {forms}; got {len(shape)} nesting levels", place)
    if channels * groups != in_channels:
        what = "a single kh x kw kernel" if len(shape) == 2 else f"{channels} input channel(s) per filter"
        raise SpecError(f"{what}, but the input has {in_channels} channels"
                        + (f" (groups {groups})" if groups > 1 else "")
                        + ("; give one kh x kw slice per channel: [channels][kh][kw]" if len(shape) == 2 else ""), place)
    return KernelSpec(value, place, filters, channels, tuple(size), layout)


def _options(given, keys, extra: dict) -> LocMap:
    """The layer options found in ``given`` (keeping their lines for errors) plus ``extra``."""
    out = LocMap()
    out.line, out.lines = getattr(given, "line", None), {}
    for key in keys:
        if key in given:
            out[key] = given[key]
            if isinstance(given, LocMap):
                out.lines[key] = given.line_of(key)
    out.update(extra)
    return out


def _ctx():
    from calc.engine.context import Ctx

    return Ctx(backend=backend())


def conv_layer(given, where: Where, kernel: KernelSpec, in_shape, flip: bool = False):
    """A built calc.layers.conv.Conv with the written weights (flipped for true convolution)."""
    from calc.layers.conv import Conv
    from calc.spec.options import Options

    extra = {"filters": kernel.filters, "kernel": list(kernel.size), "bias": given.get("bias", False)}
    opts = Options(_options(given, ("stride", "padding", "dilation", "groups"), extra), where, "conv")
    layer = Conv.from_options(opts)
    layer.where = kernel.where  # unnamed: errors read "conv: kernel 3 is larger than ..."
    layer.weight_layout = kernel.layout
    layer.values["weights"] = (kernel.raw, kernel.where)
    if "bias" in given:
        layer.values["bias"] = (given["bias"], at(given, where, "bias"))
    layer.build(tuple(in_shape))
    check_map_memory(layer)
    ctx = _ctx()
    layer.init_params(ctx)
    layer.written = layer.params["weight"]  # as written (OIHW), before any flip
    if flip:  # true convolution = cross-correlation with the kernel rotated by 180 degrees
        layer.params["weight"] = ctx.xp.ascontiguousarray(layer.written[:, :, ::-1, ::-1])
    return layer, ctx


def check_map_memory(layer) -> None:
    """Refuse, with the figure, a worked convolution whose padded input and output would not fit
    (``--padding 100000`` asks for hundreds of GiB): 8 bytes per padded cell (one shared exact
    zero), ~100 per computed exact value (a Fraction)."""
    from math import prod

    from calc import memory

    h, w, cin = layer.in_shape
    top, bottom, left, right = layer.pad
    padded = (h + top + bottom) * (w + left + right) * cin
    memory.check(8 * padded + 100 * 2 * prod(layer.out_shape), "the padded input and the output")


POOL_TYPES = {"max": "maxpool", "avg": "avgpool", "average": "avgpool"}


def pool_layer(given, where: Where, in_shape, kind: str | None = None):
    """A built MaxPool or AvgPool from kernel/stride/padding (stride defaults to the kernel)."""
    from calc.layers import REGISTRY
    from calc.spec.options import Options

    cls = REGISTRY[kind or POOL_TYPES[choice(given, where, "type", tuple(POOL_TYPES), "max")]]
    keys = ("kernel", "stride", "padding", "ceil_mode") + (("dilation",) if cls.has_dilation else ())
    keys += ("count_include_pad",) if cls.pool_reduce == "mean" else ()
    layer = cls.from_options(Options(_options(given, keys, {}), where, cls.kind))
    layer.where = at(given, where, "kernel")
    layer.build(tuple(in_shape))
    layer.init_params(_ctx())
    return layer, _ctx()


def run(layer, ctx, x):
    """One sample through the layer: (H, W, C) -> (Ho, Wo, Cout)."""
    return layer.forward(x[None], ctx)[0]


def read_output_grad(given, where: Where, key: str, out_shape, layer_text: str):
    """dL/dO written like the output (a matrix per output channel); its shape must be the output's."""
    from calc.spec.values import to_array

    place = at(given, where, key)
    value = raw(given, where, key)
    got = shape_of(value, place, key)
    ho, wo, c = out_shape
    want = (ho, wo) if c == 1 else (c, ho, wo)
    if got != want:
        shown = " x ".join(map(str, want))
        raise SpecError(f"expected {shown} values, the shape of the output of {layer_text}; got "
                        f"{' x '.join(map(str, got)) or 'a single number'}", place)
    arr = to_array(value, place, backend(), got, key)
    return arr.reshape(ho, wo, 1) if c == 1 else backend().xp.ascontiguousarray(arr.transpose(1, 2, 0))


def matrix_from_text(text: str, option: str):
    """A matrix (or nested channels) from a command-line value: inline or a file (calc.numtext.matrix)."""
    from calc.numtext import matrix

    return matrix(text, option)
