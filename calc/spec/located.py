"""Values that remember where they were written: what calc.spec.yamlio builds from YAML.

Kept apart from the YAML reader so code that only checks options (``nncalc size ...``) does not
import PyYAML.
"""

from __future__ import annotations


class LocMap(dict):
    """A dict with ``line`` (of the mapping) and ``lines[key]`` (of each value)."""

    line: int | None = None
    lines: dict

    def line_of(self, key) -> int | None:
        return getattr(self, "lines", {}).get(key, self.line)


class LocList(list):
    """A list with ``line`` (of the sequence) and ``lines[i]`` (of each item)."""

    line: int | None = None
    lines: list

    def line_of(self, index: int) -> int | None:
        lines = getattr(self, "lines", [])
        return lines[index] if 0 <= index < len(lines) else self.line


class ExactFloat(float):
    """A float that remembers its source text, e.g. ``'0.1'``, for exact arithmetic."""

    src: str

    def __new__(cls, value: float, src: str) -> ExactFloat:
        obj = super().__new__(cls, value)
        obj.src = src
        return obj

    def __reduce__(self):
        return (ExactFloat, (float(self), self.src))
