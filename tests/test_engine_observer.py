"""The engine's one seam for worked solutions (calc.engine.observer): what an observer returns is
what the engine passes on, and the layer's own backward follows it. Values derived by hand."""

from __future__ import annotations

from fractions import Fraction

from calc.engine.observer import Observer
from tests.engine_util import make_model

# z = 2x + 0 at x = 0 gives sigmoid(0) = 1/2; dense weight 2, no bias.
SPEC = "input: [1]\nlayers:\n  - dense: {units: 1, weights: [[2]], bias: false}\n  - sigmoid\n"


class Replace(Observer):
    """Passes 1/4 on as the sigmoid's output and 3 as dL/d(sigmoid output); records what it saw."""

    def __init__(self):
        self.seen: list = []

    def output(self, layer, value):
        self.seen.append(("output", layer.kind, value.tolist()))
        return value * 0 + Fraction(1, 4) if layer.kind == "sigmoid" else value

    def grad(self, layer, value):
        self.seen.append(("grad", layer.kind, value.tolist()))
        return value * 0 + 3 if layer.kind == "sigmoid" else value


def test_base_observer_changes_nothing():
    plain = make_model(SPEC, "exact")
    watched = make_model(SPEC, "exact", observer=Observer())
    x = plain.backend.asarray([["0.3"]])
    assert plain.forward(x).tolist() == watched.forward(x).tolist()
    assert plain.backward(x).tolist() == watched.backward(x).tolist()


def test_replaced_values_are_passed_on_and_used_by_backward():
    obs = Replace()
    model = make_model(SPEC, "exact", observer=obs)
    be = model.backend
    assert model.forward(be.asarray([[0]])).tolist() == [[Fraction(1, 4)]]
    # backward: dL/da = 3 (replaced), sigma' from the replaced a: a(1 - a) = 1/4 * 3/4 = 3/16,
    # dL/dz = 9/16, dL/dx = 2 * 9/16 = 9/8 (not 3 * 1/4 * 2 = 3/2 from the computed a = 1/2)
    assert model.backward(be.asarray([[1]])).tolist() == [[Fraction(9, 8)]]
    assert obs.seen == [("output", "dense", [[0]]), ("output", "sigmoid", [[Fraction(1, 2)]]),
                        ("grad", "sigmoid", [[1]]), ("grad", "dense", [[Fraction(9, 16)]])]


def test_stage_replaces_an_activations_derivative():
    class Derivative(Observer):
        def stage(self, layer, name, value):
            return value * 0 + 5 if name == "derivative" else value

    model = make_model(SPEC, "exact", observer=Derivative())
    be = model.backend
    model.forward(be.asarray([[0]]))
    assert model.backward(be.asarray([[1]])).tolist() == [[10]]  # 1 * 5 (da/dz) * 2 (weight)
