"""Run the console examples in README.md and compare (or refresh) their shown output.

A block looks like:

    ```console
    $ nncalc size conv --input 227 --kernel 11 --stride 4 --padding 0
    ...output...
    ```

Output is produced at a fixed width (COLUMNS=100) without colour. Refresh with
``python -m tests.readme_tool --update`` after changing the renderers on purpose.
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
BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def examples(text: str) -> list[tuple[str, str]]:
    """(command, shown output) pairs from the README's console blocks."""
    pairs = []
    for block in BLOCK.findall(text):
        current, lines = None, []
        for line in block.splitlines():
            if line.startswith("$ "):
                if current is not None:
                    pairs.append((current, "\n".join(lines)))
                current, lines = line[2:], []
            else:
                lines.append(line)
        if current is not None:
            pairs.append((current, "\n".join(lines)))
    return pairs


def run(command: str) -> tuple[int, str]:
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    args = shlex.split(command)
    assert args[0] == "nncalc", command
    proc = subprocess.run([sys.executable, "-m", "cli", *args[1:]], capture_output=True, text=True,
                          env=env, cwd=ROOT)
    return proc.returncode, normalise(proc.stdout + proc.stderr)


def normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def update() -> None:
    text = README.read_text()

    def refresh(match: re.Match) -> str:
        out = []
        for command, _ in examples(match.group(0)):
            _, output = run(command)
            out.append(f"$ {command}\n{output}" if output else f"$ {command}")
        return "```console\n" + "\n".join(out) + "\n```"

    README.write_text(BLOCK.sub(refresh, text))


if __name__ == "__main__":
    if "--update" in sys.argv:
        update()
    else:
        for cmd, _ in examples(README.read_text()):
            print(cmd)
