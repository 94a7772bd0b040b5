"""Matrices of worked solutions (calc.solve.grid.Grid) as aligned grids: terminal, Markdown, JSON.

The current window is highlighted: reverse video in a colour terminal, and always in brackets
(``[2]``) so it also shows in plain text, logs and the README; LaTeX boxes it (``\\boxed{2}``).
Nothing here computes: values are only formatted.
"""

from __future__ import annotations

from calc.numfmt import DEFAULT_DECIMALS, fmt


def _cell(value, decimals: int) -> str:
    return value if isinstance(value, str) else fmt(value, decimals)


def _texts(matrix, decimals: int) -> list[list[str]]:
    """Cell texts, marked cells in brackets and the others padded to keep columns aligned."""
    pad = bool(matrix.marks)
    return [[f"[{_cell(v, decimals)}]" if (r, c) in matrix.marks else
             (f" {_cell(v, decimals)} " if pad else _cell(v, decimals))
             for c, v in enumerate(row)] for r, row in enumerate(matrix.values)]


def _brackets():
    """A box drawing only the matrix brackets: corners and outer verticals, no inner lines."""
    from rich.box import Box

    return Box("┌  ┐\n│  │\n│  │\n│  │\n│  │\n│  │\n│  │\n└  ┘\n")


def matrix_renderable(matrix, decimals: int = DEFAULT_DECIMALS):
    from rich.table import Table as RichTable
    from rich.text import Text

    table = RichTable(title=matrix.label, box=_brackets(), show_header=False, pad_edge=True, padding=(0, 0, 0, 1),
                      collapse_padding=True, min_width=len(matrix.label) + 2)
    texts = _texts(matrix, decimals)
    for _ in range(len(texts[0]) if texts else 0):
        table.add_column(justify="right", no_wrap=True)
    for r, row in enumerate(texts):
        table.add_row(*[Text(t, style="bold reverse") if (r, c) in matrix.marks else t for c, t in enumerate(row)])
    return table


def grid_renderable(step, decimals: int = DEFAULT_DECIMALS):
    """The matrices side by side (wrapping when the terminal is narrow), title above, note below."""
    from rich.columns import Columns
    from rich.console import Group
    from rich.text import Text

    items = []
    for k, matrix in enumerate(step.matrices):
        if k and k - 1 < len(step.between) and step.between[k - 1]:
            items.append(Text(f"\n{step.between[k - 1]}", style="bold"))
        items.append(matrix_renderable(matrix, decimals))
    parts = [Text(step.title, style="bold magenta"), Columns(items, padding=(0, 2))]
    names = [m.name for m in step.matrices if m.name]
    if names:
        parts.append(Text("answer: " + ", ".join(names), style="green"))
    if step.note:
        parts.append(Text(step.note, style="dim italic"))
    return Group(*parts)


def _tex_text(text: str) -> str:
    return text.replace("\\", r"\backslash ").replace("_", r"\_").replace("{", r"\{").replace("}", r"\}")


def matrix_latex(matrix, decimals: int = DEFAULT_DECIMALS) -> str:
    rows = []
    for r, row in enumerate(matrix.values):
        cells = []
        for c, v in enumerate(row):
            text = _tex_text(_cell(v, decimals)) if isinstance(v, str) else _cell(v, decimals)
            cells.append(rf"\boxed{{{text}}}" if (r, c) in matrix.marks else text)
        rows.append(" & ".join(cells))
    body = r" \\ ".join(rows)
    return rf"\underset{{\text{{{_tex_text(matrix.label)}}}}}{{\begin{{bmatrix}} {body} \end{{bmatrix}}}}"


_TEX_OPS = {"*": r"\ast", "x": r"\times", "=": "=", "->": r"\rightarrow", "+": "+"}


def grid_markdown(step, decimals: int = DEFAULT_DECIMALS) -> list[str]:
    """A bold title, the matrices in one display formula (window cells boxed), the note."""
    math = ""
    for k, matrix in enumerate(step.matrices):
        if k:
            op = step.between[k - 1] if k - 1 < len(step.between) else ""
            tex = _TEX_OPS.get(op, r"\text{" + _tex_text(op) + "}") if op else ""
            math += rf" \quad {tex} \quad "
        math += matrix_latex(matrix, decimals)
    lines = [f"**{step.title}**", "", f"$${math}$$", ""]
    names = [f"`{m.name}`" for m in step.matrices if m.name]
    if names:
        lines += ["answer " + ", ".join(names), ""]
    if step.note:
        lines += [f"*{step.note}*", ""]
    return lines


def grid_data(step) -> dict:
    from calc.render.jsonout import plain

    return {"grid": step.title, "section": step.section, "note": step.note,
            "matrices": [{"label": m.label, "name": m.name, "values": plain(m.values),
                          "marks": sorted([list(cell) for cell in m.marks])} for m in step.matrices]}
