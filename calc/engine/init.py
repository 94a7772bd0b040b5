"""Weight initialisers: one place for the formulas (conventions.md, "Initialisation").

fan_in / fan_out come from the layer (dense: in, out; conv: Cin/g*kh*kw, Cout*kh*kw ... as
PyTorch computes them). ``torch_default`` is what a fresh PyTorch layer does:
kaiming_uniform(a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), for weights and biases.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from calc.errors import InputError


@dataclass(frozen=True)
class InitRule:
    name: str
    dist: str  # normal | uniform
    formula: str  # std or limit, as text
    square: object  # (fan_in, fan_out) -> std^2 (normal) or limit^2 (uniform), exact for integer fans

    def scale(self, fan_in, fan_out) -> float:
        """std (normal) or limit (uniform) as a float, for drawing."""
        return math.sqrt(self.square(fan_in, fan_out))


RULES = {
    "glorot_uniform": InitRule("glorot_uniform", "uniform", "limit = sqrt(6 / (fan_in + fan_out))",
                               lambda fi, fo: Fraction(6, fi + fo)),
    "glorot_normal": InitRule("glorot_normal", "normal", "std = sqrt(2 / (fan_in + fan_out))",
                              lambda fi, fo: Fraction(2, fi + fo)),
    "he_uniform": InitRule("he_uniform", "uniform", "limit = sqrt(6 / fan_in)", lambda fi, fo: Fraction(6, fi)),
    "he_normal": InitRule("he_normal", "normal", "std = sqrt(2 / fan_in)", lambda fi, fo: Fraction(2, fi)),
    "lecun_uniform": InitRule("lecun_uniform", "uniform", "limit = sqrt(3 / fan_in)", lambda fi, fo: Fraction(3, fi)),
    "lecun_normal": InitRule("lecun_normal", "normal", "std = sqrt(1 / fan_in)", lambda fi, fo: Fraction(1, fi)),
    "torch_default": InitRule("torch_default", "uniform", "limit = 1 / sqrt(fan_in)", lambda fi, fo: Fraction(1, fi)),
}
ALIASES = {
    "xavier_uniform": "glorot_uniform", "xavier_normal": "glorot_normal",
    "kaiming_uniform": "he_uniform", "kaiming_normal": "he_normal",
    "default": "torch_default", "pytorch": "torch_default",
}
CONSTANTS = ("zeros", "ones")


def rule(name: str) -> InitRule:
    key = ALIASES.get(name.replace("-", "_").lower(), name.replace("-", "_").lower())
    if key not in RULES:
        from calc.errors import did_you_mean

        valid = sorted(list(RULES) + list(ALIASES) + list(CONSTANTS))
        # the canonical names only, so the line stays short; the aliases still get a did-you-mean
        raise InputError(f"unknown initialiser '{name}'{did_you_mean(name, valid)}; valid: "
                         f"{', '.join(sorted(list(RULES) + list(CONSTANTS)))} (xavier_* = glorot_*, kaiming_* = he_*)")
    return RULES[key]


def check(name: str) -> str:
    """The canonical name of an initialiser (a rule or a constant); unknown names are an error."""
    key = str(name).replace("-", "_").lower()
    return key if key in CONSTANTS else rule(name).name


CHUNK = 1 << 20  # values drawn in float64 at a time when the target dtype is narrower


def draw(name: str, shape: tuple, fan_in: int, fan_out: int, rng, dtype=None):
    """A NumPy array of ``dtype`` (float64 by default) drawn from ``rng`` (numpy.random.Generator).

    The values are always those of float64 draws, U(-s, s) = -s + 2s * random() as
    Generator.uniform computes it, or s * standard_normal() as Generator.normal does, so a seed
    gives the same weights in float64 and (rounded) in float32. They are generated in place: in
    float64 directly into the result, for a narrower dtype in chunks of CHUNK values written into
    a result of that dtype, so AlexNet in float32 never holds a float64 copy of its weights."""
    import numpy as np

    dtype = np.dtype(dtype or np.float64)
    name = check(name)
    if name in CONSTANTS:
        return np.zeros(shape, dtype) if name == "zeros" else np.ones(shape, dtype)
    r = RULES[name]
    if fan_in <= 0:
        raise InputError(f"initialiser {name}: fan_in must be positive")
    scale = r.scale(fan_in, max(fan_out, 1))
    out = np.empty(shape, dtype)
    flat = out.reshape(-1)
    step = flat.size if dtype == np.float64 else CHUNK
    for start in range(0, flat.size, max(step, 1)):
        piece = flat[start:start + step]
        values = piece if dtype == np.float64 else np.empty(piece.size)
        if r.dist == "uniform":
            rng.random(out=values)
            values *= 2 * scale
            values += -scale
        else:
            rng.standard_normal(out=values)
            values *= scale
        if values is not piece:
            piece[...] = values
    return out
