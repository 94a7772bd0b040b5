"""How numbers are written into worked steps, and the student's hand rounding.

Solvers keep results exact; only the *substituted* formulas ("0.15(0.05) + 0.2(0.1) + 0.35")
contain written numbers, and they must look like the results the renderers show, so both use
calc.numfmt.fmt with the same number of decimals. Hand rounding (SolveOptions) rounds a
value half-up to those decimals before it is used again, as a student with a calculator does.
"""

from __future__ import annotations

from fractions import Fraction

from calc.exact import round_half_up
from calc.numfmt import fmt

MAX_TERMS = 8  # longer sums are written with "..." in the middle


class Writer:
    """Number text and rounding for one solution (decimals and hand-rounding mode)."""

    def __init__(self, decimals: int = 4, hand_rounding: bool = False):
        self.decimals = decimals
        self.hand = hand_rounding

    # -- numbers as text -----------------------------------------------------------------
    def num(self, value) -> str:
        return fmt(_scalar(value), self.decimals)

    def factor(self, value) -> str:
        """A number inside a product: negative ones in parentheses, as written by hand."""
        text = self.num(value)
        return f"({text})" if text.startswith("-") else text

    def vec(self, values) -> str:
        return "[" + ", ".join(self.num(v) for v in values) + "]"

    # -- rounding --------------------------------------------------------------------------
    def round(self, value):
        """The value a student would carry on with (unchanged unless hand rounding)."""
        return round_half_up(_scalar(value), self.decimals) if self.hand else value

    def round_array(self, array):
        """Element-wise ``round`` of a backend array (object arrays of Fractions)."""
        if not self.hand:
            return array
        import numpy as np

        out = np.empty(np.shape(array), dtype=object)
        flat_in, flat_out = np.asarray(array, dtype=object).ravel(), out.ravel()
        for k, v in enumerate(flat_in):
            flat_out[k] = round_half_up(_scalar(v), self.decimals)
        return out


def _scalar(value):
    """Fractions stay; NumPy scalars and Python numbers become Fractions or floats."""
    if isinstance(value, Fraction):
        return value
    if hasattr(value, "item"):
        value = value.item()
    return value


def join_sum(terms: list[str], elide: bool = True) -> str:
    """'a + b + c', writing '+ -x' as '- x' and eliding the middle of long sums (unless ``elide``
    is false: a convolution's 9 or 27 products are all written, as in a hand exercise)."""
    if elide and len(terms) > MAX_TERMS:
        terms = terms[:3] + ["..."] + terms[-2:]
    out = ""
    for k, term in enumerate(terms):
        if k == 0:
            out = term
        elif term.startswith("-") and not term.startswith("-("):
            out += " - " + term[1:]
        else:
            out += " + " + term
    return out


def join_tex(terms: list[str]) -> str:
    """LaTeX sum with \\dots for long ones."""
    if len(terms) > MAX_TERMS:
        terms = terms[:3] + [r"\dots"] + terms[-2:]
    return join_sum(terms)
