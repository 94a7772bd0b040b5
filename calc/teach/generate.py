"""Seeded exercise variants (issue 15): ``nncalc generate TYPE --count N --seed S --out DIR``.

Each variant is an ordinary problem file: its numbers come from a generator of
calc/teach/generate_types.py, the draw is refused while calc/teach/generate_filters.py finds it
degenerate, and its key (``expected:``) is the solver's answers, solved from the very text that
is written. A variant's random stream depends only on (type, seed, difficulty, knobs, number), so
the same seed gives byte-identical files and variant 3 is the same whether 5 or 50 are asked.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from random import Random

from calc.errors import InputError
from calc.teach.generate_types import GENERATORS, Knobs

DRAWS = 500  # draws per variant before giving up (a fair draw comes within a few)
MAX_COUNT = 500


@dataclass
class Variant:
    id: str
    type: str
    text: str  # the problem file as written
    title: str
    question: str
    given: dict
    expected: dict
    solution: object  # calc.solve.step.Solution


def types() -> list[str]:
    return sorted(GENERATORS)


def _key_value(value):
    """A YAML-ready answer: exact integers stay integers, other numbers 12 significant digits."""
    from calc.render.jsonout import plain

    def short(v):
        if isinstance(v, float):
            return float(f"{v:.12g}")
        if isinstance(v, list):
            return [short(x) for x in v]
        return v
    return short(plain(value))


def dump_yaml(data) -> str:
    """Block mappings, lists of numbers in flow style: a vector on one line, a matrix one row a line,
    layers one per line."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def sequence(dumper, value):
        flow = not any(isinstance(v, dict) for v in value) and (len(value) == 1 or not any(
            isinstance(v, list) for v in value))  # a matrix: one flow row a line; [[0.5]] stays one line
        return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)

    Dumper.add_representer(list, sequence)
    return yaml.dump(data, Dumper=Dumper, sort_keys=False, default_flow_style=False, width=76,
                     allow_unicode=True)


def problem_text(head: dict, given: dict, expected: dict | None) -> str:
    """The problem file: the envelope in a fixed order, the question as a block, the key last."""
    lines = [dump_yaml({k: v for k, v in head.items() if k != "question"}).rstrip("\n"), "question: |"]
    lines += ["  " + line for line in textwrap.wrap(head["question"], 76)]
    lines.append(dump_yaml({"given": given}).rstrip("\n"))
    if expected is not None:
        lines.append("expected:  # the key: nncalc's worked solution (nncalc solve), for nncalc check")
        lines.append(dump_yaml(expected).rstrip("\n").replace("\n", "\n  ").join(["  ", ""]))
    return "\n".join(lines) + "\n"


def _draw(kind: str, rng: Random, knobs: Knobs, head: dict, seen: set):
    """One fair variant: draw, write, solve the written text, refuse degenerate draws."""
    from calc.problems_io import problem_from_text, solve_problem
    from calc.teach.generate_filters import reason

    why = ""
    for _ in range(DRAWS):
        title, question, given = GENERATORS[kind](rng, knobs)
        numbers = dump_yaml(given)
        if numbers in seen:
            why = "the same numbers as another variant"
            continue
        text = problem_text({**head, "title": title, "question": question}, given, None)
        solution = solve_problem(problem_from_text(text, head["id"] + ".yaml"))
        why = reason(kind, given, solution.answers, knobs)
        if not why:
            seen.add(numbers)
            return title, question, given, solution
    raise InputError(f"TYPE: no fair {kind} variant in {DRAWS} draws (the last: {why}); try other options")


def generate(kind: str, count: int, seed: int, knobs: Knobs = Knobs()) -> list[Variant]:
    if kind not in GENERATORS:
        from calc.errors import did_you_mean

        raise InputError(f"TYPE: no generator for '{kind}'{did_you_mean(kind, types())}; types: {', '.join(types())}")
    if not 1 <= count <= MAX_COUNT:
        raise InputError(f"--count: {count} is not between 1 and {MAX_COUNT}")
    if seed < 0:
        raise InputError(f"--seed: {seed} is negative; a seed is 0 or more")
    if knobs.difficulty not in (1, 2, 3):
        raise InputError(f"--difficulty: {knobs.difficulty} is not 1, 2 or 3")
    variants, seen = [], set()
    for number in range(1, count + 1):
        vid = f"{kind}-s{seed}-{number:03d}"
        stream = f"nncalc-generate/{kind}/{seed}/{knobs.difficulty}/{knobs.uneven}/{knobs.ties}/{number}"
        rng = Random(stream)
        source = (f"nncalc generate {kind} --seed {seed} --difficulty {knobs.difficulty}"
                  + (" --uneven" if knobs.uneven else "") + (" --ties" if knobs.ties else "")
                  + f", variant {number}")
        head = {"id": vid, "type": kind, "title": "", "source": source, "question": ""}
        title, question, given, solution = _draw(kind, rng, knobs, head, seen)
        expected = {k: _key_value(v) for k, v in solution.answers.items() if k not in solution.aliases}
        head.update(title=title, question=question)
        variants.append(Variant(vid, kind, problem_text(head, given, expected), title, question, given,
                                expected, solution))
    return variants


def write_set(variants: list[Variant], out_dir: str, gift: bool = False, decimals: int = 4) -> list[str]:
    """Write the problem files and handouts into ``out_dir``; the lines that say what was written."""
    from pathlib import Path

    from calc.teach import generate_sheets as sheets

    folder = Path(out_dir)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"--out: {out_dir} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        first = variants[0]
        heading = f"Exercises: {first.type}, {len(variants)} variant{'s' if len(variants) > 1 else ''}"
        files = {f"{v.id}.yaml": v.text for v in variants}
        files["sheet.md"] = sheets.sheet_markdown(variants, heading)
        files["sheet.tex"] = sheets.sheet_latex(variants, heading)
        files["key.md"] = sheets.key_markdown(variants, heading, decimals)
        questions = 0
        if gift:
            files["quiz.gift"], questions = sheets.gift(variants)
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8", newline="\n")
    except OSError as exc:
        raise InputError(f"--out: cannot write {out_dir}: {exc.strerror or exc}") from None
    shown = f"{variants[0].id}.yaml" + (f" .. {variants[-1].id}.yaml" if len(variants) > 1 else "")
    lines = [f"wrote {len(variants)} problem{'s' if len(variants) > 1 else ''} to {out_dir}",
             f"  {shown}: problems with keys",
             "  sheet.md, sheet.tex: the student sheet (questions and givens only)",
             "  key.md: the instructor key (worked solutions)"]
    if gift:
        lines.append(f"  quiz.gift: Moodle GIFT, {questions} numeric questions")
    return lines
