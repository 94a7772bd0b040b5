"""The exact graph engine against PyTorch autograd, and the gate rules it must state."""

import random
from fractions import Fraction

import pytest
import torch

from calc.errors import InputError
from calc.solve.graph import solve_graph
from calc.solve.registry import SolveOptions

VARS = ("x", "y", "z", "w")


def random_expression(rng: random.Random, depth: int):
    """(text, torch builder) of a random expression over VARS with safe domains."""
    if depth == 0 or rng.random() < 0.25:
        if rng.random() < 0.8:
            name = rng.choice(VARS)
            return name, lambda env, n=name: env[n]
        c = rng.choice(["2", "0.5", "3", "1.5"])
        return c, lambda env, c=c: torch.tensor(float(c), dtype=torch.float64)
    a, fa = random_expression(rng, depth - 1)
    b, fb = random_expression(rng, depth - 1)
    a, b = f"({a})", f"({b})"  # operands keep their meaning whatever the operator around them
    kind = rng.choice(["+", "-", "*", "/", "^", "exp", "log", "sqrt", "sigmoid", "tanh", "relu", "abs",
                       "max", "min", "neg"])
    if kind in "+-*":
        op = {"+": torch.add, "-": torch.sub, "*": torch.mul}[kind]
        return f"({a} {kind} {b})", lambda env: op(fa(env), fb(env))
    if kind == "/":
        return f"{a} / (1 + {b}*{b})", lambda env: fa(env) / (1 + fb(env) * fb(env))
    if kind == "^":
        k = rng.choice([2, 3])
        return f"{a}^{k}", lambda env: fa(env) ** k
    if kind == "exp":
        return f"exp({a} / 4)", lambda env: torch.exp(fa(env) / 4)
    if kind == "log":
        return f"log(1 + {a}^2)", lambda env: torch.log(1 + fa(env) ** 2)
    if kind == "sqrt":
        return f"sqrt(1 + {a}*{a})", lambda env: torch.sqrt(1 + fa(env) * fa(env))
    if kind in ("max", "min"):
        op = torch.maximum if kind == "max" else torch.minimum
        return f"{kind}({a}, {b})", lambda env: op(fa(env), fb(env))
    if kind == "neg":
        return f"-{a}", lambda env: -fa(env)
    op = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "abs": torch.abs}[kind]
    return f"{kind}({a})", lambda env: op(fa(env))


@pytest.mark.parametrize("seed", range(60))
def test_gradients_match_torch_autograd(seed):
    rng = random.Random(seed)
    values = {n: Fraction(rng.choice(range(-20, 21)), 10) for n in VARS}
    env = {n: torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for n, v in values.items()}
    while True:  # an expression that computes something from the variables
        text, build = random_expression(rng, 4)
        out = build(env)
        if out.requires_grad and text not in VARS:
            break
    out.backward()
    sol = solve_graph(text, values)
    assert float(sol.answers["f"]) == pytest.approx(out.item(), rel=1e-9, abs=1e-12), text
    for n in VARS:
        want = env[n].grad.item() if env[n].grad is not None else 0.0
        assert float(sol.answers[f"df/d{n}"]) == pytest.approx(want, rel=1e-9, abs=1e-12), (text, n, values)


def test_fan_out_adds_and_is_named():
    sol = solve_graph("x*y + x", {"x": Fraction(3), "y": Fraction(-4)})
    assert sol.answers["df/dx"] == -3  # y + 1
    step = next(s for s in sol.steps if getattr(s, "name", "") == "df/dx")
    assert "copy gate" in step.note and sorted(step.substituted.split(" + ")) == ["(-4) * 1", "1 * 1"]
    assert any(c.startswith("copy gate adds") for c in sol.conventions)


def test_gate_rules_are_stated():
    sol = solve_graph("2*(x*y + max(z, w))", {"x": Fraction(3), "y": Fraction(-4), "z": Fraction(2), "w": Fraction(-1)})
    rules = " ".join(sol.conventions)
    for rule in ("add gate distributes", "multiply gate swaps", "max gate routes", "scale by a constant"):
        assert rule in rules


def test_sigmoid_gate_takes_its_derivative_from_the_activation_class(monkeypatch):
    from calc.layers.activation.saturating import Sigmoid

    monkeypatch.setattr(Sigmoid, "derivative", lambda self, z, a, be: a * 0 + 7)
    sol = solve_graph("sigmoid(x)", {"x": Fraction(0)})
    assert sol.answers["df/dx"] == 7


def test_max_tie_splits_and_says_so():
    sol = solve_graph("max(x, y)", {"x": Fraction(2), "y": Fraction(2)})
    assert sol.answers["df/dx"] == sol.answers["df/dy"] == Fraction(1, 2)
    assert any("tie" in f for f in sol.findings)


def test_hand_rounding_rounds_every_intermediate():
    exact = solve_graph("1/(1 + exp(-x))", {"x": Fraction(1)})
    hand = solve_graph("1/(1 + exp(-x))", {"x": Fraction(1)}, SolveOptions(decimals=2, hand_rounding=True))
    assert hand.answers["n2"] == Fraction(37, 100)  # e^-1 = 0.3679 -> 0.37
    assert hand.answers["f"] == Fraction(73, 100)
    assert exact.answers["f"] != hand.answers["f"]


@pytest.mark.parametrize("text,values,fragment", [
    ("x / y", {"x": 1, "y": 0}, "division by zero in 'x / y' = 1 / 0"),
    ("log(x)", {"x": -1}, "log of a non-positive number"),
    ("sqrt(x)", {"x": 0}, "infinite at 0"),
    ("x + y", {"x": 1}, "no value for variable 'y'"),
    ("f = q * z; q = x + y", {"x": 1, "y": 2, "z": 3}, "stage 'q' is used before it is assigned"),
    ("q = x; f = q * 2", {"x": 1}, "computes nothing"),
    ("x + 1; f = 2 * x", {"x": 1}, "only the last statement may be unnamed"),
    ("x = y + 1", {"x": 1, "y": 2}, "both a stage"),
    ("x ^ y", {"x": -1, "y": 2}, "positive base"),
])
def test_bad_values_are_one_line(text, values, fragment):
    with pytest.raises(InputError) as err:
        solve_graph(text, {k: Fraction(v) for k, v in values.items()})
    assert fragment in str(err.value) and "\n" not in str(err.value)
