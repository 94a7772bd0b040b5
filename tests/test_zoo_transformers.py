"""The transformer zoo (bert-base, gpt2, vit-b-16, llama-2-7b): exact published parameter counts
from the bundled specs, and MACs equal to torch's FlopCounterMode / 2 on the same architectures
written here in plain torch, built at full size on the meta device (shapes only, nothing
allocated; attention through scaled_dot_product_attention, whose FLOPs torch counts as the math
kernel computes them)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from calc.counting.stats import summarize
from calc.network import load_network

# published sum(p.numel()) (Hugging Face BertModel / GPT2Model / LlamaForCausalLM, torchvision vit_b_16)
PUBLISHED = {"bert-base": 109_482_240, "gpt2": 124_439_808, "vit-b-16": 86_567_656, "llama-2-7b": 6_738_415_616}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_parameter_counts(name):
    s = summarize(load_network(name))
    assert s.total_params == s.trainable_params == PUBLISHED[name]


def _encoder(d, heads, ffn, norm_first, activation, eps=1e-5):
    return nn.TransformerEncoderLayer(d, heads, ffn, dropout=0.0, activation=activation, layer_norm_eps=eps,
                                      batch_first=True, norm_first=norm_first)


class Bert(nn.Module):
    def __init__(self):
        super().__init__()
        self.word, self.pos, self.types = nn.Embedding(30522, 768, padding_idx=0), nn.Embedding(512, 768), \
            nn.Embedding(2, 768)
        self.ln = nn.LayerNorm(768, eps=1e-12)
        self.layers = nn.ModuleList(_encoder(768, 12, 3072, False, "gelu", 1e-12) for _ in range(12))
        self.pooler = nn.Linear(768, 768)

    def forward(self, ids):
        positions = torch.arange(ids.shape[1], device=ids.device)
        x = self.ln(self.word(ids) + self.pos(positions) + self.types(torch.zeros_like(ids)))
        for layer in self.layers:
            x = layer(x)
        return torch.tanh(self.pooler(x[:, 0]))


class GPT2(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(50257, 768), nn.Embedding(1024, 768)
        self.h = nn.ModuleList(_encoder(768, 12, 3072, True, lambda t: F.gelu(t, approximate="tanh"))
                               for _ in range(12))
        self.ln_f = nn.LayerNorm(768)

    def forward(self, ids):
        x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1], device=ids.device))
        mask = nn.Transformer.generate_square_subsequent_mask(ids.shape[1], device=ids.device)
        for block in self.h:
            x = block(x, src_mask=mask, is_causal=True)
        return self.ln_f(x)


class ViT(nn.Module):
    """torchvision's vit_b_16, written out: conv_proj, class_token, pos_embedding, 12 encoder
    layers (pre-norm, GELU MLP, LayerNorm eps 1e-6), ln, heads.head."""

    def __init__(self):
        super().__init__()
        self.conv_proj = nn.Conv2d(3, 768, 16, 16)
        self.class_token = nn.Parameter(torch.zeros(1, 1, 768))
        self.pos_embedding = nn.Parameter(torch.zeros(1, 197, 768))
        self.layers = nn.ModuleList(_encoder(768, 12, 3072, True, "gelu", 1e-6) for _ in range(12))
        self.ln = nn.LayerNorm(768, eps=1e-6)
        self.head = nn.Linear(768, 1000)

    def forward(self, img):
        x = self.conv_proj(img).flatten(2).transpose(1, 2)
        x = torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embedding
        for layer in self.layers:
            x = layer(x)
        return self.head(self.ln(x)[:, 0])


class LlamaBlock(nn.Module):
    def __init__(self, d, heads, ffn):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.o = (nn.Linear(d, d, bias=False) for _ in range(4))
        self.gate, self.up, self.down = nn.Linear(d, ffn, bias=False), nn.Linear(d, ffn, bias=False), \
            nn.Linear(ffn, d, bias=False)
        self.n1, self.n2 = nn.RMSNorm(d, eps=1e-6), nn.RMSNorm(d, eps=1e-6)

    def forward(self, x):
        n, length, d = x.shape
        h = self.n1(x)

        def split(t):
            return t.view(n, length, self.heads, d // self.heads).transpose(1, 2)

        a = F.scaled_dot_product_attention(split(self.q(h)), split(self.k(h)), split(self.v(h)), is_causal=True)
        x = x + self.o(a.transpose(1, 2).reshape(n, length, d))  # rotary: element-wise, no MACs
        h = self.n2(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Llama(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(32000, 4096)
        self.layers = nn.ModuleList(LlamaBlock(4096, 32, 11008) for _ in range(32))
        self.norm = nn.RMSNorm(4096, eps=1e-6)
        self.lm_head = nn.Linear(4096, 32000, bias=False)

    def forward(self, ids):
        x = self.embed(ids)
        for layer in self.layers:
            x = layer(x)
        return self.lm_head(self.norm(x))


MODELS = {"bert-base": (Bert, lambda: torch.zeros(1, 128, dtype=torch.long)),
          "gpt2": (GPT2, lambda: torch.zeros(1, 1024, dtype=torch.long)),
          "vit-b-16": (ViT, lambda: torch.zeros(1, 3, 224, 224)),
          "llama-2-7b": (Llama, lambda: torch.zeros(1, 4096, dtype=torch.long))}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_macs_equal_torch_flop_counter_over_two(name):
    make, example = MODELS[name]
    with torch.device("meta"):
        model = make().eval()
        assert sum(p.numel() for p in model.parameters()) == PUBLISHED[name]  # the same architecture
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(example())
    s = summarize(load_network(name))
    assert counter.get_total_flops() % 2 == 0
    assert s.macs == counter.get_total_flops() // 2
