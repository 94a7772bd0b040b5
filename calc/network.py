"""A network: its input shape and one tree of built layers, read from a YAML spec.

This is the single model that counting, running, explaining and checking walk. ``load_network``
accepts a file path or the name of a bundled network (``alexnet``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from calc.errors import InputError, SpecError, Where, short
from calc.layers import Layer, Sequential
from calc.shapes import fmt_shape
from calc.spec.build import Builder, channels_first_hint, check_top, iter_leaves, read_blocks, read_input
from calc.spec.refs import resolve as resolve_references
from calc.spec.yamlio import LocMap, load_yaml_file, load_yaml_text


@dataclass
class Network:
    name: str
    input_shape: tuple[int, ...]
    root: Sequential
    source: str = ""
    description: str = ""
    reference: dict = field(default_factory=dict)
    spec: dict = field(default_factory=dict, repr=False)
    file: str | None = None

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.root.out_shape

    def leaves(self) -> list[Layer]:
        return list(iter_leaves(self.root))

    def walk(self) -> Iterator[tuple[int, Layer]]:
        """(depth, layer) in execution order, containers before their contents."""
        def visit(layer: Layer, depth: int):
            for child in layer.children():
                yield depth, child
                if child.is_container:
                    yield from visit(child, depth + 1)
        yield from visit(self.root, 0)

    def layer(self, name: str) -> Layer:
        for leaf in self.leaves():
            if leaf.name == name:
                return leaf
        raise SpecError(f"no layer named '{name}' in {self.name}")


def default_name(stem: str, n: int) -> str:
    """The n-th default name of a stem: conv1, fc2; an underscore where the stem ends in a digit
    (relu6_1, conv1d_2, a block 'stage2' -> stage2_1), so no default name reads like another
    (the sixth ReLU, relu6, is never a ReLU6, whose layers are relu6_1, relu6_2, ...)."""
    return f"{stem}_{n}" if stem[-1:].isdigit() else f"{stem}{n}"


def assign_names(root: Sequential) -> None:
    """Default names per kind in order (conv1, conv2, pool1, ...), skipping names given by hand."""
    taken: dict[str, Where] = {}
    everything = []

    def collect(layer: Layer):
        for child in layer.children():
            everything.append(child)
            if child.name and getattr(child, "explicit_name", False):
                if child.name in taken and not child.is_container:
                    first = taken[child.name]
                    raise SpecError(f"duplicate layer name '{child.name}' (first used at {first})", child.where)
                taken.setdefault(child.name, child.where)
            if child.is_container:
                collect(child)

    collect(root)
    counters: Counter = Counter()
    for layer in everything:
        if layer.name:
            continue
        stem = getattr(layer, "label", None) if layer.is_container else None
        stem = stem if stem not in (None, "sequential") else (layer.prefix or layer.kind)
        while True:
            counters[stem] += 1
            candidate = default_name(stem, counters[stem])
            if candidate not in taken:
                break
        layer.name = candidate
        if not layer.is_container:
            taken[candidate] = layer.where


def build_network(spec, file_name: str | None = None, source: str = "") -> Network:
    """Validate a parsed spec (a mapping) and build every layer's shapes."""
    where = Where(file_name, getattr(spec, "line", None))
    check_top(spec, where)
    input_shape = read_input(spec, where)
    blocks = read_blocks(spec, where)
    if "layers" not in spec:
        raise SpecError("missing 'layers': a list of layers", where)
    builder = Builder(blocks, where)
    layers_where = where.child("layers", spec.line_of("layers") if hasattr(spec, "line_of") else None)
    root = builder.layer_list(spec["layers"], layers_where)
    if not root.layers:
        raise SpecError("the network has no layers", layers_where)
    assign_names(root)
    resolve_references(root, input_shape)
    try:
        root.build(input_shape)
    except SpecError as exc:
        hint = channels_first_hint(input_shape)
        if hint:
            exc.message = f"{exc.message} (hint: {hint})"
        raise
    name = _text(spec, "name", where, NAME_LIMIT) or (Path(file_name).stem if file_name else "network")
    return Network(name, input_shape, root, source or (file_name or ""),
                   _text(spec, "description", where), dict(spec.get("reference") or {}), spec, file_name)


NAME_LIMIT = 200  # characters of a network's name: it titles every table


def _text(spec, key: str, where: Where, limit: int | None = None) -> str:
    """A plain text field (name, description): a list or mapping there is an error, never str()'d."""
    value = spec.get(key)
    if value is None:
        return ""
    place = where.child(key, spec.line_of(key) if hasattr(spec, "line_of") else None)
    if isinstance(value, (list, dict)):
        raise SpecError(f"expected text, got a {'list' if isinstance(value, list) else 'mapping'}: {short(value)}",
                        place)
    text = str(value)
    if limit is not None and len(text) > limit:
        raise SpecError(f"{len(text):,} characters; at most {limit} (the name titles every table)", place)
    return text


def override_input(network: Network, shape: tuple[int, ...]) -> Network:
    """The same spec built for another input shape (e.g. AlexNet at 224 instead of 227).

    For a network on maps, one size (224) or two (224 x 224) keep the spec's channels."""
    if len(network.input_shape) == 3 and len(shape) in (1, 2):
        shape = (shape[0], shape[-1], network.input_shape[2])
    elif len(network.input_shape) == 2 and len(shape) == 1:  # a sequence: a new length, same features
        shape = (shape[0], network.input_shape[1])
    if len(shape) not in (1, 2, 3):
        raise InputError(f"an input shape is height x width x channels, length x features or a number "
                         f"of features, got {fmt_shape(shape)}")
    spec = LocMap(network.spec)
    spec.line, spec.lines = getattr(network.spec, "line", None), dict(getattr(network.spec, "lines", {}))
    spec["input"] = list(shape)
    return build_network(spec, network.file, network.source)


def load_network(spec: str | Path) -> Network:
    """A network from a YAML file or a bundled name such as 'resnet50'."""
    from calc import zoo

    path = Path(spec)
    if path.exists() or path.suffix in (".yaml", ".yml"):  # a FIFO or device: refused by calc.files
        return build_network(load_yaml_file(path), str(spec))
    text, bundled_name = zoo.read_bundled(str(spec))
    return build_network(load_yaml_text(text, f"{bundled_name}.yaml"), f"{bundled_name}.yaml",
                         source=f"bundled:{bundled_name}")


def network_from_text(text: str, file_name: str = "<spec>") -> Network:
    return build_network(load_yaml_text(text, file_name), file_name)
