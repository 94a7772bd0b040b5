"""The walk over a Keras config: Sequential layers in order, Functional layers by their inbound
nodes (tf.keras 2's [[name, node, tensor, kwargs]] lists and Keras 3's keras_history tensors),
each through calc.interchange.keras_layers into named spec entries."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from calc.errors import InputError, Where
from calc.interchange.keras_config import Unmappable, read_config
from calc.interchange.keras_layers import MERGES, RULES
from calc.interchange.keras_layers_conv import fold_padding, zero_pads
from calc.interchange.keras_ops import step
from calc.interchange.onnx_graph import Mapped

SKIPPED = {"InputLayer"}


@dataclass
class KerasMapped(Mapped):
    """Mapped, and every Keras layer in order as (class, config, the entries it became, the first holding its weights
    or None): where calc.interchange.keras_weights puts a .keras file's variables."""

    layers: list = field(default_factory=list)


def _name(text, taken: set) -> str:
    base = re.sub(r"\W+", "_", str(text)).strip("_")[:60] or "layer"
    base = base if base[0].isalpha() else "k_" + base
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


def _input_shape(layers: list, where: Where) -> list:
    """The per-sample input shape: the InputLayer's, else the first layer's batch shape."""
    for layer in layers[:1] + [x for x in layers if x.get("class_name") == "InputLayer"][:1]:
        c = layer.get("config", {})
        shape = c.get("batch_shape") or c.get("batch_input_shape")
        if shape is None and isinstance(layer.get("build_config"), dict):
            shape = layer["build_config"].get("input_shape")
        if shape:
            dims = list(shape[1:])
            if not dims or any(not isinstance(d, int) or d < 1 for d in dims):
                raise InputError(f"the input shape {shape} has unknown sizes; nncalc needs them all", where)
            return dims
    raise InputError("no input shape: give the model an Input(shape=...) before saving its config", where)


def _sources(layer: dict) -> list:
    """The names of the layers a Functional layer's (single) call takes."""
    nodes = layer.get("inbound_nodes") or []
    if len(nodes) > 1:
        raise Unmappable("a layer called more than once (shared weights) is not mapped")
    if not nodes:
        return []
    node = nodes[0]
    if isinstance(node, list):  # tf.keras 2: [[name, node_index, tensor_index, kwargs], ...]
        return [item[0] for item in node]
    found = []

    def walk(value):
        if isinstance(value, dict):
            history = value.get("config", {}).get("keras_history") if value.get("class_name") == "__keras_tensor__" \
                else None
            if history:
                found.append(history[0])
                return
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
    walk(node.get("args", []))
    return found


@dataclass
class _Walk:
    """The state of one walk over the layers: entries made so far and what each Keras name holds."""

    result: KerasMapped
    functional: bool
    consumers: dict  # Keras layer name -> the classes of the layers reading it
    taken: set = field(default_factory=lambda: {"input"})
    made: dict = field(default_factory=dict)  # Keras layer name -> the entry holding its output
    kinds: dict = field(default_factory=dict)  # entry name -> its nncalc kind
    pads: dict = field(default_factory=dict)  # ZeroPadding2D name -> its [top, bottom, left, right]
    folded: set = field(default_factory=set)  # the ZeroPadding2D names put into a reader's padding
    chain: dict = field(default_factory=dict)  # Keras name -> its step in hard_sigmoid (keras_ops)
    previous: str = "input"
    previous_keras: str = ""


def _consumers(layers: list, functional: bool) -> dict:
    """Which classes read each layer: a GlobalAveragePooling2D read only by Reshapes to 1 x 1 x C
    keeps its dimensions, so no flatten is made for nothing."""
    out: dict[str, list] = {}
    for i, layer in enumerate(layers):
        try:
            names = _sources(layer) if functional else [layers[i - 1].get("config", {}).get("name")] if i else []
        except Unmappable:
            continue
        for name in names:
            out.setdefault(name, []).append(layer.get("class_name"))
    return out


def map_keras(path: str) -> KerasMapped:
    where = Where(str(path))
    config = read_config(path)
    body = config["config"]
    layers = [x for x in body["layers"] if isinstance(x, dict)]
    functional = config["class_name"] != "Sequential"
    inputs = [x for x in layers if x.get("class_name") == "InputLayer"]
    if len(inputs) > 1:
        raise InputError(f"the model has {len(inputs)} inputs; nncalc reads models with one", where)
    result = KerasMapped(_name(body.get("name") or Path(path).stem, set()), _input_shape(layers, where))
    walk = _Walk(result, functional, _consumers(layers, functional))
    for layer in layers:
        _map_layer(walk, layer)
    _loose_pads(walk, json_names(body.get("output_layers")) or [str(layers[-1].get("config", {}).get("name"))])
    _check(result, body, walk.made, functional, where)
    return result


def _map_layer(walk: _Walk, layer: dict) -> None:
    """One Keras layer as its entries, or one line in result.unmapped saying why not."""
    kind, c = layer.get("class_name"), layer.get("config", {})
    keras_name = c.get("name") or layer.get("name") or kind
    walk.result.layers.append((str(kind), c, []))
    try:
        keras_sources = _sources(layer) if walk.functional else [walk.previous_keras]
        pieces = _pieces(walk, layer, kind, c, keras_name, keras_sources)
    except (Unmappable, KeyError, TypeError, ValueError, IndexError) as exc:
        reason = exc if isinstance(exc, Unmappable) else f"unexpected config ({type(exc).__name__}: {exc})"
        walk.result.unmapped.append(f"layer '{str(keras_name)[:60]}' ({kind}): {str(reason)[:160]}")
        walk.made[keras_name] = walk.previous
        walk.previous_keras = keras_name
        return
    walk.previous_keras = keras_name
    if pieces is not None:
        sources = [walk.made.get(s, s) for s in keras_sources] if walk.functional else [walk.previous]
        _emit(walk, kind, keras_name, pieces, sources)


def _pieces(walk: _Walk, layer: dict, kind, c: dict, keras_name: str, keras_sources: list):
    """The (kind, options) entries of a layer; None for a layer that makes none (an InputLayer, a
    ZeroPadding2D folded into its reader, a Reshape to 1 x 1 x C of a pooling kept 1 x 1 x C)."""
    sources = [walk.made.get(s, s) for s in keras_sources] if walk.functional else [walk.previous]
    if kind in SKIPPED:
        walk.made[keras_name] = "input"
        return None
    chain = step(layer, kind, c, next((walk.chain[s] for s in keras_sources if s in walk.chain), None),
                 walk.consumers.get(keras_name, []))
    if chain == "hardsigmoid":
        return [("hardsigmoid", {})]
    if chain is not None:
        walk.chain[keras_name] = chain
        walk.made[keras_name] = sources[0]
        return None
    if walk.functional and (not sources or any(s not in walk.made.values() for s in sources)):
        raise Unmappable("its inputs are not earlier layers of this model")
    if len(set(sources)) > 1 and kind not in MERGES:
        raise Unmappable("it reads different tensors (cross-attention or two inputs); nncalc maps one")
    if kind in NO_ENTRY:
        walk.made[keras_name] = NO_ENTRY[kind](walk, c, keras_name, sources[0])
        return None
    rule = RULES.get(kind)
    if rule is None:
        raise Unmappable("nncalc has no layer for this class")
    built = layer.get("build_config") or {}
    pieces = rule({**c, "_input_shape": built.get("input_shape"), "_shapes_dict": built.get("shapes_dict"),
                   "_read_by": walk.consumers.get(keras_name, [])})
    padded = [s for s in keras_sources if s in walk.pads]
    if padded:
        fold_padding(kind, pieces, walk.pads[padded[0]], walk.kinds.get(sources[0]))
        walk.folded.add(padded[0])
    return pieces


def _zero_padding(walk: _Walk, c: dict, keras_name: str, source: str) -> str:
    """No entry: its pads wait for the conv or pool reading it (keras_layers_conv.fold_padding)."""
    walk.pads[keras_name] = zero_pads(c)
    return source


def _squeezed_reshape(walk: _Walk, c: dict, keras_name: str, source: str) -> str:
    """A Reshape to (1, 1, C) of a global average pool kept as 1 x 1 x C: the pool's entry itself."""
    target = list(c.get("target_shape") or [])
    if len(target) != 3 or target[:2] != [1, 1] or walk.kinds.get(source) != "global_avgpool":
        raise Unmappable("only a Reshape to (1, 1, C) after a GlobalAveragePooling2D maps")
    return source


def json_names(outputs) -> list:
    """The layer names of a Functional config's output_layers ([[name, 0, 0], ...] or [name, 0, 0])."""
    if not outputs:
        return []
    return [str(o[0]) for o in outputs if isinstance(o, list) and o] if isinstance(outputs[0], list) \
        else [str(outputs[0])]


def _loose_pads(walk: _Walk, outputs: list) -> None:
    """A ZeroPadding2D no conv or pool took in, or the model's output: its padding has no entry."""
    for name in walk.pads:
        if name not in walk.folded or name in outputs:
            walk.result.unmapped.append(f"layer '{name[:60]}' (ZeroPadding2D): no conv or pooling layer "
                                        "reads it, and nncalc has no padding layer of its own")


NO_ENTRY = {"ZeroPadding2D": _zero_padding, "Reshape": _squeezed_reshape}  # layers that make no entry


def _emit(walk: _Walk, kind: str, keras_name: str, pieces: list, sources: list) -> None:
    """The entries of one layer, the first reading the layer's inputs, each the next's input."""
    names = []
    for i, (nn_kind, opts) in enumerate(pieces):
        name = _name(keras_name if i == 0 else f"{keras_name}_{nn_kind}", walk.taken)
        entry = {nn_kind: dict(opts), "name": name}
        if i == 0 and kind in MERGES:
            entry[nn_kind]["from"] = sources
        elif i == 0 and sources[0] != walk.previous:
            entry["from"] = sources[0]
        walk.result.entries.append(entry)
        walk.kinds[name] = nn_kind
        walk.previous = name
        names.append(name)
    walk.result.layers[-1] = (str(kind), walk.result.layers[-1][1], names)
    walk.made[keras_name] = walk.previous


def _check(result: Mapped, body: dict, made: dict, functional: bool, where: Where) -> None:
    if result.unmapped:
        noun = "layer does" if len(result.unmapped) == 1 else "layers do"
        lines = "\n".join(f"  {line}" for line in result.unmapped[:40])
        raise InputError(f"{len(result.unmapped)} {noun} not map to nncalc layers:\n{lines}", where)
    if not result.entries:
        raise InputError("the model has no layers", where)
    if functional:
        outputs = body.get("output_layers") or []
        names = [o[0] for o in outputs if isinstance(o, list) and o] if outputs and isinstance(outputs[0], list) \
            else outputs[:1]
        if len(names) != 1:
            raise InputError(f"the model has {len(names)} outputs; nncalc reads models with one", where)
        if made.get(names[0]) != result.entries[-1]["name"]:
            raise InputError(f"the model's output '{names[0]}' is not its last layer", where)


def network_from_keras(path: str):
    """The Network of a Keras config, built from the spec text convert would write."""
    from calc.interchange.onnx_map import spec_text
    from calc.network import network_from_text

    return network_from_text(spec_text(map_keras(path), Path(path).name), str(path))
