"""Start-up over bare Python, and a 10,000-layer summary as a table against --json (issue 9).

Run from the repository root, timing a NON-editable install in a throwaway venv (an editable
install adds its import hook's cost):

    python3 -m venv /tmp/vw && /tmp/vw/bin/pip install -q .
    python -m benchmarks.bench_startup --venv /tmp/vw            # best of 10; --repeats N
    python -m benchmarks.bench_startup --venv /tmp/vw --importtime   # the slowest imports too

Goals: `nncalc size conv ...` and `nncalc --help` at most 90 ms above bare `python -c pass`; the
table of a 10,000-layer spec within 2x of its --json. Wall and CPU time (this process plus the
subprocesses it waited for) are both shown: on a busy shared machine the CPU time is the steadier.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.bench_counting import generated_spec, measure

ROOT = Path(__file__).resolve().parents[1]
SIZE_CONV = ["size", "conv", "--input", "227", "--kernel", "11", "--stride", "4"]


def _run(argv: list[str]) -> None:
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    if proc.returncode:
        raise SystemExit(f"{' '.join(argv)} failed: {proc.stderr}")


def startup(venv: Path, repeats: int) -> None:
    python, nncalc = str(venv / "bin" / "python"), str(venv / "bin" / "nncalc")
    base = measure(lambda: _run([python, "-c", "pass"]), repeats)
    print(f"start-up, best of {repeats} ({venv})")
    print(f"  {'command':<55} {'wall ms':>8} {'CPU ms':>7} {'over bare python (wall / CPU)':>30}")
    print(f"  {'python -c pass':<55} {base[0] * 1000:8.1f} {base[1] * 1000:7.1f}")
    for label, args in (("nncalc --help", ["--help"]), ("nncalc " + " ".join(SIZE_CONV), SIZE_CONV)):
        wall, cpu = measure(lambda args=args: _run([nncalc, *args]), repeats)
        over = (wall - base[0]) * 1000, (cpu - base[1]) * 1000
        verdict = "ok" if min(over) <= 90 else "OVER 90 ms"
        print(f"  {label:<55} {wall * 1000:8.1f} {cpu * 1000:7.1f} {over[0]:14.1f} / {over[1]:5.1f}  {verdict}")


def importtime(venv: Path, top: int = 15) -> None:
    code = "import sys; sys.argv = ['nncalc', *sys.argv[1:]]; import cli; cli.main()"
    proc = subprocess.run([str(venv / "bin" / "python"), "-X", "importtime", "-c", code, *SIZE_CONV],
                          capture_output=True, text=True, cwd="/")
    rows = []
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, name = line.split("|")
            rows.append((int(cumulative), name.rstrip()))
    print(f"slowest imports of `nncalc {' '.join(SIZE_CONV)}` (cumulative us, nested)")
    for us, name in sorted(rows, reverse=True)[:top]:
        print(f"  {us:8d}  {name}")


def big_summary(venv: Path, layers: int, repeats: int) -> None:
    nncalc = str(venv / "bin" / "nncalc")
    with tempfile.TemporaryDirectory() as folder:
        spec = Path(folder) / f"generated-{layers}.yaml"
        spec.write_text(generated_spec(layers))
        table = measure(lambda: _run([nncalc, "summary", str(spec)]), repeats)
        json = measure(lambda: _run([nncalc, "summary", str(spec), "--json"]), repeats)
    ratio = table[1] / json[1]
    print(f"{layers}-layer summary, best of {repeats}: table {table[0] * 1000:.0f} ms wall ({table[1] * 1000:.0f} "
          f"CPU), --json {json[0] * 1000:.0f} ms wall ({json[1] * 1000:.0f} CPU): table / json = {ratio:.2f} by "
          f"CPU  {'ok' if ratio <= 2 else 'OVER 2x'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=Path(sys.prefix), help="the venv whose nncalc is timed")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--layers", type=int, default=10_000)
    parser.add_argument("--importtime", action="store_true")
    args = parser.parse_args()
    startup(args.venv, args.repeats)
    if args.importtime:
        importtime(args.venv)
    big_summary(args.venv, args.layers, max(1, args.repeats // 3))


if __name__ == "__main__":
    main()
