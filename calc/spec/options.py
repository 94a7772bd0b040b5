"""Typed, located access to one layer's options; every mistake names its key path and line.

A layer's ``from_options`` reads what it knows with ``opts.int("filters")`` and friends, then
``opts.finish()`` rejects anything left over (a typo such as ``filter:``), suggesting the nearest
valid key. Validation lives here once, so every layer words its errors the same way.
"""

from __future__ import annotations

from calc.errors import MESSAGE_LIMIT, SpecError, Where, did_you_mean, short
from calc.spec.located import LocMap

REQUIRED = object()


def _describe(value) -> str:
    if isinstance(value, str):
        return f"'{value}'" if len(value) <= MESSAGE_LIMIT else short(value)
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "nothing"
    return short(value) if not isinstance(value, (list, dict)) else f"{type(value).__name__} {short(value)}"


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Options:
    """The options of one layer entry, e.g. ``{filters: 16, kernel: 3}`` at ``layers[0].conv``."""

    def __init__(self, values, where: Where, kind: str):
        if values is None:
            values = LocMap()
        if not isinstance(values, dict):
            raise SpecError(f"expected options as a mapping such as {{key: value}}, got {_describe(values)}", where)
        self.values = values
        self.where = where
        self.kind = kind
        self._used: set = set()

    # -- places ---------------------------------------------------------------------------
    def at(self, key: str) -> Where:
        line = self.values.line_of(key) if isinstance(self.values, LocMap) else None
        return self.where.child(key, line)

    def fail(self, key: str, message: str):
        raise SpecError(message, self.at(key))

    def has(self, key: str) -> bool:
        return key in self.values

    def raw(self, key: str, default=REQUIRED):
        """The value as written; marks the key as understood."""
        self._used.add(key)
        if key not in self.values or self.values[key] is None and default is not REQUIRED:
            if default is REQUIRED:
                self._typo_of(key)
                raise SpecError(f"missing required option '{key}' for {self.kind}", self.where)
            return default
        return self.values[key]

    def _typo_of(self, key: str) -> None:
        """A required key missing because it was misspelt (`filter:` for `filters:`) is reported as
        the unknown key with its suggestion, not as the missing one."""
        import difflib

        for written in self.values:
            if written not in self._used and difflib.get_close_matches(str(written), [key], n=1, cutoff=0.6):
                self.fail(written, f"unknown option '{written}' for {self.kind} (did you mean '{key}'?)")

    # -- typed readers --------------------------------------------------------------------
    def int(self, key: str, default=REQUIRED, minimum: int = 1) -> int:
        value = self.raw(key, default)
        if value is default and default is not REQUIRED:
            return value
        return self.check_int(key, value, minimum)

    def check_int(self, key: str, value, minimum: int = 1) -> int:
        if isinstance(value, float) and not isinstance(value, bool) and value.is_integer():
            value = int(value)
        if not is_int(value):
            self.fail(key, f"expected an integer >= {minimum}, got {_describe(value)}")
        if value < minimum:
            self.fail(key, f"expected an integer >= {minimum}, got {value}")
        return value

    def pair(self, key: str, default=REQUIRED, minimum: int = 1) -> tuple[int, int]:
        """An int used for both height and width, or a list ``[h, w]``."""
        value = self.raw(key, default)
        if value is default and default is not REQUIRED:
            return default if isinstance(default, tuple) else (default, default)
        if isinstance(value, (list, tuple)):
            if len(value) != 2:
                self.fail(key, f"expected one integer or a list [height, width], got {len(value)} values")
            return (self.check_int(key, value[0], minimum), self.check_int(key, value[1], minimum))
        v = self.check_int(key, value, minimum)
        return (v, v)

    def number(self, key: str, default=REQUIRED, minimum: float | None = None,
               maximum: float | None = None, open_max: bool = False) -> float:
        value = self.raw(key, default)
        if value is default and default is not REQUIRED:
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(key, f"expected a number, got {_describe(value)}")
        if value != value or value in (float("inf"), float("-inf")):
            self.fail(key, f"expected a finite number, got {value}")
        if minimum is not None and value < minimum:
            self.fail(key, f"expected a number >= {minimum}, got {value}")
        if maximum is not None and (value > maximum or (open_max and value == maximum)):
            bound = "<" if open_max else "<="
            self.fail(key, f"expected a number {bound} {maximum}, got {value}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            self.fail(key, f"expected true or false, got {_describe(value)}")
        return value

    def choice(self, key: str, choices, default=REQUIRED) -> str:
        value = self.raw(key, default)
        if value not in choices:
            valid = ", ".join(str(c) for c in choices)
            self.fail(key, f"expected one of {valid}, got {_describe(value)}{did_you_mean(value, choices)}")
        return value

    def finish(self) -> None:
        """Reject options this layer does not understand."""
        for key in self.values:
            if key not in self._used:
                known = sorted(self._used)
                hint = did_you_mean(key, known)
                valid = ", ".join(known) if known else "none"
                self.fail(key, f"unknown option '{key}' for {self.kind}{hint}; valid options: {valid}")


def read_padding(opts: Options, modes=("same", "valid")):
    """padding: int | [ph, pw] | [top, bottom, left, right] | 'same' | 'valid' (unresolved)."""
    value = opts.raw("padding", 0)
    if isinstance(value, str):
        return opts.choice("padding", modes)
    if isinstance(value, (list, tuple)):
        if len(value) not in (2, 4):
            opts.fail("padding", "expected an integer, [pad_h, pad_w], [top, bottom, left, right], "
                      f"or one of {', '.join(modes)}; got {len(value)} values")
        vals = [opts.check_int("padding", v, minimum=0) for v in value]
        return tuple(vals) if len(vals) == 4 else (vals[0], vals[0], vals[1], vals[1])
    p = opts.check_int("padding", value, minimum=0)
    return (p, p, p, p)
