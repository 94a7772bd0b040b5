"""A learner's answers file, read as written: every number keeps the precision it was written with.

    # nncalc solve --template PROBLEM writes the names
    p1: 0.66            # 2 decimals: right when the exact value rounds to 0.66
    J: [[0.2247, -0.1598], [-0.1598, 0.1837]]
    output_shape: 13x13x256
    loss: 1/3           # a fraction is an exact claim, like an integer
    dL/dw5: null        # not answered

The file is untrusted text. A file that cannot be read, is not YAML or is not a mapping is
unusable (InputError, exit code 2); a bad *item* (text where a number belongs, a mapping) is kept
with its message and reported on its own line while the rest is checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from calc.errors import InputError, SpecError, Where, short

_DECIMAL = re.compile(r"^([-+]?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$")
_RATIO = re.compile(r"^[-+]?\d+\s*/\s*[-+]?\d+$")
_SHAPE = re.compile(r"^\d+(\s*[xX*]\s*\d+)+$")
_GROUPED = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d*)?$")  # 62,378,344 (never a decimal comma: 0,66)


@dataclass(frozen=True)
class Written:
    """One number as the learner wrote it: its exact value and the unit of its last written
    place (0.01 for '0.66', 1e-8 for '2.3891544e-01'); ``unit`` is None for exact claims
    (integers and fractions such as 1/3)."""

    value: Fraction
    unit: Fraction | None
    text: str

    @property
    def decimals(self) -> int | None:
        """Decimal places written (2 for '0.66'), None for exact claims."""
        if self.unit is None:
            return None
        return max(0, -_exponent10(self.unit))


def _exponent10(unit: Fraction) -> int:
    """k for a unit 10**k."""
    k = 0
    while unit < 1:
        unit *= 10
        k -= 1
    while unit > 1:
        unit /= 10
        k += 1
    return k


class ItemError(Exception):
    """A bad answer value: reported for its item, the other items are still checked."""


@dataclass
class Answer:
    """One entry of the answers file."""

    name: str
    line: int | None
    value: Any = None  # Written, bool, nested lists of them; None when blank
    error: str = ""  # why the value cannot be checked ('' when it can)

    @property
    def blank(self) -> bool:
        return self.value is None and not self.error


def written(text: str) -> Written:
    """'0.66' -> 66/100 with unit 1/100; '7' -> exact 7; '1/3' -> exact 1/3; '62,378,344' -> exact
    62378344; else ItemError."""
    clean = text.strip().replace("_", "")
    if _GROUPED.match(clean):
        clean = clean.replace(",", "")
    if _RATIO.match(clean):
        return Written(_bounded(clean), None, text)  # '1/0' is an ItemError there
    match = _DECIMAL.match(clean)
    if not match or not (match.group(2) or match.group(3)):
        if clean.lower().lstrip("+-.") in ("inf", "infinity", "nan"):
            raise ItemError(f"expected a finite number, got '{text}'")
        if re.match(r"^[-+]?\d+,\d+$", clean):  # 7,39: a decimal comma (62,378 is read as grouped)
            raise ItemError(f"expected a number such as 0.5 or 1/3, got '{text}' (a decimal point, not a comma: "
                            f"{clean.replace(',', '.')})")
        raise ItemError(f"expected a number such as 0.5 or 1/3, got '{text}'")
    value = _bounded(clean)  # first: it refuses 1e999999999 before anything builds 10**999999999
    decimals = len(match.group(3) or "")
    exponent = int(match.group(4) or 0)
    if match.group(3) is None and match.group(4) is None:
        return Written(value, None, text)  # an integer: an exact claim
    return Written(value, Fraction(10) ** (exponent - decimals), text)


def _bounded(text: str) -> Fraction:
    """The value of a number as written, within calc.exact's limits on digits and exponent."""
    from calc.errors import InputError
    from calc.exact import to_fraction

    try:
        return to_fraction(text, "number")
    except InputError as exc:
        raise ItemError(exc.message.removeprefix("number: ")) from None


def parse_value(raw) -> Any:
    """A YAML value -> Written / bool / nested lists of them (None stays None)."""
    if raw is None or isinstance(raw, bool):
        return raw
    if isinstance(raw, int):
        return Written(Fraction(raw), None, str(raw))
    if isinstance(raw, float):
        return written(getattr(raw, "src", None) or repr(raw))
    if isinstance(raw, str):
        if _SHAPE.match(raw.strip()):  # 13x13x256: a shape
            return [Written(_bounded(p), None, p) for p in re.split(r"\s*[xX*]\s*", raw.strip())]
        return written(raw)
    if isinstance(raw, list):
        if not raw:
            raise ItemError("expected numbers, got an empty list")
        items = [parse_value(v) for v in raw]
        if any(v is None for v in items):
            raise ItemError("a list with an empty (null) entry")
        return items
    if isinstance(raw, dict):
        raise ItemError("expected a number, a list or a matrix, got a mapping")
    raise ItemError(f"expected a number, got {short(raw)}")


def read_answers(path) -> list[Answer]:
    """Every entry of an answers file, in file order. Unusable files raise InputError."""
    from calc.spec.yamlio import LocMap, load_yaml_file

    if not str(path).strip():  # '--answers ""' (an unset shell variable): no file name to report
        raise InputError("--answers: expected a file name, got ''")
    try:
        data = load_yaml_file(path)
    except SpecError as exc:
        raise InputError(exc.message, exc.where) from None
    return answers_from(data, str(path), getattr(data, "line_of", None) if isinstance(data, LocMap) else None)


def answers_from_text(text: str, file_name: str = "<answers>") -> list[Answer]:
    """The answers of YAML text (tests, notebooks): the same rules as a file."""
    from calc.spec.yamlio import LocMap, load_yaml_text

    try:
        data = load_yaml_text(text, file_name)
    except SpecError as exc:
        raise InputError(exc.message, exc.where) from None
    return answers_from(data, file_name, data.line_of if isinstance(data, LocMap) else None)


META = ("id", "student")  # keys of an answers file that are not answers: the variant, who wrote it


def answers_from(data, file_name: str = "<answers>", line_of=None) -> list[Answer]:
    if data is None:
        raise InputError("the answers file is empty; write 'name: value' lines (nncalc solve PROBLEM --template)",
                         Where(file_name))
    if not isinstance(data, dict):
        raise InputError("expected a mapping of answer names to values, e.g. 'p1: 0.66' (nncalc solve PROBLEM "
                         "--template writes one)", Where(file_name, getattr(data, "line", None)))
    out = []
    for key, raw in data.items():
        if key in META:
            continue
        answer = Answer(str(key), line_of(key) if line_of else None)
        try:
            answer.value = parse_value(raw)
        except ItemError as exc:
            answer.error = str(exc)
        out.append(answer)
    return out
