"""The rows of `nncalc layers`: each layer type with its summary and every option it accepts.

A summary is prose written by hand, so it can forget an option (conv_transpose's `groups` was
accepted but not listed). The options shown are therefore not taken from the summary: they are
read from the layer's own ``from_options``, run once on a probe that records every key the layer
reads or asks about, and every accepted option the summary does not name is appended to its row.
Nothing has to be kept in step by hand.
"""

from __future__ import annotations

import re

from calc.errors import Where
from calc.spec.options import REQUIRED, Options

# read by the spec builder for every entry (calc/spec/build.py), so not a property of one layer type
EVERY_LAYER = ("name", "trainable")


class _InOrder(set):
    """A set that remembers the order keys were first added (the order a layer reads them)."""

    def __init__(self):
        super().__init__()
        self.order: list = []

    def add(self, key) -> None:
        if key not in self:
            self.order.append(key)
        super().add(key)

    def update(self, *keys) -> None:
        for group in keys:
            for key in group:
                self.add(key)


class _Probe(Options):
    """Options that answer every question so that each branch of ``from_options`` is taken:
    ``has`` says yes, readers hand back the default (or a small valid stand-in for a required
    value) without checking, and ``fail`` only notes the key. Keys asked about with ``has`` but
    never read and then failed on (``linear`` refusing ``units``) are not accepted."""

    def __init__(self, kind: str):
        super().__init__(None, Where(), kind)
        self._used = _InOrder()
        self.asked: set = set()
        self.failed: set = set()

    def has(self, key: str) -> bool:
        self.asked.add(key)
        return True

    def raw(self, key: str, default=REQUIRED):
        self._used.add(key)
        return None if default is REQUIRED else default

    def int(self, key, default=REQUIRED, minimum: int = 1):
        self._used.add(key)
        return max(minimum, 1) if default is REQUIRED else default

    def pair(self, key, default=REQUIRED, minimum: int = 1):
        value = self.int(key, default, minimum)
        return value if isinstance(value, tuple) or value is None else (value, value)

    def number(self, key, default=REQUIRED, minimum=None, maximum=None, open_max=False):
        self._used.add(key)
        return (minimum if minimum is not None else 1.0) if default is REQUIRED else default

    def flag(self, key, default):
        self._used.add(key)
        return default

    def choice(self, key, choices, default=REQUIRED):
        self._used.add(key)
        return next(iter(choices)) if default is REQUIRED else default

    def fail(self, key: str, message: str):
        self.failed.add(key)

    def finish(self) -> None:
        pass


def accepted_options(cls) -> list[str]:
    """Every option key ``cls.from_options`` reads (in the order first read), name and trainable
    left out (every layer takes them)."""
    probe = _Probe(cls.kind)
    try:
        cls.from_options(probe)
    except Exception:  # noqa: BLE001 - stand-in values may upset later checks; what was read counts
        pass
    keys = set(probe._used) | (probe.asked - probe.failed)
    order = [k for k in probe._used.order if k in keys] + sorted(keys - set(probe._used.order))
    return [k for k in order if k not in EVERY_LAYER]


def unnamed_options(summary: str, options: list[str]) -> list[str]:
    """The options a summary text does not name as a word."""
    return [o for o in options if not re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", summary)]


def layer_rows() -> list[dict]:
    """name, aliases, options (all accepted) and summary (with the options it did not name)."""
    from calc.layers import REGISTRY

    rows = []
    for kind, cls in sorted(REGISTRY.items()):
        summary = cls.summary or (cls.__doc__ or "").strip()
        options = accepted_options(cls)
        missing = unnamed_options(summary, options)
        if missing:
            summary += f"; more options: {', '.join(missing)}"
        rows.append({"name": kind, "aliases": list(cls.aliases), "options": options, "summary": summary})
    return rows
