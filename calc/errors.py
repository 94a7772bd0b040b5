"""User-facing errors: each names the place (file, line, key path), the value and what was expected.

The CLI prints ``str(error)`` as one line on stderr and exits non-zero; nothing here formats
tracebacks. ``assert`` stays for internal invariants only.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

MESSAGE_LIMIT = 300  # characters of one value quoted in a message


def short(value, limit: int = MESSAGE_LIMIT) -> str:
    """``repr``-like text of ``value`` of at most ``limit`` characters, for messages: input may be
    a megabyte string or a YAML alias bomb (10^9 values sharing nodes), whose full repr would never
    finish. Containers (subclasses too) are walked item by item only until the budget is spent."""
    text = _brief(value, limit, 0)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def clipped(text, limit: int = 60, quote: bool = False) -> str:
    """A typed value for a message, cut after ``limit`` characters with its full length said, so
    that a megabyte argument still gives one short line; ``quote`` shows it as a Python string."""
    text = str(text)
    shown = repr if quote else str
    return shown(text) if len(text) <= limit else shown(text[:limit]) + f"... ({len(text)} characters)"


def _brief(value, budget: int, depth: int) -> str:
    if isinstance(value, str):
        return repr(value[: budget + 1])
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return repr(value) if value.bit_length() < 3000 else f"<an integer of {value.bit_length():,} bits>"
    if isinstance(value, (list, tuple, dict)):
        if depth > 20:
            return "..."
        opening, closing = ("{", "}") if isinstance(value, dict) else ("(", ")") if isinstance(value, tuple) else ("[", "]")
        parts, used = [], 2
        items = value.items() if isinstance(value, dict) else value
        for item in items:
            if used >= budget:
                parts.append("...")
                break
            if isinstance(value, dict):
                text = f"{_brief(item[0], budget - used, depth + 1)}: {_brief(item[1], budget - used, depth + 1)}"
            else:
                text = _brief(item, budget - used, depth + 1)
            parts.append(text)
            used += len(text) + 2
        return opening + ", ".join(parts) + closing
    text = repr(value)
    return text[: budget + 1]


@dataclass(frozen=True)
class Where:
    """A place in user input: file, 1-based line and key path such as ``layers[3].conv.kernel``."""

    file: str | None = None
    line: int | None = None
    path: str = ""
    via: str = ""  # how we got here, e.g. "in block 'stage' used at layers[5], line 40"

    def child(self, key: str | int, line: int | None = None) -> Where:
        """The place of ``key`` below this one (an int key is a list index)."""
        if isinstance(key, int):
            path = f"{self.path}[{key}]"
        else:
            path = f"{self.path}.{key}" if self.path else str(key)
        return Where(self.file, line if line is not None else self.line, path, self.via)

    def called_from(self, text: str) -> Where:
        via = f"{text}; {self.via}" if self.via else text
        return Where(self.file, self.line, self.path, via)

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file if self.line is None else f"{self.file}:{self.line}")
        elif self.line is not None:
            parts.append(f"line {self.line}")
        if self.path:
            parts.append(self.path)
        return ": ".join(parts)


@dataclass
class NNCalcError(Exception):
    """An error in what the user gave us; ``str()`` is the one-line message the CLI prints."""

    message: str
    where: Where | None = field(default=None)

    def __post_init__(self) -> None:
        if len(self.message) > 4 * MESSAGE_LIMIT:  # a safety net: callers quote values with short()
            self.message = self.message[: 4 * MESSAGE_LIMIT - 3] + "..."
        super().__init__(self.message)

    def __str__(self) -> str:
        place = str(self.where) if self.where else ""
        text = f"{place}: {self.message}" if place else self.message
        if self.where is not None and self.where.via:
            text += f" ({self.where.via})"
        return text


class SpecError(NNCalcError):
    """A network spec that cannot be read or does not describe a valid network."""


class InputError(NNCalcError):
    """Command-line values or data files that do not fit the question asked."""


def did_you_mean(word: str, choices) -> str:
    """' (did you mean 'x'?)' when a close match exists, else ''."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
