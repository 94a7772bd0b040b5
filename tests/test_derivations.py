"""The expected answers of the network, softmax, loss, perceptron, CNN and counting problem files
agree with their independent derivations (tests/derivations: Decimal by hand or PyTorch, no
nncalc code), so an expected value cannot drift towards what the solver prints."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from tests.derivations import load_all

TOPICS = ("networks", "softmax", "losses", "perceptrons", "cnn", "counting")
TOPICS += ("upsampling",)  # issue 13


def my_problems() -> list[Path]:
    root = Path(str(resources.files("calc.problems")))
    return sorted(p for t in TOPICS for p in (root / t).glob("*.yaml"))


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


@pytest.mark.parametrize("path", my_problems(), ids=_name)
def test_expected_values_are_derived(path):
    from calc.problems_io import load_problem

    derivations = load_all()
    assert _name(path) in derivations, f"{_name(path)}: no derivation in tests/derivations"
    derived = derivations[_name(path)]()
    problem = load_problem(path)
    aliases = dict(problem.given.get("aliases") or {})
    tol = problem.tolerance
    rel, abs_tol = tol.get("rel", 1e-9), tol.get("abs", 1e-12)
    for key, want in problem.expected.items():
        name = aliases.get(key, key)
        assert name in derived, f"{key}: the derivation does not compute {name}"
        got = derived[name]
        if isinstance(want, bool):
            assert got is want, key
            continue
        got_flat, want_flat = _flat(got), _flat(want)  # matrices and shapes element by element
        assert len(got_flat) == len(want_flat) and _shape(got) == _shape(want), (key, got, want)
        for g, w in zip(got_flat, want_flat):
            assert abs(float(g) - float(w)) <= max(abs_tol, rel * abs(float(w))), (key, float(g), w)


def _flat(value) -> list:
    return [x for v in value for x in _flat(v)] if isinstance(value, (list, tuple)) else [value]


def _shape(value) -> tuple:
    return (len(value), *_shape(value[0])) if isinstance(value, (list, tuple)) and value else ()


def test_every_derivation_has_its_problem_file():
    names = {_name(p) for p in my_problems()}
    missing = sorted(set(load_all()) - names)
    assert not missing, missing
