"""Rules for Keras' 2-D convolution family: Conv2D, DepthwiseConv2D, SeparableConv2D, pooling and
ZeroPadding2D (folded by calc.interchange.keras_map into the conv or pool that reads it, as nncalc
has no padding layer of its own).

A depthwise conv is nncalc's grouped conv with one group per input channel, so its rule needs
the input's channels: Keras 3 writes them in each layer's build_config (the mapper passes them
as ``_input_shape``); a tf.keras 2 config without them is refused in one line."""

from __future__ import annotations

from calc.interchange.keras_config import Unmappable


def pair(value):
    if isinstance(value, (list, tuple)):
        a, b = (int(v) for v in value)
        return a if a == b else [a, b]
    return int(value)


def activation_entries(value, where: str = "activation") -> list:
    from calc.interchange.keras_layers import activation_entries as entries

    return entries(value, where)


def channels_last(c: dict) -> None:
    if c.get("data_format") not in (None, "channels_last"):
        raise Unmappable("only channels_last maps (nncalc's maps are H x W x C)")


def padding_mode(c: dict):
    padding = c.get("padding", "valid")
    if padding not in ("valid", "same"):
        raise Unmappable(f"padding {padding!r} is not mapped")
    return padding


def _window(c: dict, opts: dict) -> dict:
    """stride, padding 'same' and dilation as nncalc's conv options, where not the default."""
    channels_last(c)
    if pair(c.get("strides", 1)) != 1:
        opts["stride"] = pair(c["strides"])
    if padding_mode(c) == "same":
        opts["padding"] = "same"
    if pair(c.get("dilation_rate", 1)) != 1:
        opts["dilation"] = pair(c["dilation_rate"])
    return opts


def conv2d(c: dict) -> list:
    opts = _window(c, {"filters": int(c["filters"]), "kernel": pair(c["kernel_size"])})
    if int(c.get("groups", 1)) != 1:
        opts["groups"] = int(c["groups"])
    if not c.get("use_bias", True):
        opts["bias"] = False
    return [("conv", opts), *activation_entries(c.get("activation"))]


def conv2d_transpose(c: dict) -> list:
    """nncalc's conv_transpose with padding 'same'/'valid' sizes its output as Keras does."""
    if c.get("output_padding") is not None:
        raise Unmappable("output_padding is not mapped (nncalc takes it with numeric padding only)")
    opts = _window(c, {"filters": int(c["filters"]), "kernel": pair(c["kernel_size"])})
    opts.setdefault("padding", "valid")
    if not c.get("use_bias", True):
        opts["bias"] = False
    return [("conv_transpose", opts), *activation_entries(c.get("activation"))]


def input_channels(c: dict) -> int:
    shape = c.get("_input_shape")
    if not shape or not isinstance(shape[-1], int):
        raise Unmappable("its input channels are not in the config (no build_config input_shape)")
    return int(shape[-1])


def _depthwise_opts(c: dict) -> dict:
    cin, multiplier = input_channels(c), int(c.get("depth_multiplier", 1))
    return _window(c, {"filters": cin * multiplier, "kernel": pair(c["kernel_size"]), "groups": cin})


def depthwise2d(c: dict) -> list:
    opts = _depthwise_opts(c)
    if not c.get("use_bias", True):
        opts["bias"] = False
    return [("conv", opts), *activation_entries(c.get("activation"))]


def separable2d(c: dict) -> list:
    """A depthwise conv without bias, then a 1x1 conv with the layer's bias: Keras' two kernels."""
    depthwise = {**_depthwise_opts(c), "bias": False}
    pointwise = {"filters": int(c["filters"]), "kernel": 1}
    if not c.get("use_bias", True):
        pointwise["bias"] = False
    return [("conv", depthwise), ("conv", pointwise), *activation_entries(c.get("activation"))]


def pooling(kind: str):
    def rule(c: dict) -> list:
        channels_last(c)
        size = c.get("pool_size", 2)
        opts = {"kernel": pair(size), "stride": pair(c.get("strides") or size)}
        if padding_mode(c) == "same":
            opts["padding"] = "same"
        return [(kind, opts)]
    return rule


def zero_pads(c: dict) -> list:
    """[top, bottom, left, right] of a ZeroPadding2D's int, (h, w) or ((t, b), (l, r))."""
    channels_last(c)
    value = c.get("padding", 1)
    if isinstance(value, int):
        return [value] * 4
    first, second = value
    if isinstance(first, int):
        return [int(first), int(first), int(second), int(second)]
    return [int(first[0]), int(first[1]), int(second[0]), int(second[1])]


FOLD_PADDING = {"Conv2D", "DepthwiseConv2D", "SeparableConv2D", "MaxPooling2D", "AveragePooling2D"}
NON_NEGATIVE = {"relu", "relu6"}  # a max pool of these may take zero padding as its own -inf


def fold_padding(kind: str, pieces: list, pads: list, source_kind: str | None) -> None:
    """A ZeroPadding2D's pads put into the first entry of the layer reading it, which must not
    pad itself; a max pool only over non-negative values (where a zero never beats a real cell)."""
    if kind not in FOLD_PADDING:
        raise Unmappable("it reads a ZeroPadding2D; only a conv or pooling layer after one maps")
    opts = pieces[0][1]
    if "padding" in opts:
        raise Unmappable("it pads 'same' after a ZeroPadding2D; only padding 'valid' maps there")
    if kind == "MaxPooling2D" and source_kind not in NON_NEGATIVE:
        raise Unmappable("a max pool after a ZeroPadding2D maps only over ReLU outputs")
    opts["padding"] = list(pads)


RULES = {"Conv2D": conv2d, "Conv2DTranspose": conv2d_transpose, "DepthwiseConv2D": depthwise2d, "SeparableConv2D": separable2d,
         "MaxPooling2D": pooling("maxpool"), "AveragePooling2D": pooling("avgpool")}
