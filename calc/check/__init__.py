"""nncalc check (issue 6): a learner's answers against the worked solution, rounding-aware,
saying where the work went wrong.

    from calc.check import Tolerance, check, read_answers
    report = check(load_problem("softmax/softmax-jacobian"), read_answers("mine.yaml"))

Modules: answers (the file as written), compare (when numbers agree), slips (convention slips
re-solved), diagnose (transforms), checker (the passes), report (data), explain (one line each).
"""

from calc.check.answers import Answer, Written, answers_from, answers_from_text, read_answers
from calc.check.checker import check
from calc.check.compare import Tolerance
from calc.check.report import Report, Verdict

__all__ = ["Answer", "Report", "Tolerance", "Verdict", "Written", "answers_from", "answers_from_text", "check",
           "read_answers"]
