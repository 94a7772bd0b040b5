"""The handouts of a generated set: student sheet (Markdown, LaTeX: questions and givens only),
instructor key (the worked solutions, by the Markdown renderer of ``nncalc solve --markdown``) and
a Moodle GIFT quiz with numeric tolerances."""

from __future__ import annotations

GIFT_REL = 0.01  # a GIFT answer within 1% of the key is right ...
GIFT_ABS = 0.0005  # ... or within 0.0005 (an answer rounded to 3 decimals); exact integers: exactly


def given_block(variant) -> str:
    """The given as the problem file writes it (YAML): what the student works from."""
    from calc.teach.generate import dump_yaml

    return dump_yaml(variant.given).rstrip("\n")


def sheet_markdown(variants, heading: str) -> str:
    lines = [f"# {heading}", ""]
    for v in variants:
        lines += [f"## {v.id}: {v.title}", "", v.question, "", "```yaml", given_block(v), "```", ""]
    return "\n".join(lines)


_TEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
        "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def tex(text: str) -> str:
    return "".join(_TEX.get(c, c) for c in text)


def sheet_latex(variants, heading: str) -> str:
    lines = [r"\documentclass[11pt]{article}", r"\usepackage[margin=2cm]{geometry}",
             r"\begin{document}", rf"\section*{{{tex(heading)}}}", ""]
    for v in variants:
        lines += [rf"\subsection*{{{tex(v.id)}: {tex(v.title)}}}", tex(v.question), "",
                  r"\begin{verbatim}", given_block(v), r"\end{verbatim}", ""]
    return "\n".join(lines + [r"\end{document}", ""])


def key_markdown(variants, heading: str, decimals: int = 4) -> str:
    """Every variant's worked solution, its headings one level down under the variant's id."""
    from calc.render.markdown import solution_markdown

    lines = [f"# {heading}: key", ""]
    for v in variants:
        title, *rest = solution_markdown(v.solution, decimals).splitlines()
        lines.append(f"## {v.id}: {title.removeprefix('# ')}")
        lines += [("#" + line if line.startswith("#") else line) for line in rest]
        lines.append("")
    return "\n".join(lines)


def _gift_escape(text: str) -> str:
    for c in "\\~=#{}:":
        text = text.replace(c, "\\" + c)
    return " ".join(text.split())


def _number(value) -> str:
    return str(value) if isinstance(value, int) else f"{value:.10g}"


def gift_tolerance(value) -> float:
    return 0 if isinstance(value, int) else max(abs(value) * GIFT_REL, GIFT_ABS)


def gift(variants) -> tuple[str, int]:
    """(GIFT text, number of questions): one numeric question per scalar answer of the key."""
    import json

    out, count = [], 0
    for v in variants:
        given = _gift_escape(json.dumps(v.given, separators=(", ", ": ")))
        for name, value in v.expected.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            count += 1
            out += [f"// {v.id}: {name}",
                    f"::{_gift_escape(v.id)} {_gift_escape(name)}::{_gift_escape(v.question)} "
                    f"Given\\: {given}. What is {_gift_escape(name)}? "
                    f"{{#{_number(value)}:{_number(gift_tolerance(value))}}}", ""]
    return "\n".join(out), count
