"""Array kernels shared by the layers: sliding windows, im2col/col2im and their GEMMs, pooling.

Layout is NHWC throughout. Functions take ``xp`` (the backend namespace: numpy, cupy, or the
exact namespace over NumPy object arrays of Fractions) and use only what all three provide:
basic slicing, ``lib.stride_tricks.as_strided``, ``ascontiguousarray``, ``matmul`` and
element-wise ufuncs. Python loops run over kernel offsets (kh * kw) or memory blocks, never
over pixels.

- ``windows``: ``Window`` geometry, padding/cropping, the strided window view, ``im2col``,
  and ``blocks`` that bound the im2col matrix in memory;
- ``conv``: cross-correlation as patches @ weights, its weight gradient, and ``scatter``
  (col2im of dy @ W^T) used for conv's input gradient and transposed conv's forward pass;
- ``pool``: max pooling with its tie rule (``TIE_RULE``), window sums and their adjoint.
"""

from calc.ops.conv import correlate, gemm_ordered, scatter, weight_from_matrix, weight_grad, weight_matrix
from calc.ops.pool import first_max, first_max_backward, max_pool, max_pool_backward, spread_windows, sum_windows
from calc.ops.windows import Window, crop, pad

__all__ = ["Window", "correlate", "crop", "first_max", "first_max_backward", "gemm_ordered", "max_pool", "max_pool_backward", "pad", "scatter",
           "spread_windows", "sum_windows", "weight_from_matrix", "weight_grad", "weight_matrix"]
