"""Worked solution of a squeeze-and-excitation gate (Hu et al. 2018; torchvision's
SqueezeExcitation): squeeze each channel to its mean, excite through two 1x1 convs (a dense
layer on the channel means) with an activation between them, gate, and scale every channel.

Every value comes from the network's own ``se`` block run on the exact backend (global average
pool, conv, activation, conv, gate, multiply); this module only writes which numbers meet. The
observer rounds like a student (``--hand``) and carries a learner's own s, z, a, e, g on.

Answer names: s1..sC (channel means), z1..zS (squeeze pre-activations), a1..aS, e1..eC
(excitation pre-gate), g1..gC (gates), y1..yC (each output channel as an H x W matrix), params.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from calc.errors import SpecError, Where
from calc.solve import given as g
from calc.solve.registry import SolveOptions, problem_type
from calc.solve.step import Solution, Step

KEYS = ("x", "w1", "b1", "w2", "b2", "activation", "gate")
STAGES = ("s", "z", "a", "e", "g")  # the gate branch's leaves in order: pool, conv, act, conv, gate


def _maps(given, where: Where) -> list[list[list[Fraction]]]:
    value = g.raw(given, where, "x")
    place = g.at(given, where, "x")
    if not isinstance(value, list) or not value or not all(isinstance(m, list) for m in value):
        raise SpecError("expected one H x W matrix per channel, e.g. [[[1, 2], [3, 4]], [[0, 1], [1, 0]]]", place)
    maps = [g.matrix({"x": m}, place.child(i), "x") for i, m in enumerate(value)]
    if len({(len(m), len(m[0])) for m in maps}) != 1:
        raise SpecError("every channel needs the same H x W size", place)
    return maps


def _network(maps, squeeze: int, activation: str, gate: str, where: Where):
    from calc.network import build_network

    h, w = len(maps[0]), len(maps[0][0])
    spec = {"input": [h, w, len(maps)], "layers": [{"se": {"squeeze": squeeze, "activation": activation,
                                                            "gate": gate}}]}
    try:
        return build_network(spec, where.file)
    except SpecError as exc:
        raise SpecError(exc.message, where) from None


def _check_shapes(maps, w1, b1, w2, b2, where: Where) -> None:
    c, s = len(maps), len(w1)
    checks = ((len(w1[0]), c, "w1", "S x C: one row per squeeze channel, one column per input channel"),
              (len(b1), s, "b1", "one bias per squeeze channel (rows of w1)"),
              (len(w2), c, "w2", "C x S: one row per channel"), (len(w2[0]), s, "w2", "C x S: one column per squeeze channel"),
              (len(b2), c, "b2", "one bias per channel"))
    for got, want, key, what in checks:
        if got != want:
            raise SpecError(f"{key}: expected {want} ({what}), got {got}", where.child(key))


@dataclass
class _Run:
    """The se block's gate layers after one forward pass: each stage's value as computed (seen) and
    as passed on (used: the learner's where carried), and the output y."""

    layers: list
    seen: dict
    used: dict
    y: object


def _run(maps, w1, b1, w2, b2, activation, gate, options: SolveOptions, writer, where: Where) -> _Run:
    """The network's own se block on the exact backend, with the given weights."""
    from calc.backend import get_backend
    from calc.engine.context import Ctx
    from calc.engine.model import Model
    from calc.solve.observer import SolutionObserver

    be = get_backend("exact")
    network = _network(maps, len(w1), activation, gate, where)
    layers = network.root.layers[0].branches[1].layers
    carry = options.learner.carry()
    names = {id(layer): stage for layer, stage in zip(layers, STAGES)}

    def substitute(layer, value, kind):
        stage = names.get(id(layer))
        if kind != "output" or stage is None or not any(f"{stage}{i + 1}" in carry for i in range(value.size)):
            return value
        flat = [carry.take(f"{stage}{i + 1}", v) for i, v in enumerate(value.reshape(-1))]
        return be.asarray(flat).reshape(value.shape)

    observer = SolutionObserver(rounding=writer.round_array if options.hand_rounding else None,
                                substitute=substitute if carry else None)
    model = Model(network, Ctx(backend=be, observer=observer))
    for conv, w, b in ((layers[1], w1, b1), (layers[3], w2, b2)):
        conv.params = {"weight": be.asarray([[[[v]] for v in row] for row in w]), "bias": be.asarray(b)}
    h, wd = len(maps[0]), len(maps[0][0])
    y = model.forward(be.asarray([[[[m[i][j] for m in maps] for j in range(wd)] for i in range(h)]]))

    def values(record):
        return {stage: [Fraction(v) for v in record[layer.name].reshape(-1)] for layer, stage in zip(layers, STAGES)}

    return _Run(layers, values(observer.outputs), values(observer.passed), y)


def _conventions(run: _Run, c: int, s: int, options: SolveOptions) -> list[str]:
    act, gate = run.layers[2].kind, run.layers[4].kind
    return [
        "squeeze: each channel's mean over its H x W positions (global average pooling)",
        f"excitation: z = W1 s + b1 (a 1x1 conv, {s} x {c}), a = {act}(z), e = W2 a + b2 ({c} x {s}), "
        f"g = {gate}(e); W1, W2 as PyTorch's fc1.weight and fc2.weight (torchvision SqueezeExcitation)",
        "scale: y_c = g_c * x_c, one gate per channel for every position",
        f"values exact, shown to {options.decimals} decimals" + ("; every intermediate rounded as by hand"
                                                                 if options.hand_rounding else ""),
    ]


def _gate_steps(sol: Solution, run: _Run, maps, w1, b1, w2, b2, writer) -> None:
    """Squeeze (channel means), excitation (z, a, e) and the gates, one step per number."""
    seen, used, factor = run.seen, run.used, writer.factor
    act, gate = run.layers[2], run.layers[4]
    c, s, hw = len(maps), len(w1), len(maps[0]) * len(maps[0][0])
    for k in range(c):
        cells = [v for row in maps[k] for v in row]
        sol.add(Step(f"s{k + 1}", f"mean of channel {k + 1}", f"({' + '.join(factor(v) for v in cells)}) / {hw}",
                     seen["s"][k], name=f"s{k + 1}", section="Squeeze"))
    for j in range(s):
        terms = " + ".join(f"{factor(w1[j][k])}*{factor(used['s'][k])}" for k in range(c))
        sol.add(Step(f"z{j + 1}", f"sum_c W1[{j + 1},c] s_c + b1_{j + 1}", f"{terms} + {factor(b1[j])}",
                     seen["z"][j], name=f"z{j + 1}", section="Excitation"))
    for j in range(s):
        sol.add(Step(f"a{j + 1}", f"{act.kind}(z{j + 1})", act.pieces(used["z"][j], seen["a"][j], writer)[0][1],
                     seen["a"][j], name=f"a{j + 1}", section="Excitation"))
    for k in range(c):
        terms = " + ".join(f"{factor(w2[k][j])}*{factor(used['a'][j])}" for j in range(s))
        sol.add(Step(f"e{k + 1}", f"sum_j W2[{k + 1},j] a_j + b2_{k + 1}", f"{terms} + {factor(b2[k])}",
                     seen["e"][k], name=f"e{k + 1}", section="Excitation"))
    for k in range(c):
        sol.add(Step(f"g{k + 1}", f"{gate.kind}(e{k + 1})", gate.pieces(used["e"][k], seen["g"][k], writer)[0][1],
                     seen["g"][k], name=f"g{k + 1}", section="Gate"))


def _scale_steps(sol: Solution, run: _Run, maps, writer) -> None:
    c, s = len(maps), run.layers[1].filters
    for k in range(c):
        ymat = [[Fraction(run.y[0, i, j, k]) for j in range(len(maps[0][0]))] for i in range(len(maps[0]))]
        rows = "; ".join(", ".join(writer.num(v) for v in row) for row in maps[k])
        sol.add(Step(f"y{k + 1}", f"g{k + 1} * x{k + 1}", f"{writer.factor(run.used['g'][k])} * [{rows}]", ymat,
                     name=f"y{k + 1}", section="Scale"))
    params = sum(layer.param_count() for layer in run.layers)
    sol.add(Step("parameters", "C*S + S + S*C + C", f"{c}*{s} + {s} + {s}*{c} + {c}", params, name="params",
                 section="Count"))


def solve_se(maps, w1, b1, w2, b2, activation: str = "relu", gate: str = "sigmoid",
             options: SolveOptions = SolveOptions(), where: Where | None = None) -> Solution:
    from calc.numfmt import fmt
    from calc.solve.text import Writer

    where = where or Where()
    _check_shapes(maps, w1, b1, w2, b2, where)
    writer = Writer(options.decimals, options.hand_rounding)
    run = _run(maps, w1, b1, w2, b2, activation, gate, options, writer, where)
    sol = Solution("Squeeze-and-excitation gate", _conventions(run, len(maps), len(w1), options))
    _gate_steps(sol, run, maps, w1, b1, w2, b2, writer)
    _scale_steps(sol, run, maps, writer)
    dead = [j + 1 for j, a in enumerate(run.seen["a"]) if a == 0 and run.layers[2].kind == "relu"]
    if dead:
        many = len(dead) > 1
        sol.findings.append(f"squeeze unit{'s' if many else ''} {', '.join(map(str, dead))} output{'' if many else 's'} "
                            f"0 after ReLU: {'they add' if many else 'it adds'} nothing to any gate for this input")
    sol.summary = "gates [" + ", ".join(fmt(v, options.decimals) for v in run.seen["g"]) + "]"
    return sol


@problem_type("squeeze_excitation")
def solve_se_problem(given, where, options: SolveOptions) -> Solution:
    """given: x (one H x W matrix per channel), w1 (S x C), b1 (S), w2 (C x S), b2 (C), activation
    (relu), gate (sigmoid)."""
    g.check_keys(given, where, KEYS)
    maps = _maps(given, where)
    w1, w2 = g.matrix(given, where, "w1"), g.matrix(given, where, "w2")
    b1, b2 = g.vector(given, where, "b1"), g.vector(given, where, "b2")
    activation = str(g.raw(given, where, "activation", "relu"))
    gate = str(g.raw(given, where, "gate", "sigmoid"))
    return solve_se(maps, w1, b1, w2, b2, activation, gate, options, where)
