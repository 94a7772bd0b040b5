"""Worked solutions for activations: f(z) and f'(z) at given points, and softmax's Jacobian.

Values and derivatives come from the classes of calc.layers.activation on the exact backend
(one place for the formulas); this module writes each one out with the numbers put in, picking
the branch (z > 0 or z <= 0) that the class itself uses.
"""

from __future__ import annotations

from fractions import Fraction

from calc.errors import InputError
from calc.steps import given as g
from calc.steps.carry import Carry
from calc.steps.registry import SolveOptions, problem_type
from calc.steps.step import Solution, Step, Table

NAMES = ("sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "selu", "softmax")
ALIASES = {"leaky": "leaky_relu", "leakyrelu": "leaky_relu", "lrelu": "leaky_relu", "logistic": "sigmoid"}
CONVENTIONS = {
    "sigmoid": "sigmoid'(z) = a(1 - a) with a = sigmoid(z), the activation's output (never z(1 - z))",
    "tanh": "tanh'(z) = 1 - a^2 with a = tanh(z)",
    "relu": "ReLU'(0) = 0 (PyTorch; ReLU is not differentiable at 0)",
    "leaky_relu": "leaky ReLU slope {p} (PyTorch's default 0.01; Keras' LeakyReLU uses 0.3); at z = 0 the "
                  "derivative is the slope (PyTorch takes the z <= 0 branch)",
    "prelu": "PReLU: a leaky ReLU whose slope alpha = {p} is learned (PyTorch initialises it to 0.25); "
             "at z = 0 the derivative is alpha",
    "elu": "ELU alpha {p} (PyTorch/Keras default 1.0); for z <= 0, ELU'(z) = alpha e^z = ELU(z) + alpha",
    "selu": "SELU: lambda = 1.0507009873554805, alpha = 1.6732632423543772 (fixed self-normalising constants); "
            "SELU'(z) = lambda for z > 0, lambda alpha e^z for z <= 0",
    "softmax": "softmax computed stably, p_i = e^(z_i - max z) / sum_j e^(z_j - max z); Jacobian dp_i/dz_j = "
               "p_i (delta_ij - p_j)",
}


def make_activation(name: str, param: Fraction | None = None):
    """(canonical name, layer instance with its constant set, the constant shown)."""
    from calc.errors import did_you_mean
    from calc.layers import activation as act

    key = ALIASES.get(name.lower().replace("-", "_"), name.lower().replace("-", "_"))
    if key not in NAMES:
        raise InputError(f"unknown activation '{name}'{did_you_mean(key, NAMES)}; valid: {', '.join(NAMES)}")
    cls = {"sigmoid": act.Sigmoid, "tanh": act.Tanh, "relu": act.ReLU, "leaky_relu": act.LeakyReLU,
           "prelu": act.PReLU, "elu": act.ELU, "selu": act.SELU, "softmax": act.Softmax}[key]
    layer = cls()
    shown = None
    if param is not None and key not in ("leaky_relu", "prelu", "elu"):
        raise InputError(f"{key} has no parameter to set (--alpha/--slope apply to leaky_relu, prelu and elu)")
    if key == "leaky_relu":
        layer.slope = shown = param if param is not None else Fraction(1, 100)
    elif key == "elu":
        layer.alpha = shown = param if param is not None else Fraction(1)
    elif key == "prelu":
        shown = param if param is not None else Fraction(1, 4)
    return key, layer, shown


def _texts(key: str, z, a, p, show) -> tuple[str, str]:
    """(f with the numbers, f' with the numbers) for one point, following the class's branches."""
    zs = f"({show(z)})" if z < 0 else show(z)
    pos = z > 0
    if key == "sigmoid":
        return f"1 / (1 + e^(-{zs}))", f"{show(a)} * (1 - {show(a)})"
    if key == "tanh":
        return f"tanh({show(z)})", f"1 - {show(a)}^2"
    if key == "relu":
        return f"max(0, {show(z)})", "1 (z > 0)" if pos else "0 (z <= 0)"
    if key in ("leaky_relu", "prelu"):
        return (show(z), "1 (z > 0)") if pos else (f"{show(p)} * {zs}", f"{show(p)} (z <= 0)")
    if key == "elu":
        return (show(z), "1 (z > 0)") if pos else (f"{show(p)} * (e^{zs} - 1)", f"{show(a)} + {show(p)}")
    lam, alpha = "1.0507", "1.6733"  # selu's constants, shown rounded
    if pos:
        return f"{lam} * {show(z)}", f"lambda = {lam}"
    return f"{lam} * {alpha} * (e^{zs} - 1)", f"{lam} * {alpha} * e^{zs}"


def solve_activation(name: str, points: list, options: SolveOptions = SolveOptions(),
                     param: Fraction | None = None) -> Solution:
    """f and f' of an activation at each point (softmax: the vector and its Jacobian)."""
    from calc.backend import get_backend
    from calc.numfmt import fmt

    def show(v) -> str:
        return fmt(v, options.decimals)

    key, layer, p = make_activation(name, param)
    be = get_backend("exact")
    z = be.asarray(points)
    if key == "prelu":
        layer.params = {"weight": be.asarray([p])}
    a = layer.function(z, be)
    conv = CONVENTIONS[key].format(p=show(p) if p is not None else "")
    sol = Solution(f"{key} and its derivative", [conv, "exact arithmetic (e^z to 50 digits), shown rounded"])
    if key == "softmax":
        return _softmax(sol, layer, list(z), a, be, show)
    fs = [Fraction(v) for v in a]
    # nncalc check: the derivative from the learner's own f values, or at z (the sigma'(z) slip)
    used = be.asarray(Carry(options.overrides).take("f", fs))
    d = layer.derivative(z, z if options.derivative_of == "input" else used, be)
    ds = [Fraction(v) for v in d]
    for zi, ai, di in zip(points, fs, ds):
        f_text, d_text = _texts(key, zi, ai, p, show)
        sol.add(Step(f"f({show(zi)})", layer.formula, f_text, ai, section="Values and derivatives"))
        sol.add(Step(f"f'({show(zi)})", layer.derivative_formula, d_text, di, section="Values and derivatives"))
        if zi == 0 and key in ("relu", "leaky_relu", "prelu"):
            sol.findings.append(f"{key} is not differentiable at z = 0; f'(0) = {show(di)} is the convention above")
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
    """given: function (sigmoid, tanh, relu, leaky_relu, prelu, elu, selu, softmax), at [points],
    and alpha (elu, prelu) or slope (leaky_relu)."""
    from calc.errors import SpecError

    name = str(g.raw(given, where, "function"))
    points = g.vector(given, where, "at")
    param = None
    for key in ("alpha", "slope"):
        if key in given:
            param = g.number(given, where, key)
    try:
        return solve_activation(name, points, options, param)
    except InputError as exc:
        raise SpecError(exc.message, g.at(given, where, "function")) from None
