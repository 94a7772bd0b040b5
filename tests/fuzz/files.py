"""Files a case can name: random valid specs (tests/specgen.py), damaged specs, bundled problems
with a damaged given, answers files, data files (CSV, YAML, .npy), and odd paths.

Each strategy draws ``(text for the command line, {relative name: content})``; the runner writes
the files into the case's temporary directory. Paths outside it are only the harmless fixed ones
in ODD_PATHS; everything a command may write goes to a relative name.
"""

from __future__ import annotations

import io
import random
from functools import cache
from pathlib import Path

import yaml
from hypothesis import strategies as st

from tests.fuzz import values
from tests.fuzz.runner import FIFO
from tests.fuzz.values import ODD_TEXT, edge_number, matrix, number, small_number
from tests.specgen import _Dumper, random_spec
from tests.test_spec_fuzz import _damaged

ROOT = Path(__file__).resolve().parents[2]
ODD_PATHS = ("", ".", "missing.yaml", "nodir/x.yaml", "/dev/null", "/dev/zero", "fifo")
ODD_FILES = {"fifo": FIFO}
OUTPUTS = ("-", "out.md", "out.npz", "", ".", "nodir/out.md", "spec.yaml", "answers.yaml", "/dev/null")


@cache
def bundled_problems() -> tuple[str, ...]:
    return tuple(sorted(str(p.relative_to(ROOT / "problems").with_suffix("")) for p in (ROOT / "problems").rglob("*.yaml")))


@cache
def zoo_names() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in (ROOT / "calc" / "zoo").glob("*.yaml")))


@cache
def problem_doc(name: str) -> dict:
    return yaml.safe_load((ROOT / "problems" / f"{name}.yaml").read_text(encoding="utf-8"))


def dump(doc) -> str:
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, default_flow_style=None, allow_unicode=True, width=100)


def odd_path() -> st.SearchStrategy:
    paths = [p for p in ODD_PATHS if p not in ("/dev/zero", "fifo") or "devices" not in values.PENDING]
    return st.sampled_from(paths).map(lambda p: (p, {p: ODD_FILES[p]} if p in ODD_FILES else {}))


def output_path() -> st.SearchStrategy:
    return st.sampled_from(OUTPUTS).map(lambda p: (p, {}))


def spec_file() -> st.SearchStrategy:
    """A valid random spec, a damaged one, a bundled name, or an odd path."""
    seeds = st.integers(0, 10**6)
    valid = seeds.map(lambda s: ("spec.yaml", {"spec.yaml": random_spec(s).text}))
    damaged = st.tuples(seeds, st.integers(0, 4)).map(lambda t: ("spec.yaml", {"spec.yaml": _damaged(t[0])[t[1]]}))
    zoo = st.sampled_from(zoo_names()).map(lambda n: (n, {}))
    return st.one_of(valid, valid, damaged, odd_path(), st.binary(max_size=200).map(lambda b: ("spec.yaml", {"spec.yaml": b})),
                     *values.drawn("models", zoo))


def _mutate(doc, rng: random.Random, value):
    """Replace one value somewhere under doc (a dict or list) by ``value``, in place."""
    parent, key = None, None
    node = doc
    for _ in range(6):
        items = list(node.items()) if isinstance(node, dict) else list(enumerate(node)) if isinstance(node, list) else []
        if not items or (parent is not None and rng.random() < 0.3):
            break
        parent, (key, node) = node, rng.choice(items)
    if parent is not None:
        parent[key] = value


def problem_file() -> st.SearchStrategy:
    """A bundled problem by name, or its file with one value of ``given`` replaced."""
    names = st.sampled_from(bundled_problems())
    odd_value = st.one_of(number().map(_as_yaml_number), matrix().map(_yaml_or_text), st.sampled_from(
        [None, [], {}, [[]], "x", True, -1, 0, 10**9, [1e308, -1e308], [0, 0], "nan", ".inf"]))

    def damaged(name, seed, value):
        doc = problem_doc(name)
        doc = yaml.safe_load(dump(doc))  # a deep copy
        if isinstance(doc.get("given"), (dict, list)):
            _mutate(doc["given"], random.Random(seed), value)
        return "problem.yaml", {"problem.yaml": dump(doc)}

    return st.one_of(names.map(lambda n: (n, {})), st.builds(damaged, names, st.integers(0, 10**6), odd_value),
                     odd_path())


def _as_yaml_number(text: str):
    try:
        return yaml.safe_load(text) if len(text) < 10_000 else text
    except (yaml.YAMLError, ValueError):  # ValueError: ints over 4300 digits
        return text


def _yaml_or_text(text: str):
    try:
        return yaml.safe_load(text.replace(";", ","))
    except (yaml.YAMLError, ValueError):  # ValueError: ints over 4300 digits
        return text


def answers_file(problem: str) -> st.SearchStrategy:
    """Answers for ``problem`` (bundled name or ''): its expected names with odd values, extra names,
    and broken files (not a mapping, bad YAML, binary)."""
    doc = problem_doc(problem) if problem in bundled_problems() else {}
    keys = list((doc.get("expected") or {}).keys()) or ["loss", "x1"]
    value = st.one_of(number().map(_as_yaml_number), number(), matrix().map(_yaml_or_text),
                      st.sampled_from([None, [], {}, "", "abc", [1, [2]], {"a": 1}, True]),
                      st.lists(st.floats(-10, 10), max_size=5))
    key = st.one_of(st.sampled_from(keys), st.sampled_from(ODD_TEXT), st.text(max_size=10))
    mapping = st.dictionaries(key, value, max_size=12).map(lambda d: dump(d))
    exact = st.builds(lambda vals: dump({k: v for k, v in zip(keys, vals)}),
                      st.lists(number().map(_as_yaml_number), min_size=len(keys), max_size=len(keys)))
    broken = st.sampled_from(["", "- 1\n- 2\n", "a: [1, 2\n", "1.5\n", "a: 1\na: 2\n", "&x [*x]\n", "\x00\x01"])
    return st.one_of(mapping, exact, exact, broken).map(lambda t: ("answers.yaml", {"answers.yaml": t}))


def data_file(width: int = 4) -> st.SearchStrategy:
    """Samples for run/train: CSV rows, a YAML list, or a .npy array (zero samples included)."""
    cell = st.one_of(small_number(), small_number(), edge_number())
    rows = st.lists(st.lists(cell, min_size=max(width - 1, 1), max_size=width + 1), max_size=6)
    csv = rows.map(lambda rs: ("data.csv", {"data.csv": "".join(",".join(r) + "\n" for r in rs)}))
    yml = rows.map(lambda rs: ("data.yaml", {"data.yaml": "[" + ", ".join("[" + ", ".join(r) + "]" for r in rs) + "]"}))
    npy = st.tuples(st.integers(0, 3), st.integers(0, width + 1), st.sampled_from(["float64", "float32", "int8", "object"]))
    return st.one_of(csv, csv, yml, npy.map(_npy), odd_path())


def _npy(shape_dtype) -> tuple:
    import numpy as np

    n, f, dtype = shape_dtype
    buffer = io.BytesIO()
    array = np.ones((n, f), dtype=dtype) if dtype != "object" else np.array([[1.0] * f] * n, dtype=object)
    np.save(buffer, array, allow_pickle=False) if dtype != "object" else buffer.write(b"not an npy file")
    return "x.npy", {"x.npy": buffer.getvalue()}
