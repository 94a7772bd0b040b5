"""Render every Mermaid chart nncalc emits with the real Mermaid (mermaid-cli's ``mmdc``).

The tests read nncalc's Mermaid with a line reader; only Mermaid itself says whether a chart
parses, stays inside its size limits (50,000 characters, 500 edges) and draws. Node and Chromium
are too heavy for CI, so this script is run by hand where they are installed:

    npm install @mermaid-js/mermaid-cli          # PUPPETEER_SKIP_DOWNLOAD=1 with a system chromium
    NNCALC_MMDC=/path/to/node_modules/.bin/mmdc python -m benchmarks.render_mermaid --out /tmp/charts

The charts: ``nncalc draw NAME --mermaid`` for every bundled network and every example spec that
is a network, the charts in the ``--markdown`` solutions of the bundled graph and network problems
and of ``nncalc graph``, and the notebook's Markdown of a graph and a network. It prints one line
per chart and ``N of N charts rendered``; exit 1 when any chart fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"```mermaid\n(.*?)```", re.S)
GRAPHS = [("cs231n sigmoid neuron", ["f = 1/(1+exp(-(w0*x0+w1*x1+w2)))", "-v", "w0=2", "-v", "x0=-1", "-v", "w1=-3",
                                     "-v", "x1=-2", "-v", "w2=-3"]),
          ("cs231n add-multiply", ["q = x + y; f = q * z", "-v", "x=-2", "-v", "y=5", "-v", "z=-4"])]


def mmdc_program() -> str | None:
    """mmdc from NNCALC_MMDC, else from PATH."""
    return os.environ.get("NNCALC_MMDC") or shutil.which("mmdc")


def puppeteer_config(folder: Path) -> Path | None:
    """NNCALC_PUPPETEER_CONFIG, else a config for a system chromium (no sandbox: root in a container)."""
    given = os.environ.get("NNCALC_PUPPETEER_CONFIG")
    if given:
        return Path(given)
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        return None
    path = folder / "puppeteer.json"
    path.write_text(json.dumps({"executablePath": browser, "args": ["--no-sandbox", "--disable-gpu"]}))
    return path


def _nncalc(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, cwd=ROOT, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"nncalc {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def network_charts() -> list[tuple[str, str]]:
    """``draw --mermaid`` of the bundled networks and of every example spec that is a network."""
    from calc.errors import InputError, SpecError
    from calc.network import load_network
    from calc.pictures.diagram import mermaid
    from calc.pictures.network_picture import network_diagram
    from calc.zoo import bundled_names

    found = [(f"draw {name}", mermaid(network_diagram(load_network(name)))) for name in bundled_names()]
    for spec in sorted((ROOT / "examples").rglob("*.yaml")):
        try:
            network = load_network(str(spec))
        except (InputError, SpecError, ValueError):
            continue  # a problem or an answers file, not a network
        found.append((f"draw {spec.relative_to(ROOT)}", mermaid(network_diagram(network))))
    return found


def markdown_charts() -> list[tuple[str, str]]:
    """The charts inside --markdown solutions (graph and network problems, nncalc graph)."""
    problems = [line.split()[0] for line in _nncalc("problems").splitlines()
                if re.match(r"\s+(graphs|networks)/", line)]
    found = []
    for problem in problems:
        found += [(f"solve {problem} --markdown", b) for b in BLOCK.findall(_nncalc("solve", problem, "--markdown", "-"))]
    for name, args in GRAPHS:
        found += [(f"graph {name} --markdown", b) for b in BLOCK.findall(_nncalc("graph", *args, "--markdown", "-"))]
    return found


def notebook_charts() -> list[tuple[str, str]]:
    """The notebook's Markdown of a network and of a computational graph (calc.notebook)."""
    from calc import graph as cg
    from calc.expr import parse
    from calc.network import load_network
    from calc.notebook import MARKDOWN
    from calc.numfmt import fmt

    graph = cg.backward(cg.build_graph(parse("f = (x + y) * z"), {"x": -2, "y": 5, "z": -4}, lambda v: fmt(v, 4),
                                       lambda v: v), lambda v: v)
    texts = [("notebook resnet18", MARKDOWN[("calc.network", "Network")](load_network("resnet18"))),
             ("notebook graph", MARKDOWN[("calc.graph", "Graph")](graph))]
    return [(name, block) for name, text in texts for block in BLOCK.findall(text)]


def render(chart: str, target: Path, mmdc: str, config: Path | None) -> str:
    """'' when mmdc drew it (an SVG with a flowchart in it), else mmdc's first error line."""
    source = target.with_suffix(".mmd")
    source.write_text(chart, encoding="utf-8")
    command = [mmdc, "-q", "-i", str(source), "-o", str(target)] + (["-p", str(config)] if config else [])
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return "mmdc did not finish in 300 s"
    if done.returncode != 0 or not target.exists():
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        return next((line for line in lines if "rror" in line), lines[0] if lines else "no message")
    svg = target.read_text(encoding="utf-8")
    return "" if 'aria-roledescription="flowchart' in svg and "Syntax error" not in svg else "no flowchart in the SVG"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="keep the .mmd and .svg files here (default: a temporary folder)")
    parser.add_argument("--jobs", type=int, default=2, help="charts rendered at once (default 2)")
    args = parser.parse_args()
    mmdc = mmdc_program()
    if mmdc is None:
        print("mmdc not found: set NNCALC_MMDC or put mermaid-cli's mmdc on PATH", file=sys.stderr)
        return 2
    folder = args.out or Path(tempfile.mkdtemp(prefix="nncalc-mermaid-"))
    folder.mkdir(parents=True, exist_ok=True)
    config = puppeteer_config(folder)
    charts = network_charts() + markdown_charts() + notebook_charts()
    names = [re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-") + f"-{i}" for i, (name, _) in enumerate(charts)]
    with ThreadPoolExecutor(args.jobs) as pool:
        errors = list(pool.map(lambda pair: render(pair[0][1], folder / f"{pair[1]}.svg", mmdc, config),
                               zip(charts, names)))
    for (name, chart), error in zip(charts, errors):
        size = f"{len(chart):,} chars, {chart.count('-->') + chart.count('-.->'):,} edges"
        print(f"{'ok  ' if not error else 'FAIL'} {name} ({size}){': ' + error if error else ''}")
    rendered = errors.count("")
    print(f"{rendered} of {len(charts)} charts rendered by {mmdc} (files in {folder})")
    return 0 if rendered == len(charts) else 1


if __name__ == "__main__":
    sys.exit(main())
