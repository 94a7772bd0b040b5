"""A diagram as data (nodes, edges, clusters) and its two texts: Graphviz DOT and Mermaid.

Builders (graph_picture, network_picture) fill a Diagram; ``dot`` and ``mermaid`` only write it,
so a picture's structure is decided once. Labels are lists of lines; every text is escaped here.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Node:
    id: str
    lines: list[str]
    shape: str = "box"  # box | ellipse | circle (a merge)
    cluster: str | None = None  # the id of the cluster holding it


@dataclass
class Edge:
    source: str
    target: str
    label: list[str] = field(default_factory=list)
    dashed: bool = False  # a named reference (from: / with:) or an identity shortcut


@dataclass
class Cluster:
    id: str
    label: str
    parent: str | None = None


@dataclass
class Diagram:
    title: str
    direction: str = "TB"  # TB (networks) or LR (graphs, as cs231n draws them)
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)
    # "in": Graphviz keeps a node's in-edges in the order given, so a gate's operands are drawn
    # in order (w1 above x1 in cs231n's neuron, as the course draws it; Graphviz swapped them)
    ordering: str = ""

    def node(self, lines: list[str], shape: str = "box", cluster: str | None = None) -> str:
        """Add a node; returns its id (n0, n1, ...: ids never carry user text)."""
        node_id = f"n{len(self.nodes)}"
        self.nodes.append(Node(node_id, lines, shape, cluster))
        return node_id

    def cluster(self, label: str, parent: str | None = None) -> str:
        cluster_id = f"c{len(self.clusters)}"
        self.clusters.append(Cluster(cluster_id, label, parent))
        return cluster_id


def _first_nodes(diagram: Diagram) -> dict[str | None, int]:
    """cluster id -> the index of the first node inside it (at any depth); None is the top."""
    parents = {c.id: c.parent for c in diagram.clusters}
    first: dict[str | None, int] = {}
    for i, node in enumerate(diagram.nodes):
        holder = node.cluster
        while holder is not None and holder not in first:
            first[holder] = i
            holder = parents[holder]
    return first


def children(diagram: Diagram, cluster: str | None) -> list[Node | Cluster]:
    """The nodes and sub-clusters directly in ``cluster``, in the order the walk made them.

    Why: Mermaid places siblings in the order they are declared; writing a cluster's bare nodes
    first and its boxes after put GoogLeNet's pool branch before its 1x1 branch. In walk order
    Mermaid draws the branches left to right as the paper does (Graphviz's crossing minimisation
    orders clusters its own way whatever the order). Clusters without nodes are left out.
    """
    first = _first_nodes(diagram)
    found = [(i, n) for i, n in enumerate(diagram.nodes) if n.cluster == cluster]
    found += [(first[c.id], c) for c in diagram.clusters if c.parent == cluster and c.id in first]
    return [item for _, item in sorted(found, key=lambda pair: pair[0])]


WIDTH = 80  # DOT is printed to terminals too: long labels are cut into "a" + "b" pieces


def _escape(text: str) -> str:
    """Backslash and quote escaped for DOT; '&' as '&amp;' because Graphviz decodes HTML entities
    in every label (a layer named 'a&amp;b' was drawn as 'a&b')."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("&", "&amp;")


def _dot_text(lines: list[str]) -> list[str]:
    r"""A DOT string as pieces to join with '+' (DOT concatenates quoted strings): one per label
    line (ending in \n but the last), long lines cut in chunks, every piece escaped."""
    pieces = []
    for i, line in enumerate(lines):
        chunks = [line[k:k + 56] for k in range(0, len(line), 56)] or [""]
        pieces += [f'"{_escape(c)}' + ("\\n" if i < len(lines) - 1 and j == len(chunks) - 1 else "") + '"'
                   for j, c in enumerate(chunks)]
    return pieces


def _statement(indent: str, head: str, pieces: list[str], tail: str) -> list[str]:
    """``head`` + the string + ``tail`` on one line when it fits WIDTH, else one piece a line."""
    one = f'{indent}{head}"{"".join(p[1:-1] for p in pieces)}"{tail}'
    if len(one) <= WIDTH:
        return [one]
    out = [f"{indent}{head}{pieces[0]}"] + [f"{indent}    + {p}" for p in pieces[1:]]
    out[-1] += tail
    return out


def dot(diagram: Diagram) -> str:
    """Graphviz DOT: nodes inside their (nested) clusters, then the edges; no line over WIDTH."""
    out = _statement("", "digraph ", _dot_text([diagram.title]), " {")
    out += [f"  rankdir={diagram.direction};"] + ([f"  ordering={diagram.ordering};"] if diagram.ordering else [])
    out += ['  graph [fontname="Helvetica", fontsize=11, labeljust=l];',
            '  node [fontname="Helvetica", fontsize=10];',
            '  edge [fontname="Helvetica", fontsize=9];']

    def place(cluster: str | None, indent: str) -> None:
        for item in children(diagram, cluster):
            if isinstance(item, Node):
                out.extend(_statement(indent, f"{item.id} [shape={item.shape}, label=", _dot_text(item.lines), "];"))
            else:
                sub = item
                out.append(f"{indent}subgraph cluster_{sub.id} {{")
                out.append(f"{indent}  style=rounded;")
                out.extend(_statement(indent + "  ", "label=", _dot_text([sub.label]), ";"))
                place(sub.id, indent + "  ")
                out.append(f"{indent}}}")

    place(None, "  ")
    for e in diagram.edges:
        style = "style=dashed, " if e.dashed else ""
        if e.label:
            out.extend(_statement("  ", f"{e.source} -> {e.target} [{style}label=", _dot_text(e.label), "];"))
        else:
            out.append(f"  {e.source} -> {e.target}" + (" [style=dashed]" if e.dashed else "") + ";")
    out.append("}")
    return "\n".join(out) + "\n"


def _mermaid_text(lines: list[str]) -> str:
    """A Mermaid quoted label: quotes, markup characters and backslashes as entities, lines joined
    with <br/> (checked with mermaid-cli 11: every hostile name draws as written)."""
    def one(s: str) -> str:
        s = s.replace("#", "#35;").replace("\n", " ").replace("&", "#amp;").replace('"', "#quot;")
        # Mermaid reads backslash-n as a line break, even as the entity #92;: an invisible
        # zero-width space between them keeps the name as it reads ('x\\ny' stays on one line)
        s = s.replace("\\n", "\\#8203;n").replace("\\", "#92;")
        return (s.replace("<", "#lt;").replace(">", "#gt;")
                .replace("|", "#124;"))
    return '"' + "<br/>".join(one(s) for s in lines) + '"'


_MERMAID_SHAPES = {"box": ("[", "]"), "ellipse": ("([", "])"), "circle": ("((", "))")}


def mermaid(diagram: Diagram) -> str:
    """Mermaid flowchart text (GitHub and Jupyter render it without any tool installed), cut to
    Mermaid's size limits when it is over them (calc.pictures.fit)."""
    from calc.pictures.fit import fitted  # fit builds on this module's Diagram

    return _flowchart(fitted(diagram, _flowchart))


def _flowchart(diagram: Diagram) -> str:
    out = [f"flowchart {diagram.direction}"]

    def place(cluster: str | None, indent: str) -> None:
        for item in children(diagram, cluster):
            if isinstance(item, Node):
                left, right = _MERMAID_SHAPES[item.shape]
                out.append(f"{indent}{item.id}{left}{_mermaid_text(item.lines)}{right}")
            else:
                sub = item
                out.append(f"{indent}subgraph {sub.id}[{_mermaid_text([sub.label])}]")
                place(sub.id, indent + "  ")
                out.append(f"{indent}end")

    place(None, "  ")
    for e in diagram.edges:
        arrow = "-.->" if e.dashed else "-->"
        label = f"|{_mermaid_text(e.label)}|" if e.label else ""
        out.append(f"  {e.source} {arrow}{label} {e.target}")
    return "\n".join(out) + "\n"
