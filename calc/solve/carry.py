"""The learner that ``nncalc check`` (issue 6) solves a problem again for: their own values put in
place of computed ones, and the conventions they may have slipped on.

``SolveOptions.learner`` is the checker's one influence on a solver; a plain solve has NO_LEARNER
and never sees checker fields. When a learner's early answer is off, everything after it is off
too. To report that slip once, the checker solves the problem again with the learner's answers by
answer name (``Learner.values``), which solvers read through ``options.learner.carry()``. A
solver that honours them records each quantity as it computes it (from whatever was carried into
it) and then carries the learner's value on instead of its own:

    e = carry.take("e1", computed_e1)   # the step already recorded computed_e1 as answer e1

so the re-solved answer of a later quantity is "what it is when computed from your own earlier
values". Values arrive checked by the checker: exact numbers (Fractions), nested lists shaped
like the answer. Without values every method returns what it was given: the plain worked
solution is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Learner:
    """Whose values and conventions a solve follows. The defaults (NO_LEARNER) give the plain
    worked solution. ``values``: answer name -> the learner's exact value, shaped like the answer;
    ``derivative_of='input'`` reproduces the slip sigma'(z) = z(1 - z), an activation derivative
    written in terms of its output evaluated at its input; ``size_rounding`` ('ceil' or 'floor')
    answers output sizes with that rounding instead of the layer's own (None)."""

    values: dict | None = field(default=None, compare=False)
    derivative_of: str = "output"  # or "input" (the sigma'(z) slip)
    size_rounding: str | None = None  # None: the layer's own (floor, or ceil with ceil_mode)

    def carry(self) -> Carry:
        """The lookup a solver carries the learner's values with (empty without values)."""
        return Carry(self.values)

    def with_values(self, values: dict | None) -> Learner:
        """The same conventions, carrying ``values`` (None: none)."""
        return replace(self, values=values)


class Carry:
    """Lookup of the learner's values by answer name (empty: nothing is replaced)."""

    def __init__(self, values: dict | None = None):
        self.values: dict[str, Any] = dict(values or {})

    def __bool__(self) -> bool:
        return bool(self.values)

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def any(self, names) -> bool:
        return any(n in self.values for n in names)

    def take(self, name: str, computed):
        """The learner's value of ``name`` when given, else ``computed``."""
        return self.values.get(name, computed)

    def element(self, name: str, index: int, computed, scalar_name: str | None = None):
        """Element ``index`` (0-based) of list answer ``name``, or the scalar answer ``scalar_name``
        (e.g. ``V3`` beside the list ``V``), the scalar winning when both are given."""
        if scalar_name is not None and scalar_name in self.values:
            return self.values[scalar_name]
        value = self.values.get(name)
        if isinstance(value, list) and index < len(value):
            return value[index]
        return computed

    def array(self, array, name_at: Callable[[tuple], str | None]):
        """A copy of a backend array with the learner's value at every index whose name
        (``name_at(index)``, None for unnamed) was given; the array itself when none was."""
        import numpy as np

        if not self.values:
            return array
        out = None
        for index in np.ndindex(*np.shape(array)):
            name = name_at(index)
            if name is not None and name in self.values:
                if out is None:
                    out = array.copy()
                out[index] = self.values[name]
        return array if out is None else out


NO_LEARNER = Learner()
