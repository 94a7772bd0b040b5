"""The convolution, pooling, edge and CNN-backpropagation problems recomputed with PyTorch
(F.conv2d, max_pool2d, avg_pool2d, autograd; float64, inputs exact in binary or to 1e-16) and a
few sums by hand. Maps are returned channel by channel ([C][H][W]) or as one matrix."""

from __future__ import annotations

from tests.derivations import derivation

IMG5 = [[2, 4, 9, 1, 4], [2, 1, 4, 4, 6], [1, 1, 2, 9, 2], [7, 3, 5, 1, 3], [2, 3, 4, 8, 5]]
K3 = [[1, 2, 3], [-4, 7, 4], [2, -5, 1]]
SLICE = [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]
TF_INPUT = [  # the LAPENNA Unit 7 slides, TF-CNN-CONV notebook, 7 x 7 x 3 (already zero-padded)
    [[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]],
    [[0, 0, 0], [2, 2, 0], [2, 2, 0], [2, 0, 1], [2, 2, 2], [0, 1, 2], [0, 0, 0]],
    [[0, 0, 0], [0, 1, 0], [2, 2, 1], [1, 2, 0], [1, 2, 1], [2, 1, 1], [0, 0, 0]],
    [[0, 0, 0], [2, 2, 0], [2, 2, 0], [2, 2, 1], [1, 1, 0], [0, 0, 1], [0, 0, 0]],
    [[0, 0, 0], [2, 1, 2], [2, 2, 2], [1, 2, 0], [1, 0, 1], [1, 1, 2], [0, 0, 0]],
    [[0, 0, 0], [2, 0, 0], [1, 0, 1], [2, 1, 1], [2, 1, 0], [1, 1, 2], [0, 0, 0]],
    [[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]]]
TF_FILTER = [  # [kh][kw][channel][filter] (HWIO)
    [[[1, -1], [0, 0], [0, 1]], [[0, -1], [1, -1], [0, -1]], [[-1, -1], [1, 0], [0, -1]]],
    [[[-1, -1], [1, -1], [0, -1]], [[1, 0], [-1, 1], [0, -1]], [[-1, 1], [-1, 1], [-1, 1]]],
    [[[0, -1], [0, -1], [1, 1]], [[1, 1], [1, 0], [0, 0]], [[0, -1], [0, 1], [0, 1]]]]


def _torch():
    import torch

    torch.set_default_dtype(torch.float64)
    return torch


def _t(values):
    return _torch().tensor(values, dtype=_torch().float64)


def _conv(image, kernel, **kw):
    """One-channel image and kernel -> the output matrix (F.conv2d = cross-correlation)."""
    import torch.nn.functional as F

    return F.conv2d(_t(image)[None, None], _t(kernel)[None, None], **kw)[0, 0]


def _rows(t) -> list:
    return t.detach().tolist()


def _elements(matrix, prefix: str = "O") -> dict:
    return {f"{prefix}{i + 1}{j + 1}": v for i, row in enumerate(matrix) for j, v in enumerate(row)}


@derivation("cnn/feature-map-valid")
def feature_map_valid():
    out = _rows(_conv(IMG5, K3))
    return {"output_size": 3, "output": out, **_elements(out)}


@derivation("cnn/feature-map-padding")
def feature_map_padding():
    out = _rows(_conv(IMG5, K3, padding=1))
    return {"output_size": (5 + 2 - 3) // 1 + 1, "output": out, **_elements(out)}


@derivation("cnn/true-convolution")
def true_convolution():
    flipped = [row[::-1] for row in K3[::-1]]
    out = _rows(_conv(IMG5, flipped))
    return {"flipped_kernel": flipped, "output": out, **_elements(out)}


@derivation("cnn/one-by-one-conv")
def one_by_one():
    return {"output_size": 3, "output": _rows(_conv([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[2]]))}


@derivation("cnn/padding-zero-ring")
def padding_zero_ring():
    image = [[7, 2, 3, 3, 8], [4, 5, 3, 8, 4], [3, 3, 2, 8, 4], [2, 8, 7, 2, 7], [5, 4, 4, 5, 4]]
    out = _rows(_conv(image, [[1, 0, -1]] * 3, padding=1))
    return {"output_size": 5, "output": out, **_elements(out)}


@derivation("cnn/homework-rgb-conv")
def homework_rgb():
    import torch.nn.functional as F

    red = [[156, 155, 156, 158, 158], [153, 154, 157, 159, 159], [149, 151, 155, 158, 159],
           [146, 146, 149, 153, 158], [145, 143, 143, 148, 158]]
    green = [[167, 166, 167, 169, 169], [164, 165, 168, 170, 170], [160, 162, 166, 169, 170],
             [156, 156, 159, 163, 168], [155, 153, 153, 158, 168]]
    blue = [[163, 162, 163, 165, 165], [160, 161, 164, 166, 166], [156, 158, 162, 165, 166],
            [155, 155, 158, 162, 167], [154, 152, 152, 157, 167]]
    kernel = [[[-1, -1, 1], [0, 1, -1], [0, 1, 1]], [[1, 0, 0], [1, -1, -1], [1, 0, -1]],
              [[0, 1, 1], [0, 1, 0], [1, -1, 1]]]
    out = _rows(F.conv2d(_t([red, green, blue])[None], _t(kernel)[None], _t([2]), stride=2, padding=1)[0, 0])
    return {"output_size": 3, "output": out, **_elements(out)}


@derivation("cnn/rgb-two-filters")
def rgb_two_filters():
    import torch.nn.functional as F

    x = _t(TF_INPUT).permute(2, 0, 1)[None, :, 1:6, 1:6]  # the 5 x 5 x 3 image inside the zeros
    y = F.conv2d(x, _t(TF_FILTER).permute(3, 2, 0, 1), _t([1, 0]), stride=2, padding=1)[0]
    out = _rows(y)
    return {"output_size": 3, "output": out, **{f"{k}_{c + 1}": v for c in range(2)
                                                 for k, v in _elements(out[c]).items()}}


def _pool(x, kind: str, k: int, s: int):
    import torch.nn.functional as F

    fn = F.max_pool2d if kind == "max" else F.avg_pool2d
    return fn(_t(x)[None, None], k, s)[0, 0]


@derivation("cnn/max-pool-overlapping")
def max_pool_overlapping():
    import torch.nn.functional as F

    feature = _conv(IMG5, K3, padding=1)
    pooled = F.max_pool2d(feature[None, None], 2, 1)[0, 0]
    relu_first = F.max_pool2d(F.relu(feature)[None, None], 2, 1)[0, 0]
    return {"output_size": 4, "pool_output": _rows(pooled), "relu_then_pool": _rows(relu_first),
            "commutes": bool((relu_first == F.relu(pooled)).all()), **_elements(_rows(pooled), "P")}


@derivation("cnn/max-pool-slice")
def max_pool_slice():
    return {"output_size": 2, "pool_output": _rows(_pool(SLICE, "max", 2, 2))}


@derivation("cnn/avg-pool-slice")
def avg_pool_slice():
    import torch.nn.functional as F

    pooled = _pool(SLICE, "avg", 2, 2)
    relu_first = F.avg_pool2d(F.relu(_t(SLICE))[None, None], 2, 2)[0, 0]
    return {"pool_output": _rows(pooled), "commutes": bool((relu_first == F.relu(pooled)).all())}


@derivation("cnn/max-pool-3x3-stride-1")
def max_pool_3x3():
    x = [[1, 3, 2, 1, 3], [2, 9, 1, 1, 5], [1, 3, 2, 3, 2], [6, 3, 5, 1, 0], [5, 6, 1, 2, 9]]
    pooled = _rows(_pool(x, "max", 3, 1))
    return {"output_size": 3, "pool_output": pooled, **_elements(pooled, "P")}


@derivation("cnn/max-pool-backward")
def max_pool_backward():
    import torch.nn.functional as F

    x = _t(SLICE).requires_grad_()
    F.max_pool2d(x[None, None], 2, 2).backward(_t([[0.5, -1], [2, 0.25]])[None, None])
    grad = _rows(x.grad)
    return {"dL/dX": grad, **{f"dL/d{k}": v for k, v in _elements(grad, "X").items()}}


@derivation("cnn/conv-backward-exercise")
def conv_backward_exercise():
    import torch.nn.functional as F

    x = _t([[1, 0, -1], [1, 0, 1], [0, 1, 1]]).requires_grad_()
    w = _t([[-1, 2], [3, 1]]).requires_grad_()
    y = F.conv2d(x[None, None], w[None, None])
    y.backward(_t([[-0.2, 0.2], [0.1, -0.1]])[None, None])
    dw, dx = _rows(w.grad), _rows(x.grad)
    return {"output": _rows(y[0, 0]), "dL/dF": dw, "dL/dX": dx,
            **{f"dL/d{k}": v for k, v in _elements(dw, "F").items()},
            **{f"dL/d{k}": v for k, v in _elements(dx, "X").items()}}


def _edges(image, kernels: dict) -> dict:
    out = {}
    for name, kernel in kernels.items():
        raw = _rows(_conv(image, kernel))
        out[f"output_{name}"] = raw
        out[f"display_{name}"] = [[min(max(v, 0), 255) for v in row] for row in raw]
        out.update({f"{name}.{k}": v for k, v in _elements(raw).items()})
    return out


VERTICAL, HORIZONTAL = [[1, 0, -1]] * 3, [[1, 1, 1], [0, 0, 0], [-1, -1, -1]]


@derivation("cnn/edge-horizontal-255")
def edge_horizontal_255():
    return _edges([[0] * 6] * 3 + [[255] * 6] * 3, {"horizontal": [[-1, -1, -1], [0, 0, 0], [1, 1, 1]]})


@derivation("cnn/edge-vertical-step")
def edge_vertical_step():
    return _edges([[10, 10, 10, 0, 0, 0]] * 6, {"vertical": VERTICAL})


@derivation("cnn/edge-vertical-horizontal-6x6")
def edge_6x6():
    image = [[3, 0, 1, 2, 7, 4], [1, 5, 8, 9, 3, 1], [2, 7, 2, 5, 1, 3], [0, 1, 3, 1, 7, 8], [4, 2, 1, 6, 2, 8],
             [2, 4, 5, 2, 3, 9]]
    return _edges(image, {"vertical": VERTICAL, "horizontal": HORIZONTAL})


@derivation("cnn/squeeze-excitation")
def squeeze_excitation():
    """Hu et al.'s SE gate with torch ops: channel means, two 1x1 convs (as matrices), ReLU, sigmoid."""
    torch = _torch()
    x = _t([[[1, 2], [3, 6]], [[0, -2], [4, 2]], [[-1, -1], [-3, -3]]])
    w1, b1 = _t([[0.5, -1, 0.25], [-1, 0.5, 1]]), _t([0.5, 0.1])
    w2, b2 = _t([[2, 1], [-4, 3], [0, 2]]), _t([-1, 1, 0.5])
    s = x.mean((1, 2))
    z = w1 @ s + b1
    a = torch.relu(z)
    e = w2 @ a + b2
    g = torch.sigmoid(e)
    y = g[:, None, None] * x
    out = {"params": w1.numel() + b1.numel() + w2.numel() + b2.numel()}
    for prefix, values in (("s", s), ("z", z), ("a", a), ("e", e), ("g", g)):
        out.update({f"{prefix}{i + 1}": v for i, v in enumerate(values.tolist())})
    out.update({f"y{k + 1}": _rows(y[k]) for k in range(3)})
    return out


@derivation("cnn/squeeze-excitation-hard")
def squeeze_excitation_hard():
    """The same block with torch's hardsigmoid gate (MobileNetV3): e = 0, -1, 1/2 -> 1/2, 1/3, 7/12."""
    import torch.nn.functional as F

    out = squeeze_excitation()
    e = _t([out["e1"], out["e2"], out["e3"]])
    g = F.hardsigmoid(e)
    x = _t([[[1, 2], [3, 6]], [[0, -2], [4, 2]], [[-1, -1], [-3, -3]]])
    out.update({f"g{k + 1}": v for k, v in enumerate(g.tolist())})
    out.update({f"y{k + 1}": _rows(g[k] * x[k]) for k in range(3)})
    return out
