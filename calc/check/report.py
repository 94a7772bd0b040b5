"""What nncalc check found, as data: one Verdict per answer, the Report around them.

Statuses (one word each, renderers choose the wording):

- ``correct``: agrees with ours within the tolerance;
- ``rounded``: ours rounds to what was written (0.66 for 0.6590);
- ``carried``: off from ours, but exactly what the learner's own earlier answers give (or their
  intermediate values rounded as written): the method is right, the slip (if any) is reported
  once, at its source (``upstream``);
- ``wrong``: none of the above; ``diagnosis`` names the slip when one explains the value;
- ``invalid``: the answer cannot be checked (unknown name, wrong shape, text); ``explanation`` says why;
- ``blank``: left empty (null), as the template writes it.

An answer of the worked solution that the file does not name at all (under its own name or one
of the source's aliases) is *missing*: ``Report.missing``. Blank and missing answers are not
answered, so the check fails on them unless ``allow_blank`` (``--allow-blank``) says that only
the answers written are asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from calc.check.compare import Tolerance

STATUSES = ("correct", "rounded", "carried", "wrong", "invalid", "blank")


@dataclass
class Element:
    """One number of a vector or matrix answer (index () for a scalar answer)."""

    index: tuple
    learner: Any  # calc.check.answers.Written, or a bool
    ours: Any  # exact (Fraction) or bool
    status: str = ""
    diagnosis: str = ""
    recomputed: Any = None  # carried: the value the learner's own earlier answers give
    upstream: list[str] = field(default_factory=list)  # carried: the learner's answers it follows from
    rounding: int | None = None  # carried: intermediate values rounded to this many decimals
    ratio: str = ""  # wrong: "your value is 2x ours" when a convention slip explains it


@dataclass
class Verdict:
    name: str  # as the learner wrote it
    status: str
    line: int | None = None  # in the answers file
    canonical: str = ""  # the worked solution's name, when the learner used the source's alias
    learner: Any = None  # nested lists of Written / bool, as written
    ours: Any = None  # nested lists of exact values
    diagnosis: str = ""  # the slip, when one explains the value
    explanation: str = ""  # one line for the reader
    upstream: list[str] = field(default_factory=list)
    elements: list[Element] = field(default_factory=list)


@dataclass
class Report:
    problem: str  # the problem as named on the command line
    title: str
    answers_file: str
    tolerance: Tolerance
    verdicts: list[Verdict]
    missing: list[str] = field(default_factory=list)  # answers of ours the file does not name
    allow_blank: bool = False  # blank and missing answers do not fail the check

    def counts(self) -> dict[str, int]:
        """Answers per status; ``right`` = correct + rounded; ``checked`` adds carried and wrong."""
        out = {s: 0 for s in STATUSES}
        for v in self.verdicts:
            out[v.status] += 1
        out["right"] = out["correct"] + out["rounded"]
        out["checked"] = out["right"] + out["carried"] + out["wrong"]
        out["missing"] = len(self.missing)
        return out

    @property
    def unanswered(self) -> int:
        """Blank and missing answers (0 when they are allowed)."""
        return 0 if self.allow_blank else sum(v.status == "blank" for v in self.verdicts) + len(self.missing)

    @property
    def ok(self) -> bool:
        """Nothing wrong, every answer could be checked, and every answer is given (unless
        allow_blank); a carried value is not counted against the learner: its slip is counted
        where it starts."""
        return not any(v.status in ("wrong", "invalid") for v in self.verdicts) and not self.unanswered

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1
