"""nncalc check: a learner's answers against the worked solution, rounding-aware, saying where
the work went wrong (issue 6).

Every number is classified in four passes (DEVELOPING.md, "Checking answers"):

1. against ours: correct, or right to the precision written (calc.check.compare);
2. carried: the problem solved again with the learner's own answers put in place of ours
   (SolveOptions.learner, a calc.solve.carry.Learner): a value that matches what the learner's earlier values give follows
   from them, so one early slip is reported once; ``upstream`` names the earlier answers it
   follows from directly. Failing that, the problem solved with every intermediate rounded to
   the learner's decimals (hand rounding);
3. the slips of calc.check.slips (the problem solved with a convention chosen the other way),
   plain transforms and mistaken quantities (calc.check.diagnose);
4. wrong, with the diagnosis when one was found.

All values come from the solvers; nothing here computes physics.
"""

from __future__ import annotations

import difflib
from collections import Counter
from fractions import Fraction

from calc.check import diagnose
from calc.check.answers import Answer, Written
from calc.check.compare import Tolerance, agrees, at, close, elements, exact, follows, near, nested, shape, shape_text
from calc.check.explain import explanation
from calc.check.report import Element, Report, Verdict
from calc.check.slips import variants
from calc.check.sources import SOLVE_ERRORS, Direct, solve_source
from calc.solve.carry import NO_LEARNER, Learner


class Checker:
    def __init__(self, problem, answers: list[Answer], tolerance: Tolerance = Tolerance(), allow_blank: bool = False):
        self.problem, self.tol = problem, tolerance
        self.ours = solve_source(problem)  # an unusable problem raises: exit code 2
        self.answers, self.allow_blank = answers, allow_blank
        self.cache: dict = {}
        self.order = {name: k for k, name in enumerate(self.ours.answers)}
        self.variants = variants(problem)

    # -- solving again ---------------------------------------------------------------------
    def solve(self, key, given=None, learner=None, **options):
        """The problem solved for ``learner`` (calc.solve.carry.Learner; None: the plain solve)
        with other SolveOptions (cached); None when the learner's values make it unsolvable (a
        negative variance, a probability above 1...)."""
        from calc.solve.registry import SolveOptions

        if key not in self.cache:
            problem = self.problem
            if given is not None:
                if isinstance(problem, Direct):
                    self.cache[key] = None
                    return None
                from dataclasses import replace

                problem = replace(problem, given=given)
            try:
                self.cache[key] = solve_source(problem, SolveOptions(**options, learner=learner or NO_LEARNER))
            except SOLVE_ERRORS:
                self.cache[key] = None
        return self.cache[key]

    def value(self, solution, name: str, index: tuple):
        if solution is None or name not in solution.answers:
            return None
        try:
            v = at(nested(solution.answers[name]), index)
            return None if isinstance(v, list) else exact(v)
        except (IndexError, TypeError, ValueError):
            return None

    def canonical(self, name: str) -> str:
        return self.ours.aliases.get(name, name)

    # -- the passes --------------------------------------------------------------------------
    def run(self, problem_name: str = "", answers_file: str = "") -> Report:
        verdicts = [self.read(a) for a in self.answers]
        items = [v for v in verdicts if v.elements]
        self.learner = Learner({self.canonical(v.name): _exact_nested(v.learner) for v in items
                                if not isinstance(v.ours, bool) and not _has_bool(v.learner)})
        self.deviating = [v for v in items if any(e.status != "correct" or _differs(e) for e in v.elements)
                          and self.canonical(v.name) in self.learner.values]
        self.common = [d for d, _ in Counter(e.learner.decimals for v in items for e in v.elements
                                             if isinstance(e.learner, Written) and e.learner.decimals).most_common(2)]
        for v in items:
            for e in v.elements:
                if e.status == "off":
                    self.carried(v, e) or self.wrong(v, e)
            self.item_slip(v)
        for v in items:
            self.conclude(v)
        status = {v.name: v.status for v in verdicts}
        for v in items:
            v.explanation = explanation(v, status)
        return Report(problem_name or self.problem.file, self.ours.title, answers_file, self.tol, verdicts,
                      self.missing(verdicts), self.allow_blank)

    def missing(self, verdicts: list[Verdict]) -> list[str]:
        """Our answers (canonical names, in the solution's order) that no line of the file names,
        neither by our name nor by one of the source's aliases for it. A vector or matrix that
        the solution also gives element by element (V and V1, V2; output and O11 ... O33) is
        one quantity written two ways: either form answers both."""
        named = {self.canonical(v.name) for v in verdicts}
        names = [k for k in self.ours.answers if k not in self.ours.aliases]
        runs = _element_runs(self.ours.answers, names)
        covered = set(named)
        for whole, parts in runs.items():
            if whole in named or all(p in named for p in parts):
                covered |= {whole, *parts}
        return [k for k in names if k not in covered]

    def read(self, answer: Answer) -> Verdict:
        """Pass 1: the answer checked for shape and compared with ours element by element."""
        v = Verdict(answer.name, "invalid", answer.line, learner=answer.value)
        if answer.name not in self.ours.answers:
            near_names = difflib.get_close_matches(answer.name, list(self.ours.answers), n=1, cutoff=0.5)
            hint = f" (did you mean '{near_names[0]}'?)" if near_names else ""
            v.explanation = f"no quantity named '{answer.name}' in this problem{hint}; see nncalc solve PROBLEM --template"
            return v
        v.canonical = self.canonical(answer.name) if self.canonical(answer.name) != answer.name else ""
        v.ours = ours = nested(self.ours.answers[answer.name])
        if answer.error:
            v.explanation = answer.error
            return v
        if answer.blank:
            v.status = "blank"
            return v
        want, got = shape(ours), shape(answer.value)
        if got is None:
            v.explanation = "ragged: the rows have different lengths"
            return v
        if want != got:
            v.explanation = f"expected {shape_text(want)}, got {shape_text(got)}"
            return v
        for (index, w), (_, o) in zip(elements(answer.value), elements(ours)):
            o = o if isinstance(o, bool) else exact(o)
            if isinstance(o, bool) != isinstance(w, bool):
                v.explanation = f"expected {'true or false' if isinstance(o, bool) else 'a number'}, got {w.text if isinstance(w, Written) else w}"
                return v
            e = Element(index, w, o)
            if isinstance(o, bool):
                e.status = "correct" if w == o else "off"
            else:
                e.status = "correct" if close(w.value, o, self.tol) else "rounded" if agrees(w, o, self.tol) else "off"
            v.elements.append(e)
        v.status = ""
        return v

    def carried(self, v: Verdict, e: Element) -> bool:
        """Pass 2: does the value follow from the learner's own earlier answers?"""
        if isinstance(e.learner, bool):
            return False
        full = self.solve("full", learner=self.learner)
        r = self.value(full, v.name, e.index)
        if r is not None and follows(e.learner, r, e.ours, self.tol):
            e.status, e.recomputed = "carried", r
            e.upstream = self.upstream(v, e, r)
            return True
        finest = max(e.learner.decimals or 0, self.tol.decimals or 0)
        for d in dict.fromkeys([e.learner.decimals] + self.common):
            if d is None or e.learner.decimals is None or d < finest:
                continue  # rounded coarser than written (or asked): the digits cannot come from it
            for own in (False, True):
                sol = self.solve(("hand", d, own), learner=self.learner if own else None, decimals=d,
                                 hand_rounding=True)
                r = self.value(sol, v.name, e.index)
                if r is not None and follows(e.learner, r, e.ours, self.tol, slack=False):
                    e.status, e.recomputed, e.rounding = "carried", r, d
                    e.upstream = self.upstream(v, e, r) if own else []
                    return True
        return False

    def upstream(self, v: Verdict, e: Element, recomputed) -> list[str]:
        """The learner's earlier answers this value follows from directly. ``u`` influences a
        value when the problem solved with ``u`` alone as the learner's changes it; the direct
        ones are the influences that no other influence depends on (dy/da0 follows from dy/dz1,
        not from everything before it)."""
        mine = self.order.get(self.canonical(v.name), len(self.order))
        before = [u for u in self.deviating if self.order.get(self.canonical(u.name), len(self.order)) <= mine
                  and not (u is v and not e.index)]
        found = [u for u in before if self.changes(u, v.name, [e.index])]
        return [u.name for u in found
                if not any(w is not u and self.changes(u, w.name, [x.index for x in w.elements]) for w in found)]

    def changes(self, u: Verdict, name: str, indices: list) -> bool:
        cu = self.canonical(u.name)
        alone = self.solve(("only", cu), learner=Learner({cu: self.learner.values[cu]}))
        if alone is None:
            return False
        return any(self.value(alone, name, i) != self.value(self.ours, name, i) for i in indices)

    def wrong(self, v: Verdict, e: Element) -> None:
        """Pass 3: wrong; name the slip when a variant or a transform explains the value."""
        e.status = "wrong"
        if isinstance(e.learner, bool):
            return
        name = self.canonical(v.name)
        for k, variant in enumerate(self.variants):
            if variant.names is not None and not variant.names(name):
                continue
            key = variant.rename(v.name) if variant.rename else v.name
            for own in (False, True):  # the slip alone, then the slip applied to the learner's own values
                sol = self.solve(("variant", k, own), variant.given,
                                 variant.learner.with_values(self.learner.values if own else None))
                alt = self.value(sol, key, e.index)
                base = self.value(self.solve("full", learner=self.learner), v.name, e.index) if own else e.ours
                if alt is not None and alt != base and near(e.learner, alt, e.ours, self.tol):
                    e.diagnosis, e.ratio = variant.slip, diagnose.ratio_text(e.learner, e.ours)
                    return
        if self.tol.decimals is not None and e.learner.unit and e.learner.unit > Fraction(1, 10**self.tol.decimals) \
                and abs(e.learner.value - e.ours) <= e.learner.unit / 2:
            e.diagnosis = f"right to {e.learner.decimals} decimals only; {self.tol.decimals} are asked"
            return
        own = {v.name, name} | {a for a, c in self.ours.aliases.items() if c == name}
        r = self.value(self.solve("full", learner=self.learner), v.name, e.index)
        e.diagnosis = (diagnose.element_slip(e.learner, e.ours, self.tol, factors=False)
                       or (diagnose.other_quantity(e.learner, e.ours, self.ours.answers, own, self.tol)
                           if not e.index else "")
                       or diagnose.element_slip(e.learner, e.ours, self.tol))
        if not e.diagnosis and r is not None and r != e.ours:
            e.diagnosis = diagnose.element_slip(e.learner, r, self.tol, "your own earlier answers")

    def item_slip(self, v: Verdict) -> None:
        """A whole vector or matrix: transposed, reversed, or another answer of the same shape."""
        wrong = [e for e in v.elements if e.status == "wrong"]
        if len(wrong) > 1:
            name = self.canonical(v.name)
            own = {v.name, name} | {a for a, c in self.ours.aliases.items() if c == name}
            v.diagnosis = (diagnose.item_slip(v.learner, v.ours, self.tol)
                           or diagnose.other_item(v.learner, v.ours, self.ours.answers, own, self.tol))

    def conclude(self, v: Verdict) -> None:
        """The answer's status, upstream and diagnosis from its elements."""
        statuses = {e.status for e in v.elements}
        v.status = next(s for s in ("wrong", "carried", "rounded", "correct") if s in statuses)
        v.upstream = list(dict.fromkeys(u for e in v.elements for u in e.upstream))
        wrong = [e for e in v.elements if e.status == "wrong"]
        if not v.diagnosis and wrong:
            slips = {e.diagnosis for e in wrong}
            if len(slips) == 1 and "" not in slips:  # every wrong number has the same slip
                v.diagnosis = slips.pop()


def _element_runs(answers: dict, names: list[str]) -> dict[str, list[str]]:
    """List answer -> the scalar answers that hold its elements (flattened) exactly: the same
    quantity written element by element, either consecutive in the solution's order or named
    after it with a 1-based number (V and V1, V2 ...) wherever they stand."""
    scalars = [k for k in names if not isinstance(nested(answers[k]), list)]
    values = [answers[k] for k in scalars]
    runs = {}
    for k in names:
        value = nested(answers[k])
        if not isinstance(value, list):
            continue
        flat = [x for _, x in elements(value)]
        n = len(flat)
        if n < 2:
            continue
        numbered = [f"{k}{j + 1}" for j in range(n)]  # g and g1, g2, g3 (one per optimizer step)
        if all(m in scalars and _same(answers[m], flat[j]) for j, m in enumerate(numbered)):
            runs[k] = numbered
            continue
        for start in range(len(scalars) - n + 1):
            if all(_same(values[start + j], flat[j]) for j in range(n)):
                runs[k] = scalars[start:start + n]
                break
    return runs


def _same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    try:
        return exact(a) == exact(b)
    except (TypeError, ValueError):
        return False


def _differs(e: Element) -> bool:
    return not isinstance(e.learner, bool) and e.learner.value != e.ours


def _has_bool(value) -> bool:
    return any(isinstance(x, bool) for _, x in elements(value))


def _exact_nested(value):
    if isinstance(value, list):
        return [_exact_nested(x) for x in value]
    return value.value


def check(problem, answers: list[Answer], tolerance: Tolerance = Tolerance(), problem_name: str = "",
          answers_file: str = "", allow_blank: bool = False) -> Report:
    """Check a learner's answers against a problem's worked solution; blank and missing answers
    fail the check unless ``allow_blank``."""
    return Checker(problem, answers, tolerance, allow_blank).run(problem_name, answers_file)
