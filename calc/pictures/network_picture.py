"""A network's structure as a diagram (Keras' plot_model, with nncalc's counts): one node per layer
with its type, output shape and parameters; branches, residual adds, concatenations and channel
splits as the forks and merges they are; named references (``from:`` / ``with:``) as dashed
edges from the layer they name; blocks as boxes around their layers.

The walk hands each layer the edges still to be drawn into it (``Pending``), so an empty path (an
identity shortcut, U-Net's skip, the untouched half of a split) is an edge straight to the merge,
not a node: dashed, so that it reads as a shortcut and not as one more cluster border.
"""

from __future__ import annotations

from calc.pictures.diagram import Diagram, Edge
from calc.shapes import fmt_shape

Pending = list[tuple[str, list[str], bool]]  # (node id, edge label, dashed)
_PLAIN = ("sequential", "branch", "gate")  # lists drawn without a box of their own


class _Walk:
    def __init__(self, diagram: Diagram):
        self.diagram = diagram
        self.made: dict[int, Pending] = {}  # id(layer) -> the edges its output starts

    def flow(self, layer, pending: Pending, cluster: str | None) -> Pending:
        if layer.kind == "sequential":
            out = self.sequence(layer, pending, cluster)
        elif layer.kind == "residual":
            out = self.residual(layer, pending, cluster)
        elif layer.is_container:
            out = self.branches(layer, pending, cluster)
        else:
            out = self.leaf(layer, pending, cluster)
        self.made[id(layer)] = out
        return out

    def sequence(self, seq, pending: Pending, cluster):
        if seq.label not in _PLAIN and not seq.transparent and seq.layers:
            cluster = self.diagram.cluster(f"{seq.name} ({seq.label})" if seq.name else seq.label, cluster)
        current = pending
        for child in seq.layers:
            if child.sources is not None:
                word = "with" if child.chained else "from"
                named = [(node, [f"{word} {s.name}"], True) for s in child.sources for node, _, _ in self.made[id(s)]]
                current = (current if child.chained else []) + named
            current = self.flow(child, current, cluster)
        return current

    def residual(self, block, pending: Pending, cluster):
        box = self.diagram.cluster(f"{block.name} (residual)", cluster)
        body = self.flow(block.body, pending, box)
        short = self.flow(block.shortcut, pending, box)
        if not block.shortcut.layers:
            short = [(node, ["identity"], True) for node, _, _ in short]
        return self.flow(block.add, body + short, box)

    def branches(self, block, pending: Pending, cluster):
        box = self.diagram.cluster(f"{block.name} ({block.kind})", cluster)
        joined: Pending = []
        for j, branch in enumerate(block.paths()):
            into = pending
            if block.kind == "split":
                start, size = block.starts[j], block.parts[j]
                into = [(node, [f"channels {start}:{start + size}"], dashed) for node, _, dashed in pending]
            out = self.flow(branch, into, box)
            if out == into:  # an empty path (U-Net's skip, a split's untouched half): dashed, named
                out = [(node, label or ["identity"], True) for node, label, _ in out]
            joined += out
        return self.flow(block.merge_layer(), joined, box)

    def leaf(self, layer, pending: Pending, cluster) -> Pending:
        lines = [f"{layer.name}: {layer.kind}"]
        config, shape = layer.describe(), fmt_shape(layer.out_shape)
        if config:
            lines.append(config)
        if not config.endswith(f"-> {shape}"):  # a dense layer's '512 -> 1000' says it already
            lines.append(shape)
        if layer.param_count():
            lines.append(f"{layer.param_count():,} params")
        merge = getattr(layer, "is_merge", False)
        node = self.diagram.node(lines, "ellipse" if merge else "box", cluster)
        for source, label, dashed in pending:
            self.diagram.edges.append(Edge(source, node, label, dashed))
        return [(node, [], False)]


def network_diagram(network) -> Diagram:
    """The diagram of a built calc.network.Network, from its input to its output."""
    diagram = Diagram(network.name)
    walk = _Walk(diagram)
    start = [(diagram.node(["input", fmt_shape(network.input_shape)], "ellipse"), [], False)]
    if network.root.input_ref is not None:
        walk.made[id(network.root.input_ref)] = start
    walk.flow(network.root, start, None)
    return diagram
