"""Direct commands for graphs, batch norm, activations, optimizers, initialisation and dropout (issue 4).

Each command parses its arguments, calls one solver of calc.steps and renders the Solution;
``nncalc solve FILE`` reaches the same solvers through problem files.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli_common import DecimalsOpt, HandOpt, JsonOpt, MarkdownOpt, emit_solution

app = typer.Typer()


def _options(decimals: int, hand_rounding: bool = False):
    from calc.steps.registry import SolveOptions

    return SolveOptions(decimals=decimals, hand_rounding=hand_rounding)


def _assignments(items: list[str] | None) -> dict:
    """['x=-2', 'y=1/3'] -> {'x': Fraction(-2), 'y': Fraction(1, 3)}."""
    from calc.errors import InputError
    from calc.exact import to_fraction

    values = {}
    for item in items or []:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise InputError(f"-v: expected name=value such as x=-2, got '{item}'")
        values[name] = to_fraction(text.strip(), f"-v {name}")
    return values


@app.command("graph")
def graph(
    expression: Annotated[str, typer.Argument(help="The function, e.g. '(x + y) * z' or 'q = x + y; f = q * z'.")],
    value: Annotated[list[str] | None, typer.Option("--value", "-v", help="A variable's value, name=number (repeat).")] = None,
    decimals: DecimalsOpt = 4,
    hand_rounding: HandOpt = False,
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
) -> None:
    """Computational graph: forward values, and local x upstream gradient on every edge."""
    from calc.steps.graph import solve_graph

    solution = solve_graph(expression, _assignments(value), _options(decimals, hand_rounding))
    emit_solution(solution, as_json, markdown, decimals)
