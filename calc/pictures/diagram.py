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

    def node(self, lines: list[str], shape: str = "box", cluster: str | None = None) -> str:
        """Add a node; returns its id (n0, n1, ...: ids never carry user text)."""
        node_id = f"n{len(self.nodes)}"
        self.nodes.append(Node(node_id, lines, shape, cluster))
        return node_id

    def cluster(self, label: str, parent: str | None = None) -> str:
        cluster_id = f"c{len(self.clusters)}"
        self.clusters.append(Cluster(cluster_id, label, parent))
        return cluster_id


WIDTH = 80  # DOT is printed to terminals too: long labels are cut into "a" + "b" pieces


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


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
    out += [f"  rankdir={diagram.direction};", '  node [fontname="Helvetica", fontsize=10];',
            '  edge [fontname="Helvetica", fontsize=9];']

    def place(cluster: str | None, indent: str) -> None:
        for node in diagram.nodes:
            if node.cluster == cluster:
                out.extend(_statement(indent, f"{node.id} [shape={node.shape}, label=", _dot_text(node.lines), "];"))
        for sub in diagram.clusters:
            if sub.parent == cluster:
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
    """A Mermaid quoted label: quotes and markup characters as entities, lines joined with <br/>."""
    def one(s: str) -> str:
        s = s.replace("#", "#35;").replace("\n", " ").replace("&", "#amp;").replace('"', "#quot;")
        return (s.replace("<", "#lt;").replace(">", "#gt;")
                .replace("|", "#124;"))
    return '"' + "<br/>".join(one(s) for s in lines) + '"'


_MERMAID_SHAPES = {"box": ("[", "]"), "ellipse": ("([", "])"), "circle": ("((", "))")}


def mermaid(diagram: Diagram) -> str:
    """Mermaid flowchart text (GitHub and Jupyter render it without any tool installed)."""
    out = [f"flowchart {diagram.direction}"]

    def place(cluster: str | None, indent: str) -> None:
        for node in diagram.nodes:
            if node.cluster == cluster:
                left, right = _MERMAID_SHAPES[node.shape]
                out.append(f"{indent}{node.id}{left}{_mermaid_text(node.lines)}{right}")
        for sub in diagram.clusters:
            if sub.parent == cluster:
                out.append(f"{indent}subgraph {sub.id}[{_mermaid_text([sub.label])}]")
                place(sub.id, indent + "  ")
                out.append(f"{indent}end")

    place(None, "  ")
    for e in diagram.edges:
        arrow = "-.->" if e.dashed else "-->"
        label = f"|{_mermaid_text(e.label)}|" if e.label else ""
        out.append(f"  {e.source} {arrow}{label} {e.target}")
    return "\n".join(out) + "\n"
