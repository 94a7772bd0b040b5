"""Worked solutions for activations: f(z) and f'(z) at given points, and softmax's Jacobian.

Values, derivatives and their texts (convention, f and f' with the numbers put in, on the branch
z > 0 or z <= 0 that the class itself takes) come from the classes of calc.layers.activation on
the exact backend: one place per activation; this module lays them out.
"""

from __future__ import annotations

from fractions import Fraction

from calc.errors import InputError
from calc.solve import given as g
from calc.solve.registry import SolveOptions, problem_type
from calc.solve.step import Solution, Step, Table
from calc.solve.text import Writer

ALIASES = {"leaky": "leaky_relu"}  # besides the layers' own aliases (lrelu, logistic, swish, ...)


def names() -> tuple[str, ...]:
    """The activations this problem type offers: every activation layer type (calc.layers.REGISTRY)
    that is element-wise or has a Jacobian (softmax), so a new activation class is offered with no
    code here."""
    from calc.layers import REGISTRY
    from calc.layers.activation.base import Activation

    return tuple(sorted(kind for kind, cls in REGISTRY.items()
                        if issubclass(cls, Activation) and (cls.elementwise or hasattr(cls, "jacobian"))))


def make_activation(name: str, param: Fraction | None = None, approximate: str | None = None):
    """(canonical name, layer instance with its constant set, the constant shown); ``approximate``
    picks GELU's form (none: erf, tanh)."""
    from calc.errors import did_you_mean
    from calc.layers import REGISTRY
    from calc.layers.base import canonical

    offered = names()
    written = name.lower().replace("-", "_")
    key = ALIASES.get(written, canonical(written))
    if key not in offered:
        spellings = offered + tuple(a for k in offered for a in REGISTRY[k].aliases) + tuple(ALIASES)
        raise InputError(f"unknown activation '{name}'{did_you_mean(key, spellings)}; valid: {', '.join(offered)}")
    layer = REGISTRY[key]()
    if approximate is not None:
        if not hasattr(layer, "set_form"):
            raise InputError(f"approximate applies to gelu only, not to {key}")
        if approximate not in ("none", "tanh"):
            raise InputError(f"approximate must be none (the erf form) or tanh, got '{approximate}'")
        layer.set_form(approximate)
    if layer.constant is None:
        if param is not None:
            with_constant = [k for k in offered if REGISTRY[k].constant is not None]
            raise InputError(f"{key} has no parameter to set (--alpha/--slope/--beta apply to {', '.join(with_constant[:-1])} "
                             f"and {with_constant[-1]})")
        return key, layer, None
    attr, default = layer.constant
    shown = param if param is not None else default
    setattr(layer, attr, shown)
    return key, layer, shown


def solve_activation(name: str, points: list, options: SolveOptions = SolveOptions(),
                     param: Fraction | None = None, approximate: str | None = None) -> Solution:
    """f and f' of an activation at each point (softmax: the vector and its Jacobian)."""
    from calc.backend import get_backend
    from calc.numfmt import fmt

    def show(v) -> str:
        return fmt(v, options.decimals)

    key, layer, p = make_activation(name, param, approximate)
    writer = Writer(options.decimals)
    be = get_backend("exact")
    z = be.asarray(points)
    layer.hold_params(be)
    a = layer.function(z, be)
    conv = layer.convention.format(p=show(p) if p is not None else "")
    sol = Solution(f"{key} and its derivative", [conv, "exact arithmetic (e^z to 50 digits), shown rounded"])
    if not layer.elementwise:  # a_i depends on every z_j: the vector and its Jacobian
        return _softmax(sol, layer, list(z), a, be, show)
    fs = [Fraction(v) for v in a]
    # nncalc check: the derivative from the learner's own f values, or at z (the sigma'(z) slip)
    used = be.asarray(options.learner.carry().take("f", fs))
    d = layer.derivative(z, z if options.learner.derivative_of == "input" else used, be)
    ds = [Fraction(v) for v in d]
    for zi, ai, di in zip(points, fs, ds):
        f_text, d_text = layer.worked(zi, ai, writer)
        sol.add(Step(f"f({show(zi)})", layer.formula, f_text, ai, section="Values and derivatives"))
        sol.add(Step(f"f'({show(zi)})", layer.derivative_formula, d_text, di, section="Values and derivatives"))
        if zi in layer.kink_points():
            sol.findings.append(f"{key} is not differentiable at z = {show(zi)}; f'({show(zi)}) = {show(di)} is the "
                                "convention above")
    sol.add(Table(f"{key} at the given points", ["z", "f(z)", "f'(z)"],
                  [[zi, ai, di] for zi, ai, di in zip(points, fs, ds)], section="Summary"))
    sol.answers["f"], sol.answers["df/dz"] = fs, ds
    sol.summary = "; ".join(f"f({show(zi)}) = {show(ai)}, f'({show(zi)}) = {show(di)}" for zi, ai, di in zip(points, fs, ds))
    return sol


def _softmax(sol: Solution, layer, z: list, p, be, show) -> Solution:
    top = max(z)
    shifted = [Fraction(v) - top for v in z]
    probs = [Fraction(v) for v in p]
    sol.add(Step("z - max z", "z_i - max_j z_j", f"[{', '.join(show(v) for v in z)}] - {show(top)}", shifted,
                 section="Values"))
    for i, pi in enumerate(probs):
        sol.add(Step(f"p{i + 1}", "e^(z_i - max z) / sum_j e^(z_j - max z)",
                     f"e^{show(shifted[i])} / ({' + '.join(f'e^{show(s)}' for s in shifted)})", pi,
                     name=f"p{i + 1}", section="Values"))
    jac = layer.jacobian(p, be)
    rows = [[Fraction(v) for v in row] for row in jac]
    n = len(probs)
    sol.add(Table("Jacobian dp_i/dz_j = p_i (delta_ij - p_j)", ["i \\ j"] + [str(j + 1) for j in range(n)],
                  [[str(i + 1)] + row for i, row in enumerate(rows)], section="Derivatives"))
    sol.answers["f"], sol.answers["jacobian"] = probs, rows
    sol.findings.append("each row of the Jacobian sums to 0 (the probabilities always sum to 1)")
    sol.summary = "p = [" + ", ".join(show(v) for v in probs) + "]"
    return sol


@problem_type("activation")
def solve_activation_problem(given, where, options: SolveOptions) -> Solution:
    """given: function (one of names()), at [points], alpha (elu, prelu), slope (leaky_relu) or beta
    (softplus), and approximate (gelu: none or tanh)."""
    from calc.errors import SpecError

    name = str(g.raw(given, where, "function"))
    points = g.vector(given, where, "at")
    g.check_keys(given, where, ("function", "at", "alpha", "slope", "beta", "approximate"))
    param = None
    for key in ("alpha", "slope", "beta"):
        if key in given:
            param = g.number(given, where, key)
    approximate = str(g.raw(given, where, "approximate")) if "approximate" in given else None
    try:
        return solve_activation(name, points, options, param, approximate)
    except InputError as exc:
        raise SpecError(exc.message, g.at(given, where, "function")) from None
