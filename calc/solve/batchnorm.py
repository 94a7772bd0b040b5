"""Worked solutions for batch normalisation of one feature over a batch: the column table
(x, x - mean, squares, x-hat, y), both variances, and the backward pass with numbers.

Every value comes from calc.layers.norm.BatchNorm in training mode on the exact backend (the
same code the engine runs): the layer keeps its named stages (mean, x - mean, squares, both
variances, std, x-hat; dL/dx-hat, dL/dvar, dL/dmean as Ioffe & Szegedy stage the backward pass),
and for nncalc check it carries a learner's own stage values on (calc.solve.observer).
"""

from __future__ import annotations

from fractions import Fraction

from calc.errors import InputError
from calc.solve import given as g
from calc.solve.carry import Carry
from calc.solve.registry import SolveOptions, problem_type
from calc.solve.step import Solution, Step, Table

VARIANCES = {"n": "biased", "n-1": "unbiased", "biased": "biased", "unbiased": "unbiased"}


def _layer(gamma, beta, eps, variance, n, be):
    from calc.layers.norm import BatchNorm

    layer = BatchNorm()
    layer.eps, layer.momentum, layer.affine, layer.variance, layer.values = eps, Fraction(1, 10), True, variance, {}
    layer.name = "bn"
    layer.build((1,))
    layer.params = {"weight": be.asarray([gamma]), "bias": be.asarray([beta])}
    layer.buffers = {"running_mean": be.asarray([0]), "running_var": be.asarray([1])}
    layer.grads = {}
    return layer


def solve_batchnorm(x: list, gamma=Fraction(1), beta=Fraction(0), eps=Fraction(1, 10**5), variance: str = "n",
                    grad: list | None = None, options: SolveOptions = SolveOptions()) -> Solution:
    """One feature over a batch in training mode: forward steps and table; backward with ``grad``."""
    from calc.backend import get_backend
    from calc.engine.context import Ctx
    from calc.numfmt import fmt
    from calc.solve.observer import SolutionObserver

    def show(v) -> str:
        text = fmt(v, options.decimals)
        return f"({text})" if v < 0 else text

    kind = _check(x, eps, variance, grad, options.decimals)
    n = len(x)
    be = get_backend("exact")
    layer = _layer(gamma, beta, eps, kind, n, be)
    carry = options.learner.carry()
    ctx = Ctx(backend=be, training=True, observer=SolutionObserver(substitute=_carried(carry, be)) if carry else None)
    y = _column(layer.forward(be.asarray([[v] for v in x]), ctx))
    sol = Solution("Batch normalisation (training mode)", _conventions(kind, eps, gamma, beta, show))
    centred, xhat = _forward_steps(sol, layer, x, y, (gamma, beta, eps), show)
    sol.findings += _forward_findings(layer, xhat, eps, grad is not None, show)
    if grad is not None and not layer.degenerate:
        _backward(sol, layer, ctx, be, grad, centred, xhat, n, kind, show)
    sol.summary = f"y = [{', '.join(fmt(v, options.decimals) for v in y)}]"
    return sol


def _check(x: list, eps, variance: str, grad, decimals: int) -> str:
    """The variance kind (biased | unbiased) once the request is usable."""
    from calc.numfmt import fmt

    if variance not in VARIANCES:
        raise InputError(f"variance: expected n (biased, PyTorch training) or n-1 (unbiased), got '{variance}'")
    n = len(x)
    if n < 2:
        raise InputError(f"batch norm needs at least 2 values in the batch, got {n}")
    if grad is not None and len(grad) != n:
        raise InputError(f"grad: expected {n} values of dL/dy (one per x), got {len(grad)}")
    if eps < 0:
        raise InputError(f"eps: expected a number >= 0, got {fmt(eps, decimals)}")
    return VARIANCES[variance]


def _conventions(kind: str, eps, gamma, beta, show) -> list[str]:
    divisor_text = "n" if kind == "biased" else "n - 1"
    return [
        f"variance divided by {divisor_text} ({kind}"
        + ("; PyTorch and Keras normalise with this in training" if kind == "biased" else
           "; many hand solutions use this; PyTorch uses it only for the running variance") + ")",
        f"eps = {show(eps)} inside the square root: x-hat = (x - mean) / sqrt(var + eps)"
        + (" (PyTorch's default is 1e-5, Keras' 1e-3)" if eps != Fraction(1, 10**5) else " (PyTorch; Keras uses 1e-3)"),
        f"y = gamma x-hat + beta with gamma = {show(gamma)}, beta = {show(beta)}",
    ]


def _forward_steps(sol: Solution, layer, x: list, y: list, settings: tuple, show) -> tuple[list, list]:
    """mean, sum of squares, both variances (the chosen one marked), std, x-hat, y and the column
    table, from the layer's named stages (settings: gamma, beta, eps as given); returns (x - mean,
    x-hat) for the backward pass."""
    (gamma, beta, eps), st, n, kind = settings, layer.stages, len(x), layer.variance
    mean, var, std = _scalar(st["mean"]), _scalar(st["var"]), _scalar(st["std"])
    centred, squares, xhat = _column(st["x_minus_mean"]), _column(st["squares"]), _column(st["x_hat"])
    ss = sum(squares, Fraction(0))
    sec = "Forward pass"
    sol.add(Step("mean", "sum x_i / n", f"({' + '.join(show(v) for v in x)}) / {n}", mean, name="mean",
                 section=sec))
    sol.add(Step("sum of squares", "sum (x_i - mean)^2", " + ".join(show(v) for v in squares), ss, section=sec))
    for divisor, name, label in ((n, "var_biased", "variance / n"), (n - 1, "var_unbiased", "variance / (n - 1)")):
        chosen = (divisor == n) == (kind == "biased")
        sol.add(Step(label, f"sum (x_i - mean)^2 / {'n' if divisor == n else '(n - 1)'}", f"{show(ss)} / {divisor}",
                     _scalar(st[name]), name=name, note="used" if chosen else "not used here", section=sec))
    sol.answers["var"] = var
    sol.add(Step("std", "sqrt(var + eps)", f"sqrt({show(var)} + {show(eps)})", std, name="std", section=sec))
    sol.add(Step("x-hat", "(x_i - mean) / sqrt(var + eps)", f"[{', '.join(show(c) for c in centred)}] / {show(std)}",
                 xhat, name="x_hat", section=sec))
    sol.add(Step("y", "gamma x-hat + beta", f"{show(gamma)} * x-hat + {show(beta)}", y, name="y", section=sec))
    sol.add(Table("Columns", ["i", "x", "x - mean", "(x - mean)^2", "x-hat", "y"],
                  [[i + 1, x[i], centred[i], squares[i], xhat[i], y[i]] for i in range(n)], section=sec))
    sol.answers["x_minus_mean"], sol.answers["squares"] = centred, squares
    return centred, xhat


def _forward_findings(layer, xhat: list, eps, backward: bool, show) -> list[str]:
    """x-hat's own mean and variance; the 0/0 convention when var + eps = 0 (and no backward then)."""
    n, var = len(xhat), _scalar(layer.stages["var"])
    found = [f"check: x-hat has mean {show(sum(xhat, Fraction(0)) / n)} and (biased) variance "
             f"{show(sum((h * h for h in xhat), Fraction(0)) / n)}"]
    if layer.degenerate:
        found.append(f"var + eps = {show(var)} + {show(eps)} = 0 (every x equals the mean and eps = 0): "
                     "x-hat = 0/0 is undefined; convention used: x-hat = 0, its limit as eps -> 0+, "
                     "so y = beta (PyTorch computes nan)")
    if backward and layer.degenerate:
        found.append("backward pass not computed: 1/sqrt(var + eps) is infinite, so dL/dx is undefined "
                     "(give eps > 0, e.g. --eps 1e-5)")
    return found


def _column(array) -> list[Fraction]:
    return [Fraction(v) for v in array.ravel()]


def _scalar(array) -> Fraction:
    return Fraction(array.ravel()[0])


def _carried(carry: Carry, be):
    """The observer's substitute for nncalc check: a stage's value replaced by the learner's own, shaped
    like the layer's array (one feature: (n, 1) columns and (1,) statistics)."""
    def substitute(layer, value, name):
        if name not in carry:
            return value
        return be.asarray(carry.take(name, None)).reshape(value.shape)
    return substitute


def _backward(sol: Solution, layer, ctx, be, grad, centred, xhat, n, kind, show) -> None:
    gamma = Fraction(layer.params["weight"][0])
    dx = _column(layer.backward(be.asarray([[v] for v in grad]), ctx))
    st = layer.stages
    dbeta, dgamma = _scalar(layer.grads["bias"]), _scalar(layer.grads["weight"])
    dxhat, dvar, dmean = _column(st["dL/dx_hat"]), _scalar(st["dL/dvar"]), _scalar(st["dL/dmean"])
    inv = 1 / _scalar(st["std"])
    d = n if kind == "biased" else n - 1
    sec = "Backward pass"
    sol.add(Step("dL/dbeta", "sum dL/dy_i", " + ".join(show(v) for v in grad), dbeta, name="dL/dbeta", section=sec))
    sol.add(Step("dL/dgamma", "sum dL/dy_i * x-hat_i", " + ".join(f"{show(a)} * {show(b)}" for a, b in zip(grad, xhat)),
                 dgamma, name="dL/dgamma", section=sec))
    sol.add(Step("dL/dx-hat", "dL/dy_i * gamma", f"[{', '.join(show(v) for v in grad)}] * {show(gamma)}", dxhat,
                 name="dL/dx_hat", section=sec))
    sol.add(Step("dL/dvar", "sum dL/dx-hat_i (x_i - mean) * (-1/2) (var + eps)^(-3/2)",
                 f"({' + '.join(f'{show(a)} * {show(c)}' for a, c in zip(dxhat, centred))}) * (-1/2) * {show(inv)}^3",
                 dvar, name="dL/dvar", section=sec))
    sol.add(Step("dL/dmean", "-sum dL/dx-hat_i / sqrt(var + eps)  (+ dL/dvar * (-2/d) sum (x_i - mean) = 0)",
                 f"-({' + '.join(show(a) for a in dxhat)}) * {show(inv)}", dmean, name="dL/dmean", section=sec))
    dtext = "n" if d == n else "(n - 1)"
    sol.add(Step("dL/dx", f"dL/dx-hat_i / sqrt(var + eps) + dL/dvar * 2 (x_i - mean) / {dtext} + dL/dmean / n",
                 f"[{', '.join(show(a) for a in dxhat)}] * {show(inv)} + {show(dvar)} * 2 * "
                 f"[{', '.join(show(c) for c in centred)}] / {d} + {show(dmean)} / {n}", dx, name="dL/dx", section=sec))
    sol.findings.append(f"dL/dx sums to {show(sum(dx, Fraction(0)))}: shifting every x by the same amount "
                        "changes nothing after normalisation" if kind == "biased" else
                        f"dL/dx sums to {show(sum(dx, Fraction(0)))}")


@problem_type("batchnorm")
def solve_batchnorm_problem(given, where, options: SolveOptions) -> Solution:
    """given: x [...], gamma (1), beta (0), eps (1e-5), variance (n | n-1), grad [dL/dy ...]."""
    from calc.errors import SpecError

    x = g.vector(given, where, "x")
    gamma = g.number(given, where, "gamma", Fraction(1))
    beta = g.number(given, where, "beta", Fraction(0))
    eps = g.number(given, where, "eps", Fraction(1, 10**5))
    grad = g.vector(given, where, "grad") if "grad" in given else None
    try:
        return solve_batchnorm(x, gamma, beta, eps, str(g.raw(given, where, "variance", "n")), grad, options)
    except InputError as exc:
        raise SpecError(exc.message, where) from None
