"""Markdown output with LaTeX math ($...$, $$...$$) that renders on GitHub and in Jupyter."""

from __future__ import annotations

from calc.numfmt import DEFAULT_DECIMALS, fmt, fmt_exact, grouped, human, shown_exactly
from calc.render.wording import summary_warnings
from calc.shapes import fmt_shape


def _cell(text: str) -> str:
    return str(text).replace("|", r"\|")


def summary_markdown(summary) -> str:
    lines = [f"# {summary.name}", "", f"Input: {fmt_shape(summary.input_shape)}", "",
             "| Layer | Type | Config | Output shape | Params | MACs |",
             "|---|---|---|---:|---:|---:|"]
    for row in summary.rows:
        name = "&nbsp;&nbsp;" * row.depth + row.name
        if row.container:
            name = f"*{name}*"
        lines.append(f"| {_cell(name)} | {row.type} | {_cell(row.config)} | {fmt_shape(row.output_shape)} | "
                     f"{grouped(row.params) if row.params else '-'} | "
                     f"{grouped(row.counted_macs) if row.counted_macs else '-'} |")
    lines += ["", f"- **Total params:** {grouped(summary.total_params)} ({human(summary.total_params)})",
              f"- Trainable params: {grouped(summary.trainable_params)}",
              f"- Non-trainable params: {grouped(summary.non_trainable_params)}"]
    if not summary.options.keras:
        lines.append(f"- Buffers (batch-norm running mean/var): {grouped(summary.buffers)}")
    lines += [f"- **MACs:** {grouped(summary.total_macs)} ({human(summary.total_macs)}MAC)",
              f"- FLOPs (2 x MACs): {grouped(summary.flops)}", "", "**Conventions**", ""]
    lines += [f"- {c}" for c in summary.conventions]
    warnings = summary_warnings(summary)
    if warnings:
        lines += ["", "**Warnings**", ""] + [f"- {w}" for w in warnings]
    return "\n".join(lines) + "\n"


def _step_markdown(step, decimals: int) -> list[str]:
    result = fmt(step.result, decimals)
    exact = fmt_exact(step.result)
    label = f"**`{step.name}`**" if step.name and step.label.startswith(step.name) else f"**{step.label}**"
    if step.name and step.label != step.name and step.label.startswith(step.name):
        label += " (" + step.label[len(step.name):].strip(" ()") + ")"
    lines = [label, ""]
    if step.latex and not isinstance(step.result, (list, tuple)) and not hasattr(step.result, "shape"):
        number, relation = result, "=" if shown_exactly(step.result, decimals) else r"\approx"
        math = step.latex
        if step.latex_substituted:
            math += f" = {step.latex_substituted}"
        lines += [f"$${math} {relation} {number}$$", ""]
        if step.substituted and not step.latex_substituted:
            lines += [f"with the numbers: `{step.substituted}`", ""]
        if exact and relation != "=":
            lines += [f"exactly ${exact}$", ""]
    else:
        text = f"`{step.formula}`" if step.formula else ""
        if step.substituted:
            text += f" = `{step.substituted}`"
        exact = exact if not shown_exactly(step.result, decimals) else ""
        lines += [(text + " = " if text else "") + f"**{result}**" + (f" (exactly ${exact}$)" if exact else ""), ""]
    if step.note:
        lines += [f"*{step.note}*", ""]
    return lines


def solution_markdown(solution, decimals: int = DEFAULT_DECIMALS) -> str:
    """A worked solution as Markdown: conventions, then each step as display math (LaTeX)."""
    from calc.solve.step import Table

    lines = [f"# {solution.title}", ""]
    if solution.question:
        lines += [f"*{solution.question}*" if "\n" not in solution.question else solution.question, ""]
    if solution.source:
        lines += [f"Source: {solution.source}", ""]
    if solution.conventions:
        lines += ["**Conventions used**", ""] + [f"- {c}" for c in solution.conventions] + [""]
    if solution.diagram:
        lines += ["```mermaid", solution.diagram.rstrip("\n"), "```", ""]
    section = None
    for step in solution.steps:
        if step.section and step.section != section:
            section = step.section
            lines += [f"## {section}", ""]
        if hasattr(step, "matrices"):  # calc.solve.grid.Grid
            from calc.render.grid import grid_markdown

            lines += grid_markdown(step, decimals)
            continue
        if isinstance(step, Table):
            lines += [f"**{step.title}**", "", "| " + " | ".join(_cell(c) for c in step.columns) + " |",
                      "|" + "---:|" * len(step.columns)]
            lines += ["| " + " | ".join(_cell(fmt(v, decimals)) for v in row) + " |" for row in step.rows]
            if step.note:
                lines += ["", f"*{step.note}*"]
            lines.append("")
            continue
        lines += _step_markdown(step, decimals)
    if solution.findings:
        lines += ["**Findings**", ""] + [f"- {f}" for f in solution.findings] + [""]
    if solution.summary:
        lines += [f"**Answer:** {solution.summary}", ""]
    if solution.notes:
        lines += ["**Notes on this exercise**", "", solution.notes, ""]
    return "\n".join(lines)
