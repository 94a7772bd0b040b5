"""A diagram cut down to what Mermaid will draw.

Mermaid refuses a chart of more than 50,000 characters or 500 edges (its maxTextSize and maxEdges,
which a Markdown page cannot raise): ResNet-152's full chart has 565 edges, and GitHub showed an
error box instead of the network. So when a chart is over either limit, the longest run of
identical sibling blocks (ResNet-152's 36 bottlenecks of stage 3) keeps its first and last block
and the blocks between become one node that says how many were left out and why; repeated until
the chart fits. A chart with no such run is replaced by one node that says to draw it with
Graphviz instead (``nncalc draw NAME -o NAME.svg`` has no limit).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from calc.pictures.diagram import Cluster, Diagram, Edge, Node, children

MAX_CHARS = 50_000  # Mermaid's maxTextSize
MAX_EDGES = 500  # Mermaid's maxEdges: mermaid-cli 11 refuses a chart when the 501st edge comes


def fitted(diagram: Diagram, write: Callable[[Diagram], str]) -> Diagram:
    """``diagram``, or a smaller one that ``write`` (the Mermaid writer) keeps within the limits."""
    while len(diagram.edges) > MAX_EDGES or len(write(diagram)) > MAX_CHARS:
        run = _longest_run(diagram)
        if run is None:
            return _refusal(diagram)
        diagram = _collapse(diagram, run)
    return diagram


def _kind(cluster: Cluster) -> str:
    """'bottleneck' of 'bottleneck7 (bottleneck)': what the block is, without its name."""
    found = re.search(r"\(([^()]*)\)$", cluster.label)
    return found.group(1) if found else cluster.label


def _signature(diagram: Diagram, item: Node | Cluster) -> tuple:
    """What a block is made of (layer types, nested blocks), not its names or sizes."""
    if isinstance(item, Node):
        return ("node", item.shape, item.lines[0].split(": ", 1)[-1])
    return (_kind(item), tuple(_signature(diagram, child) for child in children(diagram, item.id)))


def _longest_run(diagram: Diagram) -> list[Cluster] | None:
    """The longest run (at least 3) of consecutive sibling blocks that are alike, anywhere."""
    best: list[Cluster] = []
    for parent in [None] + [c.id for c in diagram.clusters]:
        run: list[Cluster] = []
        for item in children(diagram, parent) + [None]:
            if (isinstance(item, Cluster) and run
                    and _signature(diagram, item) == _signature(diagram, run[-1])):
                run.append(item)
                continue
            best = run if len(run) > len(best) else best
            run = [item] if isinstance(item, Cluster) else []
    return best if len(best) >= 3 else None


def _inside(diagram: Diagram, clusters: set[str]) -> set[str]:
    """The ids of the clusters nested in ``clusters``, with them."""
    found = set(clusters)
    grew = True
    while grew:
        more = {c.id for c in diagram.clusters if c.parent in found} - found
        found |= more
        grew = bool(more)
    return found


def _collapse(diagram: Diagram, run: list[Cluster]) -> Diagram:
    """The run's middle blocks as one node, in the place of the first node it hides (so the walk
    order holds); every edge into or out of the hidden blocks moves to it."""
    middle = run[1:-1]
    gone = _inside(diagram, {c.id for c in middle})
    hidden = [n for n in diagram.nodes if n.cluster in gone]
    note = Node(hidden[0].id, [f"{len(middle)} more {_kind(run[0])} blocks", f"{_name(middle[0])} ... {_name(middle[-1])}",
                               "not drawn: the chart is over", "Mermaid's size limits"], "box", run[0].parent)
    nodes = [note if n is hidden[0] else n for n in diagram.nodes if n.cluster not in gone or n is hidden[0]]
    moved = {n.id: note.id for n in hidden}
    edges, seen = [], set()
    for e in diagram.edges:
        source, target = moved.get(e.source, e.source), moved.get(e.target, e.target)
        touched = (source, target) != (e.source, e.target)
        if source == target or (touched and (source, target) in seen):
            continue  # inside the hidden blocks, or a second edge between the same two nodes
        seen.add((source, target))
        edges.append(Edge(source, target, e.label, e.dashed))
    return Diagram(diagram.title, diagram.direction, nodes, edges, [c for c in diagram.clusters if c.id not in gone])


def _name(cluster: Cluster) -> str:
    return cluster.label.split(" (")[0]


def _refusal(diagram: Diagram) -> Diagram:
    """One node in place of a chart Mermaid would refuse and nothing repeats to shorten."""
    lines = [f"{diagram.title}: {len(diagram.nodes):,} nodes, {len(diagram.edges):,} edges,",
             "too large for Mermaid (50,000 characters, 500 edges);",
             "Graphviz (DOT) draws it without a limit"]
    return Diagram(diagram.title, diagram.direction, [Node("n0", lines)], [], [])
