"""The one seam through which a worked solution watches the engine: an ``Observer``.

A forward/backward pass passes each leaf's output on to the next layer and each dL/d(output)
back to the layer below. Worked solutions want more than the result: every value as a student
would carry it (hand rounding), a record of each value, and, for ``nncalc check``, a learner's
own value passed on in place of the computed one, so that what follows can be recomputed from
it. The engine knows nothing about rounding, recording or checking: it hands each value to the
context's observer (``Ctx.observer``) and passes on whatever comes back. The base class passes
everything on unchanged; calc/solve supplies the subclass that rounds, records and substitutes.
"""

from __future__ import annotations


class Observer:
    """No-op hooks; each returns the value the engine passes on (the one given, by default)."""

    def output(self, layer, value):
        """A leaf's output after its forward pass (containers call this for every leaf)."""
        return value

    def grad(self, layer, value):
        """dL/d(a leaf's output), before that leaf's backward pass."""
        return value

    def stage(self, layer, name: str, value):
        """A named value inside a layer: batch norm's mean, var, x_hat, dL/dvar ..., an
        activation's local derivative ('derivative')."""
        return value
