"""Named references: ``from: name`` and ``with: name`` point at layers once every layer has its
name (after calc.network.assign_names), before anything is built.

A reference must name one earlier layer (or ``input``, the network's input) that is an entry of
a layer list, not one containing the referring layer; every output must be used (a layer whose
next entry takes ``from:`` elsewhere and that nothing names is a mistake, not a dead end to
skip). Every error names the entry and line.
"""

from __future__ import annotations

from calc.errors import SpecError, did_you_mean
from calc.layers.base import Layer
from calc.layers.containers import InputRef, Sequential


def _walk(root: Layer):
    """(layer, parent) in execution order, containers before their contents."""
    for child in root.children():
        yield child, root
        yield from _walk(child)


def _label(layer: Layer) -> str:
    return f"'{layer.name}'"


def resolve(root: Sequential, input_shape) -> None:
    """Set ``sources`` and ``referenced``; raise a located SpecError for a bad reference."""
    pairs = list(_walk(root))
    consumers = [layer for layer, _ in pairs if getattr(layer, "source_names", None)]
    if not consumers:
        return
    order = {id(layer): i for i, (layer, _) in enumerate(pairs)}
    parent = {id(layer): p for layer, p in pairs}
    by_name: dict[str, list[Layer]] = {}
    for layer, _ in pairs:
        by_name.setdefault(layer.name, []).append(layer)
    root.input_ref = InputRef(input_shape)
    for layer in consumers:
        layer.sources = [_target(layer, name, where, by_name, order, parent, root) for name, where in
                         layer.source_names]
        for source in layer.sources:
            source.referenced = True
        if getattr(layer, "is_merge", False):
            layer.labels = (["the previous output"] if layer.chained else []) + [_label(s) for s in layer.sources]
    if not root.input_ref.referenced:
        root.input_ref = None
    for seq in [root] + [layer for layer, _ in pairs if isinstance(layer, Sequential)]:
        _check_used(seq, root)


def _target(layer, name, where, by_name, order, parent, root) -> Layer:
    if name == "input":
        if name in by_name:
            raise SpecError("'input' names the network's input; rename the layer called 'input'", where)
        return root.input_ref
    found = by_name.get(name, [])
    if not found:
        raise SpecError(f"no layer named '{name}'{did_you_mean(name, list(by_name) + ['input'])}", where)
    if len(found) > 1:
        raise SpecError(f"'{name}' names {len(found)} layers; give the one you mean a name of its own", where)
    target = found[0]
    if target is layer:
        raise SpecError(f"'{name}' takes its input from itself (a cycle)", where)
    up = parent.get(id(layer))
    while up is not None:
        if up is target:
            raise SpecError(f"'{name}' contains this layer, so its output needs this one first (a cycle)", where)
        up = parent.get(id(up))
    if order[id(target)] > order[id(layer)]:
        raise SpecError(f"'{name}' comes later; a layer can only take the output of an earlier one", where)
    if not isinstance(parent.get(id(target)), Sequential):
        owner = parent.get(id(target))
        raise SpecError(f"'{name}' is part of '{owner.name}' (a branch or merge); name the entry around it "
                        "and take that one's output", where)
    fused = getattr(target, "fused", None)
    if fused is not None:
        raise SpecError(f"'{name}' has a fused activation ({fused.kind}), so its output here would be taken "
                        "before it; write the activation as its own entry and name that", where)
    return target


def _check_used(seq: Sequential, root: Sequential) -> None:
    """Every output in a list goes somewhere: to the next entry, to a reference, or out of the list."""
    for i, layer in enumerate(seq.layers):
        nxt = seq.layers[i + 1] if i + 1 < len(seq.layers) else None
        if nxt is not None and nxt.sources is not None and not nxt.chained and not layer.referenced:
            taken = ", ".join(_label(s) for s in nxt.sources)
            raise SpecError(f"the output of '{layer.name}' is never used: the next entry takes from: {taken}; "
                            "name it and use it, or remove it", layer.where)
    first = seq.layers[0] if seq.layers else None
    if first is not None and first.sources is not None and not first.chained:
        if seq is root:
            if root.input_ref is None:
                raise SpecError(f"the network's input is never used: '{first.name}', the first layer, takes "
                                "from: another layer", first.where)
        else:
            raise SpecError(f"'{first.name}' takes from: another layer, so the input of '{seq.name}' is never "
                            "used; put the reference on the entry that holds this list", first.where)
