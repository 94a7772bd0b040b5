"""JSON for scripts and autograders: plain numbers, exact integers kept exact."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, is_dataclass
from fractions import Fraction
from numbers import Integral, Real


def plain(value):
    """A JSON-ready copy: Fractions as int/float, tuples as lists, arrays via tolist()."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, Integral):
        return _fraction(Fraction(int(value)))
    if isinstance(value, Fraction):
        return _fraction(value)
    if isinstance(value, Real):
        return float(value)
    if hasattr(value, "tolist"):
        return plain(value.tolist())
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if is_dataclass(value):
        return plain(asdict(value))
    try:
        return float(value)  # sympy numbers and the like
    except (TypeError, ValueError):
        return str(value)


def _fraction(q: Fraction):
    """An exact integer stays an integer; other values are floats, or a string in scientific
    notation where a float would lose them (beyond 1e308, below 1e-308, a 5000-digit integer).
    A 50-digit approximation (calc.exact.Approx) is never an integer: exp(1000) -> 1.97e+434."""
    from calc.exact import PRECISION, is_approx
    from calc.numfmt import sci

    if q.denominator == 1 and not is_approx(q) and abs(q.numerator) < 10 ** 4000:
        return q.numerator
    try:
        number = float(q)
    except OverflowError:
        number = math.inf
    if math.isinf(number) or (number == 0 and q != 0):
        return sci(q, PRECISION - 1)
    return number


def approximate(value) -> bool:
    """True when ``value`` (a number, or any element of a list / array) is a 50-digit approximation."""
    from calc.exact import is_approx

    if hasattr(value, "tolist") and not isinstance(value, Real):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return any(approximate(v) for v in value)
    return is_approx(value)


def dumps(data) -> str:
    return json.dumps(plain(data), indent=2)


def summary_data(summary) -> dict:
    """The `nncalc summary --json` document."""
    from calc.render.wording import summary_warnings

    def row(r):
        return {
            "name": r.name, "type": r.type, "path": r.path, "depth": r.depth,
            "output_shape": list(r.output_shape), "config": r.config,
            "params": r.params, "trainable_params": r.trainable_params,
            "non_trainable_params": r.non_trainable_params, "buffers": r.buffers,
            "macs": r.counted_macs, "macs_conv_dense": r.macs, "extra_ops": r.extra,
        }

    return {
        "name": summary.name,
        "input_shape": list(summary.input_shape),
        "output_shape": list(summary.output_shape),
        "total_params": summary.total_params,
        "trainable_params": summary.trainable_params,
        "non_trainable_params": summary.non_trainable_params,
        "buffers": summary.buffers,
        "total_macs": summary.total_macs,
        "macs_conv_dense": summary.macs,
        "flops": summary.flops,
        "extra_ops": summary.extra,
        "included_ops": sorted(summary.options.include),
        "batch": summary.options.batch,
        "memory_bytes": {"input": summary.input_bytes, "activations": summary.activation_bytes,
                         "params": summary.param_bytes},
        "conventions": summary.conventions,
        "warnings": summary_warnings(summary),
        "layers": [row(r) for r in summary.leaf_rows],
        "blocks": [row(r) for r in summary.rows if r.container],
    }


def zoo_data(rows: list[dict]) -> list[dict]:
    """The `nncalc zoo --json` document: the rows as counted, each with its agreement with the
    published figures both as data ("published": figure, published, ours, match) and worded
    ("matches": "params+MACs" or "DIFFERS: ...", the key scripts have read since the start)."""
    from calc.render.wording import zoo_published_text

    out = []
    for r in rows:
        row = {}
        for key, value in r.items():
            row[key] = value
            if key == "buffers":
                row["matches"] = zoo_published_text(r["published"])
        out.append(row)
    return out


def solution_data(solution, decimals: int | None = None) -> dict:
    """The `--json` document of a worked solution (steps, answers, conventions)."""
    from calc.solve.step import Table

    steps = []
    for s in solution.steps:
        if hasattr(s, "matrices"):  # calc.solve.grid.Grid
            from calc.render.grid import grid_data

            steps.append(grid_data(s))
        elif isinstance(s, Table):
            steps.append({"table": s.title, "columns": s.columns, "rows": plain(s.rows), "section": s.section})
        else:
            steps.append({"label": s.label, "name": s.name, "formula": s.formula,
                          "substituted": s.substituted, "result": plain(s.result),
                          "note": s.note, "section": s.section})
    answers = plain(solution.answers)
    data = {"title": solution.title, "question": solution.question, "source": solution.source,
            "notes": solution.notes, "summary": solution.summary, "conventions": solution.conventions,
            "steps": steps, "answers": answers, "findings": solution.findings}
    for key, value in (answers.items() if isinstance(answers, dict) else ()):
        data.setdefault(key, value)  # top-level answers, e.g. {"output": 55}
    from calc.exact import fraction_text

    exact = {k: fraction_text(v) for k, v in solution.answers.items() if fraction_text(v)}  # not 50-digit ones
    if exact:
        data["exact"] = exact
    inexact = [k for k, v in solution.answers.items() if approximate(v)]
    if inexact:  # exp, log, sqrt and roots are known to 50 significant digits, not exactly
        data["approximate"] = inexact
    return data
