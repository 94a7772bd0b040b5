"""Grouped 2-D cross-correlation as matrix products (im2col), its weight gradient and col2im.

With P = im2col(x_pad) of shape (M, g, K), M = N*Ho*Wo output positions and K = kh*kw*Cg
taps per group, and the weight as a matrix Wm (g, K, Cout/g):

    y[m, group] = P[m, group] @ Wm[group]            (forward: y is NHWC directly)
    dWm[group]  = P[:, group]^T @ dy[:, group]        (weight gradient)
    dx_pad      = col2im(dy[:, group] @ Wm[group]^T)  (input gradient: each position's
                                                       gradient spread back over its window)

``scatter`` (the last line) is also the forward pass of a transposed convolution. The patch
matrix is built in blocks of at most windows.BLOCK_ELEMENTS elements, so memory stays bounded.
"""

from __future__ import annotations

from calc.ops.windows import Window, blocks, im2col


def weight_matrix(w, groups: int, xp):
    """PyTorch weight (Cout, Cg, kh, kw) -> (g, kh*kw*Cg, Cout/g), rows ordered like im2col.
    No copy when ``w`` is stored in GEMM order (see ``gemm_ordered``), one copy otherwise."""
    cout, cg, kh, kw = w.shape
    per = cout // groups
    mat = w.reshape(groups, per, cg, kh, kw).transpose(0, 3, 4, 2, 1)
    return xp.ascontiguousarray(mat).reshape(groups, kh * kw * cg, per)


def weight_from_matrix(mat, shape, xp):
    """Inverse of ``weight_matrix``: (g, kh*kw*Cg, Cout/g) -> (Cout, Cg, kh, kw), a view of
    ``mat`` when groups = 1 (so the result is in GEMM order too)."""
    cout, cg, kh, kw = shape
    groups, _, per = mat.shape
    return mat.reshape(groups, kh, kw, cg, per).transpose(0, 4, 3, 1, 2).reshape(shape)


def gemm_ordered(w, groups: int, xp):
    """The same (Cout, Cg, kh, kw) values, held as a view of a contiguous (kh, kw, Cg, Cout)
    buffer, so that every forward pass gets its weight matrix without copying. Element-wise
    updates (w - lr g with g from ``weight_from_matrix``) keep that order; any other layout
    still works, at the cost of one copy per pass. Grouped weights stay as they are."""
    if groups != 1:
        return w
    return weight_from_matrix(weight_matrix(w, 1, xp), w.shape, xp)


def _per_group(a, groups: int):
    """(M, C) -> (g, M, C/g), a view."""
    m, c = a.shape
    return a.reshape(m, groups, c // groups).transpose(1, 0, 2)


def correlate(xpad, wmat, win: Window, xp):
    """y (N, Ho, Wo, Cout) = cross-correlation of the padded map with the weight matrix."""
    n = xpad.shape[0]
    groups, k, per = wmat.shape
    cout = groups * per
    y = None
    for n0, n1, h0, h1, piece, rows in blocks(win, n, groups * k):
        cols = im2col(xpad[n0:n1, rows], piece, groups, xp)  # (Mb, g, K)
        part = xp.matmul(cols.transpose(1, 0, 2), wmat)  # (g, Mb, Cout/g)
        part = part.transpose(1, 0, 2).reshape(n1 - n0, h1 - h0, win.out[1], cout)
        if (n1 - n0, h1 - h0) == (n, win.out[0]):
            return part  # one block: no copy into an output buffer
        if y is None:
            y = xp.empty((n, *win.out, cout), dtype=part.dtype)
        y[n0:n1, h0:h1] = part
    return y


def weight_grad(xpad, dy, win: Window, groups: int, xp):
    """dWm (g, K, Cout/g) = sum over positions of patch^T dy, block by block."""
    n, _, _, cout = dy.shape
    c = xpad.shape[3]
    k = win.kernel[0] * win.kernel[1] * (c // groups)
    total = None
    for n0, n1, h0, h1, piece, rows in blocks(win, n, groups * k):
        cols = im2col(xpad[n0:n1, rows], piece, groups, xp)  # (Mb, g, K)
        d = _per_group(dy[n0:n1, h0:h1].reshape(-1, cout), groups)  # (g, Mb, Cout/g)
        part = xp.matmul(cols.transpose(1, 2, 0), d)
        total = part if total is None else total + part
    return total


def scatter(dy, wmat, win: Window, out, xp):
    """out += col2im(dy @ Wm^T): every position's (N, Ho, Wo, Cout) gradient, multiplied by the
    weights, is added back onto the kh x kw window it came from in ``out`` (N, Hp, Wp, C)."""
    n, _, wo, _ = dy.shape
    groups, k, per = wmat.shape
    for n0, n1, h0, h1, piece, rows in blocks(win, n, groups * k):
        d = dy[n0:n1, h0:h1].reshape(-1, groups * per)
        target = out[n0:n1, rows]
        if tap_major(k // (win.kernel[0] * win.kernel[1]), wo):
            _scatter_tap_major(d, wmat, piece, target, xp)
        else:
            _scatter_position_major(d, wmat, piece, target, xp)
    return out


def tap_major(channels: int, width: int) -> bool:
    """col2im layout: tap-major when a group has fewer channels than the output has columns,
    so each strided add runs along the longer axis (AlexNet conv1: 3 channels, 55 columns)."""
    return channels < width


def _scatter_position_major(d, wmat, win: Window, target, xp):
    """dcols (Mb, g, K) then one strided add per tap; fast when channels are many."""
    n, groups, (kh, kw) = target.shape[0], wmat.shape[0], win.kernel
    cg = wmat.shape[1] // (kh * kw)
    dcols = xp.matmul(_per_group(d, groups), wmat.transpose(0, 2, 1))  # (g, Mb, K)
    dcols = dcols.transpose(1, 0, 2).reshape(n, *win.out, groups, kh, kw, cg)
    for i, j in win.taps():
        target[win.tap(i, j)] += dcols[:, :, :, :, i, j, :].reshape(n, *win.out, groups * cg)


def _scatter_tap_major(d, wmat, win: Window, target, xp):
    """dcols^T (g, K, Mb): each tap's add runs along output columns; fast for few channels."""
    n, groups, (kh, kw) = target.shape[0], wmat.shape[0], win.kernel
    cg = wmat.shape[1] // (kh * kw)
    dcols = xp.matmul(wmat, _per_group(d, groups).transpose(0, 2, 1))  # (g, K, Mb)
    dcols = dcols.reshape(groups, kh, kw, cg, n, *win.out)
    channel_first = target.transpose(3, 0, 1, 2)  # a view: adds land in target
    for i, j in win.taps():
        rows, cols = win.tap(i, j)[1:]
        channel_first[:, :, rows, cols] += dcols[:, i, j].reshape(groups * cg, n, *win.out)
