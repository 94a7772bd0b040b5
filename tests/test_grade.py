"""nncalc grade (issue 15): hand-made submissions whose verdicts are known.

Values come from published figures (Mazur's worked example: out_h1 = 0.593269992, out_o1 =
0.75136507, E_total = 0.298371109, w5+ = 0.35891648, w1+ = 0.149780716) or are worked out here
by hand (softmax of equal scores, z(1 - z) at z = 1.10590597). The gradebook must agree with
nncalc check on every handwritten example (the checker decides; grading only solves once).
"""

from __future__ import annotations

import json
import math
import re
from fractions import Fraction as F
from pathlib import Path

import pytest

from calc.check import Tolerance, check, read_answers
from calc.errors import InputError
from calc.problems_io import load_problem
from calc.teach.grade import Credit, grade_class
from calc.teach.grade.render import book_csv, report_markdown

ROOT = Path(__file__).resolve().parents[1]
MAZUR = "networks/mazur"
Z1 = 1.10590597  # Mazur's net_o1


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def rows(book, student: str) -> dict:
    s = next(s for s in book.students if s.student == student)
    return {r.item: r for r in s.rows}


@pytest.fixture(scope="module")
def mazur_book(tmp_path_factory):
    zz = Z1 * (1 - Z1)
    assert abs(zz - (-0.11712)) < 1e-5  # by hand: 1.10590597 x (-0.10590597)
    folder = write(tmp_path_factory.mktemp("mazur"), {
        "alice.yaml": "out_h1: 0.593269992\nout_o1: 0.75136507\nE_total: 0.298371109\nw5+: 0.35891648\n"
                      "w1+: 0.149780716\n",
        "bob.yaml": f"fc1.a1: 0.59\nloss: 0.3\nfc2.da1/dz1: {zz:.4f}\n",
        "carol.yaml": "out_h1: [1, 2\n",  # broken YAML
        "dave.yaml": "out_h1: hello\nnosuch: 3\n",
        "erin.yaml": "- just\n- a list\n",
        "frank.yaml": f"student: Frank Li\nfc2.da1/dz1: {zz:.4f}\nfc2.da2/dz2: 0.1755\n",
    })
    return grade_class(MAZUR, str(folder), jobs=1)


def test_published_values_are_right_and_the_rest_blank(mazur_book):
    alice = rows(mazur_book, "alice")
    assert {k for k, r in alice.items() if r.verdict == "right"} == {"fc1.a1", "fc2.a1", "loss", "fc2.w11+",
                                                                     "fc1.w11+"}
    assert all(r.verdict == "blank" and r.points == 0 for k, r in alice.items() if k not in
               {"fc1.a1", "fc2.a1", "loss", "fc2.w11+", "fc1.w11+"})
    s = next(s for s in mazur_book.students if s.student == "alice")
    assert (s.score, s.max) == (5, 44)  # 44 quantities; the aliases (out_h1 ...) are not counted twice


def test_rounded_and_the_z_slip_named(mazur_book):
    bob = rows(mazur_book, "bob")
    assert bob["fc1.a1"].verdict == "rounded" and bob["loss"].verdict == "rounded"  # 0.5933 -> 0.59, 0.2984 -> 0.3
    assert bob["fc2.da1/dz1"].verdict == "slip" and "z(1 - z)" in bob["fc2.da1/dz1"].slip
    assert bob["fc2.da1/dz1"].points == 0


def test_broken_submissions_get_error_rows_and_the_class_goes_on(mazur_book):
    errors = {s.student: s.error for s in mazur_book.errors}
    assert set(errors) == {"carol", "erin"}
    assert "carol.yaml:" in errors["carol"] and "YAML" in errors["carol"]
    assert "mapping" in errors["erin"]
    dave = rows(mazur_book, "dave")
    assert dave["fc1.a1"].verdict == "invalid" and "hello" in dave["fc1.a1"].slip
    assert dave["nosuch"].verdict == "unknown" and dave["nosuch"].max == 0


def test_student_named_in_the_file_and_slips_counted_per_student(mazur_book):
    frank = rows(mazur_book, "Frank Li")
    assert frank["fc2.da2/dz2"].verdict == "rounded"  # a(1 - a) = 0.77293 x 0.22707 = 0.17551
    slips = mazur_book.slips()
    assert slips[0]["students"] == 2 and "z(1 - z)" in slips[0]["slip"]
    assert slips[0]["items"] == {"fc2.da1/dz1": 2}


def test_report_and_csv(mazur_book):
    md = report_markdown(mazur_book)
    assert "2 students: derivative taken at z: z(1 - z)" in md
    assert "| `loss` | 1 | 1 | 0 | 0 | 0 | 2 | 0 | 50% |" in md  # alice right, bob rounded, dave, frank blank
    text = book_csv(mazur_book)
    lines = text.splitlines()
    assert lines[0] == "student,variant,item,verdict,slip,points,max,answer,note,file"
    assert any(line.startswith("carol,,,error,") for line in lines)
    assert any(line.startswith("alice,,(total),,,5,44,") for line in lines)


def test_the_gradebook_agrees_with_nncalc_check_on_every_handwritten_example(tmp_path):
    """The same verdicts as nncalc check, file by file (the problem solved once changes nothing)."""
    pairs = []
    for f in sorted((ROOT / "examples" / "handwritten").glob("*.yaml")):
        found = re.search(r"^# Problem: (\S+)", f.read_text(encoding="utf-8"), re.M)
        if found:
            pairs.append((found.group(1), f))
    compared = 0
    for problem, f in pairs:
        folder = write(tmp_path / f.stem, {f.name: f.read_text(encoding="utf-8")})
        book = grade_class(problem, str(folder), jobs=1)
        report = check(load_problem(problem), read_answers(f), Tolerance(), allow_blank=True)
        mine = {r.item: r.verdict for r in book.students[0].rows if r.verdict not in ("blank", "unknown")}
        theirs = {(v.canonical or v.name): {"correct": "right"}.get(v.status, v.status) for v in report.verdicts
                  if v.status not in ("blank",) and v.ours is not None}
        theirs = {k: ("slip" if s == "wrong" and next(v for v in report.verdicts
                                                      if (v.canonical or v.name) == k).diagnosis else s)
                  for k, s in theirs.items()}
        both = set(mine) & set(theirs)  # a matrix written element by element is one row here
        assert {k: mine[k] for k in both} == {k: theirs[k] for k in both}, problem
        assert not book.errors
        compared += bool(both)
    assert compared >= 10


def test_carried_earns_credit_by_default_and_what_credit_says(tmp_path):
    # e1 = e^2 = 7.389 is written 7.40 (wrong); 7.40 + 2.72 + 1.11 = 11.23 follows from it
    assert round(math.exp(2), 2) == 7.39 and round(math.exp(2) + math.exp(1) + math.exp(0.1), 2) == 11.21
    folder = write(tmp_path / "ws", {"ann.yaml": "e1: 7.40\ne2: 2.72\ne3: 1.11\nsum_e: 11.23\np1: null\n"})
    plain = rows(grade_class("softmax/softmax-worksheet", str(folder), jobs=1), "ann")
    assert [plain[k].verdict for k in ("e1", "e2", "e3", "sum_e", "p1")] == ["wrong", "rounded", "rounded",
                                                                            "carried", "blank"]
    assert plain["sum_e"].points == 1 and plain["p1"].points == 0 and "e1" in plain["sum_e"].note
    half = rows(grade_class("softmax/softmax-worksheet", str(folder), Credit.parse("carried=0.5, blank=0.25"),
                            jobs=1), "ann")
    assert half["sum_e"].points == F(1, 2) and half["p1"].points == F(1, 4) and half["e2"].points == 1


@pytest.mark.parametrize("text, message", [("carried=2", "from 0 to 1"), ("late=1", "VERDICT=POINTS"),
                                           ("carried", "VERDICT=POINTS"), ("carried=x", "carried")])
def test_bad_credit_is_one_line(text, message):
    with pytest.raises(InputError, match=message):
        Credit.parse(text)


VARIANTS = {"v1.yaml": "id: v1\ntype: softmax\ngiven:\n  z: [0, 0]\n",
            "v2.yaml": "id: v2\ntype: softmax\ngiven:\n  z: [1, 1, 1]\n",
            "notes.yaml": "remark: not a problem file\n"}


def test_each_student_is_graded_against_the_variant_of_their_id(tmp_path):
    variants = write(tmp_path / "variants", VARIANTS)
    subs = write(tmp_path / "subs", {
        "a.yaml": "id: v1\np1: 0.5\np2: 1/2\nsum_e: 2\njacobian: [[0.25, -0.25], [-0.25, 0.25]]\n",
        "b.yaml": "id: v2\np1: 0.333\np2: 1/3\np3: 0.5\nJ11: 0.2222\nJ12: -0.1111\n",  # 2/9, -1/9
        "c.yaml": "id: v9\np1: 0.5\n",
        "d.yaml": "p1: 0.5\n"})
    book = grade_class(str(variants), str(subs), jobs=1)
    a, b = rows(book, "a"), rows(book, "b")
    assert [a[k].verdict for k in ("p1", "p2", "sum_e", "jacobian")] == ["right"] * 4
    assert [b[k].verdict for k in ("p1", "p2", "p3")] == ["rounded", "right", "wrong"]
    assert b["jacobian"].verdict == "blank"  # J11, J12 only: the 3 x 3 matrix is not all there
    errors = {s.student: s.error for s in book.errors}
    assert "id 'v9' is none of the 2 variants" in errors["c"] and "no 'id:'" in errors["d"]


def test_a_csv_class_with_variants(tmp_path):
    variants = write(tmp_path / "variants", VARIANTS)
    sheet = tmp_path / "class.csv"
    sheet.write_text("student,id,p1,p2,jacobian\n"
                     "Ann,v1,0.5,0.5,\"[[0.25, -0.25], [-0.25, 0.25]]\"\n"
                     "Ben,v2,0.3333,,\n"
                     "Cat,v1,0.5,half,\n"
                     "Dan,v1,0.5,0.5,[1],2,3\n", encoding="utf-8")
    book = grade_class(str(variants), str(sheet), jobs=1)
    ann, ben, cat = rows(book, "Ann"), rows(book, "Ben"), rows(book, "Cat")
    assert [ann[k].verdict for k in ("p1", "p2", "jacobian")] == ["right"] * 3
    assert ben["p1"].verdict == "rounded" and ben["p2"].verdict == "blank"
    assert cat["p2"].verdict == "invalid"
    assert "7 cells" in book.errors[0].error and book.errors[0].student == "Dan"


def test_a_csv_without_a_student_column_stops_before_grading(tmp_path):
    sheet = tmp_path / "class.csv"
    sheet.write_text("name,p1\nAnn,0.5\n", encoding="utf-8")
    with pytest.raises(InputError, match="no 'student' column"):
        grade_class("softmax/softmax-worksheet", str(sheet))


def test_hostile_sizes_are_error_rows(tmp_path):
    folder = write(tmp_path / "h", {"ok.yaml": "p1: 0.66\n", "huge.yaml": "p1: " + "9" * 5000 + "\n",
                                    "deep.yaml": "p1: " + "[" * 5000 + "\n"})
    (folder / "many.yaml").write_text("".join(f"x{k}: {k}\n" for k in range(100_000)), encoding="utf-8")
    (folder / "big.yaml").write_text("p1: 0.66\n" + "#" * (5 << 20), encoding="utf-8")
    book = grade_class("softmax/softmax-jacobian", str(folder), jobs=1)
    assert rows(book, "ok")["p1"].verdict == "rounded"
    errors = {s.student: s.error for s in book.errors}
    assert set(errors) == {"big", "deep", "huge", "many"} and "100,000 answers" in errors["many"]
    assert "5000 digits" in errors["huge"] and "up to 4.0 MiB" in errors["big"]


def test_in_parallel_the_same_book(tmp_path):
    files = {f"s{k:02d}.yaml": f"p1: {0.66 if k % 2 else 0.65}\np2: 0.24\n" for k in range(20)}
    files["broken.yaml"] = "p1: [\n"
    folder = write(tmp_path / "p", files)
    one = grade_class("softmax/softmax-jacobian", str(folder), jobs=1)
    two = grade_class("softmax/softmax-jacobian", str(folder), jobs=2)
    assert two.workers == 2 and book_csv(one) == book_csv(two)
    assert rows(two, "s01")["p1"].verdict == "rounded" and rows(two, "s00")["p1"].slip.startswith("truncated")


def test_cli_writes_the_book_and_the_report(cli, tmp_path):
    folder = write(tmp_path / "c", {"ann.yaml": "p1: 0.66\n", "bad.yaml": "p1: [\n"})
    book, report = tmp_path / "book.csv", tmp_path / "report.md"
    code, out, err = cli("grade", "softmax/softmax-jacobian", str(folder), "--csv", str(book), "--report",
                         str(report), "--credit", "rounded=0.5")
    assert code == 0 and "ann" in out and "error" in out
    assert f"wrote {book} (CSV, " in err and f"wrote {report} (Markdown, " in err
    assert "ann,,p1,rounded,,0.5,1,0.66," in book.read_text(encoding="utf-8")
    code, out, _ = cli("grade", "softmax/softmax-jacobian", str(folder), "--json")
    data = json.loads(out)
    assert code == 0 and data["graded"] == 1 and data["errors"] == 1
    code, _, err = cli("grade", "softmax/softmax-jacobian", str(tmp_path / "nowhere"))
    assert code == 2 and "no such file or folder" in err and err.count("\n") == 1
    code, _, err = cli("grade", "no/such-problem", str(folder))
    assert code == 2 and err.count("\n") == 1


def test_slips_differing_only_in_numbers_are_one_slip(tmp_path):
    # p1 = 0.6590 and p3 = 0.0986 truncated to 2 decimals: 0.65 and 0.09 (rounded: 0.66 and 0.10)
    folder = write(tmp_path / "t", {"a.yaml": "p1: 0.65\n", "b.yaml": "p3: 0.09\n", "c.yaml": "p1: 0.65\n"})
    book = grade_class("softmax/softmax-jacobian", str(folder), jobs=1)
    assert book.slips() == [{"slip": "truncated, not rounded", "students": 3, "items": {"p1": 2, "p3": 1}}]
    one = grade_class("softmax/softmax-jacobian", str(write(tmp_path / "u", {"a.yaml": "p1: 0.65\n"})), jobs=1)
    assert one.slips()[0]["slip"] == "truncated, not rounded: ours rounds to 0.66 at 2 decimals"


def test_a_fifo_or_a_device_is_an_error_row_not_a_hang(tmp_path):
    import os

    folder = write(tmp_path / "f", {"ok.yaml": "p1: 0.66\n"})
    os.mkfifo(folder / "pipe.yaml")
    (folder / "zero.yaml").symlink_to("/dev/zero")
    book = grade_class("softmax/softmax-jacobian", str(folder), jobs=1)
    errors = {s.student: s.error for s in book.errors}
    assert set(errors) == {"pipe", "zero"} and all("not a regular file" in e for e in errors.values())


def test_one_variant_for_the_class_refuses_an_answers_file_of_another(tmp_path):
    variants = write(tmp_path / "variants", VARIANTS)
    subs = write(tmp_path / "subs", {"a.yaml": "id: v1\np1: 0.5\n", "b.yaml": "id: v2\np1: 0.5\n",
                                     "c.yaml": "p1: 0.5\n"})
    book = grade_class(str(variants / "v1.yaml"), str(subs), jobs=1)
    assert rows(book, "a")["p1"].verdict == "right" and rows(book, "c")["p1"].verdict == "right"
    assert [s.student for s in book.errors] == ["b"] and "variant 'v1'" in book.errors[0].error


def test_student_names_are_never_markup(cli, tmp_path):
    folder = write(tmp_path / "m", {"[bold]x.yaml": "p1: 0.66\n", "y.yaml": "student: '[/]'\np1: 0.66\n"})
    code, out, err = cli("grade", "softmax/softmax-jacobian", str(folder))
    assert code == 0 and "[bold]x" in out and "[/]" in out, err


def test_the_book_and_the_report_never_overwrite_an_input(cli, tmp_path):
    folder = write(tmp_path / "w", {"ann.yaml": "p1: 0.66\n"})
    for option in ("--csv", "--report"):
        for target in (folder / "ann.yaml", folder / "new.yaml", folder):
            code, out, err = cli("grade", "softmax/softmax-jacobian", str(folder), option, str(target))
            assert code == 2 and "an input of this command" in err, (option, target, err)
    assert (folder / "ann.yaml").read_text(encoding="utf-8") == "p1: 0.66\n" and not (folder / "new.yaml").exists()
    code, _, err = cli("grade", "softmax/softmax-jacobian", str(folder), "--csv", str(folder / "book.csv"))
    assert code == 0 and (folder / "book.csv").exists()


def test_decimals_asked_make_a_coarse_answer_wrong(tmp_path):
    # p1 = 0.65900: 0.66 is right to the 2 decimals written, not to the 4 asked; 0.6590 is
    folder = write(tmp_path / "d", {"a.yaml": "p1: 0.66\n", "b.yaml": "p1: 0.6590\n"})
    book = grade_class("softmax/softmax-jacobian", str(folder), tolerance=Tolerance(decimals=4), jobs=1)
    a, b = rows(book, "a")["p1"], rows(book, "b")["p1"]
    assert a.verdict == "slip" and "4 are asked" in a.slip and a.points == 0
    assert b.verdict == "rounded" and b.points == 1
