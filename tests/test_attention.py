"""Attention and SwiGLU: counts by hand, forward and backward against hand-written torch modules
(scaled_dot_product_attention on the math kernel, autograd, float64, 1e-10), causal masks,
grouped-query attention and rotary encoding included."""

from __future__ import annotations

import numpy as np
import pytest

from calc.errors import SpecError
from tests.engine_check import network
from tests.engine_util import assert_close, make_model, run_pair

ATTENTION = [
    {"heads": 2},
    {"heads": 2, "causal": True},
    {"heads": 4, "kv_heads": 2},
    {"heads": 4, "kv_heads": 1, "causal": True, "bias": False},
    {"heads": 2, "head_dim": 3},
    {"heads": 2, "rotary": True, "causal": True},
    {"heads": 4, "kv_heads": 2, "rotary": True, "rotary_base": 100, "bias": False},
]


def _randomise(model, rng):
    for _, layer, name in model.parameters():
        layer.params[name] = model.backend.asarray(rng.normal(size=layer.params[name].shape))


@pytest.mark.parametrize("opts", ATTENTION)
def test_attention_matches_torch(opts):
    rng = np.random.default_rng(len(opts))
    model = make_model(network((5, 8), {"attention": opts}))
    _randomise(model, rng)
    run_pair(model, rng.normal(size=(3, 5, 8)), rng=rng).check()


def test_attention_inside_a_residual_block_matches_torch():
    rng = np.random.default_rng(7)
    spec = network((6, 4), {"residual": {"body": [{"attention": {"heads": 2, "causal": True}}]}},
                   {"dense": {"units": 3}})
    model = make_model(spec)
    _randomise(model, rng)
    run_pair(model, rng.normal(size=(2, 6, 4)), rng=rng).check()


def test_causal_first_position_sees_only_itself():
    """Query 0 under a causal mask attends to key 0 alone: its output is o(v(x_0)), whatever the
    other positions hold."""
    rng = np.random.default_rng(1)
    model = make_model(network((4, 4), {"attention": {"heads": 1, "causal": True}}))
    x = rng.normal(size=(1, 4, 4))
    y1 = model.forward(x.copy())
    x[0, 1:] = rng.normal(size=(3, 4)) * 10
    y2 = model.forward(x)
    assert np.allclose(y1[0, 0], y2[0, 0]) and not np.allclose(y1[0, 1], y2[0, 1])


def test_exact_backend_uniform_scores():
    """Zero Q/K weights give equal scores: each output position is the mean of the values seen
    (causal: of positions 0..i), exactly. x = [[1], [2], [3]], V = O = identity, no bias:
    outputs 1, 3/2, 2."""
    from fractions import Fraction

    from calc.backend import get_backend
    from calc.engine.context import Ctx
    from calc.engine.model import Model
    from tests.conftest import net_from

    text = "input: [3, 1]\nlayers:\n  - attention: {heads: 1, causal: true, bias: false}\n"
    be = get_backend("exact")
    model = Model(net_from(text), Ctx(be, seed=0))
    layer = model.network.leaves()[0]
    for p, v in (("q", 0), ("k", 0), ("v", 1), ("o", 1)):
        layer.params[f"{p}_weight"] = be.asarray([[v]])
    y = model.forward(be.asarray([[[1], [2], [3]]]))
    assert [row[0] for row in y[0]] == [Fraction(1), Fraction(3, 2), Fraction(2)]


def test_counts_by_hand():
    """BERT-base self-attention: 4 (768*768 + 768) params; MACs 4 projections 128*768*768 each
    plus Q K^T and A V, 128*128*768 each."""
    (a,) = network((128, 768), {"attention": {"heads": 12}}).leaves()
    assert a.param_count() == 4 * (768 * 768 + 768) == 2_362_368
    assert a.macs() == 4 * 128 * 768 * 768 + 2 * 128 * 128 * 768
    assert a.costs() == {"act": 12 * 128 * 128, "bias": 4 * 128 * 768}


def test_gqa_counts_by_hand():
    """Llama-2-70B-like widths scaled down: d 64, 8 heads of 8, 2 kv heads: K and V are 64 -> 16."""
    (a,) = network((10, 64), {"attention": {"heads": 8, "kv_heads": 2, "bias": False}}).leaves()
    assert a.param_count() == 64 * 64 * 2 + 2 * 64 * 16
    assert a.macs() == 10 * (64 * 64 * 2 + 2 * 64 * 16) + 2 * 10 * 10 * 64


def test_causal_triangle_counts_half_plus_diagonal():
    (a,) = network((10, 8), {"attention": {"heads": 2, "causal": True, "causal_macs": "triangle"}}).leaves()
    assert a.score_macs() == 2 * 55 * 8  # 10*11/2 pairs, 4 products per head, 2 heads, twice
    (b,) = network((10, 8), {"attention": {"heads": 2, "causal": True}}).leaves()
    assert b.score_macs() == 2 * 100 * 8


@pytest.mark.parametrize("shape, opts, message", [
    ((10,), {"heads": 2}, "needs a sequence"),
    ((4, 10), {"heads": 3}, "do not split into 3 heads"),
    ((4, 8), {"heads": 4, "kv_heads": 3}, "multiple of kv_heads"),
    ((4, 6), {"heads": 2, "rotary": True}, "even head_dim"),
    ((4, 8), {"heads": 2, "causal_macs": "triangle"}, "needs causal"),
])
def test_bad_options_name_the_problem(shape, opts, message):
    with pytest.raises(SpecError, match=message):
        network(shape, {"attention": opts})


@pytest.mark.parametrize("shape, opts", [((5, 6), {"hidden": 10}), ((7,), {"hidden": 4}),
                                         ((3, 4), {"hidden": 5, "bias": True})])
def test_swiglu_matches_torch(shape, opts):
    rng = np.random.default_rng(sum(shape))
    model = make_model(network(shape, {"swiglu": opts}))
    _randomise(model, rng)
    run_pair(model, rng.normal(size=(3, *shape)), rng=rng).check()


def test_swiglu_counts_by_hand():
    """Llama-2-7B's MLP: 3 * 4096 * 11008 weights, no bias; per position as many MACs."""
    (f,) = network((16, 4096), {"swiglu": {"hidden": 11008}}).leaves()
    assert f.param_count() == 3 * 4096 * 11008 == 135_266_304
    assert f.macs() == 16 * 135_266_304
    assert f.costs() == {"act": 2 * 16 * 11008, "bias": 0}


def test_summary_states_attention_and_per_token_figures():
    """16 positions, d 8, 2 heads, no bias: projections 4*8*8 = 256 a token, the dense 64; Q K^T and
    A V against 16 positions: 2*16*8 = 256 -> 576 a generated token; with the causal triangle the
    sequence costs 16*320 + 2*(16*17/2)*8 = 7,296, i.e. 456 a token on average."""
    from calc.counting.stats import summarize

    def notes(causal_macs):
        net = network((16, 8), {"attention": {"heads": 2, "causal": True, "bias": False, "causal_macs": causal_macs}},
                      {"dense": {"units": 8, "bias": False}})
        return [c for c in summarize(net).conventions if c.startswith("per token")]

    assert notes("full") == ["per token (decoder): 576 MACs to generate the token at position 16 with a KV cache: "
                             "the projections once, Q K^T and A V over the context (= MACs / 16)"]
    assert notes("triangle")[0].endswith("; 456 on average over the sequence (MACs / 16)")
    plain = summarize(network((4, 8), {"attention": {"heads": 2}})).conventions
    assert any(c.startswith("attention: MACs") for c in plain) and not any(c.startswith("per token") for c in plain)


def test_token_type_embedding_matches_torch_and_counts():
    """BERT-base's table: 2 x 768 parameters, no MACs; the torch twin adds row 0 (ids all zero)."""
    (t,) = network((128, 768), {"token_type_embedding": {"types": 2}}).leaves()
    assert (t.param_count(), t.macs()) == (1536, 0)
    rng = np.random.default_rng(3)
    model = make_model(network((4, 5), {"token_type_embedding": {"types": 3}}))
    run_pair(model, rng.normal(size=(2, 4, 5)), rng=rng).check()


def test_attention_dropout_on_the_weights_matches_torch_with_the_same_mask():
    """In training mode the attention weights are dropped (inverted: kept ones / (1 - rate)) as
    torch's dropout_p does; the mask nncalc drew is applied in a torch twin written with matmuls,
    and outputs and every gradient agree."""
    import torch

    from calc.backend import get_backend
    from calc.engine.context import Ctx
    from calc.engine.model import Model

    rng = np.random.default_rng(11)
    model = Model(network((5, 4), {"attention": {"heads": 2, "causal": True, "dropout": 0.5}}),
                  Ctx(get_backend("cpu", "float64"), seed=3))
    _randomise(model, rng)
    (layer,) = model.network.leaves()
    x, dy = rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 4))
    y = model.forward(x, training=True)
    dx = model.backward(dy)
    keep = layer.drop * 0.5  # 0 or 1: the mask drawn, before the 1 / (1 - rate) scaling
    assert set(np.unique(keep)) <= {0.0, 1.0} and 0 < keep.mean() < 1

    p = {k: torch.tensor(v, requires_grad=True) for k, v in layer.params.items()}
    xt = torch.tensor(x, requires_grad=True)

    def heads(t):
        return t.view(2, 5, 2, 2).transpose(1, 2)

    q, k, v = (heads(xt @ p[f"{n}_weight"].T + p[f"{n}_bias"]) for n in "qkv")
    scores = q @ k.transpose(-1, -2) / 2 ** 0.5
    scores = scores.masked_fill(torch.triu(torch.ones(5, 5, dtype=torch.bool), 1), float("-inf"))
    weights = torch.softmax(scores, dim=-1) * torch.tensor(keep) / 0.5
    out = (weights @ v).transpose(1, 2).reshape(2, 5, 4) @ p["o_weight"].T + p["o_bias"]
    out.backward(torch.tensor(dy))
    assert_close(y, out.detach().numpy(), "output")
    assert_close(dx, xt.grad.numpy(), "input gradient")
    for name, t in p.items():
        assert_close(layer.grads[name], t.grad.numpy(), name)


CROSS = """input: [5, 8]
layers:
  - dense: {units: 6}
    name: memory
  - dense: {units: 8}
    from: input
  - cross_attention: {heads: 2, kv_heads: %s}
    with: memory
"""


@pytest.mark.parametrize("kv_heads", [2, 1])
def test_cross_attention_matches_torch(kv_heads):
    """Queries from the decoder path (5 x 8), keys and values from the named memory (5 x 6): outputs,
    both input paths' gradients and every parameter's against the torch twin (sdpa, math kernel)."""
    from tests.conftest import net_from

    rng = np.random.default_rng(kv_heads)
    model = make_model(net_from(CROSS % kv_heads))
    _randomise(model, rng)
    run_pair(model, rng.normal(size=(3, 5, 8)), rng=rng).check()


def test_cross_attention_counts_by_hand():
    """Lq 5 queries of 8, Lk 5 memory positions of 6, 2 heads of 4: q, o 8*8 (+8), k, v 6*8 (+8);
    MACs 5*(64 + 64) + 5*(48 + 48) + 2*5*5*8."""
    from tests.conftest import net_from

    x = net_from(CROSS % 2).leaves()[-1]
    assert x.param_count() == 2 * (64 + 8) + 2 * (48 + 8)
    assert x.macs() == 5 * 128 + 5 * 96 + 2 * 5 * 5 * 8
    assert x.kv_values_per_token is None  # not a self-attention cache


def test_cross_attention_without_memory_is_one_line():
    with pytest.raises(SpecError, match="with: NAME"):
        network((5, 8), {"cross_attention": {"heads": 2}})
