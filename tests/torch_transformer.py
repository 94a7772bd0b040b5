"""Hand-written PyTorch twins of nncalc's attention and SwiGLU layers (test-time only).

Attention is written from torch.nn.Linear projections and
torch.nn.functional.scaled_dot_product_attention run on the math kernel (sdpa_kernel(MATH)):
an independent reference that nncalc's hand-derived backward is compared with through autograd.
Grouped-query attention repeats each key/value head for its group (Hugging Face repeat_kv);
rotary encoding is the Llama rotate_half form, written here from the RoFormer formula.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel


def rope(x: torch.Tensor, base: float) -> torch.Tensor:
    """x (N, heads, L, dim): feature i and i + dim/2 rotated by pos * base^(-2i/dim)."""
    length, dim = x.shape[-2], x.shape[-1]
    inv = base ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)
    ang = torch.outer(torch.arange(length, dtype=torch.float64), inv)
    cos, sin = torch.cos(ang), torch.sin(ang)
    x1, x2 = x[..., : dim // 2], x[..., dim // 2:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


class AttentionT(nn.Module):
    def __init__(self, layer):
        super().__init__()
        self.layer = layer
        widths = layer.widths()
        for p in ("q", "k", "v", "o"):
            out, inp = widths[p]
            setattr(self, p, nn.Linear(inp, out, bias=layer.use_bias))

    def forward(self, x):
        layer = self.layer
        n, length, _ = x.shape

        def heads(t, h):
            return t.view(n, length, h, layer.head_dim).transpose(1, 2)

        q, k, v = heads(self.q(x), layer.heads), heads(self.k(x), layer.kv_heads), heads(self.v(x), layer.kv_heads)
        if layer.rotary:
            q, k = rope(q, float(layer.rotary_base)), rope(k, float(layer.rotary_base))
        group = layer.heads // layer.kv_heads
        k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
        with sdpa_kernel(SDPBackend.MATH):
            o = F.scaled_dot_product_attention(q, k, v, is_causal=layer.causal)
        return self.o(o.transpose(1, 2).reshape(n, length, layer.heads * layer.head_dim))

    def nncalc_targets(self) -> dict:
        out = {}
        for p in ("q", "k", "v", "o"):
            lin = getattr(self, p)
            out[f"{p}_weight"] = lin.weight
            if lin.bias is not None:
                out[f"{p}_bias"] = lin.bias
        return out


class CrossAttentionT(AttentionT):
    """Queries from the first input, keys and values from the second (the named memory)."""

    def forward(self, inputs):
        x, memory = inputs
        layer = self.layer
        n, length, _ = x.shape

        def heads(t, h):
            return t.view(n, t.shape[1], h, layer.head_dim).transpose(1, 2)

        q = heads(self.q(x), layer.heads)
        k, v = heads(self.k(memory), layer.kv_heads), heads(self.v(memory), layer.kv_heads)
        group = layer.heads // layer.kv_heads
        k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
        with sdpa_kernel(SDPBackend.MATH):
            o = F.scaled_dot_product_attention(q, k, v)
        return self.o(o.transpose(1, 2).reshape(n, length, layer.heads * layer.head_dim))


class SwiGLUT(nn.Module):
    """Llama's MLP: w2(silu(w1 x) * w3 x), no biases."""

    def __init__(self, layer):
        super().__init__()
        d, h, b = layer.d_model, layer.hidden, layer.use_bias
        self.w1, self.w3, self.w2 = nn.Linear(d, h, bias=b), nn.Linear(d, h, bias=b), nn.Linear(h, d, bias=b)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))

    def nncalc_targets(self) -> dict:
        out = {}
        for part, lin in (("gate", self.w1), ("up", self.w3), ("down", self.w2)):
            out[f"{part}_weight"] = lin.weight
            if lin.bias is not None:
                out[f"{part}_bias"] = lin.bias
        return out


class TokenTypeT(nn.Module):
    """BertEmbeddings' token-type table with token_type_ids = zeros (BertModel's default)."""

    def __init__(self, layer):
        super().__init__()
        self.table = nn.Embedding(layer.types, layer.dim)

    def forward(self, x):
        ids = torch.zeros(x.shape[:-1], dtype=torch.long)
        return x + self.table(ids)

    def nncalc_targets(self) -> dict:
        return {"weight": self.table.weight}


MODULES = {"attention": AttentionT, "swiglu": SwiGLUT, "token_type_embedding": TokenTypeT,
           "cross_attention": CrossAttentionT}
