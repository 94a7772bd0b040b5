"""The worked solutions' observer of the engine (calc.engine.observer): hand rounding, a record
of every value, and a learner's own values passed on for ``nncalc check``.

Solvers run the real layers on the exact backend. Through this observer they see each leaf's
output and dL/d(output) as a student carrying ``decimals`` would (``rounding``), keep what was
computed (``outputs``, ``grads``: the values the solution reports), and then pass on what the
learner wrote instead where ``substitute`` has it (calc.solve.carry), so that everything after
follows from the learner's value. The order matters and is this: round, record, substitute.
"""

from __future__ import annotations

from collections.abc import Callable

from calc.engine.observer import Observer


class SolutionObserver(Observer):
    """``rounding(array)``: the value a student carries on (None: exact). ``substitute(layer,
    value, kind)``: the value passed on, kind 'output', 'grad', or a stage name ('derivative',
    batch norm's 'mean', 'x_hat', ...); None: the computed one."""

    def __init__(self, rounding: Callable | None = None, substitute: Callable | None = None):
        self.rounding, self.substitute = rounding, substitute
        self.outputs: dict = {}  # leaf name -> its output (rounded; before any substitution)
        self.passed: dict = {}  # leaf name -> the output passed on (the learner's where substituted)
        self.grads: dict = {}  # leaf name -> dL/d(its output) (rounded; before any substitution)

    def output(self, layer, value):
        value = self._seen(self.outputs, layer, value, "output")
        self.passed[layer.name] = value  # what the next layer and the backward pass really use
        return value

    def grad(self, layer, value):
        return self._seen(self.grads, layer, value, "grad")

    def stage(self, layer, name: str, value):
        return value if self.substitute is None else self.substitute(layer, value, name)

    def _seen(self, record: dict, layer, value, kind: str):
        if self.rounding is not None:
            value = self.rounding(value)
        record[layer.name] = value
        return value if self.substitute is None else self.substitute(layer, value, kind)
