"""Sequence layers (embedding, position encodings, layer/RMS norm, sequence pooling, ViT's
to_sequence and class token): counts by hand, forward and backward against torch autograd in
float64 (torch.nn.Embedding, LayerNorm, RMSNorm; hand-written sinusoidal and RoPE references),
the exact backend against float64, and the errors a user meets."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from calc.errors import InputError, SpecError
from tests.engine_check import network, run
from tests.engine_util import rel_err

RNG = np.random.default_rng(7)
TOL = 1e-10


def _torch_check(net, x, dy, reference, params_map, device="cpu", ids=False):
    """Run nncalc; run ``reference(tx, tparams)`` in torch with the same parameters; compare y, dx and
    every parameter gradient. ``params_map``: nncalc name -> torch parameter name."""
    y, dx, grads, params = run(net, x, dy, device)
    tparams = {t: torch.tensor(params[q], requires_grad=True) for q, t in params_map.items()}
    tx = torch.tensor(x, dtype=torch.long if ids else torch.float64, requires_grad=not ids)
    ty = reference(tx, tparams)
    ty.backward(torch.tensor(dy))
    assert rel_err(y, ty.detach().numpy()) < TOL
    if not ids:
        assert rel_err(dx, tx.grad.numpy()) < TOL
    else:
        assert not dx.any()  # token ids have no gradient
    for q, t in params_map.items():
        assert rel_err(grads[q], tparams[t].grad.numpy()) < TOL, q
    return params, grads


# -- counting, by hand ---------------------------------------------------------------------
def test_bert_embeddings_count_by_hand():
    """BERT-base: word 30522 x 768, position 512 x 768, then LayerNorm(768) with weight and bias."""
    net = network((128,), {"embedding": {"vocab": 30522, "dim": 768, "padding_idx": 0}},
                  {"positional_embedding": {"max_len": 512}}, "layernorm")
    emb, pos, ln = net.leaves()
    assert emb.out_shape == pos.out_shape == ln.out_shape == (128, 768)
    assert emb.param_count() == 30522 * 768 and pos.param_count() == 512 * 768 and ln.param_count() == 2 * 768
    assert emb.macs() == pos.macs() == ln.macs() == 0  # lookups and adds; norms go under --include norm
    assert ln.costs() == {"norm": 128 * 768 * 5}


def test_vit_b16_patch_embedding_count_by_hand():
    """torchvision vit_b_16: conv_proj 768 x 3 x 16 x 16 + 768, class token 768, pos_embedding 197 x 768;
    the conv's MACs are 14*14 patches * 768 * (3*16*16)."""
    net = network((224, 224, 3), {"conv": {"filters": 768, "kernel": 16, "stride": 16}}, "to_sequence",
                  "class_token", {"positional_embedding": {"max_len": 197}}, "layernorm",
                  {"sequence_pool": {"mode": "first"}})
    conv, seq, cls, pos, ln, pool = net.leaves()
    assert (seq.out_shape, cls.out_shape, pool.out_shape) == ((196, 768), (197, 768), (768,))
    assert conv.param_count() + cls.param_count() + pos.param_count() == 768 * 3 * 256 + 768 + 768 + 197 * 768
    assert conv.macs() == 196 * 768 * 768


def test_rmsnorm_and_pool_counts():
    net = network((16, 4096), "rmsnorm", {"rmsnorm": {"elementwise_affine": False}}, {"sequence_pool": {"mode": "mean"}})
    rms, bare, pool = net.leaves()
    assert (rms.param_count(), bare.param_count(), rms.eps) == (4096, 0, 1e-6)
    assert (rms.costs(), bare.costs(), pool.costs()) == ({"norm": 16 * 4096 * 4}, {"norm": 16 * 4096 * 3},
                                                          {"pool": 16 * 4096})


# -- values against torch ------------------------------------------------------------------
def test_embedding_against_torch():
    """Repeated ids accumulate in one row; the padding_idx row gets no gradient (torch.nn.Embedding)."""
    net = network((6,), {"embedding": {"vocab": 5, "dim": 3, "padding_idx": 1}})
    x = np.array([[0, 1, 2, 2, 4, 1], [3, 3, 3, 0, 1, 2]], dtype=float)
    dy = RNG.normal(size=(2, 6, 3))
    params, grads = _torch_check(net, x, dy, lambda t, p: torch.nn.functional.embedding(t, p["w"], padding_idx=1),
                                 {"emb1.weight": "w"}, ids=True)
    assert not params["emb1.weight"][1].any()  # torch zeroes the padding row at initialisation
    assert not grads["emb1.weight"][1].any()
    assert rel_err(grads["emb1.weight"][3], dy[1, :3].sum(axis=0)) < TOL  # id 3 three times: three rows summed


def test_embedding_default_init_is_standard_normal():
    net = network((1,), {"embedding": {"vocab": 4000, "dim": 50}})
    _, _, _, params = run(net, np.zeros((1, 1)), np.zeros((1, 1, 50)))
    w = params["emb1.weight"]
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01  # N(0, 1), as torch.nn.Embedding


@pytest.mark.parametrize("opts", [{}, {"elementwise_affine": False}, {"bias": False}, {"eps": 0.1}])
@pytest.mark.parametrize("shape", [(5, 6), (6,), (3, 4, 5)])
def test_layernorm_against_torch(opts, shape):
    net = network(shape, {"layernorm": opts})
    x, dy = RNG.normal(size=(2, *shape)), RNG.normal(size=(2, *shape))
    affine, bias = opts.get("elementwise_affine", True), opts.get("bias", True)
    names = ({"ln1.weight": "w"} if affine else {}) | ({"ln1.bias": "b"} if affine and bias else {})
    _torch_check(net, x, dy, lambda t, p: torch.nn.functional.layer_norm(
        t, (shape[-1],), p.get("w"), p.get("b"), opts.get("eps", 1e-5)), names)


@pytest.mark.parametrize("opts", [{}, {"elementwise_affine": False}, {"eps": 0.01}])
def test_rmsnorm_against_torch(opts):
    net = network((5, 6), {"rmsnorm": opts})
    x, dy = RNG.normal(size=(3, 5, 6)), RNG.normal(size=(3, 5, 6))
    names = {"rms1.weight": "w"} if opts.get("elementwise_affine", True) else {}
    _torch_check(net, x, dy, lambda t, p: torch.nn.functional.rms_norm(t, (6,), p.get("w"), opts.get("eps", 1e-6)),
                 names)


def test_trained_gamma_beta_against_torch():
    """gamma and beta given in the spec (not 1 and 0): the affine part's gradients are checked too."""
    net = network((4, 3), {"layernorm": {"gamma": [0.5, -2, 3], "beta": [1, 0, -1]}})
    x, dy = RNG.normal(size=(2, 4, 3)), RNG.normal(size=(2, 4, 3))
    params, _ = _torch_check(net, x, dy, lambda t, p: torch.nn.functional.layer_norm(t, (3,), p["w"], p["b"]),
                             {"ln1.weight": "w", "ln1.bias": "b"})
    assert params["ln1.weight"].tolist() == [0.5, -2, 3]


def test_positional_embedding_against_torch():
    net = network((4, 3), {"positional_embedding": {"max_len": 7}})
    x, dy = RNG.normal(size=(2, 4, 3)), RNG.normal(size=(2, 4, 3))
    _, grads = _torch_check(net, x, dy, lambda t, p: t + p["w"][: t.shape[1]], {"pos1.weight": "w"})
    assert not grads["pos1.weight"][4:].any()  # rows past the sequence are not used


def _sinusoidal_torch(length, dim):
    """The PyTorch tutorial's PositionalEncoding, written out (paper 3.5), for even dim."""
    position = torch.arange(length, dtype=torch.float64).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, dim, 2, dtype=torch.float64) * (-math.log(10000.0) / dim))
    pe = torch.zeros(length, dim, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe


def test_sinusoidal_against_torch_and_by_hand():
    net = network((6, 8), "sinusoidal")
    x, dy = RNG.normal(size=(2, 6, 8)), RNG.normal(size=(2, 6, 8))
    _torch_check(net, x, dy, lambda t, p: t + _sinusoidal_torch(6, 8), {})
    y, *_ = run(net, np.zeros((1, 6, 8)), np.zeros((1, 6, 8)))
    # position 1, i = 1: sin(1 / 10000^(2/8)) = sin(0.1), cos(0.1)
    assert abs(y[0, 1, 2] - math.sin(0.1)) < 1e-15 and abs(y[0, 1, 3] - math.cos(0.1)) < 1e-15


def test_sinusoidal_odd_features_by_hand():
    """F = 3: features sin(p), cos(p), sin(p / 10000^(2/3))."""
    y, *_ = run(network((3, 3), "sinusoidal"), np.zeros((1, 3, 3)), np.zeros((1, 3, 3)))
    p = 2
    assert np.allclose(y[0, p], [math.sin(p), math.cos(p), math.sin(p / 10000 ** (2 / 3))], rtol=0, atol=1e-15)


def _rope_half_torch(x, base=10000.0):
    """Hugging Face Llama: q * cos + rotate_half(q) * sin, cos = cat(freqs, freqs); x (N, H, L, D)."""
    length, dim = x.shape[-2], x.shape[-1]
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    freqs = torch.outer(torch.arange(length, dtype=torch.float64), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)

    def rotate_half(t):
        return torch.cat((-t[..., dim // 2:], t[..., : dim // 2]), dim=-1)

    return x * emb.cos() + rotate_half(x) * emb.sin()


def _rope_interleaved_torch(x, base=10000.0):
    """Meta's original Llama code: adjacent pairs as complex numbers times e^(i p theta_k)."""
    length, dim = x.shape[-2], x.shape[-1]
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    freqs_cis = torch.polar(torch.ones(length, dim // 2, dtype=torch.float64),
                            torch.outer(torch.arange(length, dtype=torch.float64), inv_freq))
    xc = torch.view_as_complex(x.reshape(*x.shape[:-1], dim // 2, 2))
    return torch.view_as_real(xc * freqs_cis).flatten(-2)


@pytest.mark.parametrize("pairing", ["half", "interleaved"])
@pytest.mark.parametrize("head_dim", [None, 4])
def test_rotary_layer_against_torch(pairing, head_dim):
    opts = {"pairing": pairing} | ({"head_dim": head_dim} if head_dim else {})
    net = network((5, 8), {"rotary": opts})
    x, dy = RNG.normal(size=(2, 5, 8)), RNG.normal(size=(2, 5, 8))
    rope = _rope_half_torch if pairing == "half" else _rope_interleaved_torch
    hd = head_dim or 8

    def reference(t, p):
        heads = t.reshape(2, 5, 8 // hd, hd).transpose(1, 2)
        return rope(heads).transpose(1, 2).reshape(2, 5, 8)

    _torch_check(net, x, dy, reference, {})


@pytest.mark.parametrize("pairing", ["half", "interleaved"])
def test_apply_rotary_for_attention(pairing):
    """The function attention calls on (N, heads, L, head_dim); inverse undoes it; start shifts positions."""
    from calc.backend import get_backend
    from calc.layers.sequence_position import apply_rotary

    be = get_backend("cpu")
    q = RNG.normal(size=(2, 3, 6, 4))
    rope = _rope_half_torch if pairing == "half" else _rope_interleaved_torch
    out = apply_rotary(q, be, pairing=pairing)
    assert rel_err(out, rope(torch.tensor(q)).numpy()) < TOL
    assert rel_err(apply_rotary(out, be, pairing=pairing, inverse=True), q) < TOL
    assert rel_err(apply_rotary(q[:, :, 4:], be, pairing=pairing, start=4), out[:, :, 4:]) < TOL


@pytest.mark.parametrize("mode", ["first", "mean", "last"])
def test_sequence_pool_against_torch(mode):
    net = network((4, 3), {"sequence_pool": {"mode": mode}})
    x, dy = RNG.normal(size=(2, 4, 3)), RNG.normal(size=(2, 3))
    pick = {"first": lambda t: t[:, 0], "mean": lambda t: t.mean(dim=1), "last": lambda t: t[:, -1]}[mode]
    _torch_check(net, x, dy, lambda t, p: pick(t), {})


def test_vit_patches_and_class_token_against_torch():
    """torchvision VisionTransformer._process_input and the class token, written out in torch."""
    net = network((4, 6, 3), {"conv": {"filters": 5, "kernel": 2, "stride": 2}}, "to_sequence", "class_token")
    x, dy = RNG.normal(size=(2, 4, 6, 3)), RNG.normal(size=(2, 7, 5))

    def reference(t, p):
        y = torch.nn.functional.conv2d(t.permute(0, 3, 1, 2), p["w"], p["b"], stride=2)  # (N, 5, 2, 3)
        y = y.reshape(2, 5, 6).permute(0, 2, 1)
        return torch.cat([p["cls"].expand(2, 1, -1), y], dim=1)

    net_params = {"conv1.weight": "w", "conv1.bias": "b", "cls1.token": "cls"}
    _, _, _, params = run(net, x, dy)
    assert not params["cls1.token"].any()  # zeros at start, as torchvision
    net = network((4, 6, 3), {"conv": {"filters": 5, "kernel": 2, "stride": 2}}, "to_sequence", "class_token")
    _torch_check(net, x, dy, lambda t, p: reference(t, {**p, "cls": p["cls"].reshape(1, 1, 5)}), net_params)


def test_exact_backend_equals_float64():
    net = network((5,), {"embedding": {"vocab": 7, "dim": 4, "padding_idx": 0}}, {"positional_embedding": {"max_len": 8}},
                  "sinusoidal", {"rotary": {"pairing": "interleaved"}}, "layernorm", "rmsnorm",
                  {"sequence_pool": {"mode": "mean"}}, {"dense": {"units": 3}})
    x = np.array([[1, 2, 0, 3, 6], [4, 4, 5, 0, 1]], dtype=float)
    dy = RNG.normal(size=(2, 3))
    f, e = run(net, x, dy, "cpu"), run(net, x, dy, "exact")
    assert rel_err(e[0], f[0]) < 1e-12
    for name in f[2]:
        assert rel_err(e[2][name], f[2][name]) < 1e-12, name


def test_exact_layernorm_is_exact_where_rational():
    """x = (1, 2, 3), eps 0: mean 2, var 2/3, x-hat = (-1, 0, 1) / sqrt(2/3): 0 stays exactly 0."""
    from fractions import Fraction

    from calc.backend import get_backend
    from calc.engine.context import Ctx
    from calc.engine.model import Model

    be = get_backend("exact")
    model = Model(network((4,), {"layernorm": {"eps": 0}}), Ctx(backend=be))
    y = model.forward(be.asarray([[1, 1, 3, 3]]))
    assert list(y[0]) == [-1, -1, 1, 1] and all(isinstance(v, Fraction) for v in y[0])  # var 1: exact


# -- errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("ids, fragment", [
    ([[0, 5, 1]], "sample 1, position 2: token id 5 is not an integer from 0 to 4 (vocab 5)"),
    ([[0, 1, 1], [1, 1.5, 0]], "sample 2, position 2: token id 1.5"),
    ([[-1, 0, 0]], "sample 1, position 1: token id -1 is not"),
])
def test_bad_token_ids_are_one_line(ids, fragment):
    net = network((3,), {"embedding": {"vocab": 5, "dim": 2}})
    with pytest.raises(InputError, match="embedding 'emb1': " + fragment.replace("(", r"\(").replace(")", r"\)")):
        run(net, np.array(ids, dtype=float), np.zeros((len(ids), 3, 2)))


@pytest.mark.parametrize("shape, layers, fragment", [
    ((6, 4), [{"positional_embedding": {"max_len": 5}}], "the sequence has 6 positions but max_len is 5"),
    ((6, 4), [{"embedding": {"vocab": 5, "dim": 2}}], "reads token ids: its input is [length]"),
    ((6, 3), ["rotary"], "the head size must be even, got 3"),
    ((6, 8), [{"rotary": {"head_dim": 6}}], "head_dim 6 does not divide the 8 features"),
    ((6,), ["sequence_pool"], "needs a sequence (length x features), got 6"),
    ((6, 4), ["to_sequence"], "needs a feature map"),
    ((6, 4), [{"rotary": {"pairing": "adjacent"}}], "expected one of half, interleaved"),
    ((6,), [{"embedding": {"vocab": 5, "dim": 2, "padding_idx": 5}}], "expected an id from 0 to 4"),
    ((4, 3), [{"layernorm": {"elementwise_affine": False, "gamma": 2}}], "gamma is given but elementwise_affine"),
])
def test_spec_errors_are_located(shape, layers, fragment):
    with pytest.raises(SpecError) as info:
        network(shape, *layers)
    assert fragment in str(info.value) and "test.yaml" in str(info.value)


def test_run_reads_token_ids_from_the_command_line(cli, tmp_path):
    import json

    spec = tmp_path / "lm.yaml"
    spec.write_text("input: [3]\nlayers:\n  - embedding: {vocab: 4, dim: 2, weights: [[0, 0], [1, 2], [3, 4], [5, 6]]}\n"
                    "  - sequence_pool: {mode: mean}\n")
    code, out, err = cli("run", str(spec), "--input", "1,2,3", "--json")
    assert code == 0, err
    assert json.loads(out)["outputs"] == [[3.0, 4.0]]  # mean of rows 1, 2, 3
    (tmp_path / "ids.csv").write_text("0,0,1\n3,3,3\n")
    code, out, err = cli("run", str(spec), "--input", str(tmp_path / "ids.csv"), "--json")
    assert code == 0 and json.loads(out)["outputs"] == [[1 / 3, 2 / 3], [5.0, 6.0]]  # rows 0, 0, 1 and 3, 3, 3
    code, out, err = cli("run", str(spec), "--input", "1,2,4")
    assert code == 2 and err.count("\n") == 1 and "token id 4 is not an integer from 0 to 3" in err


def test_float32_follows_float64():
    net = network((6,), {"embedding": {"vocab": 9, "dim": 8}}, "sinusoidal", {"rotary": {"head_dim": 4}},
                  "rmsnorm", "layernorm", {"sequence_pool": {"mode": "mean"}})
    x, dy = np.array([[1, 2, 3, 4, 5, 8]], dtype=float), RNG.normal(size=(1, 8))
    lo, hi = run(net, x, dy, "cpu", "float32"), run(net, x, dy, "cpu", "float64")
    assert lo[0].dtype == np.float32 and rel_err(lo[0], hi[0]) < 1e-5
    assert rel_err(lo[2]["emb1.weight"], hi[2]["emb1.weight"]) < 1e-4


def test_receptive_fields_through_a_vit_stem():
    """A 16 x 16 /16 patch conv sees 16 x 16 pixels; positions keep that field through the sequence
    layers; first-token pooling keeps one position's field; the dense head sees the whole image."""
    from calc.counting.receptive import receptive_fields

    net = network((64, 64, 3), {"conv": {"filters": 8, "kernel": 16, "stride": 16}}, "to_sequence", "class_token",
                  {"positional_embedding": {"max_len": 17}}, "layernorm", {"sequence_pool": {"mode": "first"}},
                  {"dense": {"units": 2}})
    rows = {row.name: row.after for row in receptive_fields(net)}
    assert rows["conv1"].size == rows["toseq1"].size == rows["ln1"].size == rows["seqpool1"].size == (16, 16)
    assert not rows["seqpool1"].whole and rows["fc1"].whole
    mean = network((4, 4, 3), "to_sequence", {"sequence_pool": {"mode": "mean"}})
    assert [row.after.whole for row in receptive_fields(mean)] == [False, True]


def test_exact_backward_keeps_fractions():
    """The exact backend's gradients are Fractions (zeros included), not Python ints or floats."""
    from fractions import Fraction

    from calc.backend import get_backend
    from calc.engine.context import Ctx
    from calc.engine.model import Model

    be = get_backend("exact")
    net = network((3, 2), "class_token", {"positional_embedding": {"max_len": 5}}, {"sequence_pool": {"mode": "last"}})
    model = Model(net, Ctx(backend=be))
    model.forward(be.asarray([[[1, 2], [3, 4], [5, 6]]]))
    dx = model.backward(be.asarray([["1/2", "1/3"]]))
    assert all(type(v) is Fraction for v in dx.reshape(-1))
    assert list(dx[0, -1]) == [Fraction(1, 2), Fraction(1, 3)] and dx[0, 0, 0] == 0
    grads = model.layers[1].grads["weight"]
    assert all(type(v) is Fraction for v in grads.reshape(-1)) and list(grads[3]) == [Fraction(1, 2), Fraction(1, 3)]


def test_summary_says_how_to_read_sequence_shapes(cli):
    import json

    code, out, _ = cli("summary", "examples/sequences/bert-embeddings.yaml", "--include", "norm", "--json")
    data = json.loads(out)
    assert code == 0 and data["total_params"] == 30522 * 768 + 512 * 768 + 2 * 768
    assert data["total_macs"] == 128 * 768 * 5  # the layer norm's operations, nothing else
    assert "shapes: L x F per sample (length x features); input: L token ids" in data["conventions"]
    code, out, _ = cli("summary", "examples/sequences/vit-b16-stem.yaml", "--json")
    assert "shapes: H x W x C per sample; sequences L x F (length x features)" in json.loads(out)["conventions"]
    code, out, _ = cli("summary", "mnist-cnn", "--json")
    assert "shapes: H x W x C per sample" in json.loads(out)["conventions"]


def test_layernorm_worked_solution_by_hand():
    """x = [[1, 1, 3, 3], [0, 2, 4, 6]], eps 0, gamma 2, beta [0, 1, 0, 1]: row 1 mean 2, var 1,
    x-hat [-1, -1, 1, 1]; row 2 mean 3, var (9 + 1 + 1 + 9)/4 = 5; batch norm's first column
    [1, 0] has mean 1/2 and variance 1/4."""
    from fractions import Fraction

    from calc.solve.layernorm import solve_layernorm

    f = Fraction
    sol = solve_layernorm([[f(1), f(1), f(3), f(3)], [f(0), f(2), f(4), f(6)]], f(2), [f(0), f(1), f(0), f(1)],
                          f(0), compare_batchnorm=True)
    assert sol.answers["mean"] == [2, 3] and sol.answers["var"] == [1, 5]
    assert sol.answers["x_hat"][0] == [-1, -1, 1, 1] and sol.answers["y"][0] == [-2, -1, 2, 3]
    assert abs(float(sol.answers["x_hat"][1][0]) + 3 / math.sqrt(5)) < 1e-15
    assert sol.answers["bn.mean"][0] == f(1, 2) and sol.answers["bn.var"][0] == f(1, 4)
    assert sol.answers["bn.x_hat"][0][0] == 1  # (1 - 1/2) / sqrt(1/4)


def test_check_names_the_eps_slip(cli, tmp_path):
    """The D2L printout's -1 and 1 are x-hat without eps: nncalc check says so."""
    answers = tmp_path / "mine.yaml"
    answers.write_text("x_hat: [[-1, 1], [-1, 1]]\n")
    code, out, _ = cli("check", "layernorm/d2l-layernorm-vs-batchnorm", "--answers", str(answers), "--allow-blank")
    assert code == 1 and "eps left out" in out


def test_positional_encoding_worked_solution_against_torch():
    """The worked table equals the independent torch formula (tests/torch_ref.sinusoidal_pe), odd d too."""
    from fractions import Fraction

    from calc.solve.positional_encoding import solve_positional_encoding
    from tests.torch_ref import sinusoidal_pe

    for length, dim in ((5, 6), (3, 5)):
        sol = solve_positional_encoding(length, dim)
        got = np.array([[float(v) for v in row] for row in sol.answers["PE"]])
        assert rel_err(got, sinusoidal_pe(length, dim).numpy()) < 1e-14
        assert abs(float(sol.answers["freq1"]) / 10000 ** (-2 / dim) - 1) < 1e-15
    pe1 = solve_positional_encoding(2, 2, Fraction(1)).answers["pe1"]  # base 1: every frequency is 1
    assert abs(float(pe1[0]) - math.sin(1)) < 1e-16 and abs(float(pe1[1]) - math.cos(1)) < 1e-16
