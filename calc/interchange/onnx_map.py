"""An ONNX model as an nncalc spec: the walk over its nodes (calc.interchange.onnx_ops maps
each operator), the spec text, the network counted from that very text, and the weights.

Nodes that only compute shapes (Shape, Gather, Unsqueeze, Concat of sizes ahead of a Reshape)
or fold constants are not layers: a node takes part only when one of its inputs is data coming
from the model's input.
"""

from __future__ import annotations

from pathlib import Path

from calc.errors import InputError, Where
from calc.interchange.onnx_graph import Graph, Mapped, Unmappable, attrs
from calc.interchange.onnx_ops import LAYOUT_FREE, RULES
from calc.interchange.onnx_read import read_model

UNMAPPED_SHOWN = 40


def _constant(node):
    import numpy as np
    from onnx import helper, numpy_helper

    for a in node.attribute:
        if a.name == "value":
            return numpy_helper.to_array(a.t)
        return np.asarray(helper.get_attribute_value(a))
    return None


def _fold(g, node) -> bool:
    """A node computing a constant from a constant (without constant folding, torch exports a
    shared weight as Identity, Clip's bounds through Cast, a MatMul's weight through Transpose)."""
    import numpy as np

    if node.op_type not in ("Identity", "Cast", "Transpose") or node.input[0] not in g.consts:
        return False
    value = g.consts[node.input[0]]
    if node.op_type == "Transpose":
        perm = attrs(node).get("perm")
        value = np.transpose(value, perm)
    g.consts[node.output[0]] = value
    return True


FOLDED = {"Reshape", "Slice", "Concat", "Cast", "Unsqueeze", "Squeeze", "Gather", "ConstantOfShape", "Expand",
          "Mul", "Sub", "Add", "Div", "Neg", "Sqrt", "Range", "Transpose", "Identity", "Shape"}


def _evaluate(g, node) -> bool:
    """A node of the listed kinds whose inputs are all stored constants (or the Shape of a tensor
    whose size is known) computed here with onnx's reference evaluator: without constant folding,
    torch computes a Pad's pads, GroupNorm's gamma and the like from constants in the graph."""
    import numpy as np

    if node.op_type not in FOLDED or node.domain not in ("", "ai.onnx"):
        return False
    inputs = [t for t in node.input if t]
    if node.op_type == "Shape" and inputs and inputs[0] not in g.consts:
        dims = g.shapes.get(inputs[0])
        if not dims or None in dims or attrs(node):
            return False
        g.consts[node.output[0]] = np.asarray(dims, dtype=np.int64)
        return True
    if not inputs or not all(t in g.consts for t in inputs):
        return False
    from onnx import helper
    from onnx.reference import ReferenceEvaluator

    one = helper.make_node(node.op_type, list(node.input), [node.output[0]], domain=node.domain)
    one.attribute.extend(node.attribute)
    try:
        (g.consts[node.output[0]],) = ReferenceEvaluator(one).run(None, {t: g.consts[t] for t in inputs})
    except Exception:  # noqa: BLE001 - then it is not folded, and its user says what it misses
        return False
    return True


def _constants(g, nodes) -> None:
    """Every constant the graph computes, ahead of the walk: a rule may look at a node further on
    (torch's GroupNorm reads its scale from Constant nodes written after its first Reshape)."""
    for node in nodes:
        if node.op_type == "Constant":
            g.consts[node.output[0]] = _constant(node)
        elif id(node) not in g.skipped and not (node.output and node.output[0] in g.consts):
            _fold(g, node) or _evaluate(g, node)


def _attention(g: Graph, nodes, where: Where) -> None:
    """Constants folded ahead of the walk (the projections' weights pass through Transpose),
    then every attention matched; one that does not fit is refused here, in one line each."""
    from calc.interchange.onnx_attention import find_sites

    if not any(node.op_type == "Softmax" for node in nodes):
        return
    for node in nodes:
        if node.op_type == "Constant":
            g.consts[node.output[0]] = _constant(node)
        else:
            _fold(g, node)
    refused = find_sites(g, nodes)
    if refused:
        raise InputError("\n".join(refused), where)


def map_model(path: str) -> Mapped:
    """Every node of the model at ``path`` mapped to a layer entry; InputError listing each node
    that does not map (one line each)."""
    where = Where(str(path))
    model = read_model(path)
    g = Graph(model, where, Path(path).stem)
    _attention(g, model.graph.node, where)
    _constants(g, model.graph.node)
    refused: dict[tuple[str, str], list[str]] = {}  # (operator, reason) -> the nodes
    for node in model.graph.node:
        if id(node) in g.skipped:
            continue
        if node.output and node.output[0] in g.consts:
            continue  # a constant, computed by _constants
        site = g.sites.get(id(node))  # the node that ends an attention (onnx_attention)
        data_in = [t for t in node.input if t and g.is_data(t)]
        if site is None and (node.op_type == "Shape" or not data_in):
            continue  # shape arithmetic or a folded constant: not a layer
        try:
            rule = site.emit if site else RULES.get(node.op_type)
            if rule is None:
                raise Unmappable("nncalc has no layer for this operator")
            if not site and node.op_type not in LAYOUT_FREE and _laid_out(g, data_in):
                raise Unmappable("it reads (N, C, L) or (L, N, F) data, which nncalc holds as (L, C)")
            rule(g) if site else rule(g, node)
        except Unmappable as exc:
            refused.setdefault((node.op_type, str(exc)), []).append(node.name or node.output[0])
            g.source.setdefault(node.output[0], g.source[data_in[0]] if data_in else "input")  # go on
    g.result.unmapped = [_refusal_line(op, reason, names) for (op, reason), names in refused.items()]
    _check_end(g, model, where)
    return g.result


def _laid_out(g, tensors) -> bool:
    return any(t in g.channels_first or t in g.time_major for t in tensors)


def _refusal_line(op: str, reason: str, names: list[str]) -> str:
    """One line per operator kind and reason: how many nodes, the first one's name."""
    first = names[0][:60]
    where = f"node '{first}'" if len(names) == 1 else f"{len(names)} nodes, first '{first}'"
    return f"{op} ({where}): {reason}"


def _check_end(g: Graph, model, where: Where) -> None:
    result = g.result
    if result.unmapped:
        shown = result.unmapped[:UNMAPPED_SHOWN]
        more = len(result.unmapped) - len(shown)
        lines = "\n".join(f"  {line}" for line in shown) + (f"\n  ... and {more} more" if more else "")
        noun = "operator does" if len(result.unmapped) == 1 else "operators do"
        raise InputError(f"{len(result.unmapped)} {noun} not map to nncalc layers:\n{lines}", where)
    outputs = list(model.graph.output)
    if len(outputs) != 1:
        raise InputError(f"the model has {len(outputs)} outputs; nncalc reads models with one", where)
    last = g.source.get(outputs[0].name)
    if not result.entries or last is None or last == "input":
        raise InputError("the model's output is not computed from its input by any layer", where)
    if last != result.entries[-1]["name"]:
        raise InputError(f"the model's output comes from '{last}', not from its last layer; "
                         "nncalc reads graphs whose last node makes the output", where)


def _flow(value) -> str:
    import json

    import yaml

    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a YAML scalar, whatever it holds
    return yaml.safe_dump(value, default_flow_style=True, width=10**6, sort_keys=False).strip()


def spec_text(mapped: Mapped, source: str) -> str:
    """The spec as YAML, one layer entry per line (with its name and, when it is not the previous
    output, where it takes its input from)."""
    lines = [f"name: {_flow(mapped.name)}",
             f"description: {_flow(f'converted from {source} by nncalc')}",
             f"input: {_flow([int(d) for d in mapped.input_shape])}",
             "layers:"]
    for entry in mapped.entries:
        kind = next(iter(entry))
        opts = entry[kind]
        lines.append(f"  - {kind}: {_flow(opts)}" if opts else f"  - {kind}: {{}}")
        lines.append(f"    name: {entry['name']}")
        if "from" in entry:
            lines.append(f"    from: {entry['from']}")
    return "\n".join(lines) + "\n"


def network_from_onnx(path: str):
    """The Network of an .onnx file, built from the same spec text that convert writes."""
    from calc.network import network_from_text

    mapped = map_model(path)
    return network_from_text(spec_text(mapped, Path(path).name), str(path))


def weights_arrays(mapped: Mapped) -> dict:
    """The weights as float64 arrays keyed 'layer.param' (calc/engine/weights.py's layout)."""
    import numpy as np

    return {key: np.asarray(value, dtype=np.float64) for key, value in mapped.weights.items()}
