"""Upsampling exercises (problems/upsampling): PyTorch's F.interpolate and autograd in float64, and
the source coordinates by hand from the formulas torch documents (never nncalc)."""

from __future__ import annotations

from fractions import Fraction

from tests.derivations import derivation

GRID = [[1, 2], [3, 4]]


def _interp(x, dy=None, **kw):
    """(output rows, input-gradient rows or None) of one single-channel map."""
    import torch
    import torch.nn.functional as F

    xt = torch.tensor(x, dtype=torch.float64)[None, None].requires_grad_()
    y = F.interpolate(xt, **kw)
    if dy is None:
        return y[0, 0].tolist(), None
    y.backward(torch.tensor(dy, dtype=torch.float64)[None, None])
    return y[0, 0].detach().tolist(), xt.grad[0, 0].tolist()


def _elements(matrix, prefix: str) -> dict:
    return {f"{prefix}{i + 1}{j + 1}": v for i, row in enumerate(matrix) for j, v in enumerate(row)}


def _half_pixel(n: int, o: int) -> list[Fraction]:
    """src = max((i + 1/2) n/o - 1/2, 0) (align_corners false), exact."""
    return [max((i + Fraction(1, 2)) * Fraction(n, o) - Fraction(1, 2), Fraction(0)) for i in range(o)]


@derivation("upsampling/bilinear-2x2-scale-2")
def bilinear_2x2():
    dy = [[1, 0, 0, 0], [0, 0.5, 0, 0], [0, 0, 0, 0], [0, 0, -1, 2]]
    y, dx = _interp(GRID, dy, scale_factor=2, mode="bilinear")
    src = _half_pixel(2, 4)
    return {"output_height": 4, "output_width": 4, "output": y, **_elements(y, "Y"), "dL/dX": dx,
            **_elements(dx, "dL/dX"), **{f"row_source{i + 1}": s for i, s in enumerate(src)},
            **{f"col_source{i + 1}": s for i, s in enumerate(src)}}


@derivation("upsampling/nearest-2x3-scale-2")
def nearest_2x3():
    dy = [[1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0], [2, 0, 0, 0, 0, -2]]
    y, dx = _interp([[5, -1, 2], [0, 3, 4]], dy, scale_factor=2, mode="nearest")
    return {"output_height": 4, "output_width": 6, "output": y, **_elements(y, "Y"), "dL/dX": dx,
            **_elements(dx, "dL/dX"), **{f"row_source{i + 1}": i // 2 for i in range(4)},
            **{f"col_source{i + 1}": i // 2 for i in range(6)}}


@derivation("upsampling/bilinear-align-corners-3x3-to-5x5")
def align_corners_3x3():
    y, _ = _interp([[0, 4, 8], [2, 6, 10], [4, 8, 12]], size=(5, 5), mode="bilinear", align_corners=True)
    src = [Fraction(i * 2, 4) for i in range(5)]  # i (n - 1)/(o - 1)
    return {"output": y, **_elements(y, "Y"), **{f"row_source{i + 1}": s for i, s in enumerate(src)}}


@derivation("upsampling/nearest-size-3x3-to-4x5")
def nearest_size():
    y, _ = _interp([[1, 5, 3], [7, 2, 6], [0, 9, 4]], size=(4, 5), mode="nearest")
    return {"output": y, **_elements(y, "Y"), **{f"row_source{i + 1}": (3 * i) // 4 for i in range(4)},
            **{f"col_source{i + 1}": (3 * i) // 5 for i in range(5)}}
