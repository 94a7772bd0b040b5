"""Structured worked solutions: solvers return these records; renderers turn them into text.

A ``Step`` is one computed quantity: what it is, its formula, the formula with the numbers
substituted, the result and the convention or finding it relies on. A ``Solution`` opens with the
conventions it used and keeps its named answers apart, so ``nncalc check`` can compare them.
Solvers never print and never format numbers: results stay ints, Fractions, floats or arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Step:
    label: str  # what is computed: "output size", "z1", "dL/dw5"
    formula: str = ""  # plain-text formula with symbols
    substituted: str = ""  # the formula with the numbers put in
    result: Any = None  # the value: int, Fraction, float, sympy number, nested list or array
    name: str = ""  # answer key for checking, e.g. "output_size", "z1"
    latex: str = ""  # LaTeX for the formula (Markdown output); falls back to plain text
    latex_substituted: str = ""
    note: str = ""  # a remark: the convention used here, a finding
    section: str = ""  # heading this step belongs to ("Forward pass", "Layer 2")


@dataclass
class Table:
    """A table step (truth tables, batch-norm columns, optimizer iterations)."""

    title: str
    columns: list[str]
    rows: list[list[Any]]
    section: str = ""
    note: str = ""
    answers: dict[str, Any] = field(default_factory=dict)  # named cells (e.g. "row2.y"), for checking


@dataclass
class Solution:
    title: str
    conventions: list[str] = field(default_factory=list)
    steps: list[Step | Table] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)  # name -> exact value where possible
    findings: list[str] = field(default_factory=list)  # warnings and remarks for the reader
    summary: str = ""  # one-line answer, e.g. "output size 55"
    question: str = ""  # the exercise as posed (problem files)
    source: str = ""  # where the exercise comes from
    notes: str = ""  # remarks on the exercise, e.g. mistakes in the course's printed answers
    aliases: dict[str, str] = field(default_factory=dict)  # the source's name -> the answer name it copies
    problem_id: str = ""  # the problem file's 'id:' (a generated variant), for the answers template
    diagram: str = ""  # a Mermaid flowchart of what is solved (graphs): Markdown shows it, GitHub draws it

    def add(self, step: Step | Table) -> Step | Table:
        self.steps.append(step)
        if isinstance(step, Step) and step.name:
            self.answers[step.name] = step.result
        elif isinstance(step, Table):
            self.answers.update(step.answers)
        return step
