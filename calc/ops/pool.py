"""Pooling kernels over padded NHWC maps: window max (with its tie rule), window sums.

One vectorised operation per kernel tap (kh * kw of them), each over all positions at once.
"""

from __future__ import annotations

from calc.ops.windows import Window

TIE_RULE = ("ties: the first maximal element of the window in row-major order (topmost row, "
            "then leftmost column) gets the whole gradient, as PyTorch's CPU max_pool2d")

# what a run states about a global max (global_maxpool, sequence_pool max): (topic, value, meaning)
MAX_TIES = ("global max ties", "first",
            "the first maximal position, row-major, gets the whole gradient, as torch's max / AdaptiveMaxPool2d")


def max_pool(xpad, win: Window, xp):
    """y[n, oh, ow, c] = max over taps (i, j) of xpad[n, oh*sh + i*dh, ow*sw + j*dw, c]."""
    taps = win.taps()
    y = xpad[win.tap(*taps[0])].copy()
    for i, j in taps[1:]:
        xp.maximum(y, xpad[win.tap(i, j)], out=y)
    return y


def max_pool_backward(xpad, y, dy, win: Window, xp):
    """dL/dx_pad: each dy goes to the one tap that held the window's max (``TIE_RULE``)."""
    dxpad = xp.zeros_like(xpad)
    hit = xp.empty(y.shape, dtype=bool)
    taken = xp.empty(y.shape, dtype=bool)  # positions whose max an earlier tap already claimed
    share = xp.empty_like(dy)
    for k, (i, j) in enumerate(win.taps()):
        xp.equal(xpad[win.tap(i, j)], y, out=hit)
        if k == 0:
            taken[...] = hit
        else:
            xp.greater(hit, taken, out=hit)  # hit and not taken
            xp.logical_or(taken, hit, out=taken)
        xp.multiply(dy, hit, out=share)
        dxpad[win.tap(i, j)] += share
    return dxpad


def first_max(x, xp):
    """(N, L, C) -> (max over axis 1 (N, C), the first position holding it (N, C)): the global
    max pools' value and the one input their gradient goes to (``TIE_RULE``'s first maximum, as
    torch's x.max(dim=1) and AdaptiveMaxPool2d(1); argmax returns the first of equal maxima)."""
    where = x.argmax(axis=1)
    return x.max(axis=1), where


def first_max_backward(where, dy, length: int, xp):
    """dL/dx of ``first_max``: (N, C) gradients placed at their positions of an (N, L, C) zero array."""
    hit = xp.arange(length)[None, :, None] == where[:, None, :]
    return hit * dy[:, None, :]


def sum_windows(xpad, win: Window, xp):
    """Sum over each window's taps: (N, Ho, Wo, C)."""
    taps = win.taps()
    total = xpad[win.tap(*taps[0])].copy()
    for i, j in taps[1:]:
        total += xpad[win.tap(i, j)]
    return total


def spread_windows(d, win: Window, padded_shape, xp):
    """Adjoint of ``sum_windows``: every tap of a window receives its position's ``d``."""
    out = xp.zeros(padded_shape, dtype=d.dtype)
    for i, j in win.taps():
        out[win.tap(i, j)] += d
    return out
