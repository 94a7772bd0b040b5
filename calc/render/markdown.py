"""Markdown output with LaTeX math ($...$, $$...$$) that renders on GitHub and in Jupyter."""

from __future__ import annotations

from calc.render.numbers import DEFAULT_DECIMALS, fmt, fmt_exact, grouped, human
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
    if summary.warnings:
        lines += ["", "**Warnings**", ""] + [f"- {w}" for w in summary.warnings]
    return "\n".join(lines) + "\n"


def solution_markdown(solution, decimals: int = DEFAULT_DECIMALS) -> str:
    from calc.steps.step import Table

    lines = [f"# {solution.title}", ""]
    if solution.conventions:
        lines += ["**Conventions used**", ""] + [f"- {c}" for c in solution.conventions] + [""]
    section = None
    for step in solution.steps:
        if step.section and step.section != section:
            section = step.section
            lines += [f"## {section}", ""]
        if isinstance(step, Table):
            lines += [f"**{step.title}**", "", "| " + " | ".join(map(str, step.columns)) + " |",
                      "|" + "---:|" * len(step.columns)]
            lines += ["| " + " | ".join(fmt(v, decimals) for v in row) + " |" for row in step.rows]
            if step.note:
                lines += ["", f"*{step.note}*"]
            lines.append("")
            continue
        result = fmt(step.result, decimals)
        exact = fmt_exact(step.result)
        if step.latex:
            math = step.latex
            if step.latex_substituted:
                math += f" = {step.latex_substituted}"
            math += f" = {result}"
            lines += [f"**{step.label}**", "", f"$${math}$$", ""]
            if step.substituted:
                lines += [f"with the numbers: `{step.substituted}` = **{result}**"
                          + (f" (exactly ${exact}$)" if exact else ""), ""]
        else:
            text = f"**{step.label}**: "
            if step.formula:
                text += f"`{step.formula}`"
            if step.substituted:
                text += f" = `{step.substituted}`"
            lines += [f"{text} = **{result}**" + (f" (exactly ${exact}$)" if exact else ""), ""]
        if step.note:
            lines += [f"*{step.note}*", ""]
    if solution.findings:
        lines += ["**Findings**", ""] + [f"- {f}" for f in solution.findings] + [""]
    if solution.summary:
        lines += [f"**Answer:** {solution.summary}", ""]
    return "\n".join(lines)
