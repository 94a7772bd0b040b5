"""The spec forms that today's CNN blocks need, read into containers (calc.layers.containers):

- ``if:`` conditions (an entry kept or left out; ``then:`` / ``else:`` lists),
- ``from: name`` / ``with: name`` references (resolved later by calc.spec.refs),
- merges of named outputs (``concat: {from: [a, b]}``, ``add: {with: skip}``),
- ``se:`` squeeze-and-excitation, and the ``sizes`` of a channel ``split``.
"""

from __future__ import annotations

from calc.errors import SpecError, Where, short
from calc.layers.base import Layer
from calc.layers.containers import SqueezeExcite
from calc.spec.options import Options, is_int


def _line(container, key):
    return container.line_of(key) if hasattr(container, "line_of") else None


def condition(value, where: Where) -> bool:
    """An entry's ``if:``: true/false, 0/1, or a ``${...}`` condition a block already evaluated."""
    if isinstance(value, bool):
        return value
    if is_int(value) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and "${" in value:
        raise SpecError(f"the condition {short(value)} was not evaluated: ${{...}} works inside a block's "
                        "layers (blocks: ... params: ...), where its names are the block's parameters", where)
    raise SpecError(f"expected true, false or a condition such as ${{stride == 1}}, got {short(value)}", where)


# -- references --------------------------------------------------------------------------------
def is_named_merge(value, extras: dict) -> bool:
    """concat / add / multiply written with from: or with: (a merge of named outputs, no branches)."""
    return "from" in extras or "with" in extras or (isinstance(value, dict) and ("from" in value or "with" in value))


def named_merge(cls, value, where: Where, extras: dict) -> Layer:
    opts = Options(value, where, cls.kind)
    for key in ("from", "with", "name", "trainable"):
        if opts.has(key):
            if key in extras:
                opts.fail(key, f"'{key}' is given twice (beside the entry and in its options)")
            extras[key] = opts.raw(key)
            extras.setdefault("_at", {})[key] = opts.at(key)
    opts.finish()
    return cls(where)


def _names(value, where: Where) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise SpecError("expected a layer name or a list of names, got an empty list", where)
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise SpecError(f"expected a layer name (or a list of names), got {short(item)}", where)
    return [item.strip() for item in items]


def read_from(layer: Layer, extras: dict, where: Where, parent) -> None:
    """Record ``from:`` / ``with:`` names on the layer; calc.spec.refs resolves them."""
    places = extras.pop("_at", {})
    keys = [k for k in ("from", "with") if k in extras]
    if not keys:
        return
    at = places.get(keys[0]) or where.child(keys[0], _line(parent, keys[0]))
    if len(keys) == 2:
        raise SpecError("give from: (the inputs) or with: (merged with the previous output), not both", at)
    key = keys[0]
    names = _names(extras[key], at)
    merge = getattr(layer, "is_merge", False)
    if not merge and key == "with":
        raise SpecError("with: merges the previous output with named ones: only concat, add and multiply "
                        "take it (from: name takes that layer's output instead of the previous one)", at)
    if not merge and len(names) != 1:
        raise SpecError(f"{layer.kind} takes one input: give one name (only concat, add and multiply take several)",
                        at)
    if merge and key == "from" and len(names) < 2:
        raise SpecError(f"{layer.kind} from: needs two or more names (with: {names[0]} merges the previous output "
                        f"with {names[0]})", at)
    layer.source_names = [(name, at) for name in names]
    layer.chained = key == "with"


# -- squeeze-and-excitation and split ------------------------------------------------------------
def squeeze_excite(builder, value, where: Where) -> SqueezeExcite:
    """se: {reduction: r | squeeze: s, divisor: d, activation: relu, gate: sigmoid}."""
    from calc.layers.containers import Sequential

    opts = Options(value, where, "se")
    reduction = opts.int("reduction", None)
    squeeze = opts.int("squeeze", None)
    divisor = opts.int("divisor", None)
    act = opts.raw("activation", "relu")
    gate = opts.raw("gate", "sigmoid")
    act_at, gate_at = opts.at("activation"), opts.at("gate")
    opts.finish()
    if (reduction is None) == (squeeze is None):
        raise SpecError("se needs reduction: r (squeeze channels = C // r) or squeeze: channels, one of them",
                        where)
    if divisor is not None and reduction is None:
        opts.fail("divisor", "divisor rounds C // reduction; with squeeze: give the channels as wanted")
    one_by_one = {"conv": {"filters": 1, "kernel": 1}}  # filters are set when the input is known
    layers = []
    for entry, at in (("global_avgpool", where), (one_by_one, where), (act, act_at), (dict(one_by_one), where),
                      (gate, gate_at)):
        made = builder.entry(entry, at)
        if len(made) != 1:
            raise SpecError(f"expected one layer, got {short(entry)}", at)
        layers.extend(made)
    identity = Sequential([], where, "branch")
    identity.name = "branch1"
    gate_seq = Sequential(layers, where, "gate")
    gate_seq.name = "gate"
    return SqueezeExcite([identity, gate_seq], squeeze, reduction, divisor, where)


def split_sizes(value, n: int, where: Where) -> list[int] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != n or not all(is_int(v) and v >= 1 for v in value):
        raise SpecError(f"expected {n} positive channel counts, one per branch, got {short(value)}", where)
    return list(value)
