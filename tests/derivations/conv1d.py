"""The 1-D convolution problems recomputed with torch.nn.functional.conv1d (float64; PyTorch's
Conv1d is cross-correlation, NCL layout) and the output length by its documented formula."""

from __future__ import annotations

from tests.derivations import derivation


def _conv1d(x, w, b=None, stride=1, padding=0, dilation=1):
    import torch
    import torch.nn.functional as F

    t = torch.tensor(x, dtype=torch.float64)[None]  # (1, C, L)
    k = torch.tensor(w, dtype=torch.float64)  # (filters, C, k)
    bias = torch.tensor(b, dtype=torch.float64) if b is not None else None
    if isinstance(padding, (list, tuple)):
        t, padding = F.pad(t, padding), 0
    return F.conv1d(t, k, bias, stride, padding, dilation)[0].tolist()  # (filters, Lo)


@derivation("cnn/conv1d-by-hand")
def conv1d_by_hand():
    """x = 3 1 4 1 5 9 2, kernel [1, 0, -1], bias 1/2, stride 2, padding 1: Lo = floor((7 + 2 - 2 - 1)/2) + 1 = 4."""
    (out,) = _conv1d([[3, 1, 4, 1, 5, 9, 2]], [[[1, 0, -1]]], [0.5], stride=2, padding=1)
    return {"output_size": (7 + 2 - 2 - 1) // 2 + 1, "output": out} | {f"y{i + 1}": v for i, v in enumerate(out)}


@derivation("cnn/conv1d-two-channels-dilated")
def conv1d_two_channels():
    """2 channels, 2 filters of width 2, dilation 2, padding [0, 1]: Lo = floor((6 + 1 - 2 - 1)/1) + 1 = 5."""
    x = [[1, 2, 0, -1, 3, 1], [0, 1, 1, 2, -2, 1]]
    w = [[[1, -1], [0.5, 2]], [[0, 1], [1, 1]]]
    out = _conv1d(x, w, [0, -1], dilation=2, padding=[0, 1])
    values = {"output_size": 5, "output": out}
    for o, row in enumerate(out):
        values |= {f"y{i + 1}_{o + 1}": v for i, v in enumerate(row)}
    return values
