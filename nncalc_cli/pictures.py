"""Pictures (issue 14): `nncalc draw SPEC` writes a network's structure as Graphviz DOT or Mermaid,
and renders it to SVG/PNG/PDF with Graphviz's `dot` program when that is installed.

DOT and Mermaid are documents for other tools, like --json: they go to stdout as they are (no
rich console, whose markup would eat the brackets of DOT attributes).
"""

import sys
from pathlib import Path
from typing import Annotated

import typer

from nncalc_cli.options import SpecArg

app = typer.Typer()

RENDERED = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
GRAPHVIZ = ("needs Graphviz's 'dot' program (apt install graphviz, brew install graphviz or conda install "
            "graphviz); or write FILE.dot and render it elsewhere")


@app.command("draw")
def draw(
    spec: SpecArg,
    mermaid: Annotated[bool, typer.Option("--mermaid", help="Mermaid instead of DOT (GitHub and Jupyter draw it without tools).")] = False,
    output: Annotated[str | None, typer.Option("--output", "-o", metavar="FILE", help="Write FILE: .dot/.gv (DOT), .mmd (Mermaid), .svg/.png/.pdf (rendered by Graphviz's dot).")] = None,
) -> None:
    """Draw a network: layers with type, output shape and params; branches, adds and references."""
    from calc.interchange.load import load_network
    from calc.pictures.diagram import dot
    from calc.pictures.diagram import mermaid as to_mermaid
    from calc.pictures.network_picture import network_diagram

    target = _target(output, spec, mermaid)
    diagram = network_diagram(load_network(spec))
    text = to_mermaid(diagram) if mermaid or (target and target.suffix.lower() == ".mmd") else dot(diagram)
    if target is None:
        sys.stdout.write(text)
    elif target.suffix.lower() in RENDERED:
        _render(text, target)
    else:
        _write(target, text)


def _target(output: str | None, spec: str, mermaid: bool) -> Path | None:
    """The -o file, checked before any work: a known suffix, not the spec it reads."""
    from calc.errors import InputError

    if output is None:
        return None
    target = Path(output)
    suffix = target.suffix.lower()
    if suffix not in {".dot", ".gv", ".mmd", *RENDERED}:
        raise InputError(f"-o {output}: give a file ending in .dot, .gv, .mmd, .svg, .png or .pdf")
    if mermaid and suffix != ".mmd":
        raise InputError(f"-o {output}: --mermaid writes a .mmd file (Graphviz renders DOT, not Mermaid)")
    if target.exists() and Path(spec).exists() and target.resolve() == Path(spec).resolve():
        raise InputError(f"-o {output}: that is the spec this command reads; give another file name")
    return target


def _write(target: Path, text: str) -> None:
    from calc.errors import InputError

    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"-o: cannot write '{target}': {exc.strerror}") from None
    print(f"wrote {target} ({'Mermaid' if target.suffix.lower() == '.mmd' else 'DOT'})", file=sys.stderr)


def _render(text: str, target: Path) -> None:
    """Graphviz's dot turns the DOT into an image; absent or failing, one line says so."""
    import re
    import shutil
    import subprocess

    from calc.errors import InputError

    program = shutil.which("dot")
    if program is None:
        raise InputError(f"-o {target}: rendering {GRAPHVIZ}")
    fmt = RENDERED[target.suffix.lower()]
    try:
        done = subprocess.run([program, f"-T{fmt}", "-o", str(target)], input=text, capture_output=True,
                              text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InputError(f"-o {target}: Graphviz's dot did not finish ({exc})") from None
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["no message"])[0]
        raise InputError(f"-o {target}: Graphviz's dot failed: {first}")
    print(f"wrote {target} ({fmt.upper()}, rendered by Graphviz)", file=sys.stderr)
    scaled = re.search(r"Scaling by ([0-9.]+)", done.stderr)
    if scaled:  # cairo's bitmaps stop at 32,767 pixels a side: resnet152 and densenet121 as PNG
        print(f"note: drawn at {float(scaled.group(1)):.0%} (a PNG stops at 32,767 pixels); .svg or .pdf is full size",
              file=sys.stderr)
