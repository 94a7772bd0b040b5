"""1,000 submissions of a 44-item problem (Mazur's network: forward, loss, backward, update)
graded by `nncalc grade` on 2 processes (issue 15: "well under a minute on 2 cores").

    python -m benchmarks.bench_grade                  # 1000 students, --jobs 2
    python -m benchmarks.bench_grade --students 200 --jobs 1

The class is made of the worked solution's own answers written to 4 decimals, with every fifth
student taking sigma' at z (the z(1 - z) slip) on one item, every seventh leaving a third of the
items blank and every 50th a broken file. Not a timed test: it prints wall and CPU time.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

PROBLEM = "networks/mazur"


def write_class(folder: Path, students: int) -> None:
    from calc.problems_io import load_problem, solve_problem

    ours = solve_problem(load_problem(PROBLEM))
    names = [k for k in ours.answers if k not in ours.aliases]
    for s in range(students):
        lines = []
        for k, name in enumerate(names):
            value = float(ours.answers[name])
            if s % 5 == 1 and name == "fc2.da1/dz1":
                z = float(ours.answers["fc2.z1"])
                value = z * (1 - z)
            if s % 7 == 2 and k % 3 == 0:
                lines.append(f"{name}: null")
                continue
            lines.append(f"{name}: {value:.4f}")
        text = "\n".join(lines) + "\n"
        if s % 50 == 3:
            text = "fc1.z1: [0.1,\n"  # broken YAML: an error row
        (folder / f"student{s:04d}.yaml").write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    from calc.teach.grade import grade_class

    with tempfile.TemporaryDirectory() as tmp:
        write_class(Path(tmp), args.students)
        wall, cpu = time.perf_counter(), _cpu()
        book = grade_class(PROBLEM, tmp, jobs=args.jobs)
        wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    items = max((s.max for s in book.graded), default=0)
    print(f"{len(book.students)} submissions x {items} items, {book.workers} processes: {wall:.1f} s wall, "
          f"{cpu:.1f} s CPU ({len(book.errors)} error rows, {len(book.slips())} slips named)")


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


if __name__ == "__main__":
    main()
