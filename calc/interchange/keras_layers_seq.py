"""Rules for Keras' sequence layers (Conv1D, 1-D pooling, global pooling, Bidirectional,
TimeDistributed, MultiHeadAttention) and the few remaining per-element layers (ELU, PReLU,
UpSampling2D, GroupNormalization): each Keras layer as nncalc entries, or one line why not.

nncalc's sequence layers are L x F like Keras' (steps, features), so no axis moves."""

from __future__ import annotations

from calc.interchange.keras_config import Unmappable


def _activation(c: dict) -> list:
    from calc.interchange.keras_layers import activation_entries

    return activation_entries(c.get("activation"))


def _one(value) -> int:
    return int(value[0]) if isinstance(value, (list, tuple)) else int(value)


def conv1d(c: dict) -> list:
    """'causal' padding (left only) has no nncalc option: refused rather than padded both sides."""
    if c.get("data_format") not in (None, "channels_last"):
        raise Unmappable("only channels_last maps (nncalc's sequences are L x F)")
    padding = c.get("padding", "valid")
    if padding not in ("valid", "same"):
        raise Unmappable(f"padding {padding!r} is not mapped")
    opts = {"filters": int(c["filters"]), "kernel": _one(c["kernel_size"]), "stride": _one(c.get("strides", 1))}
    if padding == "same":
        opts["padding"] = "same"
    if _one(c.get("dilation_rate", 1)) != 1:
        opts["dilation"] = _one(c["dilation_rate"])
    if int(c.get("groups", 1)) != 1:
        opts["groups"] = int(c["groups"])
    if not c.get("use_bias", True):
        opts["bias"] = False
    return [("conv1d", opts), *_activation(c)]


def pooling1d(kind: str):
    def rule(c: dict) -> list:
        size = _one(c.get("pool_size", 2))
        opts = {"kernel": size, "stride": _one(c.get("strides") or size)}
        if c.get("padding", "valid") == "same":
            opts["padding"] = "same"
        return [(kind, opts)]
    return rule


def global_pool1d(mode: str):
    def rule(c: dict) -> list:
        if c.get("keepdims"):
            raise Unmappable("keepdims=True on a sequence is not mapped")
        return [("sequence_pool", {"mode": mode})]
    return rule


def global_maxpool2d(c: dict) -> list:
    return [("global_maxpool", {})] + ([] if c.get("keepdims") else [("flatten", {})])


def bidirectional(c: dict) -> list:
    """Bidirectional(LSTM/GRU/SimpleRNN) with merge_mode 'concat': nncalc's bidirectional flag."""
    from calc.interchange.keras_layers import RULES

    inner = c.get("layer") or {}
    kind = inner.get("class_name")
    backward = (c.get("backward_layer") or {}).get("config", {})
    if kind not in ("LSTM", "GRU", "SimpleRNN") or backward.get("units", inner.get("config", {}).get("units")) \
            != inner.get("config", {}).get("units"):
        raise Unmappable(f"only Bidirectional(LSTM/GRU/SimpleRNN) maps, not of {str(kind)[:30]}")
    if c.get("merge_mode", "concat") != "concat":
        raise Unmappable(f"merge_mode {c.get('merge_mode')!r}: only 'concat' maps")
    pieces = RULES[kind](inner.get("config", {}))
    pieces[0][1]["bidirectional"] = True
    return pieces


def time_distributed(c: dict) -> list:
    """TimeDistributed(Dense): nncalc's dense acts on the last axis of each step already."""
    from calc.interchange.keras_layers import dense

    inner = c.get("layer") or {}
    if inner.get("class_name") != "Dense":
        raise Unmappable(f"only TimeDistributed(Dense) maps, not of {str(inner.get('class_name'))[:30]}")
    return dense(inner.get("config", {}))


def multi_head_attention(c: dict) -> list:
    """Self-attention with heads x key_dim = the model width: nncalc's attention (Keras' per-head
    bias shapes hold the same numbers: 4 (d^2 + d))."""
    shape = c.get("_shapes_dict") or {}
    width = (shape.get("query_shape") or [None])[-1]
    heads, key_dim = int(c["num_heads"]), int(c["key_dim"])
    value_dim = int(c.get("value_dim") or key_dim)
    if c.get("output_shape") or c.get("attention_axes") not in (None, [1], 1) or value_dim != key_dim:
        raise Unmappable("only attention with value_dim = key_dim, the default axes and output maps")
    if c.get("use_gate") or c.get("sliding_window"):
        raise Unmappable("use_gate and sliding_window are not mapped")
    if width is not None and heads * key_dim != width:
        raise Unmappable(f"num_heads x key_dim ({heads * key_dim}) differs from the width {width}")
    opts = {"heads": heads, "head_dim": key_dim}
    if not c.get("use_bias", True):
        opts["bias"] = False
    return [("attention", opts)]


def prelu(c: dict) -> list:
    shared = sorted(c.get("shared_axes") or [])
    if shared in ([1, 2], [1]):
        return [("prelu", {"per": "channel", "init": 0.0})]
    if not shared:
        return [("prelu", {"per": "element", "init": 0.0})]
    raise Unmappable(f"shared_axes {shared}: only none, [1] or [1, 2] map")


def elu(c: dict) -> list:
    if float(c.get("alpha", 1.0)) != 1.0:
        raise Unmappable("only alpha 1.0 maps")
    return [("elu", {})]


def upsampling2d(c: dict) -> list:
    if c.get("interpolation", "nearest") != "nearest" or c.get("data_format") not in (None, "channels_last"):
        raise Unmappable("only nearest, channels_last upsampling maps")
    size = c.get("size", 2)
    size = list(size) if isinstance(size, (list, tuple)) else [size, size]
    return [("upsample", {"scale": size[0] if size[0] == size[1] else size})]


def group_norm(c: dict) -> list:
    if c.get("axis", -1) != -1 or c.get("center", True) != c.get("scale", True):
        raise Unmappable("only the last axis with center and scale alike maps")
    opts = {"groups": int(c.get("groups", 32)), "eps": float(c.get("epsilon", 1e-3))}
    if not c.get("center", True):
        opts["affine"] = False
    return [("groupnorm", opts)]


RULES = {"Conv1D": conv1d, "MaxPooling1D": pooling1d("maxpool1d"), "AveragePooling1D": pooling1d("avgpool1d"),
         "GlobalAveragePooling1D": global_pool1d("mean"), "GlobalMaxPooling1D": global_pool1d("max"),
         "GlobalMaxPooling2D": global_maxpool2d, "Bidirectional": bidirectional,
         "TimeDistributed": time_distributed, "MultiHeadAttention": multi_head_attention, "PReLU": prelu,
         "ELU": elu, "UpSampling2D": upsampling2d, "GroupNormalization": group_norm}
