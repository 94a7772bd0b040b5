"""Small functions (issue 11; ../shared/style.md: a function past ~40 lines is asking to be split).

Every function and method in calc/, nncalc_cli/ and cli.py is at most MAX_LINES long, counted
from its `def` line to its last line (docstring, comments and blank lines included; decorators
not). The ceiling is loose on purpose: it stops a long function from coming back, while the
target for new code stays ~30-40 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 60
SOURCES = [ROOT / "calc", ROOT / "nncalc_cli", ROOT / "cli.py"]


def function_lengths(source: str, filename: str) -> list[tuple[int, str]]:
    """(lines, 'file:line name') of every function and method in a module, nested ones included."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append((node.end_lineno - node.lineno + 1, f"{filename}:{node.lineno} {node.name}"))
    return found


def python_files() -> list[Path]:
    files = []
    for place in SOURCES:
        files += [place] if place.is_file() else sorted(place.rglob("*.py"))
    return files


def test_every_function_is_at_most_max_lines():
    lengths = [row for path in python_files()
               for row in function_lengths(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]
    assert len(lengths) > 500  # the walk found the code (calc, nncalc_cli and cli.py)
    too_long = sorted((row for row in lengths if row[0] > MAX_LINES), reverse=True)
    shown = "; ".join(f"{where} ({n} lines)" for n, where in too_long)
    assert not too_long, f"functions longer than {MAX_LINES} lines (split them): {shown}"


def test_the_measure_counts_def_to_last_line():
    """The measure itself, on code whose lengths are known: a method, a nested and an async function."""
    body = "\n".join(f"    x{i} = {i}" for i in range(61))
    source = (f"def long():\n{body}\n\n"  # 62 lines: def + 61 statements
              "class C:\n    @property\n    def short(self):\n        return 1\n\n"
              "async def outer():\n    def inner():\n        pass\n    return inner\n")
    lengths = {where.split()[-1]: n for n, where in function_lengths(source, "m.py")}
    assert lengths == {"long": 62, "short": 2, "outer": 4, "inner": 2}
    assert [n for n in lengths.values() if n > MAX_LINES] == [62]
