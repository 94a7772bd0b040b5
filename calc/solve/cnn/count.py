"""Counting questions about a CNN worked out: each layer's output volume (with the size formula),
its trainable parameters and multiplications, the totals, and the receptive field.

    type: cnn_count
    given:
      network: alexnet                  # a bundled network, a spec file, or an inline spec
      layer: conv5                      # optional: the layer the receptive_field answer is about
      aliases: {Conv-1: conv1.params}   # optional: the source's names for answers
      counting: pytorch                 # or keras: BN's moving mean/variance counted as (non-trainable) params

Counts are calc.counting.stats.summarize's (the layers' own param_shapes and macs), sizes are the layers'
calc.counting.size_formulas results, receptive fields calc.counting.receptive's; this module lays them out. Answer names:
``total_params``, ``trainable_params``, ``multiplications`` (conv + dense multiply-accumulates,
no bias), ``output_shape``, ``receptive_field``; per layer ``conv1.output_shape``,
``conv1.params``, ``conv1.multiplications``, ``conv1.receptive_field``.
"""

from __future__ import annotations

from calc.errors import SpecError, Where, did_you_mean
from calc.solve.carry import Carry
from calc.solve.given import at, raw
from calc.solve.registry import SolveOptions, problem_type
from calc.solve.step import Solution, Step, Table

KEYS = ("network", "layer", "aliases", "counting")
COUNTINGS = ("pytorch", "keras")


def _shape(shape) -> tuple:
    return tuple(int(v) for v in shape)


def _field(size):
    return int(size[0]) if size[0] == size[1] else tuple(size)


@problem_type("cnn_count")
def solve_cnn_count_problem(given, where: Where, options: SolveOptions) -> Solution:
    from calc.counting.receptive import receptive_fields
    from calc.counting.stats import CountOptions, summarize
    from calc.solve.given import check_keys
    from calc.solve.network.given import read_network

    check_keys(given, where, KEYS)
    counting = str(raw(given, where, "counting", "pytorch")).lower()
    if counting not in COUNTINGS:
        raise SpecError(f"expected pytorch or keras, got {counting!r}{did_you_mean(counting, COUNTINGS)}",
                        at(given, where, "counting"))
    network = bundled_or_spec(given, where, read_network)
    summary = summarize(network, CountOptions(keras=counting == "keras"))
    fields = {row.name: row for row in receptive_fields(network)}
    layers = {layer.name: layer for layer in network.leaves()}
    sol = Solution(f"Counting: {network.name}", summary.conventions[:3] + [
        "output volume H x W x C per sample; sizes by o = floor((i + 2p - d(k-1) - 1)/s) + 1",
        "receptive field: r = r_prev + (k_eff - 1) j_prev, jump j = j_prev * s, from r = j = 1 at the input; "
        "k_eff = d(k-1) + 1; padding does not change it"])
    rows = []
    for row in summary.leaf_rows:
        layer, field = layers[row.name], fields.get(row.name)
        rf = "all" if field is None or field.after.whole else _field(field.after.size)
        rows.append([row.name, row.type, row.config, "x".join(map(str, row.output_shape)), row.params, row.macs, rf])
        layer_steps(sol, layer, row, field, options.learner.size_rounding)
    sol.steps.insert(0, Table("Layers", ["layer", "type", "config", "output", "params", "multiplications",
                                         "receptive field"], rows))
    totals(sol, summary, network, fields, given, where, options.learner.carry())
    aliases(sol, given, where)
    return sol


def bundled_or_spec(given, where: Where, read_network):
    """A bundled network by name (alexnet), else a spec file (relative to the problem) or inline spec."""
    from calc import zoo
    from calc.network import load_network

    value = raw(given, where, "network")
    if isinstance(value, str) and zoo.normalise(value) in zoo.bundled_names():
        return load_network(value)
    return read_network(given, where, where.file)


def layer_steps(sol: Solution, layer, row, field, rounding: str | None = None) -> None:
    from calc.solve.size_steps import window_steps, with_rounding

    section = f"{layer.name} ({layer.kind} {layer.describe()})".replace(" )", ")")
    windowed = hasattr(layer, "rows") and hasattr(layer.rows, "span")
    if not (windowed or row.params or row.macs):  # activations, flatten...: the table row says it all
        sol.answers[f"{layer.name}.output_shape"] = _shape(row.output_shape)
        return
    if windowed:
        tmp = Solution("")
        axes = layer.size_axes()
        for axis, size in axes:
            window_steps(tmp, with_rounding(size, rounding), axis, layer.window_noun)
        for step in tmp.steps:
            step.name = step.label = f"{layer.name}.{step.name.replace('output', 'output_size')}"
            step.section = section
            sol.add(step)
    sol.add(Step(f"{layer.name}.output_shape", "output volume H x W x C" if len(row.output_shape) == 3 else "outputs",
                 "", _shape(row.output_shape), name=f"{layer.name}.output_shape", section=section))
    shapes = layer.param_shapes()
    if shapes:
        formula = " + ".join(f"{pname} {'*'.join(layer.param_symbols(pname))}" for pname in shapes)
        sol.add(Step(f"{layer.name}.params", formula, " + ".join("*".join(map(str, s)) for s in shapes.values()),
                     row.params, name=f"{layer.name}.params", section=section,
                     note="" if row.trainable_params == row.params else "frozen: not trainable"))
    if row.macs:
        sol.add(Step(f"{layer.name}.multiplications", *layer.mac_text(), row.macs,
                     name=f"{layer.name}.multiplications", section=section,
                     note="one multiply-accumulate per weight use; bias adds not counted"))
    if field is not None and field.kernel is not None:
        (r0, _), (j0, _) = field.before.size, field.before.jump
        k, d = field.kernel[0], field.dilation[0]
        sol.add(Step(f"{layer.name}.receptive_field", "r = r_prev + d(k-1) j_prev",
                     f"{r0} + ({d}*({k}-1)) * {j0}" if field.before.size[0] == field.before.size[1] else "",
                     _field(field.after.size), name=f"{layer.name}.receptive_field", section=section,
                     note=f"jump after this layer: {field.after.jump[0]} input pixel"
                     + ("s" if field.after.jump[0] != 1 else "")))


def totals(sol: Solution, summary, network, fields: dict, given, where: Where, carry: Carry | None = None) -> None:
    """Totals; with nncalc check's carry they add up the learner's own per-layer counts."""
    section = "Totals"
    with_params = [r for r in summary.leaf_rows if r.params]
    total_params, macs = summary.total_params, summary.macs
    if carry:
        total_params = sum(carry.take(f"{r.name}.params", r.params) for r in with_params)
        macs = sum(carry.take(f"{r.name}.multiplications", r.macs) for r in summary.leaf_rows if r.macs)
    sol.add(Step("total_params", "sum of every layer's parameters (pooling, activation, flatten: 0)",
                 " + ".join(f"{r.params:,}" for r in with_params) or "0", total_params,
                 name="total_params", section=section))
    sol.add(Step("trainable_params", "parameters updated by training", "", summary.trainable_params,
                 name="trainable_params", section=section))
    with_macs = [r for r in summary.leaf_rows if r.macs]
    if with_macs:
        sol.add(Step("multiplications", "sum of the conv and dense layers' multiplications",
                     " + ".join(f"{r.macs:,}" for r in with_macs), macs, name="multiplications",
                     section=section))
    sol.add(Step("output_shape", "network output", "", _shape(network.output_shape), name="output_shape",
                 section=section))
    target = raw(given, where, "layer", None)
    windows = [f for f in fields.values() if f.kernel is not None]
    if target is not None:
        if target not in fields:
            raise SpecError(f"no layer named '{target}'{did_you_mean(target, fields)}; layers: {', '.join(fields)}",
                            at(given, where, "layer"))
        chosen = fields[target]
    elif windows:  # the widest field (a residual's body, not its 1x1 shortcut); the last among equals
        chosen = max(reversed(windows), key=lambda f: (f.after.whole, _extent(f.after.size)))
    else:
        chosen = None
    if chosen is not None:
        size = "all" if chosen.after.whole else _field(chosen.after.size)
        sol.add(Step("receptive_field", f"receptive field of {chosen.name} (input pixels per axis one value sees)",
                     "", size, name="receptive_field", section=section))
    sol.summary = (f"{summary.total_params:,} parameters; {summary.macs:,} multiplications"
                   + (f"; receptive field {sol.answers['receptive_field']}" if chosen is not None else ""))


def aliases(sol: Solution, given, where: Where) -> None:
    """The source's names for answers (read and checked as in a network problem)."""
    from types import SimpleNamespace

    from calc.solve.network.given import read_aliases

    names = SimpleNamespace(aliases={}, alias_where={})
    read_aliases(given, where, names)
    for alias, canonical in names.aliases.items():
        if canonical not in sol.answers:
            raise SpecError(f"no answer named '{canonical}'{did_you_mean(canonical, sol.answers)}",
                            names.alias_where[alias])
        sol.answers[alias] = sol.answers[canonical]
        sol.aliases[alias] = canonical


def _extent(size) -> int:
    """A receptive field's cells (one size, or one per axis) to compare fields by."""
    from math import prod

    return prod(size) if isinstance(size, (tuple, list)) else size
