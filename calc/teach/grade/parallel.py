"""The class over the available cores: concurrent.futures' ProcessPoolExecutor, the submissions
in chunks, each worker process solving each problem once (``_PREPARED``) for all the students it
grades. A submission that cannot be graded becomes its own error row; the class goes on.
"""

from __future__ import annotations

import os

from calc.check.answers import META
from calc.errors import InputError, NNCalcError, SpecError, Where
from calc.teach.grade.book import Gradebook, StudentResult
from calc.teach.grade.checking import Prepared, grade
from calc.teach.grade.credit import Credit
from calc.teach.grade.submissions import Submission, Variants, list_submissions, load_variant, read_variants

SERIAL_BELOW = 16  # fewer submissions than this: a pool costs more than it saves
_PREPARED: dict = {}  # in each process: problem name -> Prepared, or the error it raised


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def prepared(problem: str) -> Prepared:
    """The problem solved once in this process."""
    if problem not in _PREPARED:
        try:
            _PREPARED[problem] = Prepared(load_variant(problem))
        except NNCalcError as exc:
            _PREPARED[problem] = exc
    found = _PREPARED[problem]
    if isinstance(found, Exception):
        raise found
    return found


def read_submission(sub: Submission):
    """(answers, variant id, student name or '') of a submission; InputError when unusable."""
    from calc.check.answers import answers_from

    if sub.error:
        raise InputError(sub.error, Where(sub.file))
    if sub.cells is not None:
        return cell_answers(sub), sub.variant, ""
    from calc.spec.yamlio import load_yaml_file

    try:
        data = load_yaml_file(sub.path)
    except SpecError as exc:
        raise InputError(exc.message, exc.where) from None
    meta = {}
    if isinstance(data, dict):
        meta = {k: data.pop(k) for k in META if k in data}
    variant = "" if meta.get("id") is None else str(meta["id"]).strip()
    student = "" if meta.get("student") is None else str(meta["student"]).strip()[:80]
    return answers_from(data, sub.file, getattr(data, "line_of", None)), variant, student


def cell_answers(sub: Submission) -> list:
    """A CSV row's cells as answers: '' is blank, '[0.1, 0.2]' a vector, 'true' a bool."""
    from calc.check.answers import Answer, ItemError, parse_value

    out = []
    for name, cell in (sub.cells or {}).items():
        answer, text = Answer(name, sub.line), cell.strip()
        try:
            if text.lower() in ("true", "false"):
                answer.value = text.lower() == "true"
            elif text.startswith("["):
                from calc.spec.yamlio import load_yaml_text

                try:
                    answer.value = parse_value(load_yaml_text(text, sub.file))
                except SpecError:
                    raise ItemError(f"expected a list such as [0.1, 0.2], got '{text[:40]}'") from None
            elif text:
                answer.value = parse_value(text)
        except ItemError as exc:
            answer.error = str(exc)
        out.append(answer)
    return out


def grade_one(sub: Submission, variants: Variants, tolerance, credit: Credit) -> StudentResult:
    """One submission graded, or its error row: never an exception for the class."""
    result = StudentResult(sub.student, sub.file, sub.variant)
    try:
        answers, variant, student = read_submission(sub)
        result.variant, result.student = variant or result.variant, student or result.student
        result.problem = variants.problem_for(result.variant, sub.file)
        grade(prepared(result.problem), answers, tolerance, credit, result)
    except NNCalcError as exc:
        result.error, result.rows = str(exc), []
    except (RecursionError, MemoryError):
        result.error, result.rows = f"{sub.file}: too large or too deeply nested to grade", []
    except Exception as exc:  # noqa: BLE001 - a bug must not stop the class: that student's row says so
        result.error, result.rows = f"{sub.file}: internal error while grading ({type(exc).__name__}); please report it", []
    return result


def _chunk(args) -> list[StudentResult]:
    subs, variants, tolerance, credit = args
    return [grade_one(s, variants, tolerance, credit) for s in subs]


def grade_class(problem: str, submissions: str, credit: Credit | None = None, tolerance=None,
                jobs: int | None = None) -> Gradebook:
    """Every submission of ``submissions`` (a folder or a CSV) graded against ``problem`` (one
    problem, or a folder of variants chosen by id), over ``jobs`` processes (default: every
    available core)."""
    from calc.check import Tolerance

    credit, tolerance = credit or Credit(), tolerance or Tolerance()
    variants = read_variants(problem)
    if not variants.by_id:
        prepared(problem)  # an unusable problem stops the class once, before any student
    subs = list_submissions(submissions)
    workers = max(1, min(jobs or available_cores(), len(subs)))
    if workers == 1 or len(subs) < SERIAL_BELOW:
        results, workers = _chunk((subs, variants, tolerance, credit)), 1
    else:
        results = _in_pool(subs, variants, tolerance, credit, workers)
    return Gradebook(problem, submissions, credit, results, workers)


def _in_pool(subs, variants, tolerance, credit, workers: int) -> list[StudentResult]:
    """The submissions in chunks over ``workers`` processes; a chunk whose process died (killed
    for memory) gets error rows, the others keep their grades; no pool at all: one process."""
    from concurrent.futures import ProcessPoolExecutor

    size = max(1, min(50, len(subs) // (workers * 4)))
    chunks = [subs[k:k + size] for k in range(0, len(subs), size)]
    try:
        pool = ProcessPoolExecutor(max_workers=workers)
    except (OSError, NotImplementedError, ImportError):  # no process support here: grade in this one
        return _chunk((subs, variants, tolerance, credit))
    out: list[StudentResult] = []
    with pool:
        futures = [pool.submit(_chunk, (c, variants, tolerance, credit)) for c in chunks]
        for chunk, future in zip(chunks, futures):
            try:
                out += future.result()
            except Exception as exc:  # noqa: BLE001 - BrokenProcessPool and the like
                out += [StudentResult(s.student, s.file, s.variant,
                                      error=f"{s.file}: grading stopped, the worker process ended "
                                            f"({type(exc).__name__})") for s in chunk]
    return out
