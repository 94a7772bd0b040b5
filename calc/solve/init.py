"""Worked solutions for weight initialisation: the std or limit of an initialiser from the fans.

The formulas are calc.engine.init.RULES (one place; each gives std^2 or limit^2 exactly); fans
come from fan_in/fan_out, or from a layer of a spec (Layer.fans(): its weight read as
torch.nn.init does).
"""

from __future__ import annotations

from fractions import Fraction

from calc.errors import InputError
from calc.solve import given as g
from calc.solve.registry import SolveOptions, problem_type
from calc.solve.step import Solution, Step

NAMES = ("glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
         "torch_default")
FRAMEWORK = {  # how PyTorch / Keras spell each rule
    "glorot_uniform": "torch.nn.init.xavier_uniform_(w); Keras GlorotUniform (Keras' default for Dense and Conv)",
    "glorot_normal": "torch.nn.init.xavier_normal_(w); Keras GlorotNormal",
    "he_uniform": "torch.nn.init.kaiming_uniform_(w, nonlinearity='relu'); Keras HeUniform",
    "he_normal": "torch.nn.init.kaiming_normal_(w, nonlinearity='relu'); Keras HeNormal",
    "lecun_uniform": "torch.nn.init.kaiming_uniform_(w, nonlinearity='linear'); Keras LecunUniform",
    "lecun_normal": "torch.nn.init.kaiming_normal_(w, nonlinearity='linear'); Keras LecunNormal "
                    "(some course notes call this 'Xavier': np.random.randn(n_in, n_out) * sqrt(1/n_in))",
    "torch_default": "what a fresh torch.nn.Linear / Conv2d does: kaiming_uniform_(a=sqrt(5))",
}


def layer_fans(spec: str, layer_name: str) -> tuple[int, int, tuple, str]:
    """(fan_in, fan_out, weight shape, where the fans come from) for a layer of a spec."""
    from calc.interchange.load import load_network  # a spec, bundled name, ONNX model or Keras config

    layer = load_network(spec).layer(layer_name)
    shape = layer.param_shapes().get("weight")
    if shape is None:
        raise InputError(f"layer '{layer_name}' ({layer.kind}) has no weight to initialise")
    fans = layer.fans()
    return fans[0], fans[1], tuple(shape), f"{layer.kind} '{layer_name}' weight {' x '.join(map(str, shape))}"


def solve_init(name: str, fan_in: int | None = None, fan_out: int | None = None, spec: str | None = None,
               layer: str | None = None, options: SolveOptions = SolveOptions()) -> Solution:
    """The std or limit of an initialiser (and std, variance) from the fans or a layer of a spec."""
    from calc import exact_functions
    from calc.engine.init import rule
    from calc.numfmt import fmt

    r = rule(name)
    fan_in, fan_out, shape, how = _fans(r, fan_in, fan_out, spec, layer)
    what = "std" if r.dist == "normal" else "limit"
    square = r.square(fan_in, fan_out)
    scale = exact_functions.sqrt(square)
    sol = Solution(f"{r.name} initialisation", _conventions(r))
    if shape is not None:
        _fan_steps(sol, shape, how, fan_in, fan_out)
    sol.answers["fan_in"], sol.answers["fan_out"] = fan_in, fan_out
    _scale_steps(sol, r, (fan_in, fan_out), square, scale, options.decimals)
    sol.findings.append(_numpy_finding(r, shape, fan_in, fan_out, scale, options.decimals))
    sol.summary = f"{what} = {fmt(scale, options.decimals)}"
    return sol


def _fans(r, fan_in, fan_out, spec, layer) -> tuple:
    """(fan_in, fan_out, weight shape or None, where the fans come from): given, or read from a
    layer of a spec; fan_out is 0 where the rule does not use it."""
    shape, how = None, ""
    if spec is not None or layer is not None:
        if spec is None or layer is None:
            raise InputError("--spec and --layer go together (the network and the layer whose weight is drawn)")
        fan_in, fan_out, shape, how = layer_fans(spec, layer)
    if fan_in is None or fan_in < 1:
        raise InputError("fan_in: expected a positive integer (or --spec and --layer)")
    needs_out = "fan_out" in r.formula
    if needs_out and (fan_out is None or fan_out < 1):
        raise InputError(f"{r.name} needs fan_out too (a positive integer)")
    return fan_in, fan_out if fan_out is not None else 0, shape, how


def _conventions(r) -> list[str]:
    dist = "N(0, std^2)" if r.dist == "normal" else "U(-limit, limit)"
    lines = [
        f"{r.name}: weights drawn from {dist} with {r.formula}",
        "fans as PyTorch computes them: dense fan_in = inputs, fan_out = units; conv fan_in = Cin/groups * kh * kw, "
        "fan_out = Cout * kh * kw",
        FRAMEWORK[r.name],
    ]
    if r.dist == "normal" and r.name != "torch_default":
        lines.append("Keras draws its normal initialisers from a normal truncated at 2 std, with the "
                     "parameter divided by 0.8796 so that the resulting std is this one")
    return lines


def _fan_steps(sol: Solution, shape: tuple, how: str, fan_in: int, fan_out: int) -> None:
    """fan_in and fan_out from a layer's weight shape (PyTorch layout: outputs first)."""
    rf = "".join(f" * {d}" for d in shape[2:])
    transposed = how.startswith("conv_transpose")  # weight (Cin, Cout/g, kh, kw)
    fin, fout = ("Cout/groups * kh * kw", "Cin * kh * kw") if transposed else ("Cin/groups * kh * kw", "Cout * kh * kw")
    sol.add(Step("fan_in", fin if rf else "inputs", f"{shape[1]}{rf}" if rf else "",
                 fan_in, name="fan_in", note=f"{how} (PyTorch layout)"))
    sol.add(Step("fan_out", fout if rf else "units", f"{shape[0]}{rf}" if rf else "", fan_out,
                 name="fan_out"))


def _scale_steps(sol: Solution, r, fans: tuple, square, scale, decimals: int) -> None:
    """std or limit with the fans put in, then std and variance (a uniform's std is limit / sqrt(3))."""
    from calc import exact_functions
    from calc.exact import fraction_text
    from calc.numfmt import fmt

    what = "std" if r.dist == "normal" else "limit"
    inside = r.formula.split("=", 1)[1].strip()
    sub = inside.replace("fan_in", str(fans[0])).replace("fan_out", str(fans[1]))
    reduced = fraction_text(square) or fmt(square, decimals)
    shown = sub if reduced in sub.replace(" ", "") else f"{sub} = sqrt({reduced})"
    sol.add(Step(what, r.formula, shown, scale, name=what))
    if r.dist == "uniform":
        std = scale / exact_functions.sqrt(Fraction(3))
        sol.add(Step("std", "std of U(-limit, limit) = limit / sqrt(3)", f"{fmt(scale, decimals)} / sqrt(3)",
                     std, name="std"))
        sol.add(Step("variance", "limit^2 / 3", f"{fmt(square, decimals)} / 3", square / 3, name="variance"))
    else:
        sol.add(Step("variance", "std^2", fmt(square, decimals), square, name="variance"))


def _numpy_finding(r, shape, fan_in: int, fan_out: int, scale, decimals: int) -> str:
    """The draw written in NumPy, as course notes do it by hand."""
    from calc.numfmt import fmt

    dims = ", ".join(map(str, shape)) if shape else f"{fan_out or fan_in}, {fan_in}"
    numpy_line = (f"np.random.randn({dims}) * {fmt(scale, decimals)}" if r.dist == "normal"
                  else f"np.random.uniform(-{fmt(scale, decimals)}, {fmt(scale, decimals)}, ({dims}))")
    return f"by hand in NumPy: {numpy_line} (PyTorch layout: outputs first)"


@problem_type("init")
def solve_init_problem(given, where, options: SolveOptions) -> Solution:
    """given: initializer, and fan_in (+ fan_out) or spec + layer."""
    from calc.errors import SpecError

    def count(key):
        if key not in given:
            return None
        value = g.number(given, where, key)
        if value.denominator != 1:
            raise SpecError(f"expected an integer, got {value}", g.at(given, where, key))
        return int(value)

    name = str(g.raw(given, where, "initializer"))
    spec = g.raw(given, where, "spec", None)
    try:
        return solve_init(name, count("fan_in"), count("fan_out"), spec and str(spec),
                          g.raw(given, where, "layer", None), options)
    except InputError as exc:
        raise SpecError(exc.message, where) from None
