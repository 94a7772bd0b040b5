"""Transformer blocks as the layers a user could write by hand: residual containers around
attention, norms, dense layers and an activation (or SwiGLU).

``transformer_encoder: {heads, ffn, ...}`` is torch.nn.TransformerEncoderLayer:
  norm: post (BERT, torch's default)  x = norm1(x + attention(x)); x = norm2(x + ffn(x))
  norm: pre  (GPT-2, ViT, Llama)      x = x + attention(norm1(x)); x = x + ffn(norm2(x))
with ffn = dense(ffn) -> activation -> [dropout] -> dense(d) -> [dropout] (or swiglu: {hidden: ffn}
with ``mlp: swiglu``), attention (dropout on its weights too, as torch's) followed by [dropout].
``transformer_decoder`` is the decoder-only block of GPT and Llama: the same with ``causal: true``
and ``norm: pre`` by default; ``memory: NAME`` adds cross-attention to that earlier output between
the two (torch.nn.TransformerDecoderLayer).

Defaults follow torch.nn.TransformerEncoderLayer where it has one (activation relu, layernorm eps
1e-5, biases), except dropout: 0 (no dropout rows) unless given. The width d of the sequence is
only known when the block is built: the dense layer back to d gets its units then.
"""

from __future__ import annotations

from calc.errors import SpecError, Where
from calc.layers.base import lookup
from calc.layers.containers import Residual, Sequential
from calc.shapes import fmt_shape, is_sequence
from calc.spec.options import Options

NORMS = ("layernorm", "rmsnorm")


def _leaf(kind: str, values: dict, where: Where):
    cls = lookup(kind, where)
    return cls.from_options(Options(dict(values), where, cls.kind))


def _activation(entry, where: Where):
    """The activation as a layer entry is written: `gelu` or {gelu: {approximate: tanh}}."""
    if isinstance(entry, str):
        return _leaf(entry, {}, where)
    if isinstance(entry, dict) and len(entry) == 1:
        (kind, values), = entry.items()
        if values is None or isinstance(values, dict):
            return _leaf(kind, values or {}, where)
    raise SpecError("expected an activation name such as gelu, or {gelu: {approximate: tanh}}", where)


class TransformerBlock(Sequential):
    """Two residual sub-blocks (attention, feed-forward), each with its norm before (pre) or after
    (post) the sum. Its children are ordinary leaves: the summary lists them, the engine runs them."""

    def __init__(self, opts: Options, label: str, causal: bool, norm: str):
        o = self._read(opts, causal, norm)
        where = opts.where
        self.settings = o
        attn_opts = {"heads": o["heads"], "kv_heads": o["kv_heads"], "bias": o["bias"], "causal": o["causal"],
                     "rotary": o["rotary"], "rotary_base": o["rotary_base"], "causal_macs": o["causal_macs"],
                     "dropout": o["dropout"]}
        if o["head_dim"]:
            attn_opts["head_dim"] = o["head_dim"]
        attention = [_leaf("attention", attn_opts, opts.at("heads")), *self._dropout(o, where)]
        if o["mlp"] == "swiglu":
            self.back = None
            ffn = [_leaf("swiglu", {"hidden": o["ffn"], "bias": o["ffn_bias"]}, opts.at("ffn"))]
        else:
            self.back = _leaf("dense", {"units": 1, "bias": o["ffn_bias"]}, opts.at("ffn"))  # units: d, at build
            ffn = [_leaf("dense", {"units": o["ffn"], "bias": o["ffn_bias"]}, opts.at("ffn")),
                   _activation(o["activation"], opts.at("activation")), *self._dropout(o, where),
                   self.back, *self._dropout(o, where)]
        blocks = [attention, ffn]
        if o["memory"] is not None:  # a decoder layer of an encoder-decoder: cross-attention between
            cross = _leaf("cross_attention", {k: attn_opts[k] for k in ("heads", "kv_heads", "bias", "dropout")}
                          | ({"head_dim": o["head_dim"]} if o["head_dim"] else {}), opts.at("memory"))
            cross.source_names, cross.chained = [(o["memory"].strip(), opts.at("memory"))], True  # with: memory
            blocks.insert(1, [cross, *self._dropout(o, where)])
        layers = []
        for body in blocks:
            norm_layer = _leaf(o["norm_layer"], {"eps": o["eps"]} if o["eps"] is not None else {}, opts.at("norm"))
            if o["norm"] == "pre":
                layers.append(self._residual([norm_layer, *body], where))
            else:
                layers += [self._residual(body, where), norm_layer]
        super().__init__(layers, where, label)

    @staticmethod
    def _read(opts: Options, causal: bool, norm: str) -> dict:
        o = {"heads": opts.int("heads"), "ffn": opts.int("ffn"), "kv_heads": None, "head_dim": None}
        o["kv_heads"] = opts.int("kv_heads", o["heads"])
        o["head_dim"] = opts.int("head_dim", 0, minimum=0)
        o["activation"] = opts.raw("activation", "relu")
        o["norm"] = opts.choice("norm", ("pre", "post"), norm)
        o["norm_layer"] = opts.choice("norm_layer", NORMS, "layernorm")
        o["eps"] = opts.number("eps", None, minimum=0.0) if opts.has("eps") else None
        o["mlp"] = opts.choice("mlp", ("dense", "swiglu"), "dense")
        o["bias"] = opts.flag("bias", True)
        o["ffn_bias"] = opts.flag("ffn_bias", o["bias"] if o["mlp"] == "dense" else False)
        o["causal"] = opts.flag("causal", causal)
        o["causal_macs"] = opts.choice("causal_macs", ("full", "triangle"), "full")
        o["dropout"] = opts.number("dropout", 0.0, minimum=0.0, maximum=1.0, open_max=True)
        o["rotary"] = opts.flag("rotary", False)
        o["rotary_base"] = opts.number("rotary_base", 10000.0, minimum=1.0)
        o["memory"] = opts.raw("memory", None)
        opts.finish()
        if o["memory"] is not None and (not isinstance(o["memory"], str) or not o["memory"].strip()):
            opts.fail("memory", "expected the name of an earlier layer (the encoder's output)")
        if o["mlp"] == "swiglu" and opts.has("activation"):
            opts.fail("activation", "mlp: swiglu has its own activation (silu); leave activation out")
        return o

    @staticmethod
    def _dropout(o: dict, where: Where) -> list:
        return [_leaf("dropout", {"rate": o["dropout"]}, where)] if o["dropout"] > 0 else []

    @staticmethod
    def _residual(layers: list, where: Where) -> Residual:
        body, shortcut = Sequential(layers, where, "body"), Sequential([], where, "shortcut")
        body.name, shortcut.name = "body", "shortcut"
        return Residual(body, shortcut, where, label="residual")

    def build(self, in_shape):
        if not is_sequence(tuple(in_shape)):
            self.fail(f"needs a sequence (length x features), got {fmt_shape(tuple(in_shape))}")
        if self.back is not None:
            self.back.units = in_shape[-1]
        return super().build(in_shape)

    def describe(self) -> str:
        o = self.settings
        return f"{o['heads']} heads, ffn {o['ffn']}, {o['norm']}-norm" + (", causal" if o["causal"] else "")


def transformer_encoder(opts: Options) -> TransformerBlock:
    return TransformerBlock(opts, "encoder", causal=False, norm="post")


def transformer_decoder(opts: Options) -> TransformerBlock:
    return TransformerBlock(opts, "decoder", causal=True, norm="pre")


# entries a spec may write like a layer, expanded into containers of leaves (calc.spec.build)
BLOCKS = {"transformer_encoder": transformer_encoder, "transformer_decoder": transformer_decoder}
BLOCK_SUMMARIES = {
    "transformer_encoder": "encoder block: heads, ffn, activation (relu), norm post|pre, norm_layer, eps, "
                           "mlp dense|swiglu, causal, dropout, kv_heads, head_dim, bias, rotary",
    "transformer_decoder": "decoder block (GPT, Llama): as transformer_encoder, causal and pre-norm by "
                           "default; memory: NAME adds cross-attention to an encoder's output",
}
