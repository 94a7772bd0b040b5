"""Problem files: load (from a path or a bundled name), validate the envelope, solve.

The envelope is the same for every topic (DEVELOPING.md): type, title, source, question,
given, expected, tolerance, notes. What ``given`` holds is each solver's business.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from calc.errors import SpecError, Where, did_you_mean, short
from calc.spec.yamlio import LocMap, load_yaml_file, load_yaml_text

KEYS = ("type", "title", "source", "question", "given", "expected", "tolerance", "notes", "topic",
        "id")  # id: a generated variant's name (nncalc generate), for matching a student's variant


@dataclass
class Problem:
    type: str
    title: str
    given: dict
    file: str
    where: Where
    question: str = ""
    source: str = ""
    notes: str = ""
    topic: str = ""
    expected: dict = field(default_factory=dict)
    tolerance: dict = field(default_factory=dict)
    type_where: Where | None = None  # where 'type:' is written, for "unknown problem type"
    id: str = ""  # a generated variant's name: its answers template carries it (nncalc grade matches it)


def bundled_problems() -> dict[str, Path]:
    """Bundled problem names ('dense/mazur') -> paths."""
    root = Path(str(resources.files("calc.problems")))
    return {str(p.relative_to(root).with_suffix("")): p for p in sorted(root.rglob("*.yaml"))}


def find_problem(name: str) -> Path:
    path = Path(name)
    if path.exists() and not path.is_dir():  # a FIFO or device is refused when read (calc.files)
        return path
    bundled = bundled_problems()
    key = name[:-5] if name.endswith(".yaml") else name
    key = key.removeprefix("problems/")
    if key in bundled:
        return bundled[key]
    by_stem = {Path(k).name: p for k, p in bundled.items()}
    if key in by_stem:
        return by_stem[key]
    if path.suffix in (".yaml", ".yml"):
        raise SpecError("no such file", Where(name))
    topic = [k for k in bundled if k.startswith(key.rstrip("/") + "/")]
    if key.strip("/") and topic:  # 'nncalc solve cnn': a topic, which is how 'nncalc problems' groups them
        raise SpecError(f"'{key.rstrip('/')}' is a topic of {len(topic)} problems, not one problem: name one, "
                        f"such as {topic[0]}; 'nncalc problems {key.rstrip('/')}' lists them")
    raise SpecError(f"{short(name)} is neither a file nor a bundled problem{did_you_mean(key, list(bundled) + list(by_stem))}"
                    "; see 'nncalc problems'")


def parse_problem(data, file_name: str) -> Problem:
    where = Where(file_name, getattr(data, "line", None))
    if not isinstance(data, dict):
        raise SpecError("a problem file must be a mapping with type, given and expected", where)
    if "type" not in data and "layers" in data:
        raise SpecError(f"a network spec, not a problem: give it an input, as in 'nncalc backprop {file_name} "
                        f"--input 1,2 --answers FILE' or 'nncalc check {file_name} --input 1,2 -a FILE'",
                        Where(file_name))
    for key in data:
        if key not in KEYS:
            line = data.line_of(key) if isinstance(data, LocMap) else None
            raise SpecError(f"unknown key '{key}'{did_you_mean(key, KEYS)}; valid keys: {', '.join(KEYS)}",
                            where.child(str(key), line))
    if "type" not in data:
        raise SpecError("missing 'type' (which kind of problem this is)", where)
    given = data.get("given")
    if given is None:
        given = LocMap()
    if not isinstance(given, dict):
        raise SpecError("'given' must be a mapping", where.child("given"))
    line = data.line_of("given") if isinstance(data, LocMap) else None
    type_line = data.line_of("type") if isinstance(data, LocMap) else None
    return Problem(str(data["type"]), str(data.get("title") or Path(file_name).stem), given, file_name,
                   where.child("given", line), str(data.get("question") or ""), str(data.get("source") or ""),
                   str(data.get("notes") or ""), str(data.get("topic") or ""),
                   dict(data.get("expected") or {}), read_tolerance(data, where),
                   Where(file_name, type_line, "type"), "" if data.get("id") is None else str(data["id"])[:200])


def read_tolerance(data, where: Where) -> dict:
    """{rel, abs} as floats; YAML reads 1e-9 (no dot) as text, so numbers go through to_fraction."""
    from calc.errors import InputError
    from calc.exact import to_float, to_fraction

    raw = data.get("tolerance") or {}
    line = data.line_of("tolerance") if isinstance(data, LocMap) else None
    place = where.child("tolerance", line)
    if not isinstance(raw, dict):
        raise SpecError("expected {rel: 1e-9, abs: 1e-12}", place)
    out = {}
    for key, value in raw.items():
        if key not in ("rel", "abs"):
            raise SpecError(f"unknown tolerance '{key}'; use rel and/or abs", place.child(str(key)))
        try:
            out[key] = to_float(to_fraction(value, key))
        except InputError as exc:
            raise SpecError(exc.message, place.child(str(key))) from None
        if out[key] < 0:
            raise SpecError(f"{key} must be >= 0", place.child(str(key)))
    return out


def load_problem(name) -> Problem:
    path = find_problem(str(name))
    return parse_problem(load_yaml_file(path), str(name))


def problem_from_text(text: str, file_name: str = "<problem>") -> Problem:
    return parse_problem(load_yaml_text(text, file_name), file_name)


def solve_problem(problem: Problem, options=None):
    """The worked Solution of a problem, titled with the problem's title and question."""
    from calc.solve.registry import SolveOptions, solver_for

    solver = solver_for(problem.type, problem.type_where or Where(problem.file, None, "type"))
    solution = solver(problem.given, problem.where, options or SolveOptions())
    solution.title = problem.title or solution.title
    solution.question = problem.question.strip()
    solution.source = problem.source
    solution.notes = problem.notes.strip()
    solution.problem_id = problem.id
    return solution


def problems_of(topic: str | None = None) -> list[dict]:
    """problem_index(), only one topic's rows when ``topic`` is given (``cnn`` or ``cnn/``); an
    unknown topic is an InputError naming the topics."""
    rows = problem_index()
    if topic is None:
        return rows
    key = topic.strip().strip("/").lower()
    topics = sorted({r["topic"] for r in rows})
    if key not in topics:
        from calc.errors import InputError, did_you_mean

        raise InputError(f"TOPIC: no topic '{topic}'{did_you_mean(key, topics)}; topics: {', '.join(topics)}")
    return [r for r in rows if r["topic"] == key]


def problem_index() -> list[dict]:
    """Every bundled problem: {name, topic, type, title, source}, sorted by topic then name.

    A file that does not load is listed with its error as the title, so one broken file never
    hides the others."""
    from calc.errors import NNCalcError

    rows = []
    for name, path in bundled_problems().items():
        topic = name.split("/")[0] if "/" in name else ""
        try:
            p = parse_problem(load_yaml_file(path), name)
            rows.append({"name": name, "topic": p.topic or topic, "type": p.type, "title": p.title, "source": p.source})
        except NNCalcError as exc:
            rows.append({"name": name, "topic": topic, "type": "?", "title": f"(cannot load: {exc})", "source": ""})
    return sorted(rows, key=lambda r: (r["topic"], r["name"]))
