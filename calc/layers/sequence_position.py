"""Where a position is: learned position embeddings, sinusoidal encodings, rotary embeddings.

Positions count from 0. All three act on a sequence (L, F) per sample (arrays (N, L, F)).

- ``positional_embedding`` (BERT, GPT-2, ViT): a learned table (max_len, F), row p added at
  position p; a longer sequence than max_len is an error (the table has no row for it).
- ``sinusoidal`` ("Attention Is All You Need", 3.5): PE(p, 2i) = sin(p / base^(2i/F)),
  PE(p, 2i+1) = cos(p / base^(2i/F)), base 10000, added; no parameters.
- ``rotary`` (RoPE, Su et al. 2021): each pair of features (a, b) of position p is rotated by the
  angle p * base^(-2k/D), k = 0 .. D/2 - 1, D the head size. Which features pair up differs
  between implementations (``pairing``): ``half`` pairs feature k with k + D/2 (Hugging Face
  Llama's rotate_half, the default: the convention of published Llama checkpoints in HF format),
  ``interleaved`` pairs 2k with 2k + 1 (the RoFormer paper, Meta's original Llama code). No
  parameters; ``apply_rotary`` is the same rotation for attention's queries and keys.

The exact backend computes sines and cosines to calc.exact.PRECISION digits (Approx values).
"""

from __future__ import annotations

from fractions import Fraction

from calc.layers.base import Layer, Shape, register
from calc.layers.sequence import need_sequence, normal_param
from calc.spec.options import Options

PAIRINGS = ("half", "interleaved")


# -- tables ------------------------------------------------------------------------------------
def _exact_trig(angles: list[list[Fraction]]):
    """(sin, cos) of exact angles as Approx Fractions, with mpmath at PRECISION + 10 digits."""
    import mpmath

    from calc.exact import PRECISION, approx

    def frac(v) -> Fraction:
        sign, man, exp, _ = mpmath.mpf(v)._mpf_  # (-1)^sign * man * 2^exp, exactly
        return approx((-1) ** sign * Fraction(int(man)) * Fraction(2) ** int(exp)) if man else Fraction(0)

    with mpmath.workdps(PRECISION + 10):
        rows = [[(mpmath.mpf(a.numerator) / a.denominator) for a in row] for row in angles]
        sin = [[frac(mpmath.sin(a)) if a else Fraction(0) for a in row] for row in rows]
        cos = [[frac(mpmath.cos(a)) if a else Fraction(1) for a in row] for row in rows]
    return sin, cos


def angle_table(length: int, pairs: int, dim: int, be, base: float = 10000.0, start: int = 0):
    """(sin, cos), each (length, pairs): angle(p, i) = p / base^(2i/dim), p = start .. start+length-1."""
    xp = be.xp
    if be.exact:
        from calc.exact import to_fraction
        from calc.exact_functions import power

        b = to_fraction(base)
        inv = [power(b, Fraction(-2 * i, dim)) for i in range(pairs)]
        sin, cos = _exact_trig([[p * f for f in inv] for p in range(start, start + length)])
        return be.asarray(sin), be.asarray(cos)
    inv = float(base) ** (-(xp.arange(0, 2 * pairs, 2, dtype="float64") / dim))
    angles = xp.arange(start, start + length, dtype="float64")[:, None] * inv[None, :]
    return xp.sin(angles).astype(be.dtype), xp.cos(angles).astype(be.dtype)


def sinusoidal_table(length: int, dim: int, be, base: float = 10000.0):
    """PE (length, dim): sin at even features, cos at odd ones (the paper's layout)."""
    sin, cos = angle_table(length, (dim + 1) // 2, dim, be, base)
    pe = be.xp.zeros((length, dim), dtype=be.dtype) if not be.exact else be.xp.zeros((length, dim))
    pe[:, 0::2] = sin
    pe[:, 1::2] = cos[:, : dim // 2]
    return pe


def apply_rotary(x, be, base: float = 10000.0, pairing: str = "half", inverse: bool = False, start: int = 0):
    """RoPE on x of shape (..., L, D), D even: position p (from ``start``) rotated by p * base^(-2k/D)
    in each pair of features (``pairing`` half | interleaved). ``inverse`` rotates back (the
    transposed rotation: the backward pass). For attention: x is (N, heads, L, head_dim)."""
    xp = be.xp
    length, dim = x.shape[-2], x.shape[-1]
    assert dim % 2 == 0 and pairing in PAIRINGS, (dim, pairing)
    sin, cos = angle_table(length, dim // 2, dim, be, base, start)
    if inverse:
        sin = -sin
    if pairing == "half":
        a, b = x[..., : dim // 2], x[..., dim // 2:]
        return xp.concatenate([a * cos - b * sin, b * cos + a * sin], axis=-1)
    a, b = x[..., 0::2], x[..., 1::2]
    out = xp.zeros_like(x)
    out[..., 0::2] = a * cos - b * sin
    out[..., 1::2] = a * sin + b * cos
    return out


# -- layers ------------------------------------------------------------------------------------
@register
class PositionalEmbedding(Layer):
    """A learned (max_len, F) table added to the sequence: position p gets row p. Parameters
    max_len * F (all counted, however long the input); no multiplies."""

    kind = "positional_embedding"
    receptive = "identity"
    prefix = "pos"
    aliases = ("position_embedding", "learned_positional_embedding")
    summary = "learned position embedding added to a sequence: max_len (rows of the table), weights"
    default_text = "positional embedding: N(0, 1) as torch.nn.Embedding"

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        layer.max_len = opts.int("max_len")
        layer.given = (opts.raw("weights"), opts.at("weights")) if opts.has("weights") else None
        layer.trainable = opts.flag("trainable", True)
        opts.finish()
        return layer

    def compute_shape(self, in_shape: Shape) -> Shape:
        length, features = need_sequence(self, in_shape)
        if length > self.max_len:
            self.fail(f"the sequence has {length} positions but max_len is {self.max_len} (one learned row "
                      "per position): raise max_len or shorten the input")
        self.features = features
        return in_shape

    def param_shapes(self) -> dict[str, Shape]:
        return {"weight": (self.max_len, self.features)}

    def param_symbols(self, pname: str) -> list[str]:
        return ["max_len", "F"]

    def fans(self) -> tuple[int, int]:
        return (self.features, self.max_len)

    def describe(self) -> str:
        return f"max_len {self.max_len}"

    def init_params(self, ctx) -> None:
        from calc.layers.sequence import table_values

        self.params, self.grads, self.buffers = {}, {}, {}
        shape = (self.max_len, self.features)
        given = table_values(self, ctx, shape, f"one row per position: {self.max_len} rows of {self.features}")
        self.params["weight"] = given["weight"] if given else normal_param(self, ctx, "weight", shape)

    def forward(self, x, ctx):
        self.length = x.shape[1]
        return x + self.params["weight"][: self.length]

    def backward(self, dy, ctx):
        grad = ctx.xp.zeros_like(self.params["weight"])
        grad[: self.length] = dy.sum(axis=0)
        self.grads["weight"] = grad
        return dy


@register
class Sinusoidal(Layer):
    """The fixed sinusoidal encoding of "Attention Is All You Need" added to the sequence."""

    kind = "sinusoidal"
    receptive = "identity"
    prefix = "sinpos"
    aliases = ("sinusoidal_encoding", "positional_encoding", "sinusoidal_position")
    summary = "sinusoidal position encoding added (no parameters): base (10,000)"

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        layer.base = opts.number("base", 10000.0, minimum=1.0)
        opts.finish()
        return layer

    def compute_shape(self, in_shape: Shape) -> Shape:
        need_sequence(self, in_shape)
        return in_shape

    def describe(self) -> str:
        return "" if self.base == 10000 else f"base {self.base:g}"

    def forward(self, x, ctx):
        return x + sinusoidal_table(x.shape[1], x.shape[2], ctx.backend, self.base)

    def backward(self, dy, ctx):
        return dy


@register
class Rotary(Layer):
    """RoPE as a layer: rotates pairs of features by position-dependent angles (no parameters).
    ``head_dim`` (default: all features) splits the features into heads rotated alike."""

    kind = "rotary"
    receptive = "identity"
    prefix = "rope"
    aliases = ("rope", "rotary_embedding")
    summary = "rotary position embedding (RoPE): base (10,000), pairing half|interleaved, head_dim"

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        layer.base = opts.number("base", 10000.0, minimum=1.0)
        layer.pairing = opts.choice("pairing", PAIRINGS, "half")
        layer.head_dim = opts.int("head_dim", None, minimum=2)
        layer.head_where = opts.at("head_dim")
        opts.finish()
        return layer

    def compute_shape(self, in_shape: Shape) -> Shape:
        from calc.errors import SpecError

        _, features = need_sequence(self, in_shape)
        hd = self.head_dim or features
        if hd % 2:
            self.fail(f"rotates pairs of features: the head size must be even, got {hd}")
        if features % hd:
            raise SpecError(f"head_dim {hd} does not divide the {features} features", self.head_where)
        self.size = hd
        return in_shape

    def describe(self) -> str:
        parts = [self.pairing]
        if self.head_dim:
            parts.append(f"head {self.head_dim}")
        return " ".join(parts)

    def run_note(self):
        return ("rotary pairing", self.pairing, "half: feature k with k + D/2 (HF Llama); interleaved: 2k with 2k+1")

    def _rotate(self, x, ctx, inverse: bool):
        n, length, features = x.shape
        heads = x.reshape(n, length, features // self.size, self.size).transpose(0, 2, 1, 3)
        out = apply_rotary(heads, ctx.backend, self.base, self.pairing, inverse)
        return out.transpose(0, 2, 1, 3).reshape(n, length, features)

    def forward(self, x, ctx):
        return self._rotate(x, ctx, False)

    def backward(self, dy, ctx):
        return self._rotate(dy, ctx, True)  # a rotation's transpose is the rotation back
