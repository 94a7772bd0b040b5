"""The rich Console nncalc prints with, and the width it lays text out for.

Rich pads every line of a table to the full width; piped into a file or a diff that is noise,
so stdout goes through a writer that drops the spaces before each line end (styles kept).
"""

from __future__ import annotations

import re
import sys

_TRAILING = re.compile(r" +((?:\x1b\[[0-9;]*m)*)(?=\n)")


class _LineEnds:
    """A text stream that forwards to sys.stdout (looked up at each write, so test runners that
    swap it still capture), holding back a partial line until its end or a flush."""

    def __init__(self) -> None:
        self._pending = ""

    def write(self, text: str) -> int:
        text = self._pending + text
        cut = text.rfind("\n") + 1
        self._pending = text[cut:]
        if cut:
            sys.stdout.write(_TRAILING.sub(r"\1", text[:cut]))
        return len(text)

    def flush(self) -> None:
        if self._pending:
            sys.stdout.write(self._pending)
            self._pending = ""
        sys.stdout.flush()

    def isatty(self) -> bool:
        return sys.stdout.isatty()

    def fileno(self) -> int:
        return sys.stdout.fileno()

    @property
    def encoding(self) -> str:
        return getattr(sys.stdout, "encoding", None) or "utf-8"


MIN_COLUMNS, MAX_COLUMNS, DEFAULT_COLUMNS = 20, 1000, 80


def columns_from_env() -> int | None:
    """COLUMNS when it is a usable width; 80 when it is set but absurd (0 printed nothing at all,
    a million makes every table a megabyte); None when unset (rich asks the terminal)."""
    import os

    text = os.environ.get("COLUMNS")
    if text is None:
        return None
    try:
        value = int(text.strip())
    except ValueError:
        return DEFAULT_COLUMNS
    return value if MIN_COLUMNS <= value <= MAX_COLUMNS else DEFAULT_COLUMNS


def make_console(width: int | None = None, stderr: bool = False):
    from rich.console import Console

    width = width if width is not None else columns_from_env()
    # markup/emoji off: names and text from specs ("fc[/]", ":x:") are shown as written, never parsed
    file = None if stderr else _LineEnds()
    return Console(width=width, stderr=stderr, file=file, highlight=False, soft_wrap=False, markup=False,
                   emoji=False)
