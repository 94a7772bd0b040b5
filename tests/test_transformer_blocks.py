"""transformer_encoder / transformer_decoder blocks: the leaves they expand into, counts by hand
(one BERT-base layer: 7,087,872 parameters), and forward/backward against
torch.nn.TransformerEncoderLayer (post- and pre-norm, causal) and a hand-written Llama block
(RMSNorm, rotary, SwiGLU, grouped-query attention) in float64 to 1e-10."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from calc.backend import get_backend
from calc.engine.context import Ctx
from calc.engine.model import Model
from calc.errors import SpecError
from calc.layers import REGISTRY  # noqa: E402
from tests.engine_check import network
from tests.engine_util import assert_close
from tests.torch_transformer import AttentionT, SwiGLUT

# the blocks' norms come with the sequence layers (layernorm, rmsnorm); until they are merged
pytestmark = pytest.mark.skipif("layernorm" not in REGISTRY, reason="layernorm/rmsnorm not merged yet")


def _run(net, x, dy, seed=0):
    be = get_backend("cpu", "float64")
    model = Model(net, Ctx(backend=be, seed=seed))
    rng = np.random.default_rng(seed)
    for _, layer, name in model.parameters():  # away from the initial ones and zeros
        layer.params[name] = rng.normal(scale=0.5, size=layer.params[name].shape)
    y = model.forward(x)
    dx = model.backward(dy)
    return model, y, dx


def _leaf(model, kind, index=0):
    return [leaf for leaf in model.network.leaves() if leaf.kind == kind][index]


def _t(a):
    return torch.tensor(np.asarray(a, dtype=np.float64))


def test_bert_layer_counts_by_hand():
    """BertLayer: attention 4 (768^2 + 768), two LayerNorms 2 * 1536, FFN 768*3072 + 3072 + 3072*768
    + 768 = 7,087,872; MACs 128 * (4 * 768^2 + 2 * 768 * 3072) + 2 * 128^2 * 768."""
    net = network((128, 768), {"transformer_encoder": {"heads": 12, "ffn": 3072, "activation": "relu"}})
    assert sum(leaf.param_count() for leaf in net.leaves()) == 7_087_872
    assert sum(leaf.macs() for leaf in net.leaves()) == 128 * (4 * 768 ** 2 + 2 * 768 * 3072) + 2 * 128 ** 2 * 768
    kinds = [leaf.kind for leaf in net.leaves()]
    assert kinds == ["attention", "add", "layernorm", "dense", "relu", "dense", "add", "layernorm"]


def test_pre_norm_decoder_order_and_dropout_rows():
    net = network((8, 16), {"transformer_decoder": {"heads": 2, "ffn": 32, "dropout": 0.1}})
    kinds = [leaf.kind for leaf in net.leaves()]
    assert kinds == ["layernorm", "attention", "dropout", "add", "layernorm", "dense", "relu", "dropout", "dense",
                     "dropout", "add"]
    assert net.leaves()[1].causal


ACTIVATIONS = {"relu": ("relu", "relu"), "gelu": ("gelu", "gelu"),  # nncalc entry, torch activation
               "gelu_tanh": ({"gelu": {"approximate": "tanh"}}, lambda t: torch.nn.functional.gelu(t, approximate="tanh"))}


@pytest.mark.parametrize("norm_first, causal, act", [(False, False, "relu"), (True, False, "gelu"), (True, True, "gelu_tanh"),
                                                     (False, True, "relu"), (False, False, "gelu")])
def test_encoder_block_matches_torch_transformer_encoder_layer(norm_first, causal, act):
    d, heads, ffn, length = 8, 2, 12, 5
    kind = "transformer_decoder" if causal else "transformer_encoder"
    entry, torch_act = ACTIVATIONS[act]
    net = network((length, d), {kind: {"heads": heads, "ffn": ffn, "norm": "pre" if norm_first else "post",
                                       "activation": entry}})
    rng = np.random.default_rng(5)
    x, dy = rng.normal(size=(3, length, d)), rng.normal(size=(3, length, d))
    model, y, dx = _run(net, x, dy)
    ref = nn.TransformerEncoderLayer(d, heads, ffn, dropout=0.0, batch_first=True, norm_first=norm_first,
                                     activation=torch_act).double()
    attn, fc1, fc2 = _leaf(model, "attention"), _leaf(model, "dense", 0), _leaf(model, "dense", 1)
    ln1, ln2 = _leaf(model, "layernorm", 0), _leaf(model, "layernorm", 1)
    p = attn.params
    with torch.no_grad():
        ref.self_attn.in_proj_weight.copy_(_t(np.concatenate([p["q_weight"], p["k_weight"], p["v_weight"]])))
        ref.self_attn.in_proj_bias.copy_(_t(np.concatenate([p["q_bias"], p["k_bias"], p["v_bias"]])))
        ref.self_attn.out_proj.weight.copy_(_t(p["o_weight"]))
        ref.self_attn.out_proj.bias.copy_(_t(p["o_bias"]))
        for mine, theirs in ((fc1, ref.linear1), (fc2, ref.linear2), (ln1, ref.norm1), (ln2, ref.norm2)):
            theirs.weight.copy_(_t(mine.params["weight"]))
            theirs.bias.copy_(_t(mine.params["bias"]))
    xt = _t(x).requires_grad_(True)
    mask = nn.Transformer.generate_square_subsequent_mask(length, dtype=torch.float64) if causal else None
    yt = ref(xt, src_mask=mask, is_causal=causal)
    yt.backward(_t(dy))
    assert_close(y, yt.detach().numpy(), "output")
    assert_close(dx, xt.grad.numpy(), "input gradient")
    g = ref.self_attn.in_proj_weight.grad.numpy()
    assert_close(np.concatenate([attn.grads[f"{n}_weight"] for n in "qkv"]), g, "in_proj_weight")
    assert_close(fc1.grads["weight"], ref.linear1.weight.grad.numpy(), "linear1.weight")
    assert_close(ln1.grads["weight"], ref.norm1.weight.grad.numpy(), "norm1.weight")


class LlamaBlockT(nn.Module):
    """Hugging Face LlamaDecoderLayer, written out: x + attn(rms(x)); x + mlp(rms(x))."""

    def __init__(self, attn_layer, ffn_layer, d, eps):
        super().__init__()
        self.attn, self.mlp = AttentionT(attn_layer), SwiGLUT(ffn_layer)
        self.n1, self.n2 = nn.RMSNorm(d, eps=eps), nn.RMSNorm(d, eps=eps)

    def forward(self, x):
        x = x + self.attn(self.n1(x))
        return x + self.mlp(self.n2(x))


def test_llama_style_decoder_block_matches_torch():
    d, length = 16, 6
    opts = {"heads": 4, "kv_heads": 2, "ffn": 24, "mlp": "swiglu", "norm_layer": "rmsnorm", "bias": False,
            "rotary": True, "eps": 1e-6}
    net = network((length, d), {"transformer_decoder": opts})
    assert [leaf.kind for leaf in net.leaves()] == ["rmsnorm", "attention", "add", "rmsnorm", "swiglu", "add"]
    rng = np.random.default_rng(9)
    x, dy = rng.normal(size=(2, length, d)), rng.normal(size=(2, length, d))
    model, y, dx = _run(net, x, dy)
    attn, ffn = _leaf(model, "attention"), _leaf(model, "swiglu")
    ref = LlamaBlockT(attn, ffn, d, 1e-6).double()
    with torch.no_grad():
        for mine, theirs in ((attn, ref.attn), (ffn, ref.mlp)):
            for name, t in theirs.nncalc_targets().items():
                t.copy_(_t(mine.params[name]))
        ref.n1.weight.copy_(_t(_leaf(model, "rmsnorm", 0).params["weight"]))
        ref.n2.weight.copy_(_t(_leaf(model, "rmsnorm", 1).params["weight"]))
    xt = _t(x).requires_grad_(True)
    yt = ref(xt)
    yt.backward(_t(dy))
    assert_close(y, yt.detach().numpy(), "output")
    assert_close(dx, xt.grad.numpy(), "input gradient")
    assert_close(attn.grads["k_weight"], ref.attn.k.weight.grad.numpy(), "k_weight")
    assert_close(ffn.grads["gate_weight"], ref.mlp.w1.weight.grad.numpy(), "gate_weight")


def test_activation_entry_with_options():
    net = network((4, 8), {"transformer_encoder": {"heads": 2, "ffn": 16,
                                                   "activation": {"relu": None}}})
    assert [leaf.kind for leaf in net.leaves()][4] == "relu"


@pytest.mark.parametrize("shape, opts, message", [
    ((8,), {"heads": 2, "ffn": 4}, "needs a sequence"),
    ((4, 8), {"heads": 2}, "missing required option 'ffn'"),
    ((4, 8), {"heads": 2, "ffn": 4, "norm": "middle"}, "expected one of pre, post"),
    ((4, 8), {"heads": 2, "ffn": 4, "mlp": "swiglu", "activation": "relu"}, "has its own activation"),
    ((4, 8), {"heads": 2, "ffn": 4, "activation": [1]}, "expected an activation name"),
    ((4, 8), {"heads": 2, "ffn": 4, "heds": 3}, "unknown option 'heds'"),
])
def test_bad_block_options_name_the_problem(shape, opts, message):
    with pytest.raises(SpecError, match=message):
        network(shape, {"transformer_encoder": opts})


def test_unused_name_suggests_the_block():
    with pytest.raises(SpecError, match="transformer_encoder"):
        network((4, 8), {"transformer_encodr": {"heads": 2, "ffn": 4}})


def test_decoder_with_memory_matches_torch_transformer_decoder_layer():
    """transformer_decoder {memory: enc, norm: post} = nn.TransformerDecoderLayer (self-attention with a
    causal mask, cross-attention to the encoder output, feed-forward; norm after each sum), here
    with the memory an encoder layer's output on the same input."""
    from tests.conftest import net_from

    d, heads, ffn, length = 8, 2, 12, 5
    text = f"""input: [{length}, {d}]
layers:
  - transformer_encoder: {{heads: {heads}, ffn: {ffn}}}
    name: enc
  - transformer_decoder: {{heads: {heads}, ffn: {ffn}, norm: post, memory: enc}}
    from: input
"""
    net = net_from(text)
    kinds = [leaf.kind for leaf in net.leaves()][8:]
    assert kinds == ["attention", "add", "layernorm", "cross_attention", "add", "layernorm", "dense", "relu",
                     "dense", "add", "layernorm"]
    rng = np.random.default_rng(4)
    x, dy = rng.normal(size=(2, length, d)), rng.normal(size=(2, length, d))
    model, y, dx = _run(net, x, dy)
    enc = nn.TransformerEncoderLayer(d, heads, ffn, dropout=0.0, batch_first=True).double()
    dec = nn.TransformerDecoderLayer(d, heads, ffn, dropout=0.0, batch_first=True).double()

    def packed(mha, layer):
        p = layer.params
        mha.in_proj_weight.copy_(_t(np.concatenate([p["q_weight"], p["k_weight"], p["v_weight"]])))
        mha.in_proj_bias.copy_(_t(np.concatenate([p["q_bias"], p["k_bias"], p["v_bias"]])))
        mha.out_proj.weight.copy_(_t(p["o_weight"]))
        mha.out_proj.bias.copy_(_t(p["o_bias"]))

    with torch.no_grad():
        packed(enc.self_attn, _leaf(model, "attention", 0))
        packed(dec.self_attn, _leaf(model, "attention", 1))
        packed(dec.multihead_attn, _leaf(model, "cross_attention"))
        pairs = [(_leaf(model, "dense", i), m) for i, m in enumerate((enc.linear1, enc.linear2, dec.linear1, dec.linear2))]
        pairs += [(_leaf(model, "layernorm", i), m) for i, m in enumerate((enc.norm1, enc.norm2, dec.norm1, dec.norm2,
                                                                           dec.norm3))]
        for mine, theirs in pairs:
            theirs.weight.copy_(_t(mine.params["weight"]))
            theirs.bias.copy_(_t(mine.params["bias"]))
    xt = _t(x).requires_grad_(True)
    mask = nn.Transformer.generate_square_subsequent_mask(length, dtype=torch.float64)
    yt = dec(xt, enc(xt), tgt_mask=mask, tgt_is_causal=True)
    yt.backward(_t(dy))
    assert_close(y, yt.detach().numpy(), "output")
    assert_close(dx, xt.grad.numpy(), "input gradient (both paths)")
    cross = _leaf(model, "cross_attention")
    g = dec.multihead_attn.in_proj_weight.grad.numpy()
    assert_close(np.concatenate([cross.grads[f"{n}_weight"] for n in "qkv"]), g, "cross in_proj_weight")


def test_decoder_memory_must_name_an_earlier_layer():
    from tests.conftest import net_from

    text = "input: [4, 8]\nlayers:\n  - transformer_decoder: {heads: 2, ffn: 4, memory: encodr}\n"
    with pytest.raises(SpecError, match="no layer named 'encodr'"):
        net_from(text)
    with pytest.raises(SpecError, match="memory: expected the name|expected the name of an earlier layer"):
        net_from("input: [4, 8]\nlayers:\n  - transformer_decoder: {heads: 2, ffn: 4, memory: [a]}\n")
