"""Convolution and transposed convolution against PyTorch autograd (float64, relative 1e-10),
exact Fractions against hand sums and a naive loop, spec-given weights, fans, memory blocks."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from calc.backend import get_backend
from calc.engine.context import Ctx
from calc.engine.model import Model
from calc.errors import SpecError
from tests.conftest import net_from
from tests.engine_check import BACKENDS, network, nhwc, run
from tests.engine_util import rel_err  # the one relative-error rule

TOL = 1e-10


def tf_same(i, k, s, d):
    """TensorFlow 'SAME' (before, after), written out here independently of calc.counting.size_formulas."""
    out = math.ceil(i / s)
    total = max((out - 1) * s + d * (k - 1) + 1 - i, 0)
    return total // 2, total - total // 2


def conv_case(seed: int):
    """Random conv options and input shape; padding int | [h, w] | [t, b, l, r] | same | valid."""
    rng = np.random.default_rng(1000 + seed)
    groups = int(rng.choice([1, 1, 2, 3]))
    cin, cout = groups * int(rng.integers(1, 4)), groups * int(rng.integers(1, 4))
    kh, kw = (int(v) for v in rng.integers(1, 5, 2))
    sh, sw = (int(v) for v in rng.integers(1, 4, 2))
    dh, dw = (int(v) for v in rng.integers(1, 3, 2))
    h, w = int(rng.integers(dh * (kh - 1) + 1, dh * (kh - 1) + 8)), int(rng.integers(dw * (kw - 1) + 1, dw * (kw - 1) + 8))
    form = int(rng.integers(0, 5))
    if form == 0:
        padding = int(rng.integers(0, 3))
        pads = (padding,) * 4
    elif form == 1:
        ph, pw = (int(v) for v in rng.integers(0, 3, 2))
        padding, pads = [ph, pw], (ph, ph, pw, pw)
    elif form == 2:
        pads = tuple(int(v) for v in rng.integers(0, 3, 4))
        padding = list(pads)
    elif form == 3:
        padding, pads = "same", tf_same(h, kh, sh, dh) + tf_same(w, kw, sw, dw)
    else:
        padding, pads = "valid", (0, 0, 0, 0)
    opts = {"filters": cout, "kernel": [kh, kw], "stride": [sh, sw], "padding": padding,
            "dilation": [dh, dw], "groups": groups, "bias": bool(rng.random() < 0.7)}
    return opts, (h, w, cin), pads, int(rng.integers(1, 4))


def torch_conv(x, w, b, opts, pads):
    """Forward and backward of F.conv2d on the explicitly padded NCHW input."""
    top, bottom, left, right = pads
    xt = torch.tensor(x).permute(0, 3, 1, 2).requires_grad_()
    wt = torch.tensor(w, requires_grad=True)
    bt = torch.tensor(b, requires_grad=True) if b is not None else None
    y = F.conv2d(F.pad(xt, (left, right, top, bottom)), wt, bt, opts["stride"], 0, opts["dilation"], opts["groups"])
    return xt, wt, bt, y


@pytest.mark.parametrize("device", BACKENDS)
@pytest.mark.parametrize("case", range(80))
def test_conv_matches_torch(case, device):
    opts, in_shape, pads, n = conv_case(case)
    net = network(in_shape, {"conv": opts})
    layer = net.leaves()[0]
    assert layer.pad == pads
    rng = np.random.default_rng(case)
    x = rng.standard_normal((n, *in_shape))
    dy = rng.standard_normal((n, *layer.out_shape))
    y, dx, grads, params = run(net, x, dy, device, seed=case)
    xt, wt, bt, yt = torch_conv(x, params["conv1.weight"], params.get("conv1.bias"), opts, pads)
    yt.backward(torch.tensor(dy).permute(0, 3, 1, 2))
    assert rel_err(y, nhwc(yt)) <= TOL
    assert rel_err(dx, nhwc(xt.grad)) <= TOL
    assert rel_err(grads["conv1.weight"], wt.grad.numpy()) <= TOL
    if bt is not None:
        assert rel_err(grads["conv1.bias"], bt.grad.numpy()) <= TOL


def transpose_case(seed: int):
    rng = np.random.default_rng(2000 + seed)
    groups = int(rng.choice([1, 1, 2]))
    cin, cout = groups * int(rng.integers(1, 4)), groups * int(rng.integers(1, 4))
    kh, kw = (int(v) for v in rng.integers(1, 5, 2))
    sh, sw = (int(v) for v in rng.integers(1, 4, 2))
    dh, dw = (int(v) for v in rng.integers(1, 3, 2))
    h, w = (int(v) for v in rng.integers(1, 6, 2))
    opts = {"filters": cout, "kernel": [kh, kw], "stride": [sh, sw], "dilation": [dh, dw], "groups": groups,
            "bias": bool(rng.random() < 0.7)}
    form = int(rng.integers(0, 4))
    if form == 0:
        opts["padding"] = [int(v) for v in rng.integers(0, 2, 4)]
    elif form == 1:
        opts["padding"] = int(rng.integers(0, 2))
    else:
        opts["padding"] = "same" if form == 2 else "valid"
    if form < 2 and rng.random() < 0.5:
        opts["output_padding"] = [int(rng.integers(0, max(sh, dh))), int(rng.integers(0, max(sw, dw)))]
    return opts, (h, w, cin), int(rng.integers(1, 4))


@pytest.mark.parametrize("device", BACKENDS)
@pytest.mark.parametrize("case", range(50))
def test_conv_transpose_matches_torch(case, device):
    opts, in_shape, n = transpose_case(case)
    try:
        net = network(in_shape, {"conv_transpose": opts})
    except SpecError:
        pytest.skip("padding crops the whole output for this random draw")
    layer = net.leaves()[0]
    top, bottom, left, right = layer.pad
    if opts["padding"] == "same":  # Keras: output = input * stride
        assert layer.out_shape[:2] == (in_shape[0] * opts["stride"][0], in_shape[1] * opts["stride"][1])
    rng = np.random.default_rng(case)
    x = rng.standard_normal((n, *in_shape))
    dy = rng.standard_normal((n, *layer.out_shape))
    y, dx, grads, params = run(net, x, dy, device, seed=case)
    xt = torch.tensor(x).permute(0, 3, 1, 2).requires_grad_()
    wt = torch.tensor(params["deconv1.weight"], requires_grad=True)
    bt = torch.tensor(params["deconv1.bias"], requires_grad=True) if opts["bias"] else None
    full = F.conv_transpose2d(xt, wt, bt, opts["stride"], 0, layer.output_padding, opts["groups"], opts["dilation"])
    yt = full[:, :, top:full.shape[2] - bottom, left:full.shape[3] - right]
    yt.backward(torch.tensor(dy).permute(0, 3, 1, 2))
    assert rel_err(y, nhwc(yt)) <= TOL
    assert rel_err(dx, nhwc(xt.grad)) <= TOL
    assert rel_err(grads["deconv1.weight"], wt.grad.numpy()) <= TOL
    if bt is not None:
        assert rel_err(grads["deconv1.bias"], bt.grad.numpy()) <= TOL


@pytest.mark.parametrize("budget", [40, 700, 5000])
@pytest.mark.parametrize("layout", ["tap", "position"])
def test_memory_blocks_and_both_col2im_layouts(budget, layout, monkeypatch):
    """Tiny im2col budgets force blocks of samples (5000) and of rows of one sample (40, 700);
    both col2im layouts give the same gradients as torch."""
    from calc.ops import conv as conv_ops
    from calc.ops import windows

    monkeypatch.setattr(windows, "BLOCK_ELEMENTS", budget)
    monkeypatch.setattr(conv_ops, "tap_major", lambda channels, width: layout == "tap")
    opts = {"filters": 4, "kernel": 3, "stride": [2, 1], "padding": [1, 2, 0, 1], "groups": 2}
    net = network((9, 7, 4), {"conv": opts}, {"conv_transpose": {"filters": 2, "kernel": 2, "stride": 2}})
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 9, 7, 4))
    dy = rng.standard_normal((3, *net.output_shape))
    y, dx, grads, params = run(net, x, dy)
    xt, wt, bt, h = torch_conv(x, params["conv1.weight"], params["conv1.bias"], {**opts, "dilation": 1}, (1, 2, 0, 1))
    w2 = torch.tensor(params["deconv1.weight"], requires_grad=True)
    yt = F.conv_transpose2d(h, w2, torch.tensor(params["deconv1.bias"]), 2)
    yt.backward(torch.tensor(dy).permute(0, 3, 1, 2))
    assert rel_err(y, nhwc(yt)) <= TOL
    assert rel_err(dx, nhwc(xt.grad)) <= TOL
    assert rel_err(grads["conv1.weight"], wt.grad.numpy()) <= TOL
    assert rel_err(grads["deconv1.weight"], w2.grad.numpy()) <= TOL


def test_float32_stays_float32():
    net = network((12, 10, 3), {"conv": {"filters": 5, "kernel": 3, "stride": 2, "padding": 1}},
                  {"conv_transpose": {"filters": 2, "kernel": 3, "stride": 2}})
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 12, 10, 3))
    dy = rng.standard_normal((2, *net.output_shape))
    y32, dx32, g32, _ = run(net, x, dy, dtype="float32")
    y64, dx64, g64, _ = run(net, x, dy, dtype="float64")
    assert y32.dtype == dx32.dtype == g32["conv1.weight"].dtype == np.float32
    assert rel_err(y32, y64) < 1e-5 and rel_err(dx32, dx64) < 1e-5 and rel_err(g32["conv1.weight"], g64["conv1.weight"]) < 1e-5


@pytest.mark.parametrize("kind, cin, filters, groups", [("conv", 6, 4, 2), ("conv", 3, 8, 1), ("conv_transpose", 6, 4, 2),
                                                        ("conv_transpose", 4, 6, 1)])
def test_fans_match_torch(kind, cin, filters, groups):
    net = network((8, 8, cin), {kind: {"filters": filters, "kernel": [3, 2], "groups": groups}})
    layer = net.leaves()[0]
    module = (torch.nn.Conv2d if kind == "conv" else torch.nn.ConvTranspose2d)(cin, filters, (3, 2), groups=groups)
    assert layer.fans() == torch.nn.init._calculate_fan_in_and_fan_out(module.weight)
    assert layer.param_shapes()["weight"] == tuple(module.weight.shape)


# -- exact arithmetic ----------------------------------------------------------------------------

# The LAPENNA Unit 7 slides, "CNN Arithmetic, multiple input channels (RGB image)": 5x5x3 input, two 3x3x3 filters,
# stride 2, padding 1, b0 = 1, b1 = 0, output 3x3x2. The exported notes keep only channel 0 of the
# input and of each filter; channels 1 and 2 here are stand-ins in the same value ranges.
X003 = [  # x[:, :, c] for c = 0 (from the notes), 1, 2 (stand-ins)
    [[1, 0, 1, 0, 1], [1, 2, 0, 1, 0], [1, 0, 1, 1, 2], [0, 0, 2, 1, 2], [1, 2, 2, 1, 1]],
    [[2, 1, 0, 0, 1], [0, 2, 2, 1, 0], [1, 1, 0, 2, 2], [2, 0, 1, 1, 0], [0, 1, 2, 0, 1]],
    [[0, 2, 1, 1, 0], [1, 0, 0, 2, 1], [2, 2, 1, 0, 0], [1, 0, 2, 2, 1], [0, 1, 1, 0, 2]],
]
W003 = [  # w_k[:, :, c]: filter k, channel c; channel 0 from the notes
    [[[0, -1, 1], [0, 1, 1], [-1, 0, 1]], [[1, 0, -1], [-1, 1, 0], [0, 1, -1]], [[-1, 1, 0], [0, -1, 1], [1, 0, 0]]],
    [[[-1, -1, 1], [1, 1, 0], [1, -1, 1]], [[0, 1, 1], [-1, 0, -1], [1, 1, 0]], [[1, -1, -1], [0, 0, 1], [-1, 1, 0]]],
]


def exact_model(spec: str):
    net = net_from(spec)
    return net, Model(net, Ctx(backend=get_backend("exact")))


def test_rgb_exercise_exactly():
    spec = f"""
    input: [5, 5, 3]
    layers:
      - conv: {{filters: 2, kernel: 3, stride: 2, padding: 1, weights: {W003}, bias: [1, 0]}}
    """
    net, model = exact_model(spec)
    be = model.backend
    x = np.array(X003).transpose(1, 2, 0)[None]  # (1, 5, 5, 3)
    y = model.forward(be.asarray(x))
    want = F.conv2d(torch.tensor(x, dtype=torch.float64).permute(0, 3, 1, 2), torch.tensor(W003, dtype=torch.float64),
                    torch.tensor([1.0, 0.0], dtype=torch.float64), 2, 1)
    assert y.shape == (1, 3, 3, 2)
    assert all(isinstance(v, Fraction) for v in y.flat)
    assert (y == nhwc(want).astype(int)).all()  # integers: float64 is exact here
    # the notes' first hand line: channel 0 contributes 3 to o[0, 0, 0] (top-left padded window)
    window = np.pad(np.array(X003[0]), 1)[:3, :3]
    assert (window * np.array(W003[0][0])).sum() == 3


def naive_conv(x, w, b, stride, pads):
    """Direct seven-loop cross-correlation on Python Fractions: the textbook sum, no im2col."""
    n, h, wd, c = len(x), len(x[0]), len(x[0][0]), len(x[0][0][0])
    cout, _, kh, kw = len(w), len(w[0]), len(w[0][0]), len(w[0][0][0])
    top, bottom, left, right = pads

    def at(s, r, q, ch):
        r, q = r - top, q - left
        return x[s][r][q][ch] if 0 <= r < h and 0 <= q < wd else 0

    ho, wo = (h + top + bottom - kh) // stride + 1, (wd + left + right - kw) // stride + 1
    return [[[[b[o] + sum(at(s, r * stride + i, q * stride + j, ch) * w[o][ch][i][j]
                          for ch in range(c) for i in range(kh) for j in range(kw))
               for o in range(cout)] for q in range(wo)] for r in range(ho)] for s in range(n)]


def test_exact_fractions_match_naive_sum_and_gradients_by_hand():
    w = [[[["1/2", "-1/3"], ["2", "0"]], [["1/4", "1"], ["-1", "3/2"]]]]  # 1 filter, 2 channels
    spec = f"""
    input: [3, 4, 2]
    layers:
      - conv: {{filters: 1, kernel: 2, padding: [0, 1, 1, 0], weights: {w}, bias: "1/7"}}
    """.replace("'", '"')
    net, model = exact_model(spec)
    be = model.backend
    x = [[[[Fraction(r * 4 + q, 3) - c for c in range(2)] for q in range(4)] for r in range(3)]]
    y = model.forward(be.asarray(x))
    want = naive_conv(x, [[[[Fraction(v) for v in row] for row in ch] for ch in f] for f in w], [Fraction(1, 7)], 1,
                      (0, 1, 1, 0))
    assert y.tolist() == want
    # dL/db with L = sum(y) is the number of outputs; dL/dW[c, i, j] is the sum of the inputs tap (i, j) reads
    dx = model.backward(be.asarray(np.ones(y.shape, dtype=int)))
    layer = net.leaves()[0]
    assert layer.grads["bias"].tolist() == [y.size]
    padded = np.pad(np.array(x, dtype=object)[0], ((0, 1), (1, 0), (0, 0)), constant_values=Fraction(0))
    for c in range(2):
        for i in range(2):
            for j in range(2):
                assert layer.grads["weight"][0, c, i, j] == padded[i:i + 3, j:j + 4, c].sum()
    # dL/dx[r, q, c] = sum of the kernel taps that touch (r, q)
    assert dx[0, 0, 0, 0] == Fraction(1, 2) + Fraction(-1, 3)  # top row, column 0: taps (0,0), (0,1) (left pad shifts)
    assert all(isinstance(v, Fraction) for v in dx.flat)


def test_exact_transpose_matches_float():
    w = np.arange(36).reshape(2, 2, 3, 3) % 5 - 2
    spec = f"""
    input: [3, 3, 2]
    layers:
      - conv_transpose: {{filters: 2, kernel: 3, stride: 2, padding: 1, output_padding: 1, weights: {w.tolist()},
                          bias: [1, -2]}}
    """
    net, model = exact_model(spec)
    x = np.arange(18).reshape(1, 3, 3, 2) % 4
    y = model.forward(model.backend.asarray(x))
    want = F.conv_transpose2d(torch.tensor(x, dtype=torch.float64).permute(0, 3, 1, 2),
                              torch.tensor(w, dtype=torch.float64),
                              torch.tensor([1.0, -2.0], dtype=torch.float64), 2, 1, 1)
    assert all(isinstance(v, Fraction) for v in y.flat)
    assert (y == nhwc(want).astype(int)).all()


# -- weights written in the spec -----------------------------------------------------------------

@pytest.mark.parametrize("filters, cin, weights", [
    (1, 1, [[1, 2], [3, 4]]),                                   # one 2-D kernel
    (2, 1, [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]),               # [filters][kh][kw]
    (1, 2, [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]),               # [channels][kh][kw]
    (2, 1, [[[[1, 2], [3, 4]]], [[[5, 6], [7, 8]]]]),           # full [filters][channels][kh][kw]
])
def test_weight_shorthands(filters, cin, weights):
    net = network((3, 3, cin), {"conv": {"filters": filters, "kernel": 2, "weights": weights, "bias": 0.5}})
    model = Model(net, Ctx())
    layer = net.leaves()[0]
    assert layer.params["weight"].shape == (filters, cin, 2, 2)
    assert layer.params["weight"].ravel().tolist() == list(range(1, 9))[:filters * cin * 4]
    assert layer.params["bias"].tolist() == [0.5] * filters
    assert model is not None


@pytest.mark.parametrize("options, message", [
    ({"filters": 2, "kernel": 2, "weights": [[1, 2], [3, 4]]},
     "weights: expected shape 2 x 3 x 2 x 2 ([filters][input channels per group][kh][kw]), got 2 x 2"),
    ({"filters": 1, "kernel": 2, "weights": [[[1, 2], [3, 4]]] * 3 + [[[1, 2], [3, 4]]]},
     "expected shape 1 x 3 x 2 x 2 ([filters][input channels per group][kh][kw]; or 3 x 2 x 2 = "
     "[input channels per group][kh][kw]), got 4 x 2 x 2"),
    ({"filters": 1, "kernel": 2, "weights": [[[1, 2], [3]]] * 3}, "weights: ragged rows"),
    ({"filters": 1, "kernel": 2, "weights": [[[1, 2], [3, float("nan")]]] * 3}, "not a finite number"),
    ({"filters": 2, "kernel": 2, "bias": [1, 2, 3]}, "bias: expected shape 2 (one per filter: 2), got 3"),
])
def test_bad_weights_are_located_errors(options, message):
    net = network((4, 4, 3), {"conv": options})
    with pytest.raises(SpecError) as err:
        Model(net, Ctx())
    text = str(err.value)
    assert message in text
    assert text.startswith("test.yaml:")
    assert "layers[0].conv." in text


def test_transpose_weight_shorthand_and_layout():
    net = network((2, 2, 1), {"conv_transpose": {"filters": 2, "kernel": 2, "weights": [[[1, 2], [3, 4]], [[5, 6], [7, 8]]],
                                                 "bias": False}})
    Model(net, Ctx())
    assert net.leaves()[0].params["weight"].shape == (1, 2, 2, 2)  # (Cin, Cout/g, kh, kw)


def test_weight_layout_and_in_place_edits_are_honoured():
    """The weight is held in GEMM order, but any layout works and nothing is cached between
    passes: a replaced C-ordered array and an in-place edit both show in the next forward."""
    net = network((5, 6, 3), {"conv": {"filters": 4, "kernel": 3, "padding": 1}})
    model = Model(net, Ctx())
    layer = net.leaves()[0]
    x = np.random.default_rng(0).standard_normal((2, 5, 6, 3))
    for change in ("replace", "in place"):
        if change == "replace":
            layer.params["weight"] = np.ascontiguousarray(layer.params["weight"]) * 2
        else:
            layer.params["weight"][1:] *= -1
        w = torch.tensor(np.ascontiguousarray(layer.params["weight"]))
        want = F.conv2d(torch.tensor(x).permute(0, 3, 1, 2), w, torch.tensor(layer.params["bias"]), padding=1)
        assert rel_err(model.forward(x), nhwc(want)) <= TOL
