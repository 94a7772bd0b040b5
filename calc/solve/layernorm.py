"""Worked solutions for layer normalisation of a small matrix, and batch norm on the same matrix.

Rows are samples (or the positions of a sequence), columns are features. Layer norm takes the
statistics of each row over its features (torch.nn.LayerNorm(F)); batch norm in training takes
those of each column over the rows (torch.nn.BatchNorm1d(F)). Every value comes from the layers
themselves (calc.layers.layer_norm.LayerNorm, calc.layers.norm.BatchNorm) on the exact backend.
"""

from __future__ import annotations

from fractions import Fraction

from calc.errors import InputError, SpecError
from calc.solve import given as g
from calc.solve.registry import SolveOptions, problem_type
from calc.solve.step import Solution, Step, Table

KEYS = ("x", "gamma", "beta", "eps", "compare_batchnorm")


def _per_feature(value, features: int, what: str) -> list[Fraction]:
    values = value if isinstance(value, list) else [value] * features
    if len(values) != features:
        raise InputError(f"{what}: expected one number or one per feature ({features}), got {len(values)}")
    return values


def _layer_norm(rows, gamma, beta, eps, be):
    from calc.engine.context import Ctx
    from calc.layers.layer_norm import LayerNorm

    layer = LayerNorm()
    layer.eps, layer.affine, layer.use_bias, layer.values, layer.name = eps, True, True, {}, "ln"
    layer.build((len(rows[0]),))
    layer.params, layer.grads = {"weight": be.asarray(gamma), "bias": be.asarray(beta)}, {}
    y = layer.forward(be.asarray(rows), Ctx(backend=be))
    return layer, y


def _batch_norm(rows, eps, be):
    from calc.engine.context import Ctx
    from calc.layers.norm import BatchNorm

    layer = BatchNorm()
    layer.eps, layer.momentum, layer.affine, layer.variance, layer.values, layer.name = \
        eps, Fraction(1, 10), False, "biased", {}, "bn"
    f = len(rows[0])
    layer.build((f,))
    layer.params, layer.grads = {}, {}
    layer.buffers = {"running_mean": be.asarray([0] * f), "running_var": be.asarray([1] * f)}
    layer.forward(be.asarray(rows), Ctx(backend=be, training=True))
    return layer


def _fractions(array) -> list:
    return [[Fraction(v) for v in row] for row in array] if array.ndim == 2 else [Fraction(v) for v in array.ravel()]


def solve_layernorm(x: list[list[Fraction]], gamma=Fraction(1), beta=Fraction(0), eps=Fraction(1, 10**5),
                    compare_batchnorm: bool = False, options: SolveOptions = SolveOptions()) -> Solution:
    from calc.backend import get_backend
    from calc.numfmt import fmt

    def show(v) -> str:
        text = fmt(v, options.decimals)
        return f"({text})" if v < 0 else text

    def vec(values) -> str:
        return f"[{', '.join(fmt(v, options.decimals) for v in values)}]"

    features = len(x[0])
    if features < 2 and eps == 0:
        raise InputError("layer norm of one feature with eps 0: every row is its own mean, x-hat = 0/0")
    if eps < 0:
        raise InputError(f"eps: expected a number >= 0, got {fmt(eps, options.decimals)}")
    gammas, betas = _per_feature(gamma, features, "gamma"), _per_feature(beta, features, "beta")
    be = get_backend("exact")
    layer, y = _layer_norm(x, gammas, betas, eps, be)
    means, variances = _fractions(layer.mean.ravel()), _fractions(layer.var.ravel())
    xhat, y = _fractions(layer.xhat), _fractions(y)
    sol = Solution("Layer normalisation" + (" and batch normalisation of the same matrix" if compare_batchnorm else ""), [
        f"rows are samples (or positions of a sequence), columns are the {features} features; layer norm "
        "normalises each row over its features (torch.nn.LayerNorm(F)), the same in training and eval mode",
        f"variance divided by F = {features} (biased); eps = {show(eps)} inside the square root"
        + (" (PyTorch's default)" if eps == Fraction(1, 10**5) else " (PyTorch's default is 1e-5)"),
        f"y = gamma x-hat + beta per feature: gamma = {vec(gammas)}, beta = {vec(betas)}",
    ])
    sec = "Layer norm: one row at a time"
    for r, row in enumerate(x):
        i = r + 1
        centred = [v - means[r] for v in row]
        std = Fraction(1) / Fraction(layer.inv_std.ravel()[r]) if layer.inv_std.ravel()[r] else Fraction(0)
        sol.add(Step(f"row {i} mean", "sum_j x_j / F", f"({' + '.join(show(v) for v in row)}) / {features}",
                     means[r], name=f"row{i}.mean", section=sec))
        sol.add(Step(f"row {i} variance", "sum_j (x_j - mean)^2 / F",
                     f"({' + '.join(f'{show(c)}^2' for c in centred)}) / {features}", variances[r],
                     name=f"row{i}.var", section=sec))
        sol.add(Step(f"row {i} x-hat", "(x_j - mean) / sqrt(var + eps)",
                     f"{vec(centred)} / sqrt({show(variances[r])} + {show(eps)}) = {vec(centred)} / {show(std)}",
                     xhat[r], name=f"row{i}.x_hat", section=sec))
        sol.add(Step(f"row {i} y", "gamma_j x-hat_j + beta_j", f"{vec(gammas)} * x-hat + {vec(betas)}", y[r],
                     name=f"row{i}.y", section=sec))
    sol.answers.update(mean=means, var=variances, x_hat=xhat, y=y)
    if compare_batchnorm:
        _compare(sol, x, eps, be, xhat, show, vec)
    if any(v + eps == 0 for v in variances):
        sol.findings.append("a row with all values equal and eps = 0: x-hat = 0/0; convention used: x-hat = 0 "
                            "(its limit as eps -> 0+), so y = beta (PyTorch computes nan)")
    sol.summary = f"y = {_matrix_text(y, lambda v: fmt(v, options.decimals))}"
    return sol


def _compare(sol: Solution, x, eps, be, ln_xhat, show, vec) -> None:
    """Batch norm (training, gamma 1, beta 0) on the same matrix: statistics per column."""
    if len(x) < 2:
        raise InputError("batch norm needs at least 2 rows (samples) to compare with, got 1")
    bn = _batch_norm(x, eps, be)
    means, variances, xhat = _fractions(bn.mean), _fractions(bn.var), _fractions(bn.xhat)
    sec = "Batch norm on the same matrix: one column at a time"
    n = len(x)
    for j in range(len(x[0])):
        column = [row[j] for row in x]
        sol.add(Step(f"column {j + 1} mean", "sum_i x_i / N", f"({' + '.join(show(v) for v in column)}) / {n}",
                     means[j], name=f"bn.col{j + 1}.mean", section=sec))
        sol.add(Step(f"column {j + 1} variance", "sum_i (x_i - mean)^2 / N",
                     f"({' + '.join(f'{show(v - means[j])}^2' for v in column)}) / {n}", variances[j],
                     name=f"bn.col{j + 1}.var", section=sec))
    sol.answers.update({"bn.mean": means, "bn.var": variances, "bn.x_hat": xhat})
    sol.add(Table("x-hat: layer norm vs batch norm", ["row", "layer norm", "batch norm"],
                  [[i + 1, vec(a), vec(b)] for i, (a, b) in enumerate(zip(ln_xhat, xhat))], section=sec))
    sol.findings.append("layer norm: every row of x-hat has mean 0 and variance about 1 (one sample over its "
                        "features, independent of the batch); batch norm: every column does (one feature over "
                        "the batch, so a sample's output depends on the others)")


def _matrix_text(rows, show) -> str:
    return "[" + "; ".join(", ".join(show(v) for v in row) for row in rows) + "]"


@problem_type("layernorm")
def solve_layernorm_problem(given, where, options: SolveOptions) -> Solution:
    """given: x (a matrix, rows = samples or positions; a vector = one row), gamma (1), beta (0) as one
    number or one per feature, eps (1e-5), compare_batchnorm (false)."""
    g.check_keys(given, where, KEYS)
    raw = g.raw(given, where, "x")
    x = g.matrix(given, where, "x") if isinstance(raw, list) and raw and isinstance(raw[0], list) or \
        (isinstance(raw, str) and ";" in raw) else [g.vector(given, where, "x")]
    features = len(x[0])
    values = {}
    for key, default in (("gamma", Fraction(1)), ("beta", Fraction(0))):
        value = g.raw(given, where, key, default)
        values[key] = g.vector(given, where, key, length=features) if isinstance(value, (list, str)) \
            else g.number(given, where, key, default)
    eps = g.number(given, where, "eps", Fraction(1, 10**5))
    try:
        return solve_layernorm(x, values["gamma"], values["beta"], eps,
                               g.flag(given, where, "compare_batchnorm", False), options)
    except InputError as exc:
        raise SpecError(exc.message, where) from None
