"""The long fuzz run: ``python -m tests.fuzz --cases 10000 [--seed N] [--save DIR] [--leave-out FAMILIES]``.

Failures do not stop the run: each is grouped by what went wrong (exception type and the
innermost nncalc frame, or timeout) and the shortest reproducing command line of each group is
printed at the end (also after Ctrl-C). Exit status 1 when anything failed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed

from tests.fuzz import values
from tests.fuzz.cases import cases
from tests.fuzz.runner import Case, run_case, signature


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed (each seed draws other cases)")
    parser.add_argument("--save", type=Path, help="write each failure's command line and files under this folder")
    parser.add_argument("--leave-out", default="", metavar="FAMILIES",
                        help="comma-separated edge families not to draw (huge, deep, seeds, devices, columns, models)")
    args = parser.parse_args()
    values.PENDING = frozenset(f for f in args.leave_out.split(",") if f)
    warm_up()
    found: dict[str, tuple] = {}
    counts = {"cases": 0, "failures": 0, "slowest": 0.0}
    start = time.monotonic()

    @hypothesis_seed(args.seed)
    @settings(max_examples=args.cases, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(cases())
    def one(case: Case) -> None:
        outcome = run_case(case)
        counts["cases"] += 1
        counts["slowest"] = max(counts["slowest"], outcome.seconds)
        if outcome.failure():
            counts["failures"] += 1
            key = signature(case, outcome)
            if key not in found or len(case.describe()) < len(found[key][0].describe()):
                found[key] = (case, outcome)
        if counts["cases"] % 250 == 0:
            print(f"{counts['cases']} cases, {len(found)} distinct failures, {time.monotonic() - start:.0f} s",
                  file=sys.stderr, flush=True)

    try:
        one()
    except KeyboardInterrupt:  # Ctrl-C: report what was found so far
        print("interrupted", file=sys.stderr)
    report(found, counts, time.monotonic() - start, args.save)
    return 1 if found else 0


def warm_up() -> None:
    """Import what the commands import, once, so that every forked case starts warm."""
    import numpy  # noqa: F401
    import rich.console  # noqa: F401
    import sympy  # noqa: F401

    import cli  # noqa: F401
    from calc.problems_io import problem_index

    problem_index()


def report(found: dict, counts: dict, seconds: float, save: Path | None) -> None:
    print(f"{counts['cases']} cases in {seconds:.0f} s (slowest {counts['slowest']:.1f} s): "
          f"{counts['failures']} failed, {len(found)} distinct")
    for n, (key, (case, outcome)) in enumerate(sorted(found.items()), 1):
        print(f"\n[{n}] {key}\n    {outcome.failure()}\n{case.describe()}")
        if save:
            folder = save / f"{n:03d}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "command.txt").write_text(f"{key}\n{case.command()}\n", encoding="utf-8")
            (folder / "stderr.txt").write_text(outcome.stderr, encoding="utf-8")
            for name, data in case.files.items():
                if isinstance(data, (str, bytes)):
                    target = folder / "files" / name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)


if __name__ == "__main__":
    sys.exit(main())
