"""Worked solutions for the sinusoidal positional encoding ("Attention Is All You Need", 3.5).

PE(p, 2i) = sin(p / base^(2i/d)), PE(p, 2i+1) = cos(p / base^(2i/d)) for positions p = 0 .. L-1
and features 0 .. d-1. Values come from calc.layers.sequence_position (the sinusoidal layer's own
table) on the exact backend: sines and cosines to 50 digits.
"""

from __future__ import annotations

from fractions import Fraction

from calc.errors import InputError, SpecError
from calc.solve import given as g
from calc.solve.registry import SolveOptions, problem_type
from calc.solve.step import Solution, Step, Table

KEYS = ("length", "dim", "base")
MAX_VALUES = 4096  # a worked table, not a model: L x d stays readable


def solve_positional_encoding(length: int, dim: int, base=Fraction(10000),
                              options: SolveOptions = SolveOptions()) -> Solution:
    from calc.backend import get_backend
    from calc.exact_functions import power
    from calc.layers.sequence_position import sinusoidal_table
    from calc.numfmt import fmt

    if length < 1 or dim < 1 or length * dim > MAX_VALUES:
        raise InputError(f"expected 1 <= length x dim <= {MAX_VALUES} values, got {length} x {dim}")
    if base <= 0:
        raise InputError(f"base: expected a positive number, got {fmt(base)}")
    be = get_backend("exact")
    pairs = (dim + 1) // 2
    pe = [[Fraction(v) for v in row] for row in sinusoidal_table(length, dim, be, base)]
    b = fmt(base, options.decimals)
    sol = Solution("Sinusoidal positional encoding", [
        f"PE(p, 2i) = sin(p / {b}^(2i/d)), PE(p, 2i+1) = cos(p / {b}^(2i/d)); positions p from 0, "
        f"features from 0, d = {dim}",
        "angles in radians; sines and cosines to 50 digits, shown rounded",
    ])
    sec = "Frequencies"
    freqs = []
    for i in range(pairs):
        freq = power(Fraction(base), Fraction(-2 * i, dim))
        freqs.append(freq)
        sol.add(Step(f"w_{i}", "1 / base^(2i/d)", f"1 / {b}^({2 * i}/{dim})", freq, name=f"freq{i}",
                     section=sec))
    sec = "Encoding, one position at a time"
    for p in range(length):
        angles = [fmt(p * freqs[j // 2], options.decimals) for j in range(dim)]
        parts = [f"{'sin' if j % 2 == 0 else 'cos'}({a})" for j, a in enumerate(angles)]
        sol.add(Step(f"PE({p})", "sin, cos of p w_i", ", ".join(parts), pe[p], name=f"pe{p}", section=sec))
    sol.add(Table("PE (rows: positions, columns: features)", ["p", *[str(j) for j in range(dim)]],
                  [[p, *row] for p, row in enumerate(pe)], section=sec))
    sol.answers["PE"] = pe
    sol.findings.append("every PE(p) has |PE|^2 = d/2 for even d: each (sin, cos) pair has length 1")
    sol.summary = f"PE is {length} x {dim}; PE({length - 1}) = [{', '.join(fmt(v, options.decimals) for v in pe[-1])}]"
    return sol


@problem_type("positional_encoding")
def solve_positional_encoding_problem(given, where, options: SolveOptions) -> Solution:
    """given: length (positions 0 .. length-1), dim, base (10000)."""
    g.check_keys(given, where, KEYS)
    numbers = {}
    for key in ("length", "dim"):
        value = g.number(given, where, key)
        if value.denominator != 1 or value < 1:
            raise SpecError("expected a positive integer", g.at(given, where, key))
        numbers[key] = int(value)
    base = g.number(given, where, "base", Fraction(10000))
    try:
        return solve_positional_encoding(numbers["length"], numbers["dim"], base, options)
    except InputError as exc:
        raise SpecError(exc.message, where) from None
