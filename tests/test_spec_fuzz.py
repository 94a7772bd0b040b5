"""Broken specs never crash: random specs (tests/specgen.py) with one value, one key or the text
damaged either build or raise one located SpecError line, never another exception."""

from __future__ import annotations

import random

import pytest
import yaml

from calc.counting.stats import summarize
from calc.errors import NNCalcError
from calc.network import network_from_text
from tests.specgen import _Dumper, random_spec

VALUES = [-1, 0, "x", [1, 2, 3], None, {}, 1.5, True, [], "same", 10**9, {"a": 1}, "${1/0}", "$nope", [[1]], 2.0]
KEYS = ["conv", "dense", "concat", "residual", "repeat", "sequential", "blk1", "name", "trainable", 1, "layers",
        "body", "shortcut", "times", "branches", "params", "input", None, "p1"]


def _places(value, out, path=()):
    out.append(path)
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        _places(child, out, (*path, key))
    return out


def _damaged(seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for mutate_key in (False, True):
        doc = yaml.safe_load(random_spec(seed).text)
        places = [p for p in _places(doc, []) if p and (not mutate_key or isinstance(p[-1], str))]
        path = rng.choice(places)
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if mutate_key:
            parent[rng.choice(KEYS)] = parent.pop(path[-1])
        else:
            parent[path[-1]] = rng.choice(VALUES)
        texts.append(yaml.dump(doc, Dumper=_Dumper, sort_keys=False, default_flow_style=None))
    text = texts[0]
    texts += [text[:rng.randint(0, len(text))], text.replace(":", "", 1), text.replace("- ", "-", 1)]
    return texts


@pytest.mark.parametrize("chunk", range(4))
def test_damaged_specs_fail_with_one_located_line(chunk):
    for seed in range(chunk * 100, chunk * 100 + 100):
        for text in _damaged(seed):
            try:
                summarize(network_from_text(text, "damaged.yaml"))
            except NNCalcError as exc:
                message = str(exc)
                assert "\n" not in message and "damaged.yaml" in message, message
