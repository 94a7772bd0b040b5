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
    from calc.network import load_network

    layer = load_network(spec).layer(layer_name)
    shape = layer.param_shapes().get("weight")
    if shape is None:
        raise InputError(f"layer '{layer_name}' ({layer.kind}) has no weight to initialise")
    fans = layer.fans()
    return fans[0], fans[1], tuple(shape), f"{layer.kind} '{layer_name}' weight {' x '.join(map(str, shape))}"


def solve_init(name: str, fan_in: int | None = None, fan_out: int | None = None, spec: str | None = None,
               layer: str | None = None, options: SolveOptions = SolveOptions()) -> Solution:
    from calc import exact_functions
    from calc.engine.init import rule
    from calc.exact import fraction_text
    from calc.numfmt import fmt

    r = rule(name)
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
    fan_out = fan_out if fan_out is not None else 0
    what = "std" if r.dist == "normal" else "limit"
    square = r.square(fan_in, fan_out)
    scale = exact_functions.sqrt(square)
    dist = "N(0, std^2)" if r.dist == "normal" else "U(-limit, limit)"
    sol = Solution(f"{r.name} initialisation", [
        f"{r.name}: weights drawn from {dist} with {r.formula}",
        "fans as PyTorch computes them: dense fan_in = inputs, fan_out = units; conv fan_in = Cin/groups * kh * kw, "
        "fan_out = Cout * kh * kw",
        FRAMEWORK[r.name],
    ])
    if r.dist == "normal" and r.name != "torch_default":
        sol.conventions.append("Keras draws its normal initialisers from a normal truncated at 2 std, with the "
                               "parameter divided by 0.8796 so that the resulting std is this one")
    if shape is not None:
        rf = "".join(f" * {d}" for d in shape[2:])
        transposed = how.startswith("conv_transpose")  # weight (Cin, Cout/g, kh, kw)
        fin, fout = ("Cout/groups * kh * kw", "Cin * kh * kw") if transposed else ("Cin/groups * kh * kw", "Cout * kh * kw")
        sol.add(Step("fan_in", fin if rf else "inputs", f"{shape[1]}{rf}" if rf else "",
                     fan_in, name="fan_in", note=f"{how} (PyTorch layout)"))
        sol.add(Step("fan_out", fout if rf else "units", f"{shape[0]}{rf}" if rf else "", fan_out,
                     name="fan_out"))
    sol.answers["fan_in"], sol.answers["fan_out"] = fan_in, fan_out
    inside = r.formula.split("=", 1)[1].strip()
    sub = inside.replace("fan_in", str(fan_in)).replace("fan_out", str(fan_out))
    reduced = fraction_text(square) or fmt(square, options.decimals)
    shown = sub if reduced in sub.replace(" ", "") else f"{sub} = sqrt({reduced})"
    sol.add(Step(what, r.formula, shown, scale, name=what))
    if r.dist == "uniform":
        std = scale / exact_functions.sqrt(Fraction(3))
        sol.add(Step("std", "std of U(-limit, limit) = limit / sqrt(3)", f"{fmt(scale, options.decimals)} / sqrt(3)",
                     std, name="std"))
        sol.add(Step("variance", "limit^2 / 3", f"{fmt(square, options.decimals)} / 3", square / 3, name="variance"))
    else:
        sol.add(Step("variance", "std^2", fmt(square, options.decimals), square, name="variance"))
    dims = ", ".join(map(str, shape)) if shape else f"{fan_out or fan_in}, {fan_in}"
    numpy_line = (f"np.random.randn({dims}) * {fmt(scale, options.decimals)}" if r.dist == "normal"
                  else f"np.random.uniform(-{fmt(scale, options.decimals)}, {fmt(scale, options.decimals)}, ({dims}))")
    sol.findings.append(f"by hand in NumPy: {numpy_line} (PyTorch layout: outputs first)")
    sol.summary = f"{what} = {fmt(scale, options.decimals)}"
    return sol


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
