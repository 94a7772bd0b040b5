"""Keras emitters of sequences and transformers (registered in keras_kinds.EMITTERS).

Keras' own layers where they compute nncalc's numbers (Embedding, MultiHeadAttention,
GroupQueryAttention, RMSNormalization, the recurrent layers), else a small class of the
file (calc/interchange/export/keras_custom.py): learned positions, the token-type row, the class
token, the sinusoidal table, rotary encodings, attention with rotary positions, SwiGLU, PyTorch's two-bias cells.
A stacked recurrent layer becomes one Keras layer per stacked layer, named NAME_l0, NAME_l1, ...
"""

from __future__ import annotations

from calc.interchange.export.keras_kinds import call, emits, keras_name, with_pre
from calc.interchange.export.torch_kinds import IN, Piece
from calc.layers import (
    attention,
    layer_norm,
    recurrent,
    sequence,
    sequence_position,
    swiglu,
    token_type,
)


@emits(sequence.Embedding)
def _embedding(layer, x):  # padding_idx only shapes training (its row's gradient): no inference trace
    return call(layer, f"layers.Embedding({layer.vocab}, {layer.dim}", x)


@emits(sequence_position.PositionalEmbedding)
def _positional(layer, x):
    return call(layer, f"PositionalEmbedding({layer.max_len}", x, ("PositionalEmbedding",))


@emits(token_type.TokenTypeEmbedding)
def _token_type(layer, x):
    return call(layer, f"TokenType({layer.types}", x, ("TokenType",))


@emits(sequence.ClassToken)
def _class_token(layer, x):
    return call(layer, "ClassToken(", x, ("ClassToken",))


@emits(sequence_position.Sinusoidal)
def _sinusoidal(layer, x):
    return call(layer, f"Sinusoidal({float(layer.base)!r}", x, ("Sinusoidal",))


@emits(sequence_position.Rotary)
def _rotary(layer, x):
    return call(layer, f"Rotary({float(layer.base)!r}, {layer.size}, {layer.pairing!r}", x, ("rope", "Rotary"))


@emits(sequence.ToSequence)
def _to_sequence(layer, x):  # row by row, as nncalc: a plain reshape of the channels-last map
    h, w, c = layer.in_shape
    return call(layer, f"layers.Reshape(({h * w}, {c})", x)


@emits(sequence.SequencePool)
def _sequence_pool(layer, x):
    if layer.mode == "mean":
        return call(layer, "layers.GlobalAveragePooling1D(", x)
    if layer.mode == "max":
        return call(layer, "layers.GlobalMaxPooling1D(", x)
    index = 0 if layer.mode == "first" else -1
    return call(layer, f"layers.Lambda(lambda t: t[:, {index}]", x)


@emits(layer_norm.RMSNorm)
def _rmsnorm(layer, x):
    if layer.affine:
        return call(layer, f"layers.RMSNormalization(epsilon={layer.eps}", x)
    return call(layer, f"layers.Lambda(lambda t: t * keras.ops.rsqrt(keras.ops.mean(t * t, axis=-1, "
                       f"keepdims=True) + {layer.eps})", x)


@emits(swiglu.SwiGLU)
def _swiglu(layer, x):
    return call(layer, f"SwiGLU({layer.hidden}, {layer.d_model}, use_bias={layer.use_bias}", x, ("SwiGLU",))


@emits(attention.Attention, attention.CrossAttention)
def _attention(layer, x):
    """MultiHeadAttention, GroupQueryAttention when kv_heads < heads; the file's Attention with
    rotary positions or for a grouped-query cross-attention (Keras' wants equal widths)."""
    query, memory = (x[0], x[1]) if isinstance(x, list) else (x, x)
    grouped = layer.kv_heads != layer.heads
    if layer.rotary or (grouped and isinstance(x, list)):
        base = f", base={float(layer.rotary_base)!r}" if layer.rotary else ""
        causal = ", causal=True" if getattr(layer, "causal", False) else ""
        ctor = (f"Attention({layer.heads}, {layer.kv_heads}, {layer.head_dim}, {layer.d_model}, "
                f"use_bias={layer.use_bias}{causal}{base}, name={keras_name(layer.name)!r})")
        args = f"{query}, {memory}" if isinstance(x, list) else query
        return Piece(f"{ctor}({args})", helpers=(*(("rope",) if layer.rotary else ()), "Attention"))
    drop = f", dropout={float(layer.rate)}" if float(layer.rate) else ""
    mask = ", use_causal_mask=True" if getattr(layer, "causal", False) else ""
    if grouped:
        ctor = (f"layers.GroupQueryAttention({layer.head_dim}, {layer.heads}, {layer.kv_heads}, "
                f"use_bias={layer.use_bias}{drop}, name={keras_name(layer.name)!r})")
    else:
        ctor = (f"layers.MultiHeadAttention({layer.heads}, {layer.head_dim}, use_bias={layer.use_bias}{drop}, "
                f"name={keras_name(layer.name)!r})")
    return Piece(f"{ctor}({query}, {memory}{mask})")


def recurrent_ctor(layer, name: str, sequences: bool) -> str:
    """One Keras recurrent layer (both directions for a bidirectional one) named ``name``."""
    seq = f"return_sequences={sequences}"
    if layer.kind != "gru" and layer.two_biases:  # PyTorch's b_ih and b_hh: the file's TorchCell
        extra = f", nonlinearity={layer.nonlinearity!r}" if layer.kind == "rnn" else ""
        inner = f"layers.RNN(TorchCell({layer.kind!r}, {layer.hidden}{extra}), {seq})"
    else:
        if layer.kind == "gru":
            extra = f", reset_after={layer.convention == 'pytorch' or layer.reset_after}"
        else:
            extra = f", activation={layer.nonlinearity!r}" if layer.kind == "rnn" else ""
        cls = {"rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}[layer.kind]
        inner = f"layers.{cls}({layer.hidden}, use_bias={layer.use_bias}, {seq}{extra})"
    frozen = ", trainable=False" if getattr(layer, "trainable", True) is False else ""
    if layer.bidirectional:
        return f"layers.Bidirectional({inner}, name={keras_name(name)!r}{frozen})"
    return f"{inner[:-1]}, name={keras_name(name)!r}{frozen})"


@emits(recurrent.RNN, recurrent.LSTM, recurrent.GRU)
def _recurrent(layer, x):
    helpers = ("TorchCell",) if layer.kind != "gru" and layer.two_biases else ()
    if layer.layers == 1:
        return Piece(f"{recurrent_ctor(layer, layer.name, layer.return_sequences)}({x})", helpers=helpers)
    steps = [f"{recurrent_ctor(layer, f'{layer.name}_l{k}', True)}({IN})" for k in range(layer.layers - 1)]
    last = recurrent_ctor(layer, f"{layer.name}_l{layer.layers - 1}", layer.return_sequences)
    return with_pre(Piece(f"{last}({IN})", helpers=helpers), tuple(steps))
