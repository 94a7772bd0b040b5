"""What an attention's nodes compute, read from their values on the probe input: which rows of a
projection make each head of Q, K and V (a packed in_proj_weight, grouped-query K/V heads repeated
for several Q heads), the scale of the scores, and a causal mask; then the attention rebuilt from
what was read, checked against the model's own output.

The values are float32 (the model's); the readings allow 1e-4 of the largest value.
"""

from __future__ import annotations

from calc.interchange.onnx_graph import Unmappable

TOL = 1e-4
MASKED = -1e4  # an added or filled-in score this low (or -inf) is a masked one: exp() makes it 0


def _close(a, b, scale) -> bool:
    import numpy as np

    return bool(np.all(np.abs(a - b) <= TOL * max(1.0, scale)))


def rotated(t, base: float):
    """Rotary embedding of t (N, heads, L, head_dim), Hugging Face Llama's rotate_half pairing:
    features k and k + head_dim/2 of position p turned by p * base^(-2k/head_dim)."""
    import numpy as np

    length, dim = t.shape[-2], t.shape[-1]
    angle = np.arange(length)[:, None] * base ** (-2 * np.arange(dim // 2) / dim)
    cos, sin = np.cos(angle), np.sin(angle)
    a, b = t[..., :dim // 2], t[..., dim // 2:]
    return np.concatenate([a * cos - b * sin, b * cos + a * sin], axis=-1)


def _candidates(projected, heads: int, head_dim: int, counts: list):
    """(first row, heads read, how they repeat, the heads) for every way of cutting the projection."""
    import numpy as np

    n, length, width = projected.shape
    for count in counts:
        for first in range(0, width - count * head_dim + 1, head_dim):
            cut = projected[..., first:first + count * head_dim].reshape(n, length, count, head_dim)
            cut = cut.transpose(0, 2, 1, 3)
            for repeat in ("each", "whole")[:2 if count < heads else 1]:
                yield first, count, repeat, (np.repeat(cut, heads // count, axis=1) if repeat == "each"
                                             else np.tile(cut, (1, heads // count, 1, 1)))


def heads_of(value, projected, heads: int, head_dim: int, counts: list, what: str, bases=(None,)) -> tuple:
    """(first row in the projection, its number of heads, the factor, the heads, how they repeat,
    the rotary base or None) such that ``value`` (N, heads, L, head_dim) is that factor times the
    projection's rows split into heads (rotated when a base is tried), each of them repeated
    heads / count times: "each" head in turn (Hugging Face's repeat_kv, torch's
    repeat_interleave) or the "whole" set (Tensor.repeat, tile)."""
    import numpy as np

    value = np.asarray(value, dtype=np.float64)
    n, length, _ = projected.shape
    if value.shape != (n, heads, length, head_dim):
        raise Unmappable(f"{what} is not split into (N, {heads}, L, {head_dim}) heads (got {tuple(value.shape)})")
    peak = float(np.abs(value).max())
    for first, count, repeat, cand in _candidates(projected, heads, head_dim, counts):
        for base in bases:
            turned = cand if base is None else rotated(cand, base)
            norm = float((turned * turned).sum())
            factor = float((value * turned).sum()) / norm if norm else 0.0
            if factor and _close(value, factor * turned, peak):
                return first, count, factor, turned, repeat, base
    raise Unmappable(f"{what} is not read as rows of its projection split into heads"
                     + (" and rotated (rotary base 10000, 500000 or 1000000)" if bases[-1] else ""))


def query_order(heads: int, kv_heads: int) -> list:
    """The model's query head that nncalc's head j must be when K/V heads repeat "whole": there
    query head h reads key/value head h % kv_heads, in nncalc head j reads j // (heads / kv_heads)."""
    group = heads // kv_heads
    return [j // group + kv_heads * (j % group) for j in range(heads)]


def scale_and_mask(scores, q, k, head_dim: int) -> bool:
    """Whether the softmax's input ``scores`` is Q K^T / sqrt(head_dim) under a causal mask (True)
    or with none (False); Unmappable for any other scale or mask. Each score is either the scaled
    product or masked (-inf, or so low that exp() makes it 0); which ones are masked is the mask."""
    import numpy as np

    raw = q @ k.transpose(0, 1, 3, 2)
    z = np.broadcast_to(np.asarray(scores, dtype=np.float64), raw.shape)
    low = z <= MASKED
    kept, rk = z[~low], raw[~low]
    if not (rk * rk).sum():
        raise Unmappable("Q K^T is zero on the probe input; the scale cannot be read")
    factor = float((kept * rk).sum() / (rk * rk).sum())
    if not _close(kept, factor * rk, float(np.abs(kept).max())):
        raise Unmappable("the scores are not a scaled Q K^T (a bias added to them?)")
    above = ~np.tril(np.ones(raw.shape[-2:], dtype=bool))
    if low.any() and not np.array_equal(low, np.broadcast_to(above, low.shape)):
        raise Unmappable("the scores get a mask that is not causal (nncalc's attention has causal: true only)")
    if abs(factor * head_dim ** 0.5 - 1) > TOL:
        raise Unmappable(f"the scores are scaled by {factor:.6g}, not by 1/sqrt({head_dim}) = "
                         f"{head_dim ** -0.5:.6g}; nncalc's attention has no other scale")
    return bool(low.any())


def rebuilt(x, params: dict, heads: int, kv_heads: int, head_dim: int, causal: bool, base=None):
    """The attention of ``x`` (N, L, d) from the weights read, in float64: what nncalc will compute."""
    import numpy as np

    def project(t, p):
        y = t @ params[f"{p}_weight"].T
        return y if params.get(f"{p}_bias") is None else y + params[f"{p}_bias"]

    def split(t, count):
        return t.reshape(n, length, count, head_dim).transpose(0, 2, 1, 3)

    n, length, _ = x.shape
    group = heads // kv_heads
    q, k = split(project(x, "q"), heads), split(project(x, "k"), kv_heads)
    if base is not None:
        q, k = rotated(q, base), rotated(k, base)
    k, v = np.repeat(k, group, axis=1), np.repeat(split(project(x, "v"), kv_heads), group, axis=1)
    s = q @ k.transpose(0, 1, 3, 2) / head_dim ** 0.5
    if causal:
        s = np.where(np.tril(np.ones((length, length), dtype=bool)), s, -np.inf)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    o = (e / e.sum(axis=-1, keepdims=True)) @ v
    return project(o.transpose(0, 2, 1, 3).reshape(n, length, heads * head_dim), "o")


def check_rebuilt(got, expected) -> None:
    import numpy as np

    expected = np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape or not _close(got, expected, float(np.abs(expected).max())):
        worst = float(np.abs(got - expected).max()) if got.shape == expected.shape else float("nan")
        raise Unmappable(f"the attention rebuilt from the weights read differs from the model's output "
                         f"(by {worst:.3g}); its layout is not one nncalc reads")
