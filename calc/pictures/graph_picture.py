"""A computational graph (calc.graph, after its backward pass) as a diagram, drawn as cs231n does:
inputs on the left, one node per gate with its forward value and the output's gradient, and on
every edge the upstream gradient, the local derivative and their product (the gradient it carries
back to the value it leaves)."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from calc.pictures.diagram import Diagram, Edge


def graph_diagram(graph, show: Callable, title: str = "") -> Diagram:
    """``graph``: a calc.graph.Graph whose edges are filled (calc.graph.backward); ``show`` writes
    a number."""
    o = graph.output.name
    diagram = Diagram(title or f"graph of {o}", direction="LR", ordering="in")
    ids = {}
    for name, node in graph.inputs.items():
        unused = [] if name not in graph.unused else ["(unused)"]
        ids[id(node)] = diagram.node([f"{name} = {show(node.value)}", f"d{o}/d{name} = {show(node.grad)}", *unused],
                                     shape="ellipse")
    for node in graph.nodes:
        ids[id(node)] = diagram.node([f"{node.name or node.gate}: {node.text}", f"= {show(node.value)}",
                                      f"d{o}/d{node.name} = {show(node.grad)}" if node.name else
                                      f"grad {show(node.grad)}"])
    into: dict = {}
    for edge in graph.edges:  # filled from the output back; drawn in forward order, operands in order
        into.setdefault(id(edge.child), []).append(edge)
    for node in graph.nodes:
        diagram.edges.extend(_edge(edge, ids, show) for edge in into.get(id(node), []))
    return diagram


def _edge(edge, ids: dict, show: Callable):
    local = show(edge.local)
    formula = edge.local_text if edge.local_text and edge.local_text != local else ""
    return Edge(ids[id(edge.parent)], ids[id(edge.child)],
                [f"upstream {show(edge.upstream)}", f"local {formula + ' = ' if formula else ''}{local}",
                 f"grad {show(edge.downstream)}"])


def expression_diagram(expression: str, values: dict, decimals: int = 4, hand_rounding: bool = False) -> Diagram:
    """Parse, run forward and backward (exactly, or rounded as by hand), and draw."""
    from calc import graph as cg
    from calc.exact import round_half_up
    from calc.expr import parse
    from calc.numfmt import fmt

    def show(v: Fraction) -> str:
        return fmt(v, decimals)

    rnd = (lambda v: round_half_up(v, decimals)) if hand_rounding else (lambda v: v)
    graph = cg.backward(cg.build_graph(parse(expression), values, show, rnd), rnd)
    return graph_diagram(graph, show, f"Computational graph of {expression.strip()}")
