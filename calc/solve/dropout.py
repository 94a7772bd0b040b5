"""Worked solutions for dropout: the mask, the scaling, the outputs in training and at test time,
and why the expected output is kept.

The outputs come from calc.layers.dropout.Dropout (training with a given or seeded mask, and
eval mode); this module adds the expectation argument: a unit survives with probability 1 - p,
so E[output] = (1 - p) * x * scale, which equals the test-time output under either convention.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from calc.errors import InputError
from calc.solve import given as g
from calc.solve.registry import SolveOptions, problem_type
from calc.solve.step import Solution, Step, Table


def solve_dropout(values: list, rate: Fraction, mask: list | None = None, seed: int | None = None,
                  scaling: str = "inverted", options: SolveOptions = SolveOptions()) -> Solution:
    """One sample through dropout with a given or seeded mask: training, test time, expectation."""
    from calc.numfmt import fmt

    def show(v) -> str:
        return fmt(v, options.decimals)

    _check(rate, scaling, mask, seed, len(values), show)
    d = _run_layer(values, rate, mask, seed, scaling, show)
    sol = Solution("Dropout", _conventions(d, mask is not None, seed))
    _training_steps(sol, d)
    _expectation_steps(sol, d, options.learner.carry())
    n = len(values)
    sol.add(Table("Per unit", ["i", "x_i", "mask_i", "training y_i", "E[y_i]", "test y_i"],
                  [[i + 1, values[i], d.kept[i], d.y[i], d.expected[i], d.test[i]] for i in range(n)],
                  section="Summary"))
    sol.findings.append(_totals_finding(d))
    sol.summary = (f"training output [{', '.join(show(v) for v in d.y)}], "
                   f"test output [{', '.join(show(v) for v in d.test)}]")
    return sol


@dataclass
class _Dropped:
    """One sample through the layer: inputs, rate, keep probability and scale, mask and outputs."""

    values: list
    rate: Fraction
    keep: Fraction  # 1 - p
    scale: Fraction  # 1/(1 - p) for inverted dropout, else 1
    inverted: bool
    kept: list  # 1 = kept, 0 = dropped
    y: list  # training output
    test: list  # test-time output
    expected: list  # E[training output] over masks
    show: Callable[[object], str]


def _check(rate, scaling: str, mask, seed, n: int, show) -> None:
    from calc.layers.dropout import SCALINGS

    if not 0 <= rate < 1:
        raise InputError(f"rate: expected the probability of dropping, 0 <= p < 1, got {show(rate)}")
    if scaling not in SCALINGS:
        raise InputError(f"scaling: expected one of {', '.join(SCALINGS)}, got '{scaling}'")
    if mask is not None and seed is not None:
        raise InputError("give a mask or a seed, not both")
    if mask is not None and (len(mask) != n or any(m not in (0, 1) for m in mask)):
        got = ", ".join(show(m) for m in mask)
        raise InputError(f"mask: expected {n} values of 0 (dropped) or 1 (kept), got {got}")


def _run_layer(values: list, rate, mask, seed, scaling: str, show) -> _Dropped:
    """calc.layers.dropout.Dropout on the exact backend, in training (the mask) and in eval mode."""
    from calc.backend import get_backend
    from calc.engine.context import Ctx
    from calc.layers.dropout import Dropout

    n = len(values)
    be = get_backend("exact")
    layer = Dropout()
    layer.rate, layer.scaling = rate, scaling
    x = be.asarray([values])
    train = Ctx(backend=be, training=True, seed=seed or 0)
    if mask is not None:
        layer.given_mask = [int(m) for m in mask]
    layer.build((n,))
    out = layer.forward(x, train)
    kept = [0 if layer.mask is not None and layer.mask[0][i] == 0 else 1 for i in range(n)]
    y = [Fraction(v) for v in out[0]]
    test = [Fraction(v) for v in layer.forward(x, Ctx(backend=be, training=False))[0]]
    keep = 1 - rate
    scale = 1 / keep if scaling == "inverted" else Fraction(1)
    expected = [keep * v * scale for v in values]
    return _Dropped(values, rate, keep, scale, scaling == "inverted", kept, y, test, expected, show)


def _conventions(d: _Dropped, given_mask: bool, seed) -> list[str]:
    show = d.show
    return [
        f"p = {show(d.rate)} is the probability of DROPPING a unit (PyTorch/Keras rate); it is kept with 1 - p = {show(d.keep)}",
        "inverted dropout (PyTorch, Keras): survivors are scaled by 1/(1 - p) in training; the layer is the "
        "identity at test time" if d.inverted else
        "original paper (Srivastava et al.): no scaling in training; at test time every output is multiplied by "
        "the keep probability 1 - p",
        f"mask {'given' if given_mask else f'drawn with NumPy default_rng({seed or 0}): unit kept when u >= p'}"
        " (1 = kept, 0 = dropped)",
    ]


def _training_steps(sol: Solution, d: _Dropped) -> None:
    """Keep probability, mask, scale and output in training; the output at test time."""
    show, inverted = d.show, d.inverted
    sol.add(Step("keep probability", "1 - p", f"1 - {show(d.rate)}", d.keep, name="keep_probability",
                 section="Training"))
    sol.add(Step("mask", "", "", d.kept, name="mask", section="Training"))
    if inverted:
        sol.add(Step("scale", "1 / (1 - p)", f"1 / {show(d.keep)}", d.scale, name="scale", section="Training"))
    factor = f" * {show(d.scale)}" if inverted else ""
    sol.add(Step("training output", "x * mask" + (" / (1 - p)" if inverted else ""),
                 "[" + ", ".join(f"{show(v)} * {m}{factor}" for v, m in zip(d.values, d.kept)) + "]", d.y,
                 name="output", section="Training"))
    sol.add(Step("test-time output", "x" if inverted else "x * (1 - p)",
                 "no dropout, no scaling" if inverted else
                 "[" + ", ".join(f"{show(v)} * {show(d.keep)}" for v in d.values) + "]",
                 d.test, name="test_output", section="Test time"))


def _expectation_steps(sol: Solution, d: _Dropped, carry) -> None:
    """E[y_i] = (1 - p) x_i scale, then the four sums (of the learner's own outputs under nncalc check)."""
    show = d.show
    factor = f" * {show(d.scale)}" if d.inverted else ""
    sol.add(Step("expected training output", "(1 - p) * x_i" + (" / (1 - p)" if d.inverted else ""),
                 "[" + ", ".join(f"{show(d.keep)} * {show(v)}{factor}" for v in d.values) + "]", d.expected,
                 name="expected_output", section="Expectation",
                 note="= the test-time output: dropout keeps the expected value"))
    sums = (("sum of the inputs", "sum_in", list(d.values)),
            ("training sum (this mask)", "sum_out", carry.take("output", d.y)),
            ("expected training sum", "expected_sum", carry.take("expected_output", d.expected)),
            ("test-time sum", "test_sum", carry.take("test_output", d.test)))
    for label, name, items in sums:
        sol.add(Step(label, "", " + ".join(show(v) for v in items), sum(items, Fraction(0)), name=name,
                     section="Expectation"))


def _totals_finding(d: _Dropped) -> str:
    """Training and test totals agree in expectation over masks, not for every mask."""
    show = d.show
    total, test_total = sum(d.y, Fraction(0)), sum(d.test, Fraction(0))
    if total != test_total:
        return (f"this mask gives a training total of {show(total)} against {show(test_total)} at test "
                "time: dropout matches them in expectation (over masks), not for every mask")
    return (f"the training total {show(total)} equals the test-time total for this mask; in general "
            "they agree only in expectation")


@problem_type("dropout")
def solve_dropout_problem(given, where, options: SolveOptions) -> Solution:
    """given: values [...], rate (probability of dropping), mask [1, 0, ...] or seed, scaling
    (inverted | test)."""
    from calc.errors import SpecError

    values = g.vector(given, where, "values")
    rate = g.number(given, where, "rate")
    mask = g.vector(given, where, "mask") if "mask" in given else None
    seed = int(g.number(given, where, "seed")) if "seed" in given else None
    try:
        return solve_dropout(values, rate, mask, seed, str(g.raw(given, where, "scaling", "inverted")), options)
    except InputError as exc:
        raise SpecError(exc.message, where) from None
