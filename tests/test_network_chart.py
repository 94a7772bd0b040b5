"""A network's worked solution in Markdown embeds the network as a Mermaid chart (issue 14): one
node per layer and the input, joined in order, for Matt Mazur's 2-2-2 network (4 layers)."""

from __future__ import annotations

import re

from calc.problems_io import load_problem, solve_problem
from calc.render.markdown import solution_markdown


def test_mazur_markdown_has_its_network_chart():
    text = solution_markdown(solve_problem(load_problem("networks/mazur")), 4)
    chart = re.search(r"```mermaid\n(.*?)```", text, re.S).group(1)
    nodes = re.findall(r'^\s+(n\d+)[(\[]', chart, re.M)
    edges = re.findall(r"^\s+(n\d+) --> (n\d+)", chart, re.M)
    assert len(nodes) == 5  # input, fc1, sigmoid, fc2, sigmoid
    assert edges == [(f"n{i}", f"n{i + 1}") for i in range(4)]
    assert "fc1: dense" in chart and "5 params" in chart  # 4 weights + 1 shared bias (Mazur)
