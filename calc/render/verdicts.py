"""nncalc check's report as text: the cells every format shares, Markdown, and JSON data.

Nothing here decides right or wrong (calc.check does); this module only words and formats it.
The rich table is calc.render.verdicts_rich (rich is imported there only).
"""

from __future__ import annotations

from calc.numfmt import fmt
from calc.render.jsonout import plain

ELEMENT_ROWS = 25  # a vector or matrix shows every element up to this many, else the ones that are off
LABELS = {"correct": "correct", "rounded": "correct (rounded)", "carried": "carried", "wrong": "WRONG",
          "invalid": "not checked", "blank": "blank"}  # blank: as the summary and --allow-blank say


def _decimals(v) -> int:
    from calc.check.compare import elements

    found = [getattr(w, "decimals", None) for _, w in elements(v.learner)] if v.learner is not None else []
    return max([d for d in found if d is not None], default=0)


def _rows(value, cell, row_sep: str) -> str:
    """A scalar, a vector [a, b] or a matrix as rows [a, b] joined by ``row_sep``."""
    if isinstance(value, list) and value and isinstance(value[0], list) and row_sep != ", ":
        return row_sep.join(_rows(r, cell, ", ") for r in value)
    if isinstance(value, list):
        return "[" + ", ".join(_rows(x, cell, ", ") for x in value) + "]"
    return cell(value)


def yours(v, row_sep: str = ", ") -> str:
    """The learner's value as written (a matrix one row per line with ``row_sep='\n'``)."""
    def text(x):
        if isinstance(x, bool):
            return str(x).lower()
        if x is None:
            return ""
        written = getattr(x, "text", None)  # as the learner wrote it; never the repr of a huge number
        return str(written).strip() if written is not None else fmt(x, 6)
    return _rows(v.learner, text, row_sep) if v.learner is not None else ""


def ours(v, row_sep: str = ", ") -> str:
    """Our value, to a decimal more than the learner wrote (at least 4)."""
    if v.ours is None:
        return ""
    places = min(max(4, _decimals(v) + 1), 12)
    return _rows(v.ours, lambda x: fmt(x, places), row_sep)


def why(v) -> str:
    if v.status == "invalid" and v.line is not None:
        return f"line {v.line}: {v.explanation}"
    if v.elements and v.elements[0].index and v.status == "wrong":
        wrong = sum(e.status == "wrong" for e in v.elements)
        return f"{wrong} of {len(v.elements)} wrong" + (f": {v.diagnosis}" if v.diagnosis else "")
    return v.explanation


def rows(report, row_sep: str = ", ", invalid_cap: int | None = None) -> list[tuple[str, str, str, str, str]]:
    """(quantity, yours, ours, status, why) per answer. A vector or matrix answer gets its shape
    on its own row and one row per element below it (per element that is off when it has more
    than ``ELEMENT_ROWS``). ``invalid_cap``: at most that many 'not checked' rows, then one row
    counting the rest (a file of 100,000 unknown names on a terminal)."""
    from calc.check.compare import index_text, shape, shape_text
    from calc.check.explain import element_note

    out = []
    invalid = [v for v in report.verdicts if v.status == "invalid"]
    hidden = set(map(id, invalid[invalid_cap:])) if invalid_cap is not None else set()
    for v in report.verdicts:
        if id(v) in hidden:
            continue
        many = bool(v.elements and v.elements[0].index)
        if not many:
            out.append((name_cell(v), yours(v, row_sep), ours(v, row_sep), v.status, why(v)))
            continue
        dims = shape(v.ours)
        size = f"{dims[0]} values" if len(dims) == 1 else shape_text(dims).removeprefix("a ")
        out.append((name_cell(v), size, size, v.status, why(v)))
        places = min(max(4, _decimals(v) + 1), 12)
        shown = v.elements if len(v.elements) <= ELEMENT_ROWS else [e for e in v.elements if e.status in
                                                                    ("wrong", "carried")]
        for e in shown:
            mine = str(e.learner).lower() if isinstance(e.learner, bool) else e.learner.text
            out.append(("  " + index_text("", e.index), mine, fmt(e.ours, places), e.status, element_note(e)))
    if hidden:
        out.append(("...", "", "", "invalid", f"showing {invalid_cap} of {len(invalid):,} not checked; --json for all"))
    return out


def name_cell(v) -> str:
    return f"{v.name} ({v.canonical})" if v.canonical else v.name


def summary_line(report) -> str:
    c = report.counts()
    detail = [f"{c[k]} {w}" for k, w in (("correct", "exact"), ("rounded", "rounded")) if c[k]]
    parts = [f"{c['right']} of {c['checked']} right" + (f" ({', '.join(detail)})" if len(detail) > 1 else "")]
    for key, words in (("carried", "carried from earlier answers"), ("wrong", "wrong"), ("invalid", "not checked"),
                       ("blank", "blank")):
        if c[key]:
            parts.append(f"{c[key]} {words}")
    if c["missing"]:
        parts.append(f"{c['missing']} missing")
    if report.unanswered:
        parts.append("not all answered")
    elif report.allow_blank and (c["blank"] or c["missing"]):
        parts.append("blank and missing allowed")
    return "; ".join(parts)


def missing_line(report, shown: int = 6) -> str:
    """The answers the file does not name, the first few of them."""
    names = report.missing
    if not names:
        return ""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return "missing (not in the answers file): " + ", ".join(names[:shown]) + more


def _tolerance(value) -> str:
    """A tolerance such as '1e-06'; past a float's range ('1e+999', '1e-999') through Decimal."""
    from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal

    try:
        as_float = float(value)
        if as_float or not value:
            return f"{as_float:g}"
    except OverflowError:
        pass
    ctx = Context(prec=6, Emax=MAX_EMAX, Emin=MIN_EMIN)
    return f"{ctx.divide(Decimal(value.numerator), Decimal(value.denominator)).normalize(ctx):g}"


def tolerance_line(tol) -> str:
    if tol.decimals is not None:
        return f"a number is right when it agrees with ours to {tol.decimals} decimals"
    text = f"relative tolerance {_tolerance(tol.rel)}" + (f", absolute {_tolerance(tol.abs)}" if tol.abs else "")
    return text + "; a rounded number is right when ours rounds to it at the decimals written"


def verdicts_markdown(report) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ") or " "

    lines = [f"# Check: {report.title}", "",
             f"Problem `{report.problem}`, answers `{report.answers_file}`; {tolerance_line(report.tolerance)}.", "",
             "| Quantity | Yours | Ours | Verdict | Why |", "|---|---|---|---|---|"]
    for quantity, mine, our, status, reason in rows(report):
        name = quantity.strip() if quantity.startswith("  ") else f"`{quantity}`"
        lines.append("| " + " | ".join(cell(x) for x in (name, mine, our, LABELS[status], reason)) + " |")
    lines += ["", f"**{summary_line(report)}.**", ""]
    if report.missing:
        lines += [missing_line(report, len(report.missing)) + ".", ""]
    return "\n".join(lines)


def verdicts_data(report) -> dict:
    """The --json document: one entry per answer, the counts, and ok / exit_code."""
    def value(x):
        if isinstance(x, list):
            return [value(i) for i in x]
        return x if isinstance(x, bool) or x is None else plain(x.value)

    def written(x):
        if isinstance(x, list):
            return [written(i) for i in x]
        return x if isinstance(x, bool) or x is None else x.text

    out = []
    for v in report.verdicts:
        item = {"name": v.name, "canonical": v.canonical or v.name, "line": v.line, "status": v.status,
                "yours": value(v.learner) if v.status != "invalid" or v.elements else None,
                "written": written(v.learner) if v.status != "invalid" else None,
                "ours": plain(v.ours), "diagnosis": v.diagnosis, "explanation": v.explanation,
                "upstream": v.upstream}
        if v.elements and v.elements[0].index:
            item["elements"] = [{"index": [i + 1 for i in e.index], "status": e.status, "diagnosis": e.diagnosis,
                                 "recomputed": plain(e.recomputed), "upstream": e.upstream}
                                for e in v.elements]
        out.append(item)
    tol = report.tolerance
    return {"problem": report.problem, "title": report.title, "answers": report.answers_file,
            "tolerance": {"rel": plain(tol.rel), "abs": plain(tol.abs), "decimals": tol.decimals},
            "ok": report.ok, "exit_code": report.exit_code, "summary": report.counts(), "verdicts": out,
            "missing": report.missing, "allow_blank": report.allow_blank}
