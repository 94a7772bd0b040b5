"""The network solver's part in nncalc check (issue 6): the learner's own values carried on.

SolveOptions.learner.values names values the way the narrators do (``fc1.a1``, ``fc2.delta1``,
``dL/dfc2.w11``, ``fc2.w11+``; ``step2.`` and ``sample2.`` prefixes). The solver's Ctx calls
``substitute`` after recording every leaf's output and dL/d(output), and an activation's
backward calls it with its local derivative da/dz (``fc2.da1/dz1``); ``carried`` puts the
learner's gradients into the update and ``passed_on`` their updated weights into the next step.
The values the solution reports stay the ones computed (from whatever was carried in).
"""

from __future__ import annotations

from calc.solve.narrate.base import narrator_for
from calc.solve.narrate.dense import derivative_key


def derivative_at_input(layer) -> bool:
    """An element-wise activation whose derivative the sigma'(z) slip evaluates at z."""
    return getattr(layer, "elementwise", False) and hasattr(layer, "z")


class CarriedValues:
    """Mixed into NetworkSolver, which provides carry, view_of, step_prefix and new."""

    def substitute(self, layer, value, kind: str):
        """Ctx hook: the learner's outputs / dL/d(output) of a leaf, by the narrators' names."""
        view = self.view_of.get(layer.name)
        if view is None:
            return value
        n = value.shape[0]

        def name(idx) -> str:
            i = idx[1] + 1 if len(idx) == 2 else tuple(k + 1 for k in idx[1:])
            if kind == "derivative":
                key = derivative_key(view, i)
            else:
                key = view.out.key(i) if kind == "output" else view.out.grad_key(i)
            return self.step_prefix + (f"sample{idx[0] + 1}." if n > 1 else "") + key
        return self.carry.array(value, name)

    def carried(self, layer, pname: str, array, pattern: str):
        """A parameter-shaped array with the learner's values of ``pattern.format(param key)``."""
        if not self.carry:
            return array
        view, narrator = self.view_of[layer.name], narrator_for(layer)

        def name(idx) -> str:
            i = idx[0] + 1 if len(idx) == 1 else tuple(k + 1 for k in idx)
            return self.step_prefix + pattern.format(narrator.param_key(view, pname, i)[0])
        return self.carry.array(array, name)

    def passed_on(self, layer) -> dict:
        """The updated parameters the next step uses: ours, or the learner's fc1.w11+ ..."""
        return {p: self.carried(layer, p, v, "{}+") for p, v in self.new.get(layer.name, {}).items()}
