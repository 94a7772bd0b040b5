"""A blank answers file for a solution: every named quantity, grouped by section, values null.

Learners fill it in and hand it to ``nncalc check`` (issue 6); the keys are the answer names the
rendered solution shows (Step.name and named table cells), so nothing has to be guessed.
"""

from __future__ import annotations

import re

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_./+,']*$")


def _key(name: str) -> str:
    """YAML-safe key: plain when it can be, quoted otherwise."""
    return name if _PLAIN.match(name) and not name.endswith(":") else '"' + name.replace('"', '\\"') + '"'


_HOW = ("Fill in your values (numbers or fractions such as 1/3); keys are the answer names of the "
        "worked solution. A value left null counts as blank: nncalc check fails it unless --allow-blank.")


def _comment(text: str, width: int = 80) -> list[str]:
    """A YAML comment wrapped to fit a terminal: the template is printed, then edited."""
    import textwrap

    return ["# " + line for line in textwrap.wrap(text, width - 2)]


def _line(name: str, label: str) -> str:
    """``name: null``, with the solution's label beside it when that reads otherwise (solve shows
    'variance / n' where the answer is var_biased) and it still fits 80 columns."""
    line = f"{_key(name)}: null"
    shown = f"{line}  # {label}"
    return shown if label and not label.startswith(name) and len(shown) <= 80 else line


def answer_template(solution) -> str:
    from calc.solve.step import Table

    lines = [*_comment(f"Answers: {solution.title}"), *_comment(_HOW), ""]
    if solution.problem_id:  # the variant answered: nncalc grade matches it with the problem's id
        lines += [f"id: {_key(solution.problem_id)}", ""]
    header = len(lines)
    seen, section = set(), None
    for step in solution.steps:
        names = list(step.answers) if isinstance(step, Table) else ([step.name] if step.name else [])
        for name in names:
            if name in seen:
                continue
            if step.section != section:
                section = step.section
                if section:
                    lines += ["", f"# {section}"] if len(lines) > header else [f"# {section}"]
            seen.add(name)
            lines.append(_line(name, getattr(step, "label", name)))
    rest = [k for k in solution.answers if k not in seen]
    whole = [k for k in rest if k not in solution.aliases]
    aliases = [k for k in rest if k in solution.aliases]
    if whole:  # vectors over the steps above, final values: answer them or their parts, either will do
        lines += ["# answers (a vector as [a, b, ...], in the order the solution shows)"] if not seen else \
            ["", "# more answers (a vector answers its parts above, or they answer it)"]
        lines += [f"{_key(k)}: null" for k in whole]
    if aliases:
        lines += ["", "# the source's names for the answers above (fill in either name)"]
        lines += [f"{_key(k)}: null" for k in aliases]
    return "\n".join(lines) + "\n"
