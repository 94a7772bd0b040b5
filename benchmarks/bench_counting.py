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
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = (250, 500, 1000, 2000)


def best_of(fn, repeats: int) -> float:
    """Smallest wall time of ``repeats`` calls, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def command(*args: str) -> list[str]:
    exe = shutil.which("nncalc")
    return [exe, *args] if exe else [sys.executable, "-m", "cli", *args]


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
    for label, args, goal in cases:
        t = best_of(lambda args=args: run_cli(*args), repeats)
        verdict = "" if goal is None else ("  ok" if t < goal else f"  SLOWER than {goal * 1000:.0f} ms")
        print(f"  {label:<58} {t * 1000:8.1f} ms{verdict}")


def section_scaling(repeats: int, torchinfo_too: bool) -> None:
    from calc.network import network_from_text
    from calc.stats import summarize

    print(f"\nGenerated specs (calc: parse + build + summarize, in process, best of {repeats}; "
          "CLI: `nncalc summary FILE`, subprocess)")
    header = f"  {'layers':>6} {'calc ms':>9} {'us/layer':>9} {'CLI ms':>9} {'us/layer':>9}"
    if torchinfo_too:
        header += f" {'torchinfo ms':>13} {'us/layer':>9}"
    print(header)
    with tempfile.TemporaryDirectory() as tmp:
        for n in SIZES:
            text = generated_spec(n)
            net = network_from_text(text)
            assert len(net.leaves()) == n, len(net.leaves())
            t_calc = best_of(lambda text=text: summarize(network_from_text(text)), repeats)
            path = Path(tmp) / f"gen{n}.yaml"
            path.write_text(text)
            t_cli = best_of(lambda path=path: run_cli("summary", str(path)), max(1, repeats // 2))
            row = f"  {n:>6} {t_calc * 1000:9.1f} {t_calc / n * 1e6:9.1f} {t_cli * 1000:9.1f} {t_cli / n * 1e6:9.1f}"
            if torchinfo_too:
                t_ti = torchinfo_time(net, max(1, repeats // 2))
                row += f" {t_ti * 1000:13.1f} {t_ti / n * 1e6:9.1f}"
            print(row)


def torchinfo_time(net, repeats: int) -> float:
    """torchinfo.summary of the PyTorch twin (float32; the twin is built once, outside the timing)."""
    import torch
    import torchinfo

    from tests.torch_ref import to_torch

    model = to_torch(net.root, dtype=torch.float32).eval()
    shape = (1, *net.input_shape)
    return best_of(lambda: torchinfo.summary(model, input_size=shape, verbose=0, depth=10), repeats)


def section_torchinfo_zoo(repeats: int) -> None:
    from calc.network import load_network
    from calc.stats import summarize

    print(f"\nBundled networks in process: nncalc summarize(load_network()) vs torchinfo.summary (best of {repeats})")
    for name in ("resnet18", "resnet50", "googlenet", "vgg16"):
        t_calc = best_of(lambda name=name: summarize(load_network(name)), repeats)
        t_ti = torchinfo_time(load_network(name), max(1, repeats // 2))
        print(f"  {name:<10} nncalc {t_calc * 1000:8.1f} ms   torchinfo {t_ti * 1000:9.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--no-torchinfo", action="store_true", help="skip the torchinfo comparison")
    args = parser.parse_args()
    repeats = 3 if args.quick else 7
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
