"""Memory before allocation: estimate from the counts, refuse with the figure past a limit.

The limit is half the memory the system reports available (MemAvailable in /proc/meminfo; 4 GiB
where that cannot be read), raised or lowered with ``--max-memory`` or the NNCALC_MAX_MEMORY
environment variable (``16G``, ``512M``, ``0.5T`` or a number of bytes).
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from calc.errors import InputError

ENV = "NNCALC_MAX_MEMORY"
UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}
FALLBACK = 4 << 30

_override: int | None = None  # set by --max-memory for this process
_has_option = False  # whether the running command has --max-memory (else: name the variable)


def fmt_bytes(n: float) -> str:
    """'728 TiB', '3.2 GiB', '512 bytes': binary units, 2 significant digits below 10."""
    n = float(n)
    if n < 1024:
        return f"{int(n)} byte{'' if int(n) == 1 else 's'}"
    for unit in ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        n /= 1024
        if n < 1024 or unit == "EiB":
            break
    if n >= 1e6:
        return f"{n:.3g} {unit}"
    return f"{n:.1f} {unit}" if n < 10 else f"{n:.0f} {unit}"


def parse_bytes(text: str, option: str = "--max-memory") -> int:
    """'16G', '512MiB', '1e9' -> bytes; anything else is an InputError naming the option."""
    raw = str(text).strip().lower().replace(" ", "")
    for tail in ("ib", "b"):
        if raw.endswith(tail) and len(raw) > len(tail) and raw[-len(tail) - 1] in "kmgtp":
            raw = raw[: -len(tail)]
            break
    unit = raw[-1] if raw and raw[-1] in UNITS and raw[-1] != "b" else ""
    number = raw[: -1] if unit else raw
    try:
        value = float(number) * UNITS[unit]
    except ValueError:
        value = -1.0
    if not (0 < value < float(1 << 62)):
        raise InputError(f"{option}: expected a size such as 8G, 512M or 1T, got '{str(text)[:40]}'")
    return int(value)


@contextmanager
def option(text: str | None):
    """--max-memory while a command runs (None: the environment's or the default), so that
    refusals name the option; restored afterwards (tests run many commands in one process)."""
    global _override, _has_option
    saved = _override, _has_option
    _override, _has_option = (None if text is None else parse_bytes(text)), True
    try:
        yield
    finally:
        _override, _has_option = saved


def available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def limit() -> tuple[int, str]:
    """(bytes, how to raise it) in force: --max-memory, NNCALC_MAX_MEMORY, or half of MemAvailable."""
    if _override is not None:
        return _override, "--max-memory"
    if os.environ.get(ENV):
        return parse_bytes(os.environ[ENV], ENV), ENV
    free = available()
    return (free // 2 if free else FALLBACK), f"{'--max-memory' if _has_option else ENV} to raise"


def check(needed: float, what: str) -> None:
    """Refuse, with the figure, work that needs more than the limit (before allocating it)."""
    cap, how = limit()
    if needed > cap:
        hint = how if how.endswith("raise") else f"set by {how}"
        raise InputError(f"needs {fmt_bytes(needed)} for {what}; limit {fmt_bytes(cap)} ({hint})")
