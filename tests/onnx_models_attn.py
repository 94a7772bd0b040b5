"""Torch attention models as users write them, for the ONNX attention tests (test-time only): a
causal self-attention (nanoGPT's masked_fill of a tril buffer, or an added -inf triangle), a tiny
GPT-style causal language model, F.scaled_dot_product_attention on a packed qkv projection,
grouped-query attention (K/V heads repeated), torch.nn.MultiheadAttention and
nn.TransformerEncoder, and one with a key-padding mask fed as a second input.

`python -m tests.onnx_models_attn` writes the docs' example models into examples/onnx/.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

EXPORTERS = ("legacy", "folded", "dynamo")  # dynamo=False without / with constant folding, dynamo=True


def _heads(t, heads):
    n, length, _ = t.shape
    return t.reshape(n, length, heads, -1).transpose(1, 2)


class CausalSelfAttention(nn.Module):
    """nanoGPT's attention: q, k, v, o Linear; scores / sqrt(head_dim), masked_fill of a tril
    buffer with -inf ("fill"), or a -inf triangle added ("add"); softmax; @ v."""

    def __init__(self, d=16, heads=4, mask="fill", max_len=32):
        super().__init__()
        self.heads, self.mask = heads, mask
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.register_buffer("tril", torch.tril(torch.ones(max_len, max_len)))

    def forward(self, x):
        n, length, d = x.shape
        q, k, v = (_heads(f(x), self.heads) for f in (self.q, self.k, self.v))
        att = q @ k.transpose(-2, -1) / (d // self.heads) ** 0.5
        if self.mask == "fill":
            att = att.masked_fill(self.tril[:length, :length] == 0, float("-inf"))
        elif self.mask == "window":  # a sliding window of 3 keys: no causal mask (refused)
            keep = self.tril[:length, :length] - torch.tril(self.tril[:length, :length], -3)
            att = att.masked_fill(keep == 0, float("-inf"))
        else:
            att = att + torch.triu(torch.full((length, length), float("-inf"), dtype=x.dtype), 1)
        out = att.softmax(-1) @ v
        return self.o(out.transpose(1, 2).reshape(n, length, d))


class Conv1D(nn.Module):
    """Hugging Face GPT-2's linear layer: weight (in, out), torch.addmm on the flattened positions
    (exported as Gemm on (N * L, in), then a view back)."""

    def __init__(self, nx, nf):
        super().__init__()
        self.weight, self.bias = nn.Parameter(torch.randn(nx, nf)), nn.Parameter(torch.randn(nf))

    def forward(self, x):
        out = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return out.view(x.size()[:-1] + (self.weight.size(1),))


class Gpt2Attention(nn.Module):
    """Hugging Face GPT-2's eager attention: c_attn (Conv1D to 3d) split, permute into heads,
    scores / a full tensor of sqrt(head_dim), torch.where of a bool tril buffer with
    finfo(dtype).min, softmax, A V, c_proj."""

    def __init__(self, d=16, heads=4, max_len=32):
        super().__init__()
        self.heads = heads
        self.c_attn, self.c_proj = Conv1D(d, 3 * d), Conv1D(d, d)
        self.register_buffer("bias", torch.tril(torch.ones(max_len, max_len, dtype=torch.bool)).view(1, 1, max_len, max_len))

    def forward(self, x):
        d = x.shape[-1]
        q, k, v = (t.view(t.size()[:-1] + (self.heads, d // self.heads)).permute(0, 2, 1, 3)
                   for t in self.c_attn(x).split(d, dim=2))
        w = torch.matmul(q, k.transpose(-1, -2)) / torch.full([], v.size(-1) ** 0.5, dtype=x.dtype)
        length = q.size(-2)
        w = torch.where(self.bias[:, :, :length, :length], w, torch.full([], torch.finfo(w.dtype).min, dtype=w.dtype))
        o = torch.matmul(w.softmax(-1), v).permute(0, 2, 1, 3).contiguous()
        return self.c_proj(o.view(o.size()[:-2] + (d,)))


class Block(nn.Module):
    """A pre-norm decoder block: x + attn(ln(x)), x + mlp(ln(x)) (GPT-2's order)."""

    def __init__(self, d, heads, attn):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = attn
        self.fc, self.proj = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.proj(F.gelu(self.fc(self.ln2(x))))


class TinyGPT(nn.Module):
    """Token ids -> embedding -> decoder blocks with causal attention -> layer norm -> a bias-free
    LM head giving next-token logits at every position."""

    def __init__(self, vocab=40, d=16, heads=4, layers=2, attn="causal"):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        make = {"causal": lambda: CausalSelfAttention(d, heads), "sdpa": lambda: SdpaAttention(d, heads, causal=True)}
        self.blocks = nn.Sequential(*(Block(d, heads, make[attn]()) for _ in range(layers)))
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)

    def forward(self, ids):
        return self.head(self.ln(self.blocks(self.embed(ids))))


class SdpaAttention(nn.Module):
    """One packed qkv Linear cut by split, F.scaled_dot_product_attention (is_causal, scale),
    grouped-query heads (kv_heads < heads) by repeat_interleave or by Tensor.repeat (tile), an
    output Linear."""

    def __init__(self, d=16, heads=4, kv_heads=None, causal=False, scale=None, tile=False):
        super().__init__()
        self.tile = tile
        self.heads, self.kv_heads, self.causal, self.scale = heads, kv_heads or heads, causal, scale
        self.hd = d // heads
        self.qkv = nn.Linear(d, (heads + 2 * self.kv_heads) * self.hd)
        self.o = nn.Linear(d, d)

    def forward(self, x):
        n, length, d = x.shape
        q, k, v = self.qkv(x).split([self.heads * self.hd, self.kv_heads * self.hd, self.kv_heads * self.hd], -1)
        q, k, v = _heads(q, self.heads), _heads(k, self.kv_heads), _heads(v, self.kv_heads)
        if self.kv_heads != self.heads and self.tile:  # query head h reads K/V head h % kv_heads
            k, v = (t.repeat(1, self.heads // self.kv_heads, 1, 1) for t in (k, v))
        elif self.kv_heads != self.heads:  # query head h reads K/V head h // (heads / kv_heads)
            k, v = (t.repeat_interleave(self.heads // self.kv_heads, dim=1) for t in (k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=self.causal, scale=self.scale)
        return self.o(y.transpose(1, 2).reshape(n, length, d))


class RepeatKvAttention(nn.Module):
    """Llama's grouped-query attention: q, k, v, o Linear (no bias), optionally Q and K rotated
    (rotary: the base), K/V heads repeated by Hugging Face's repeat_kv (expand + reshape), causal,
    scores * head_dim^-0.5."""

    def __init__(self, d=16, heads=4, kv_heads=2, rotary=None):
        super().__init__()
        self.heads, self.kv_heads, self.hd, self.rotary = heads, kv_heads, d // heads, rotary
        self.q, self.o = nn.Linear(d, d, bias=False), nn.Linear(d, d, bias=False)
        self.k, self.v = (nn.Linear(d, kv_heads * self.hd, bias=False) for _ in range(2))

    def _repeat(self, t):
        n, kv, length, hd = t.shape
        group = self.heads // kv
        return t[:, :, None].expand(n, kv, group, length, hd).reshape(n, kv * group, length, hd)

    def _rotate(self, t):
        """Hugging Face Llama's rotary embedding: t * cos + rotate_half(t) * sin."""
        length = t.shape[2]
        inv_freq = 1.0 / (self.rotary ** (torch.arange(0, self.hd, 2, dtype=torch.float32) / self.hd))
        freqs = torch.outer(torch.arange(length, dtype=torch.float32), inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        half = torch.cat((-t[..., self.hd // 2:], t[..., :self.hd // 2]), dim=-1)
        return t * emb.cos() + half * emb.sin()

    def forward(self, x):
        n, length, d = x.shape
        q, k = _heads(self.q(x), self.heads), _heads(self.k(x), self.kv_heads)
        if self.rotary:
            q, k = self._rotate(q), self._rotate(k)
        k, v = self._repeat(k), self._repeat(_heads(self.v(x), self.kv_heads))
        att = (q @ k.transpose(2, 3)) * self.hd ** -0.5
        att = att + torch.full((length, length), float("-inf"), dtype=x.dtype).triu(1)
        out = att.softmax(-1) @ v
        return self.o(out.transpose(1, 2).reshape(n, length, d))


class Mha(nn.Module):
    """torch.nn.MultiheadAttention (batch_first) on x; attn_mask none, a causal -inf triangle, or
    all zeros (which masks nothing); need_weights=False (scaled_dot_product_attention inside) or
    True, torch's default (batch and heads merged into one axis, the averaged weights unused)."""

    def __init__(self, d=16, heads=4, mask="none", need_weights=False):
        super().__init__()
        self.mask, self.need_weights = mask, need_weights
        self.mha = nn.MultiheadAttention(d, heads, batch_first=True)

    def forward(self, x):
        length = x.shape[1]
        masks = {"none": None, "zeros": torch.zeros(length, length, dtype=x.dtype),
                 "causal": torch.triu(torch.full((length, length), float("-inf"), dtype=x.dtype), 1)}
        return self.mha(x, x, x, attn_mask=masks[self.mask], need_weights=self.need_weights)[0]


class Encoder(nn.Module):
    """nn.TransformerEncoder of two nn.TransformerEncoderLayer (batch_first, dropout 0), pre- or
    post-norm, relu or gelu, on a float sequence."""

    def __init__(self, d=16, heads=4, norm_first=False, activation="relu", layers=2):
        super().__init__()
        layer = nn.TransformerEncoderLayer(d, heads, 32, dropout=0.0, activation=activation,
                                           batch_first=True, norm_first=norm_first)
        self.enc = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)

    def forward(self, x):
        return self.enc(x)


class PaddingMasked(nn.Module):
    """nn.MultiheadAttention with a key_padding_mask fed as the model's second input."""

    def __init__(self, d=16, heads=4):
        super().__init__()
        self.mha = nn.MultiheadAttention(d, heads, batch_first=True)

    def forward(self, x, pad):
        return self.mha(x, x, x, key_padding_mask=pad, need_weights=False)[0]


class PadFromIds(nn.Module):
    """Token ids -> embedding -> attention whose scores are masked where the key's id is 0 (a
    padding mask computed inside the model from its input: refused)."""

    def __init__(self, vocab=40, d=16, heads=4):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.attn = CausalSelfAttention(d, heads)

    def forward(self, ids):
        x = self.embed(ids)
        n, length, d = x.shape
        a = self.attn
        q, k, v = (_heads(f(x), a.heads) for f in (a.q, a.k, a.v))
        att = q @ k.transpose(-2, -1) / (d // a.heads) ** 0.5
        att = att.masked_fill((ids == 0)[:, None, None, :], float("-inf"))
        return a.o((att.softmax(-1) @ v).transpose(1, 2).reshape(n, length, d))


def randomize(model: nn.Module, seed: int = 0) -> nn.Module:
    """Every parameter drawn anew (nn.MultiheadAttention starts its biases at zero, which an
    exporter may drop; layer norms start at 1 and 0): a test then sees each weight's place."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(0.3 * torch.randn(p.shape, generator=gen, dtype=p.dtype))
    return model.float().eval()


def export(model: nn.Module, inputs: tuple, path, exporter: str = "legacy") -> str:
    """torch.onnx.export by one of EXPORTERS; the legacy ones with a dynamic batch, dynamo's as
    it comes by default (a fixed batch), in float32 whatever torch's default dtype (another test
    sets float64, and the masks a model builds inside follow it)."""
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float32)
    try:
        _export(model, inputs, path, exporter)
    finally:
        torch.set_default_dtype(default)
    return str(path)


def _export(model, inputs, path, exporter):
    import warnings

    names = ["x", "pad"][:len(inputs)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if exporter == "dynamo":
            torch.onnx.export(model.eval(), inputs, str(path), dynamo=True, external_data=False, input_names=names,
                              output_names=["y"], verbose=False)
        else:
            torch.onnx.export(model.eval(), inputs, str(path), dynamo=False,
                              do_constant_folding=exporter == "folded", input_names=names, output_names=["y"],
                              dynamic_axes={**{n: {0: "N"} for n in names}, "y": {0: "N"}})


def write_examples(folder="examples/onnx") -> None:
    """The docs' attention examples: a tiny GPT (causal) and a two-layer nn.TransformerEncoder."""
    from pathlib import Path

    Path(folder).mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    export(randomize(TinyGPT()), (torch.zeros(1, 8, dtype=torch.long),), Path(folder) / "tiny-gpt.onnx")
    torch.manual_seed(0)
    export(randomize(Encoder(norm_first=True, activation="gelu")), (torch.zeros(1, 6, 16),),
           Path(folder) / "encoder.onnx")


if __name__ == "__main__":
    write_examples()
