"""nncalc's results in Jupyter display themselves: ``import calc`` (any calc module) registers these
formatters when an IPython shell is running; ``%load_ext calc.notebook`` does the same by hand.

A worked solution, a network summary and a check report show as Markdown with LaTeX (the same
Markdown as ``--markdown``); a computational graph (calc.graph.Graph) and a network
(calc.network.Network) as a Mermaid chart (JupyterLab 4.1+ and GitHub draw it), and as SVG too
when Graphviz's ``dot`` is installed.

Why an IPython extension and not ``_repr_markdown_`` methods on the classes: the records live low
in the layers (calc.solve.step, calc.counting.stats) and their renderers high (calc.render); the
formatters registered here by class *name* (``for_type_by_name``) join the two without an upward
import, and load nothing until a result is shown.
"""

from __future__ import annotations

MARKDOWN = {  # (module, class) -> function(result) -> Markdown
    ("calc.solve.step", "Solution"): lambda r: _solution(r),
    ("calc.counting.stats", "Summary"): lambda r: _summary(r),
    ("calc.check.report", "Report"): lambda r: _report(r),
    ("calc.graph", "Graph"): lambda r: _chart(_graph_diagram(r)),
    ("calc.network", "Network"): lambda r: _chart(_network_diagram(r)),
}
SVG = {
    ("calc.graph", "Graph"): lambda r: _svg(_graph_diagram(r)),
    ("calc.network", "Network"): lambda r: _svg(_network_diagram(r)),
}


def load_ipython_extension(ipython) -> None:
    """``%load_ext calc.notebook``: register the Markdown (and SVG) formatters by class name."""
    formatters = ipython.display_formatter.formatters
    for (module, name), function in MARKDOWN.items():
        formatters["text/markdown"].for_type_by_name(module, name, function)
    for (module, name), function in SVG.items():
        formatters["image/svg+xml"].for_type_by_name(module, name, function)


def _solution(solution) -> str:
    from calc.render.markdown import solution_markdown

    return solution_markdown(solution)


def _summary(summary) -> str:
    from calc.render.markdown import summary_markdown

    return summary_markdown(summary)


def _report(report) -> str:
    from calc.render.verdicts import verdicts_markdown

    return verdicts_markdown(report)


def _graph_diagram(graph):
    from calc.numfmt import fmt
    from calc.pictures.graph_picture import graph_diagram

    return graph_diagram(graph, lambda v: fmt(v, 4))


def _network_diagram(network):
    from calc.pictures.network_picture import network_diagram

    return network_diagram(network)


def _chart(diagram) -> str:
    from calc.pictures.diagram import mermaid

    return f"**{diagram.title}**\n\n```mermaid\n{mermaid(diagram)}```\n"


def _svg(diagram) -> str | None:
    """SVG from Graphviz's dot; None (nothing shown in that format) when dot is absent or fails."""
    import shutil
    import subprocess

    from calc.pictures.diagram import dot

    program = shutil.which("dot")
    if program is None:
        return None
    try:
        done = subprocess.run([program, "-Tsvg"], input=dot(diagram), capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None
