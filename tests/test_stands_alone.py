"""What nncalc ships or prints stands alone: no pointer to the developers' ../shared folder, no
internal 'seed000' names; problems are named by topic and cite their documents by title."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INTERNAL = re.compile(r"seed ?0[0-4][0-9]|\.\./shared", re.I)
SHIPPED = ["calc", "problems", "examples", "docs"]


def shipped_files():
    for top in SHIPPED:
        yield from (p for p in (ROOT / top).rglob("*") if p.is_file() and p.suffix in (".py", ".yaml", ".md", ".csv"))
    yield from ROOT.glob("cli*.py")
    yield ROOT / "README.md"


def test_no_internal_references_in_what_ships():
    found = [f"{p.relative_to(ROOT)}:{n}" for p in shipped_files()
             for n, line in enumerate(p.read_text(errors="replace").splitlines(), 1) if INTERNAL.search(line)]
    assert not found, found


def test_problems_are_listed_and_solved_by_their_topic_names(cli):
    code, out, _ = cli("problems")
    assert code == 0 and "softmax/cs231n-scores" in out and "optimizers/adam " in out and "seed" not in out.lower()
    code, out, _ = cli("solve", "optimizers/adam")
    assert code == 0 and "Adam" in out
    code, out, _ = cli("solve", "softmax/cs231n-scores")
    assert code == 0 and "LAPENNA Unit 7" in " ".join(out.split())
