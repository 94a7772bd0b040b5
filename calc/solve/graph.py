"""Worked solutions for computational graphs: stages forward, every edge backward.

The arithmetic is calc.graph (exact scalar engine) on calc.expr (safe parser); this module lays
it out: one step per stage of the forward pass, a table with the local gradient, the upstream
gradient and their product on every edge, then each gradient as the sum over the gates that read
the value (the copy gate's rule), and the gate rules the solution used.
"""

from __future__ import annotations

from fractions import Fraction

from calc.solve import given as g
from calc.solve.registry import SolveOptions, problem_type
from calc.solve.step import Solution, Step, Table


def _paren(text: str) -> str:
    return f"({text})" if any(c in text for c in " +-/") and not text.lstrip("-").isalnum() else text


def solve_graph(expression: str, values: dict, options: SolveOptions = SolveOptions()) -> Solution:
    """Forward values and gradients of ``expression`` at ``values`` (name -> Fraction)."""
    from calc.numfmt import fmt

    def show(v) -> str:
        return fmt(v, options.decimals)

    graph = _computed_graph(expression, values, options, show)
    o, out = graph.output.name, graph.output
    sol = Solution(f"Computational graph of {expression.strip()}", _conventions(graph, options))
    sol.diagram = _diagram(graph, show)
    _forward_steps(sol, graph)
    _edge_table(sol, graph)
    _gradient_steps(sol, graph, show)
    sol.findings.extend(_findings(graph))
    grads = ", ".join(f"d{o}/d{name} = {show(n.grad)}" for name, n in graph.inputs.items())
    sol.summary = f"{o} = {show(out.value)}; {grads}"
    _approximation_finding(sol, [(o, out.value)] + [(f"d{o}/d{n}", node.grad) for n, node in graph.inputs.items()])
    return sol


MAX_DRAWN = 100


def _diagram(graph, show) -> str:
    """The graph as Mermaid (values on the gates, gradients on the edges) for Markdown output; none
    past MAX_DRAWN gates (Mermaid refuses large charts, and nobody reads them)."""
    from calc.pictures.diagram import mermaid
    from calc.pictures.graph_picture import graph_diagram

    return mermaid(graph_diagram(graph, show)) if len(graph.nodes) <= MAX_DRAWN else ""


def _computed_graph(expression: str, values: dict, options: SolveOptions, show):
    """calc.graph's forward and backward passes, rounded as by hand when asked; under nncalc check
    each value and gradient is the learner's own where they gave it."""
    from calc import graph as cg
    from calc.exact import round_half_up
    from calc.expr import parse

    rnd = (lambda v: round_half_up(v, options.decimals)) if options.hand_rounding else (lambda v: v)
    carry = options.learner.carry()  # nncalc check: the learner's own values and gradients carried on
    read = (lambda node: carry.take(node.name, node.value)) if carry else None
    graph = cg.build_graph(parse(expression), values, show, rnd, read)
    o = graph.output.name
    take = (lambda node: carry.take(f"d{o}/d{node.name}", node.grad)) if carry else None
    return cg.backward(graph, rnd, take)


def _conventions(graph, options: SolveOptions) -> list[str]:
    o = graph.output.name
    return [
        f"{o} is the output; each gate's local gradient is d(gate output)/d(input); the upstream gradient is "
        f"d{o}/d(gate output); downstream = local x upstream (chain rule); the backward pass starts with "
        f"d{o}/d{o} = 1",
        "constants fold into the gate that uses them (1 + e^x is a '+1' gate, -x a '*-1' gate), as in cs231n's figures",
        ("hand rounding: every value and gradient is rounded half-up to "
         f"{options.decimals} decimals as it is computed, like a hand solution") if options.hand_rounding else
        "exact arithmetic (fractions; exp, log and sqrt to 50 digits), shown rounded",
    ] + [rule for _, rule in graph.rule_rows()]


def _gate_name(gate: str) -> str:
    from calc.gates import GATES

    return GATES[gate][0] if gate in GATES else gate


def _forward_steps(sol: Solution, graph) -> None:
    for node in graph.nodes:
        sol.add(Step(node.name, node.text, node.numbers, node.value, name=node.name,
                     note=f"{_gate_name(node.gate)} gate", section="Forward pass"))


def _edge_table(sol: Solution, graph) -> None:
    """d(out)/d(out) = 1, then every edge from the output back: local, upstream, their product."""
    o = graph.output.name
    sol.add(Step(f"d{o}/d{o}", "", "", Fraction(1), note="the gradient of the output with respect to itself",
                 section="Backward pass"))
    rows = []
    for e in graph.edges:
        rows.append([f"{e.parent.name} -> {e.child.name}", _gate_name(e.child.gate), e.local_text, e.local,
                     e.upstream, e.downstream])
    sol.add(Table(f"Edges, from the output back (upstream = d{o}/d(gate output))",
                  ["edge", "gate", "local gradient", "local", "upstream", "local x upstream"], rows,
                  section="Backward pass"))


def _gradient_steps(sol: Solution, graph, show) -> None:
    """Each value's gradient as the sum over the gates that read it (the copy gate's rule)."""
    o = graph.output.name

    def num(v) -> str:
        return f"({show(v)})" if v < 0 else show(v)

    for node in list(reversed(graph.nodes[:-1])) + list(graph.inputs.values()):
        uses = graph.uses(node)
        label = f"d{o}/d{node.name}"
        if not uses:
            sol.add(Step(label, "", "", node.grad, name=label, note=f"{node.name} does not appear in {o}",
                         section="Gradients"))
            continue
        formula = " + ".join(f"{_paren(e.local_text)} * d{o}/d{e.child.name}" for e in uses)
        numbers = " + ".join(f"{num(e.local)} * {num(e.upstream)}" for e in uses)
        note = (f"copy gate: {node.name} is read {len(uses)} times, the gradients add" if len(uses) > 1 else "")
        sol.add(Step(label, formula, numbers, node.grad, name=label, note=note, section="Gradients"))


def _findings(graph) -> list[str]:
    """Unused inputs, ties of max/min, ReLU and abs at 0: the conventions a result depends on."""
    o = graph.output.name
    found = [f"{name} is given but {o} does not depend on it: d{o}/d{name} = 0" for name in graph.unused]
    for node in graph.nodes:
        if node.gate in ("max", "min") and sum(1 for v in node.local if v not in (0, 1)):
            found.append(f"{node.name} = {node.numbers} is a tie: the derivative is undefined there; "
                         "the gradient is split evenly as PyTorch does")
        if node.gate in ("relu", "abs") and node.parents[0].value == 0:
            found.append(f"{node.text} at 0: not differentiable there; local gradient 0 (PyTorch)")
    return found


def _approximation_finding(sol: Solution, values: list) -> None:
    """Say which large results are 50-digit approximations (an integer-looking e^1000 is not exact)."""
    from calc.exact import PRECISION, is_approx
    from calc.numfmt import sci

    big = [(name, v) for name, v in values if is_approx(v) and v and not Fraction(1, 10 ** 15) <= abs(v) < 10 ** 15]
    if big:
        name, value = big[0]
        sol.findings.append(f"{', '.join(n for n, _ in big)}: not exact, computed from {PRECISION}-digit values of "
                            f"exp, log, sqrt or roots: {name} = {sci(value, PRECISION - 1)} (--json gives these "
                            "digits)")


@problem_type("graph")
def solve_graph_problem(given, where, options: SolveOptions) -> Solution:
    """given: expression (text; stages as 'q = x + y; f = q * z'), values {name: number}."""
    from calc.errors import InputError, SpecError

    expression = g.raw(given, where, "expression")
    if not isinstance(expression, str):
        raise SpecError("expected the expression as text, e.g. '(x + y) * z'", g.at(given, where, "expression"))
    raw_values = g.raw(given, where, "values", {})
    if not isinstance(raw_values, dict):
        raise SpecError("expected a mapping of variable names to numbers, e.g. {x: -2, y: 5}",
                        g.at(given, where, "values"))
    place = g.at(given, where, "values")
    values = {str(name): g.number(raw_values, place, name) for name in raw_values}
    try:
        return solve_graph(expression, values, options)
    except InputError as exc:
        raise SpecError(exc.message, g.at(given, where, "expression")) from None
