"""Size formulas against conv arithmetic's own examples and PyTorch on random sizes.

calc.counting.size_formulas and `nncalc size ... --json` must give torch's output size, and refuse exactly what
torch refuses (kernel larger than the padded input, pool padding above kernel // 2,
output_padding >= max(stride, dilation), a transposed output cropped away). TensorFlow 'same' is
checked against TF's documented padding rule, a brute-force search, and torch's padding='same'.
"""

from __future__ import annotations

import json
import random

import pytest
import torch
import torch.nn.functional as F

from calc.counting import size_formulas

RNG_CASES = 600


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Tiny tensors: thread start-up costs more than it saves (3x slower on a busy 2-CPU machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _torch_size(fn, i: int, *args, **kwargs):
    """Output length of ``fn`` on a 1 x 1 x 1 x i input, or None when torch refuses."""
    try:
        y = fn(torch.zeros(1, 1, 1, i, dtype=torch.float64), *args, **kwargs)
    except RuntimeError:
        return None
    return y.shape[-1] or None  # an empty output is no output


def _ours(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs).output
    except size_formulas.SizeProblem:
        return None


def _conv(i, k, s, pb, pa, d):
    w = torch.ones(1, 1, 1, k, dtype=torch.float64)
    return _torch_size(lambda x: F.conv2d(F.pad(x, (pb, pa)), w, stride=(1, s), dilation=(1, d)), i)


def _pool(kind, i, k, s, p, d, ceil):
    if kind == "max":
        return _torch_size(F.max_pool2d, i, (1, k), (1, s), (0, p), (1, d), ceil_mode=ceil)
    return _torch_size(F.avg_pool2d, i, (1, k), (1, s), (0, p), ceil_mode=ceil)


def _transposed(i, k, s, p, d, op):
    w = torch.ones(1, 1, 1, k, dtype=torch.float64)
    return _torch_size(F.conv_transpose2d, i, w, stride=(1, s), padding=(0, p), output_padding=(0, op),
                       dilation=(1, d))


# Dumoulin & Visin, "A guide to convolution arithmetic for deep learning": the figures' sizes.
ARITHMETIC = [  # (relationship / figure, i, k, s, p, d, o)
    ("rel 1, fig 2.1: no padding, unit strides", 4, 3, 1, 0, 1, 2),
    ("rel 2, fig 2.2: arbitrary padding", 5, 4, 1, 2, 1, 6),
    ("rel 3, fig 2.3: half padding", 5, 3, 1, 1, 1, 5),
    ("rel 4, fig 2.4: full padding", 5, 3, 1, 2, 1, 7),
    ("rel 5, fig 2.5: no padding, strides", 5, 3, 2, 0, 1, 2),
    ("rel 6, fig 2.6: padding, strides", 5, 3, 2, 1, 1, 3),
    ("rel 6, fig 2.7: padding, strides (odd)", 6, 3, 2, 1, 1, 3),
    ("rel 15, fig 5.1: dilation", 7, 3, 1, 0, 2, 3),
]
TRANSPOSED = [  # the transposes of the convolutions above: (figure, i', k, s, p, output_padding, o')
    ("rel 8, fig 4.1", 2, 3, 1, 0, 0, 4),
    ("rel 9, fig 4.2", 6, 4, 1, 2, 0, 5),
    ("rel 10, fig 4.3", 5, 3, 1, 1, 0, 5),
    ("rel 11, fig 4.4", 7, 3, 1, 2, 0, 5),
    ("rel 12, fig 4.5", 2, 3, 2, 0, 0, 5),
    ("rel 13, fig 4.6", 3, 3, 2, 1, 0, 5),
    ("rel 14, fig 4.7", 3, 3, 2, 1, 1, 6),
]


@pytest.mark.parametrize("case", ARITHMETIC, ids=[c[0] for c in ARITHMETIC])
def test_conv_arithmetic_figures(case):
    _, i, k, s, p, d, o = case
    assert size_formulas.window_output(i, k, s, p, p, d).output == o == _conv(i, k, s, p, p, d)


@pytest.mark.parametrize("case", TRANSPOSED, ids=[c[0] for c in TRANSPOSED])
def test_transposed_arithmetic_figures(case):
    _, i, k, s, p, op, o = case
    assert size_formulas.transposed_output(i, k, s, p, p, 1, op).output == o == _transposed(i, k, s, p, 1, op)


def test_pooling_arithmetic_rel7():
    """Relationship 7: o = floor((i - k)/s) + 1, e.g. 3x3 pooling, stride 1, over 5x5 -> 3x3."""
    assert size_formulas.window_output(5, 3, 1).output == 3 == _pool("max", 5, 3, 1, 0, 1, False)


def test_random_conv_sizes_match_torch():
    rng = random.Random(1)
    refused = 0
    for _ in range(RNG_CASES):
        i, k, s, d = rng.randint(1, 40), rng.randint(1, 9), rng.randint(1, 5), rng.choice([1, 1, 2, 3])
        pb, pa = rng.randint(0, 4), rng.randint(0, 4)
        want = _conv(i, k, s, pb, pa, d)
        assert _ours(size_formulas.window_output, i, k, s, pb, pa, d) == want, (i, k, s, pb, pa, d)
        refused += want is None
    assert refused > 20


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("ceil", [False, True])
def test_random_pool_sizes_match_torch(kind, ceil):
    rng = random.Random(f"{kind}{ceil}")
    refused = 0
    for _ in range(RNG_CASES):
        i, k, s, p = rng.randint(1, 30), rng.randint(1, 7), rng.randint(1, 5), rng.randint(0, 3)
        d = rng.choice([1, 1, 2, 3]) if kind == "max" else 1
        want = _pool(kind, i, k, s, p, d, ceil)
        try:
            size_formulas.check_pool_padding(k, p)
            got = size_formulas.window_output(i, k, s, p, p, d, ceil).output
        except size_formulas.SizeProblem:
            got = None
        assert got == want, (kind, i, k, s, p, d, ceil)
        refused += want is None
    assert refused > 20


def test_ceil_mode_window_may_overhang_like_torch():
    """Found by the random tests: with ceil_mode torch pools a 4-window over 3 inputs (stride 2)."""
    a = size_formulas.window_output(3, 4, 2, ceil_mode=True)
    assert (a.output, a.ceil_overhang) == (1, 1) and _pool("max", 3, 4, 2, 0, 1, True) == 1
    with pytest.raises(size_formulas.SizeProblem, match="overhang by at most stride - 1 = 0"):
        size_formulas.window_output(3, 4, 1, ceil_mode=True)  # torch: output size is too small


def test_random_transposed_sizes_match_torch():
    rng = random.Random(2)
    refused = 0
    for _ in range(RNG_CASES):
        i, k, s, d = rng.randint(1, 20), rng.randint(1, 6), rng.randint(1, 4), rng.choice([1, 1, 2])
        p, op = rng.randint(0, 5), rng.randint(0, 3)
        want = _transposed(i, k, s, p, d, op)
        assert _ours(size_formulas.transposed_output, i, k, s, p, p, d, op) == want, (i, k, s, p, d, op)
        refused += want is None
    assert refused > 20


# -- TensorFlow 'same' / 'valid' --------------------------------------------------------------
def _tf_documented(i, k, s, d):
    """tf.nn convolution docs: pad_along = max(k - s, 0) if i % s == 0 else max(k - i % s, 0),
    pad_top = pad_along // 2, the rest at the bottom (k the dilated kernel)."""
    k = d * (k - 1) + 1
    along = max(k - s, 0) if i % s == 0 else max(k - i % s, 0)
    return along // 2, along - along // 2


def test_tf_same_padding_rule():
    rng = random.Random(3)
    for _ in range(RNG_CASES):
        i, k, s, d = rng.randint(1, 40), rng.randint(1, 9), rng.randint(1, 5), rng.choice([1, 1, 2, 3])
        before, after = size_formulas.tf_same_padding(i, k, s, d)
        assert (before, after) == _tf_documented(i, k, s, d), (i, k, s, d)
        # brute force: the smallest total padding that gives ceil(i/s) outputs
        total = next(t for t in range(0, 64) if _ours(size_formulas.window_output, i, k, s, 0, t, d) == -(-i // s))
        assert before + after == total
        assert size_formulas.window_output(i, k, s, before, after, d).output == -(-i // s) == _conv(i, k, s, before, after, d)
        # 'valid': o = ceil((i - d(k-1)) / s) when it fits
        valid = -(-(i - d * (k - 1)) // s)
        assert _ours(size_formulas.window_output, i, k, s, 0, 0, d) == (valid if valid >= 1 else None)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_tf_same_split_matches_torch_padding_same():
    """Stride 1: torch's padding='same' puts the odd pixel bottom/right too (values, not just sizes)."""
    rng = random.Random(4)
    for _ in range(100):
        h, w, kh, kw, d = rng.randint(1, 9), rng.randint(1, 9), rng.randint(1, 6), rng.randint(1, 6), rng.randint(1, 3)
        x = torch.randn(1, 1, h, w, dtype=torch.float64)
        weight = torch.randn(1, 1, kh, kw, dtype=torch.float64)
        (t, b), (left, r) = size_formulas.tf_same_padding(h, kh, 1, d), size_formulas.tf_same_padding(w, kw, 1, d)
        ours = F.conv2d(F.pad(x, (left, r, t, b)), weight, dilation=d)
        assert torch.allclose(ours, F.conv2d(x, weight, padding="same", dilation=d))


# -- through the command line -------------------------------------------------------------------
def _cli_output(cli, *args):
    code, out, err = cli(*args, "--json")
    if code:
        assert code == 2 and err.startswith("nncalc: error:") and "Traceback" not in err, (args, code, err)
        return None
    return json.loads(out)["output"]


def test_cli_sizes_match_torch(cli):
    rng = random.Random(5)
    for _ in range(25):
        i, k, s, p, d = rng.randint(1, 30), rng.randint(1, 7), rng.randint(1, 4), rng.randint(0, 3), rng.choice([1, 2])
        ceil, op = rng.random() < 0.5, rng.randint(0, 2)
        common = ("-i", str(i), "-k", str(k), "-s", str(s), "-p", str(p), "-d", str(d))
        assert _cli_output(cli, "size", "conv", *common) == _conv(i, k, s, p, p, d)
        assert _cli_output(cli, "size", "pool", *common, *(["--ceil-mode"] if ceil else [])) == \
            _pool("max", i, k, s, p, d, ceil)
        assert _cli_output(cli, "size", "transposed", *common, "--output-padding", str(op)) == \
            _transposed(i, k, s, p, d, op)
        same = _cli_output(cli, "size", "conv", "-i", str(i), "-k", str(k), "-s", str(s), "-p", "same", "-d", str(d))
        assert same == -(-i // s)


def test_cli_non_square_sizes(cli):
    """HxW values per axis: 32x24 input, 3x5 kernel, stride 2x1 -> [15, 20] as torch computes."""
    y = F.conv2d(torch.zeros(1, 1, 32, 24), torch.zeros(1, 1, 3, 5), stride=(2, 1))
    assert _cli_output(cli, "size", "conv", "-i", "32x24", "-k", "3x5", "-s", "2x1") == list(y.shape[2:]) == [15, 20]
