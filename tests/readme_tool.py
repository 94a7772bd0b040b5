"""Run the console examples in README.md and docs/*.md and compare (or refresh) their shown output.

A block looks like:

    ```console
    $ nncalc size conv --input 227 --kernel 11 --stride 4 --padding 0
    ...output...
    ```

Output is produced at the width of a standard terminal (COLUMNS=80) without colour, from the
repository root (so `examples/...` paths work). Refresh every page with
``python -m tests.readme_tool --update`` after changing the renderers on purpose (or name pages:
``python -m tests.readme_tool --update docs/sizes.md``).

A command is expected to exit 0. One that must exit otherwise (``nncalc check`` exits 1 when
an answer is wrong) says so in a trailing comment that is not part of the command:

    $ nncalc check softmax/softmax-worksheet --answers mine.yaml  # exit 1
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
WIDTH = 80


def pages() -> list[Path]:
    """README.md and every docs/*.md page, in a stable order."""
    return [README, *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```console\n(.*?)```", re.S)
EXIT = re.compile(r"\s+#\s*exit\s+(\d+)\s*$")


def command_and_exit(line: str) -> tuple[str, int]:
    """'nncalc check ... # exit 1' -> ('nncalc check ...', 1); 0 without such a comment."""
    match = EXIT.search(line)
    return (line[:match.start()], int(match.group(1))) if match else (line, 0)


def examples(text: str) -> list[tuple[str, str, int]]:
    """(command, shown output, expected exit code) from the README's console blocks."""
    found = []
    for block in BLOCK.findall(text):
        current, lines = None, []
        for line in block.splitlines():
            if line.startswith("$ "):
                if current is not None:
                    found.append((*current, "\n".join(lines)))
                current, lines = command_and_exit(line[2:]), []
            else:
                lines.append(line)
        if current is not None:
            found.append((*current, "\n".join(lines)))
    return [(command, shown, code) for command, code, shown in found]


def run(command: str) -> tuple[int, str]:
    env = {**os.environ, "COLUMNS": str(WIDTH), "NO_COLOR": "1", "TERM": "dumb"}
    args = shlex.split(command)
    assert args[0] == "nncalc", command
    proc = subprocess.run([sys.executable, "-m", "cli", *args[1:]], capture_output=True, text=True,
                          env=env, cwd=ROOT)
    return proc.returncode, normalise(proc.stdout + proc.stderr)


def normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n")


def update(paths: list[Path]) -> None:
    for path in paths:
        text = path.read_text()

        def refresh(match: re.Match) -> str:
            out = []
            for command, _, code in examples(match.group(0)):
                _, output = run(command)
                line = f"$ {command}" + (f"  # exit {code}" if code else "")
                out.append(f"{line}\n{output}" if output else line)
            return "```console\n" + "\n".join(out) + "\n```"

        path.write_text(BLOCK.sub(refresh, text))


if __name__ == "__main__":
    named = [ROOT / a for a in sys.argv[1:] if not a.startswith("--")]
    if "--update" in sys.argv:
        update(named or pages())
    else:
        for page in named or pages():
            for cmd, _, _ in examples(page.read_text()):
                print(f"{page.relative_to(ROOT)}: {cmd}")
