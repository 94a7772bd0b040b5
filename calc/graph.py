"""Computational graphs over exact numbers: a micrograd-style scalar engine with named gates.

``build_graph(statements, values)`` turns parsed expressions (calc.expr) into ``Node`` records in
forward order; every node keeps its gate, parents, value and the local gradient toward each
parent. ``backward`` walks the edges from the output back: downstream = local x upstream, and a
value feeding several gates (a copy gate) sums its edges. Constants fold into the gate that uses
them (``1 + e`` is a "+1" gate, ``-x`` a "*-1" gate), as cs231n draws its figures.

Each gate's value, local gradients and rule come from calc.gates; this module builds the graph
from the expressions and runs the backward pass over its edges.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from calc import exact, gates
from calc.errors import InputError
from calc.expr_tree import Bin, Call, Neg, Num, Statement, Var, walk


@dataclass(eq=False)
class Node:
    name: str
    gate: str  # "input" for variables, else a key of calc.gates.GATES or ACTIVATION_GATES
    value: Fraction
    parents: list = field(default_factory=list)  # Nodes this gate reads
    text: str = ""  # the operation in symbols: "x + y", "1 / n7"
    numbers: str = ""  # the operation with the values: "-2 + 5"
    local: list = field(default_factory=list)  # d value / d parents[i]
    local_text: list = field(default_factory=list)  # formula of each local gradient
    grad: Fraction = Fraction(0)


@dataclass
class Edge:
    parent: Node
    child: Node
    local: Fraction
    local_text: str
    upstream: Fraction = Fraction(0)
    downstream: Fraction = Fraction(0)


@dataclass
class Graph:
    inputs: dict  # name -> Node (every given value, used or not)
    nodes: list  # computed nodes in forward order; the last is the output
    unused: list  # given variables the expression never reads
    edges: list = field(default_factory=list)  # filled by backward, output first

    @property
    def output(self) -> Node:
        return self.nodes[-1]

    def rule_rows(self) -> list[tuple[str, str]]:
        """(short name, rule) of every gate used, in first-use order, plus the copy rule on fan-out."""
        seen = []
        for node in self.nodes:
            if node.gate not in seen:
                seen.append(node.gate)
        if any(len(self.uses(n)) > 1 for n in list(self.inputs.values()) + self.nodes):
            seen.append("copy")
        rows = []
        for gate in seen:
            if gate in gates.ACTIVATION_GATES:
                cls = gates.activation_classes()[gate]
                rows.append((gate, f"{gate} gate: local gradient {cls.derivative_formula} "
                                   f"(a = its output, z = its input)"))
            else:
                rows.append(gates.GATES[gate])
        return rows

    def uses(self, node: Node) -> list[Edge]:
        """The edges leaving ``node`` (an index over the edges, so a 5,000-term sum stays linear)."""
        index = self.__dict__.get("_uses")
        if index is None or index[0] is not self.edges or index[1] != len(self.edges):
            table: dict = {}
            for e in self.edges:
                table.setdefault(id(e.parent), []).append(e)
            index = self.__dict__["_uses"] = (self.edges, len(self.edges), table)
        return index[2].get(id(node), [])


class _Builder:
    def __init__(self, values: dict, stage_names: list, show: Callable, rnd: Callable, read: Callable | None = None):
        self.show, self.rnd, self.read = show, rnd, read
        self.inputs = {name: Node(name, "input", rnd(v)) for name, v in values.items()}
        self.nodes: list[Node] = []
        self.stages: dict[str, Node] = {}
        self.used: set[str] = set()
        self.taken = set(values) | set(stage_names) | {"f"}
        self.counter = 0

    def node(self, gate, value, parents, text, numbers, local, local_text) -> Node:
        exact.check_range(value, f"'{text}'")
        out = Node("", gate, self.rnd(value), parents, text, numbers, [self.rnd(v) for v in local], local_text)
        self.nodes.append(out)
        return out

    def label(self, item) -> str:
        """A node's name (an inner node is named n1, n2, ... when a gate first reads it)."""
        if not isinstance(item, Node):
            return self.show(item)
        while not item.name:
            self.counter += 1
            if f"n{self.counter}" not in self.taken:
                item.name = f"n{self.counter}"
        return item.name

    def value_of(self, item):
        """The value a gate reads: a node's own, or the one ``read`` carries on (named nodes only)."""
        if not isinstance(item, Node):
            return item
        return self.read(item) if self.read is not None and item.name else item.value

    def number(self, item) -> str:
        value = self.value_of(item)
        text = self.show(value)
        return f"({text})" if value < 0 else text

    def visit(self, ast):
        """A Node, or a Fraction for a constant sub-expression (folded into the gate using it)."""
        if isinstance(ast, Num):
            return ast.value
        if isinstance(ast, Var):
            return self.variable(ast)
        if isinstance(ast, Neg):
            inner = self.visit(ast.operand)
            if not isinstance(inner, Node):
                return -inner
            name = self.label(inner)
            return self.node("neg", -self.value_of(inner), [inner], f"-{name}", f"-{self.number(inner)}",
                             [Fraction(-1)], ["-1"])
        if isinstance(ast, Bin):  # down the left spine without recursion: x + x + ... + x has any length
            spine = []
            while isinstance(ast, Bin):
                spine.append(ast)
                ast = ast.left
            value = self.visit(ast)
            for item in reversed(spine):
                value = self.binary(item.op, value, self.visit(item.right))
            return value
        assert isinstance(ast, Call), ast
        return self.call(ast.fn, [self.visit(a) for a in ast.args])

    def variable(self, ast: Var) -> Node:
        if ast.name in self.stages:
            return self.stages[ast.name]
        if ast.name not in self.inputs:
            raise InputError(f"no value for variable '{ast.name}' (give it, e.g. -v {ast.name}=1)")
        self.used.add(ast.name)
        return self.inputs[ast.name]

    def binary(self, op: str, a, b):
        text = f"{self.label(a)} {'^' if op == '**' else op} {self.label(b)}"  # names first: read() goes by name
        x, y = self.value_of(a), self.value_of(b)
        numbers = f"{self.number(a)} {'^' if op == '**' else op} {self.number(b)}"
        value, dx, dy, gate, tx, ty = gates.binary(op, x, y, isinstance(a, Node), isinstance(b, Node), text, numbers,
                                              self.label(a), self.label(b), self.show)
        if not isinstance(a, Node) and not isinstance(b, Node):
            return exact.check_range(value, f"'{text}'")
        parents, local, local_text = [], [], []
        for item, d, t in ((a, dx, tx), (b, dy, ty)):
            if isinstance(item, Node):
                parents.append(item)
                local.append(d)
                local_text.append(t)
        return self.node(gate, value, parents, text, numbers, local, local_text)

    def call(self, fn: str, args: list):
        names = ", ".join(self.label(a) for a in args)
        vals = [self.value_of(a) for a in args]
        nums = ", ".join(self.show(v) for v in vals)
        text, numbers = f"{fn}({names})", f"{fn}({nums})"
        if fn in ("max", "min"):
            best = max(vals) if fn == "max" else min(vals)
            ties = sum(1 for v in vals if v == best)
            local = [Fraction(1, ties) if v == best else Fraction(0) for v in vals]
            texts = [("1" if ties == 1 else f"1/{ties}") if v == best else "0" for v in vals]
            gate, value = fn, best
        else:
            x = vals[0]
            value, d, formula = gates.unary(fn, x, text, numbers)
            gate, local, texts = fn, [d], [formula]
        if not any(isinstance(a, Node) for a in args):
            return value
        keep = [i for i, a in enumerate(args) if isinstance(a, Node)]
        return self.node(gate, value, [args[i] for i in keep], text, numbers,
                         [local[i] for i in keep], [texts[i] for i in keep])


def _show(value) -> str:
    from calc.numfmt import fmt

    return fmt(value, 6)


def build_graph(statements: list[Statement], values: dict, show: Callable = _show,
                rnd: Callable = lambda v: v, read: Callable | None = None) -> Graph:
    """Forward pass of parsed statements at exact ``values`` (name -> Fraction).

    ``show`` formats numbers inside the 'with numbers' texts; ``rnd`` rounds every stored value
    (identity, or half-up rounding in hand-rounding mode); ``read(node)`` is the value a gate
    reads from a named node (nncalc check carries a learner's own values; nodes keep theirs).
    """
    stage_names = [st.name for st in statements if st.name]
    for name in stage_names:
        if name in values:
            raise InputError(f"'{name}' is both a stage (assigned in the expression) and a given value")
        if stage_names.count(name) > 1:
            raise InputError(f"stage '{name}' is assigned twice")
    builder = _Builder(values, stage_names, show, rnd, read)
    for i, st in enumerate(statements):
        if st.name is None and i != len(statements) - 1:
            raise InputError("only the last statement may be unnamed; name the others, e.g. 'q = x + y; f = q * z'")
        for name in stage_names:  # a stage read before its statement is an error, not a variable
            if name not in builder.stages and name != st.name and _reads(st.expr, name):
                raise InputError(f"stage '{name}' is used before it is assigned")
        result = builder.visit(st.expr)
        if not isinstance(result, Node) or isinstance(st.expr, Var):
            raise InputError(f"'{st.name or 'the expression'}' computes nothing (a constant or a bare variable)")
        if st.name:
            result.name = st.name
            builder.stages[st.name] = result
    out = builder.nodes[-1]
    if not out.name:
        out.name = "f" if "f" not in values else "out"
    unused = [name for name in values if name not in builder.used]
    return Graph(builder.inputs, builder.nodes, unused)


def _reads(ast, name: str) -> bool:
    return any(isinstance(node, Var) and node.name == name for node in walk(ast))


def backward(graph: Graph, rnd: Callable = lambda v: v, take: Callable | None = None) -> Graph:
    """Gradients of the output: edges from the output back, each downstream = local x upstream.
    ``take(node)``: the upstream gradient passed on from a node once its own is complete (nncalc
    check carries a learner's own; ``node.grad`` keeps the computed one)."""
    for node in list(graph.inputs.values()) + graph.nodes:
        node.grad = Fraction(0)
    out = graph.output
    out.grad = Fraction(1)
    graph.edges = []
    for node in reversed(graph.nodes):
        upstream = take(node) if take is not None else node.grad
        for parent, local, text in zip(node.parents, node.local, node.local_text):
            edge = Edge(parent, node, local, text, upstream, rnd(local * upstream))
            graph.edges.append(edge)
            parent.grad += edge.downstream
    return graph


def gradient(statements: list[Statement], values: dict) -> tuple[Fraction, dict]:
    """The output's value and its gradient with respect to every given value."""
    graph = backward(build_graph(statements, values))
    return graph.output.value, {name: node.grad for name, node in graph.inputs.items()}
