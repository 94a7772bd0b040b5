"""Perceptrons and logic gates: the truth table of a neuron (or a two-layer net for XOR) with
given weights, z and the step/ReLU output per row, checked against the gate's targets.

The perceptron is an ordinary dense network (calc.layers Dense + Step/ReLU) run on the exact
backend; each row is narrated by the network narrators, so its steps read like the course's
"1) 0 + 0 - 1 = -1 -> 0".

    type: perceptron
    given: {gate: and, weights: [1, 1], bias: -1, activation: step}
    given: {gate: xor, hidden: {weights: [[1, 1], [1, 1]], bias: [0, -1], activation: relu},
            weights: [1, -2], bias: 0, activation: relu}

Answer names: row2.fc1.z1, row2.fc1.a1 (per row and neuron), row2.y (the output), all_correct;
with a loss also row2.loss and loss.
"""

from __future__ import annotations

from calc.errors import InputError, SpecError, Where
from calc.solve.carry import NO_LEARNER, Learner
from calc.solve.narrate.base import Narration, Slot, narrator_for
from calc.solve.registry import SolveOptions, problem_type
from calc.solve.step import Solution, Table
from calc.solve.text import Writer

BINARY = [[0, 0], [0, 1], [1, 0], [1, 1]]
# Presets: the course's weights (the handwritten solution sheet: AND z = x1 + x2 - 1, OR z = x1 + x2, XOR with a ReLU
# hidden layer h1 = x1 + x2, h2 = x1 + x2 - 1 and y = h1 - 2 h2); NAND/NOR by negation.
GATES = {
    "and": {"weights": [[1, 1]], "bias": [-1], "activation": "step", "targets": [0, 0, 0, 1]},
    "or": {"weights": [[1, 1]], "bias": [0], "activation": "step", "targets": [0, 1, 1, 1]},
    "nand": {"weights": [[-1, -1]], "bias": [2], "activation": "step", "targets": [1, 1, 1, 0]},
    "nor": {"weights": [[-1, -1]], "bias": [1], "activation": "step", "targets": [1, 0, 0, 0]},
    "xor": {"hidden_weights": [[1, 1], [1, 1]], "hidden_bias": [0, -1], "hidden_activation": "relu",
            "weights": [[1, -2]], "bias": [0], "activation": "relu", "targets": [0, 1, 1, 0]},
    "custom": {"activation": "step"},
}
def elementwise_activations() -> tuple[str, ...]:
    """The activation layer types a perceptron may use: element-wise, without parameters of their
    own (PReLU's slope is learned), read from the layer registry (a new activation needs no code here)."""
    from calc.layers import REGISTRY, Layer
    from calc.layers.activation.base import Activation

    return tuple(sorted(kind for kind, cls in REGISTRY.items() if issubclass(cls, Activation) and cls.elementwise
                        and cls.param_shapes is Layer.param_shapes))


def _activation(name, option: str) -> str:
    from calc.layers import lookup
    from calc.layers.base import canonical

    key = canonical(str(name))
    allowed = elementwise_activations()
    if key not in allowed:
        try:
            lookup(key, Where(), ())
        except SpecError:
            raise InputError(f"{option}: unknown activation '{name}'; element-wise ones: {', '.join(allowed)}") from None
        raise InputError(f"{option}: a perceptron needs an element-wise activation ({', '.join(allowed)}), got '{name}'")
    return key


def _spec(n_in: int, hidden, output) -> dict:
    layers = []
    for weights, bias, act in (hidden, output):
        if weights is None:
            continue
        layers.append({"dense": {"units": len(weights), "weights": weights, "bias": list(bias), "activation": act}})
    return {"input": [n_in], "layers": layers}


def _check(weights, bias, n_in: int, what: str) -> None:
    if any(len(row) != n_in for row in weights):
        raise InputError(f"{what}weights: each neuron needs {n_in} weights (one per input), got "
                         f"{', '.join(str(len(r)) for r in weights)}")
    if len(bias) != len(weights):
        raise InputError(f"{what}bias: expected {len(weights)} value(s), one per neuron, got {len(bias)}")


def solve_perceptron(gate: str = "custom", weights=None, bias=None, hidden_weights=None, hidden_bias=None,
                     activation=None, hidden_activation=None, targets=None, inputs=None, loss=None,
                     decimals: int = 4, learner: Learner = NO_LEARNER) -> Solution:
    """Truth table of a gate with the given (or the course's preset) weights. ``learner``: the
    learner's z and a per row (row2.fc1.z1) carried into what follows (nncalc check)."""
    from calc.backend import get_backend
    from calc.exact import to_fraction
    from calc.network import build_network

    preset = GATES[gate]
    weights, bias = _output_weights(preset, weights, bias)
    inputs = [[to_fraction(v) for v in row] for row in (inputs or BINARY)]
    n_in = len(inputs[0])
    hidden = _hidden(gate, preset, hidden_weights, hidden_bias, hidden_activation, n_in)
    _check(weights, bias, len(hidden[0]) if hidden else n_in, "")
    act = _activation(activation or preset["activation"], "activation")
    targets = [to_fraction(v) for v in targets] if targets is not None else preset.get("targets")
    if targets is not None and len(targets) != len(inputs):
        raise InputError(f"targets: expected one per row ({len(inputs)}), got {len(targets)}")
    network = build_network(_spec(n_in, hidden or (None, None, None), (weights, bias, act)), None)
    network.name = f"{gate.upper()} perceptron" if gate != "custom" else "perceptron"
    carry, be = learner.carry(), get_backend("exact")
    views, x, y, record = _run(network, be.asarray(inputs), be, carry)
    sol = Solution(f"{network.name}: truth table", _conventions(views))
    nar = Narration(sol, Writer(decimals), be, carry=carry if carry else None)
    _narrate_rows(nar, views, x, record)
    _table(sol, views, x, record, y, targets, nar)
    if loss is not None and targets is not None:
        _loss(sol, nar, loss, y, targets, views[-1].out)
    return sol


def _output_weights(preset: dict, weights, bias) -> tuple[list, list]:
    """The output layer's weights (one row per neuron) and biases: given, or the gate's preset."""
    weights = weights if weights is not None else preset.get("weights")
    if weights is None:
        raise InputError("custom perceptron: give --weights (and --bias)")
    if not len(weights) or not all(len(r) if isinstance(r, (list, tuple)) else True for r in weights):
        raise InputError("weights: expected numbers, one per input (a list of rows for several neurons)")
    weights = [list(r) for r in weights] if isinstance(weights[0], (list, tuple)) else [list(weights)]
    bias = list(bias) if bias is not None else preset.get("bias", [0] * len(weights))
    return weights, bias


def _hidden(gate: str, preset: dict, weights, bias, activation, n_in: int):
    """(weights, bias, activation) of the hidden layer (given, or XOR's preset), or None."""
    weights = weights if weights is not None else (preset.get("hidden_weights") if gate != "custom" else None)
    if weights is None:
        return None
    bias = list(bias) if bias is not None else preset.get("hidden_bias", [0] * len(weights))
    _check(weights, bias, n_in, "hidden ")
    return weights, bias, _activation(activation or preset.get("hidden_activation", "relu"), "hidden activation")


def _run(network, x, be, carry) -> tuple:
    """(views, x, y, each layer's outputs): the network on the exact backend, every layer's output
    recorded; under nncalc check a layer's outputs are the learner's own where given."""
    from calc.engine.context import Ctx
    from calc.engine.model import Model
    from calc.solve.network.solver import views_of
    from calc.solve.observer import SolutionObserver

    view_of: dict = {}

    def substitute(layer, value, kind: str):
        view = view_of.get(layer.name)
        if view is None or kind != "output":
            return value
        return carry.array(value, lambda idx: f"row{idx[0] + 1}." + view.out.key(idx[1] + 1))

    observer = SolutionObserver(substitute=substitute if carry else None)
    model = Model(network, Ctx(backend=be, observer=observer))
    views = views_of(model.layers)
    view_of.update({v.layer.name: v for v in views})
    y = model.forward(x)
    return views, x, y, observer.outputs


def _narrate_rows(nar: Narration, views, x, record: dict) -> None:
    """Each row of the truth table through every layer, by the network narrators (row2.fc1.z1 ...)."""
    for r in range(x.shape[0]):
        nar.prefix, nar.section = f"row{r + 1}.", "Forward pass, row by row"
        inp = x
        for view in views:
            narrator_for(view.layer).forward(nar, view, inp[r], record[view.layer.name][r])
            inp = record[view.layer.name]
    nar.prefix = ""


def _conventions(views) -> list[str]:
    lines = ["z = w1 x1 + w2 x2 + ... + b per neuron (weights one row per neuron)"]
    from calc.layers.activation.base import Activation

    kinds = {v.layer.kind: v.layer for v in views if isinstance(v.layer, Activation)}
    for kind, layer in kinds.items():
        lines.append(f"{kind}: {layer.formula}{layer.zero_note}")
    return lines


def _table(sol, views, x, record, y, targets, nar) -> None:
    w = nar.writer
    columns = [f"x{j + 1}" for j in range(x.shape[1])]
    cells = []
    for view in views:
        for i in range(1, record[view.layer.name].shape[1] + 1):
            columns.append(view.out.text(i))
            cells.append((view.layer.name, i))
    if y.shape[1] == 1:
        columns += ["y"] + (["target", "ok"] if targets is not None else [])
    rows, answers, correct = [], {}, True
    for r in range(x.shape[0]):
        row = list(x[r]) + [record[name][r, i - 1] for name, i in cells]
        if y.shape[1] == 1:
            answers[f"row{r + 1}.y"] = y[r, 0]
            row.append(y[r, 0])
            if targets is not None:
                ok = y[r, 0] == targets[r]
                correct &= bool(ok)
                row += [targets[r], "yes" if ok else "NO"]
        rows.append(row)
    table = Table("Truth table", columns, rows, section="Truth table", answers=answers)
    if targets is not None and y.shape[1] == 1:
        table.answers["all_correct"] = correct
        sol.summary = ("outputs " + w.vec(y[:, 0]) + (" = the targets: the weights implement the gate" if correct
                                                      else f" differ from the targets {w.vec(targets)}"))
        if not correct:
            sol.findings.append("these weights do not produce the targets on every row")
    sol.add(table)


def _loss(sol, nar, loss_spec, y, targets, slot: Slot) -> None:
    from calc.engine.losses import get_loss
    from calc.solve.loss import convention, grad_steps, loss_steps

    name, reduction = loss_spec
    loss = get_loss(name, reduction)
    t = nar.backend.asarray([[v] for v in targets])
    sol.conventions.append("loss over the rows: " + convention(loss.name, loss.reduction, y.shape[0]))
    nar.section = "Loss"
    _, grad = loss_steps(nar, loss, y, t, slot, sample_word="row")
    nar.section = "Gradient of the loss"
    grad_steps(nar, loss, y, t, grad, slot, sample_word="row")


@problem_type("perceptron")
def solve_perceptron_problem(given, where: Where, options: SolveOptions) -> Solution:
    from calc.solve.given import at, check_keys, matrix, raw, vector
    from calc.solve.network.given import read_loss

    check_keys(given, where, ("gate", "inputs", "weights", "bias", "activation", "hidden", "targets", "loss"))
    gate = str(raw(given, where, "gate", "custom")).lower()
    if gate not in GATES:
        raise SpecError(f"unknown gate '{gate}'; gates: {', '.join(GATES)}", at(given, where, "gate"))
    inputs = matrix(given, where, "inputs") if "inputs" in given else None
    args = {"inputs": inputs, "gate": gate, "decimals": options.decimals, "learner": options.learner}
    weights = raw(given, where, "weights", None)
    if weights is not None:
        many = isinstance(weights, list) and weights and isinstance(weights[0], list)
        args["weights"] = matrix(given, where, "weights") if many else [vector(given, where, "weights")]
    if "bias" in given:
        args["bias"] = vector(given, where, "bias")
    if "hidden" in given:
        hidden, place = given["hidden"], at(given, where, "hidden")
        if not isinstance(hidden, dict):
            raise SpecError("expected {weights: [[...], ...], bias: [...], activation: relu}", place)
        check_keys(hidden, place, ("weights", "bias", "activation"), "hidden")
        args["hidden_weights"] = matrix(hidden, place, "weights")
        args["hidden_bias"] = vector(hidden, place, "bias") if "bias" in hidden else None
        args["hidden_activation"] = hidden.get("activation")
    args["activation"] = given.get("activation")
    if "targets" in given:
        args["targets"] = vector(given, where, "targets")
    if "loss" in given:
        args["loss"] = read_loss(given, where)
    try:
        return solve_perceptron(**args)
    except InputError as exc:
        raise SpecError(exc.message, where) from None
