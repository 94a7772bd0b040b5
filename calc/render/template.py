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


def answer_template(solution) -> str:
    from calc.solve.step import Table

    lines = [f"# Answers: {solution.title}", "# Fill in your values (numbers or fractions such as 1/3); "
             "keys are the answer names of the worked solution.", ""]
    seen, section = set(), None
    for step in solution.steps:
        names = list(step.answers) if isinstance(step, Table) else ([step.name] if step.name else [])
        for name in names:
            if name in seen:
                continue
            if step.section != section:
                section = step.section
                if section:
                    lines += ["", f"# {section}"] if len(lines) > 3 else [f"# {section}"]
            seen.add(name)
            lines.append(f"{_key(name)}: null")
    rest = [k for k in solution.answers if k not in seen]
    if rest:
        lines += ["", "# the source's names for the answers above"]
        lines += [f"{_key(k)}: null" for k in rest]
    return "\n".join(lines) + "\n"
