"""One rule per Keras layer class: the nncalc entries (kind, options) it becomes, in order.

Keras defaults are spelled out where nncalc's differ (batch norm eps 1e-3, recurrent layers
returning the last step only, one bias per gate)."""

from __future__ import annotations

from calc.interchange.keras_config import ACTIVATIONS, Unmappable
from calc.interchange.keras_layers_conv import RULES as CONV_RULES
from calc.interchange.keras_layers_seq import RULES as SEQ_RULES


def activation_entries(value, where: str = "activation") -> list:
    """A Keras activation (a name, or Keras 3's serialized function) as 0 or 1 entries."""
    if isinstance(value, dict):
        value = value.get("config", value.get("class_name"))
    if value is None:
        return []
    if not isinstance(value, str) or value not in ACTIVATIONS:
        raise Unmappable(f"{where} {str(value)[:30]!r} has no nncalc layer")
    kind = ACTIVATIONS[value]
    if kind == "leaky_relu":
        return [(kind, {"slope": 0.2})]  # keras.activations.leaky_relu's default negative_slope
    return [(kind, {})] if kind else []


def _channels_last(c: dict) -> None:
    if c.get("data_format") not in (None, "channels_last"):
        raise Unmappable("only channels_last maps (nncalc's maps are H x W x C)")


def dense(c: dict) -> list:
    opts = {"units": int(c["units"])} if c.get("use_bias", True) else {"units": int(c["units"]), "bias": False}
    return [("dense", opts), *activation_entries(c.get("activation"))]


def global_avgpool(c: dict) -> list:
    """Kept 1 x 1 x C (no flatten) with keepdims, or when only Reshapes to 1 x 1 x C read it
    (EfficientNet's squeeze-and-excite)."""
    _channels_last(c)
    keep = c.get("keepdims") or set(c.get("_read_by") or ["-"]) == {"Reshape"}
    return [("global_avgpool", {})] + ([] if keep else [("flatten", {})])


def batchnorm(c: dict) -> list:
    axis = c.get("axis", -1)
    if axis not in (-1, 3, [3], [-1]) and not isinstance(axis, list):
        raise Unmappable(f"only a batch norm over the last axis maps (axis {axis})")
    center, scale = c.get("center", True), c.get("scale", True)
    if center != scale:
        raise Unmappable("center and scale must both be true or both false")
    opts = {"eps": float(c.get("epsilon", 1e-3))}
    if not center:
        opts["affine"] = False
    return [("batchnorm", opts)]


def recurrent(kind: str):
    def rule(c: dict) -> list:
        if c.get("activation", "tanh") != "tanh" or c.get("recurrent_activation", "sigmoid") not in ("sigmoid",):
            raise Unmappable("only the default activations (tanh, sigmoid) map")
        if c.get("go_backwards") or c.get("stateful"):
            raise Unmappable("go_backwards and stateful are not mapped")
        opts = {"hidden": int(c["units"]), "return_sequences": bool(c.get("return_sequences", False)),
                "convention": "keras"}
        if not c.get("use_bias", True):
            opts["bias"] = False
        if kind == "gru":
            opts["reset_after"] = bool(c.get("reset_after", True))
        return [(kind, opts)]
    return rule


def simple(kind: str, **opts):
    return lambda c: [(kind, dict(opts))]


def leaky_relu(c: dict) -> list:
    return [("leaky_relu", {"slope": float(c.get("negative_slope", c.get("alpha", 0.3)))})]


def relu_layer(c: dict) -> list:
    if c.get("max_value") == 6 and not c.get("negative_slope") and not c.get("threshold"):
        return [("relu6", {})]
    if c.get("max_value") is not None or c.get("negative_slope") or c.get("threshold"):
        raise Unmappable("only ReLU() or ReLU(max_value=6) maps")
    return [("relu", {})]


def softmax_layer(c: dict) -> list:
    if c.get("axis", -1) != -1:
        raise Unmappable("only a softmax over the last axis maps")
    return [("softmax", {})]


def embedding(c: dict) -> list:
    if c.get("mask_zero"):
        raise Unmappable("mask_zero is not mapped (nncalc does not skip padded steps)")
    return [("embedding", {"vocab": int(c["input_dim"]), "dim": int(c["output_dim"])})]


def concatenate(c: dict) -> list:
    """Channels are the last axis: -1, or its positive index (DenseNet's axis 3 on H x W x C)."""
    shapes = c.get("_input_shape") or [[]]
    last = len(shapes[0]) - 1 if isinstance(shapes[0], list) else None
    if c.get("axis", -1) not in (-1, last):
        raise Unmappable("only a concatenation on the last axis (channels) maps")
    return [("concat", {})]


RULES = {
    **CONV_RULES, **SEQ_RULES, "Dense": dense,
    "GlobalAveragePooling2D": global_avgpool, "Flatten": simple("flatten"), "BatchNormalization": batchnorm,
    "Dropout": lambda c: [("dropout", {"rate": float(c.get("rate", 0.5))})],
    "Activation": lambda c: activation_entries(c.get("activation")) or [("linear", {})],
    "ReLU": relu_layer, "LeakyReLU": leaky_relu, "Softmax": softmax_layer,
    "Add": simple("add"), "Concatenate": concatenate, "Multiply": simple("multiply"),
    "Embedding": embedding, "LSTM": recurrent("lstm"), "GRU": recurrent("gru"), "SimpleRNN": recurrent("rnn"),
    "LayerNormalization": lambda c: [("layernorm", {"eps": float(c.get("epsilon", 1e-3))})],
}
MERGES = {"Add", "Concatenate", "Multiply"}
