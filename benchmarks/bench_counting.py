"""Speed of counting: CLI start-up, `nncalc summary`, and summarize() on big generated specs.

Run from the repository root (after `pip install -e ".[test,bench]"`):

    python -m benchmarks.bench_counting            # all sections
    python -m benchmarks.bench_counting --quick    # fewer repeats

Times are the best of several runs (wall clock). Goals (DEVELOPING.md, issue 2): `nncalc --help`
and `nncalc size conv ...` under 150 ms, `nncalc summary resnet50` well under 0.5 s, a 1000-layer
spec under 1 s end to end, and time per layer flat as the spec grows (linear work). When torchinfo
is installed, the same networks are summarised by torchinfo (which needs a forward pass of the
PyTorch twin from tests/torch_ref.py) for comparison.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = (250, 500, 1000, 2000)


def measure(fn, repeats: int) -> tuple[float, float]:
    """(smallest wall time, smallest CPU time) of ``repeats`` calls, in seconds. CPU time counts
    this process and the subprocesses it waited for: on a shared, busy machine it varies far
    less than the wall clock."""
    wall = cpu = float("inf")
    for _ in range(repeats):
        c0, w0 = _cpu(), time.perf_counter()
        fn()
        wall, cpu = min(wall, time.perf_counter() - w0), min(cpu, _cpu() - c0)
    return wall, cpu


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


NNCALC: list[str] = []  # the command to time; --nncalc PATH picks another install


def command(*args: str) -> list[str]:
    if not NNCALC:
        exe = shutil.which("nncalc")
        NNCALC.extend([exe] if exe else [sys.executable, "-m", "cli"])
    return [*NNCALC, *args]


def run_cli(*args: str) -> None:
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}
    proc = subprocess.run(command(*args), capture_output=True, text=True, cwd=ROOT, env=env)
    if proc.returncode:
        raise SystemExit(f"nncalc {' '.join(args)} failed: {proc.stderr}")


def generated_spec(n_layers: int) -> str:
    """A ResNet-like spec with ``n_layers`` leaves, written out entry by entry (no repeat:)."""
    lines = ["name: generated", "input: [32, 32, 16]", "layers:"]
    block = ["  - residual:", "      body:",
             "        - conv: {filters: 16, kernel: 3, padding: 1, bias: false}", "        - batchnorm",
             "        - relu", "        - conv: {filters: 16, kernel: 3, padding: 1, bias: false}",
             "        - batchnorm", "  - relu"]  # 7 leaves: conv bn relu conv bn add relu
    for _ in range(n_layers // 7):
        lines += block
    lines += ["  - relu"] * (n_layers % 7)
    return "\n".join(lines) + "\n"


def section_cli(repeats: int) -> None:
    print(f"CLI start-up and bundled networks (subprocess, best of {repeats})")
    cases = [("nncalc --help", ["--help"], 0.150),
             ("nncalc size conv --input 227 --kernel 11 --stride 4", ["size", "conv", "--input", "227", "--kernel", "11", "--stride", "4"], 0.150),
             ("nncalc summary resnet50", ["summary", "resnet50"], 0.5),
             ("nncalc summary resnet50 --json", ["summary", "resnet50", "--json"], 0.5),
             ("nncalc zoo", ["zoo"], None)]
    print(f"  {'command':<58} {'wall ms':>8} {'CPU ms':>8}")
    for label, args, goal in cases:
        t, cpu = measure(lambda args=args: run_cli(*args), repeats)
        verdict = "" if goal is None else "  ok" if t < goal else \
            f"  ok by CPU time, wall over {goal * 1000:.0f} ms (busy machine?)" if cpu < goal else \
            f"  SLOWER than {goal * 1000:.0f} ms"
        print(f"  {label:<58} {t * 1000:8.1f} {cpu * 1000:8.1f}{verdict}")


def section_scaling(repeats: int, torchinfo_too: bool) -> None:
    from calc.counting.stats import summarize
    from calc.network import network_from_text

    print(f"\nGenerated specs, wall ms (CPU ms), best of {repeats}. calc: parse + build + summarize in process; "
          "CLI: `nncalc summary FILE`, as a table and as --json (subprocess, start-up included)")
    columns = ["layers", "calc", "calc us/layer", "CLI table", "CLI --json"] + (["torchinfo", "torchinfo us/layer"]
                                                                                if torchinfo_too else [])
    print("  " + " ".join(f"{c:>18}" for c in columns))
    with tempfile.TemporaryDirectory() as tmp:
        for n in SIZES:
            text = generated_spec(n)
            net = network_from_text(text)
            assert len(net.leaves()) == n, len(net.leaves())
            path = Path(tmp) / f"gen{n}.yaml"
            path.write_text(text)
            calc = measure(lambda text=text: summarize(network_from_text(text)), repeats)
            few = max(1, repeats // 2)
            cells = [str(n), _ms(calc), f"{calc[1] / n * 1e6:.1f}",
                     _ms(measure(lambda path=path: run_cli("summary", str(path)), few)),
                     _ms(measure(lambda path=path: run_cli("summary", str(path), "--json"), few))]
            if torchinfo_too:
                ti = torchinfo_time(net, few)
                cells += [_ms(ti), f"{ti[1] / n * 1e6:.1f}"]
            print("  " + " ".join(f"{c:>18}" for c in cells))


def _ms(times: tuple[float, float]) -> str:
    return f"{times[0] * 1000:.1f} ({times[1] * 1000:.1f})"


def torchinfo_time(net, repeats: int) -> tuple[float, float]:
    """torchinfo.summary of the PyTorch twin (float32; the twin is built once, outside the timing)."""
    import torch
    import torchinfo

    from tests.torch_ref import to_torch

    model = to_torch(net.root, dtype=torch.float32).eval()
    shape = (1, *net.input_shape)
    return measure(lambda: torchinfo.summary(model, input_size=shape, verbose=0, depth=10), repeats)


def section_torchinfo_zoo(repeats: int) -> None:
    from calc.counting.stats import summarize
    from calc.network import load_network

    print(f"\nBundled networks in process, wall (CPU): nncalc summarize(load_network()) vs torchinfo.summary "
          f"of the float32 torch twin (best of {repeats})")
    for name in ("resnet18", "resnet50", "googlenet", "vgg16"):
        t_calc, c_calc = measure(lambda name=name: summarize(load_network(name)), repeats)
        t_ti, c_ti = torchinfo_time(load_network(name), max(1, repeats // 2))
        print(f"  {name:<10} nncalc {t_calc * 1000:7.1f} ms (CPU {c_calc * 1000:6.1f})   "
              f"torchinfo {t_ti * 1000:8.1f} ms (CPU {c_ti * 1000:7.1f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--no-torchinfo", action="store_true", help="skip the torchinfo comparison")
    parser.add_argument("--nncalc", metavar="PATH", help="the nncalc executable to time (default: the one on PATH); "
                        "an editable install starts ~30 ms slower than `pip install .`")
    args = parser.parse_args()
    repeats = 3 if args.quick else 11
    if args.nncalc:
        NNCALC.append(args.nncalc)
    print(f"timing {' '.join(command())}")
    sys.path.insert(0, str(ROOT))
    try:
        import torchinfo  # noqa: F401

        torchinfo_too = not args.no_torchinfo
    except ImportError:
        torchinfo_too = False
        print("(torchinfo not installed: pip install torchinfo for the comparison columns)")
    section_cli(repeats)
    section_scaling(repeats, torchinfo_too)
    if torchinfo_too:
        section_torchinfo_zoo(repeats)


if __name__ == "__main__":
    main()
