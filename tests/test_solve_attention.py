"""The attention worked solution against torch (float64) and by hand, and its input checks."""

from __future__ import annotations

import math

import pytest
import torch

from calc.errors import SpecError
from calc.solve.attention import solve_attention


def test_unmasked_against_torch_sdpa():
    q, k, v = [[1, 2], [0, 1], [2, 0]], [[1, 0], [1, 1]], [[1, 2, 3], [4, 5, 6]]
    sol = solve_attention(q, k, v)
    ref = torch.nn.functional.scaled_dot_product_attention(*(torch.tensor(m, dtype=torch.float64)[None]
                                                             for m in (q, k, v)))[0]
    ours = [[float(x) for x in row] for row in sol.answers["out"]]
    assert torch.allclose(torch.tensor(ours, dtype=torch.float64), ref, rtol=1e-12, atol=0)


def test_identity_queries_and_keys_by_hand():
    """Q = K = I (d_k 2): row 1 of the scaled scores is (1/sqrt 2, 0), so A11 = sigmoid(1/sqrt 2);
    without scaling A11 = e / (e + 1)."""
    a = solve_attention([[1, 0], [0, 1]], [[1, 0], [0, 1]], [[1, 2], [3, 4]]).answers
    assert abs(float(a["A11"]) - 1 / (1 + math.exp(-1 / math.sqrt(2)))) < 1e-15
    assert a["S12"] == 0 and a["S11"] == 1
    b = solve_attention([[1, 0], [0, 1]], [[1, 0], [0, 1]], [[1, 2], [3, 4]], scale=False).answers
    assert abs(float(b["A11"]) - math.e / (math.e + 1)) < 1e-15
    assert abs(float(b["out11"]) - (math.e + 3) / (math.e + 1)) < 1e-14


@pytest.mark.parametrize("q, k, v, causal, message", [
    ([[1, 0]], [[1, 0, 0]], [[1]], False, "same width d_k"),
    ([[1, 0]], [[1, 0], [0, 1]], [[1]], False, "one row per key"),
    ([[1, 0]], [[1, 0], [0, 1]], [[1], [2]], True, "causal mask needs as many keys"),
])
def test_bad_shapes_are_one_line(q, k, v, causal, message):
    with pytest.raises(SpecError, match=message):
        solve_attention(q, k, v, causal)
