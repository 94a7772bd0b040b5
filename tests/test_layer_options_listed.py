"""`nncalc layers` shows every option each layer type accepts (issue 13: conv_transpose took
`groups` but its row did not say so, because rows were prose kept by hand).

The accepted options are found here without the listing's probe: each kind's sample specs (its
random-spec maker, tests/specgen_layers.py, with varied options) are built with one unknown key
added, and the real option reader's refusal names the valid options of that path
("unknown option ...; valid options: a, b, c"). Each must be in the kind's row of `nncalc
layers --json` (its `options` and, as a word, its shown text).
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from calc.errors import SpecError
from tests.test_layer_conformance import SAMPLE_SHAPES, _makers

EVERY_LAYER = {"name", "trainable"}  # the spec builder takes them for every entry


@pytest.fixture(scope="module")
def rows():
    from typer.testing import CliRunner

    import cli as cli_module

    result = CliRunner().invoke(cli_module.app, ["layers", "--json"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    return {row["name"]: row for row in json.loads(result.stdout)}


def _with_unknown(entry, kind: str):
    """``entry`` with an unknown key added to the first leaf of ``kind`` (inside a sequential too)."""
    from calc.layers.base import canonical

    if isinstance(entry, str):
        return ({entry: {"zz_unknown": 1}}, True) if canonical(entry) == kind else (entry, False)
    if isinstance(entry, list):
        out, done = [], False
        for item in entry:
            if not done:
                item, done = _with_unknown(item, kind)
            out.append(item)
        return out, done
    if isinstance(entry, dict) and len(entry) == 1:
        (name, opts), = entry.items()
        if isinstance(name, str) and canonical(name) == kind:
            return {name: dict(opts or {}, zz_unknown=1)}, True
        if isinstance(opts, list):
            opts, done = _with_unknown(opts, kind)
            return {name: opts}, done
    return entry, False


def _refused_keys(entry, shape, kind: str) -> set[str] | None:
    """The valid options the reader names when an unknown key joins the ``kind`` leaf of ``entry``."""
    from calc.network import network_from_text

    entry, done = _with_unknown(entry, kind)
    if not done:
        return None
    try:
        network_from_text(yaml.safe_dump({"input": list(shape), "layers": [entry]}))
    except SpecError as exc:
        found = re.search(r"unknown option 'zz_unknown'.*valid options: (.*)$", exc.message)
        if found is None:
            return None  # refused for another reason first (a value, a shape)
        return {k.strip() for k in found.group(1).split(",")} - {"none"}
    raise AssertionError(f"an unknown option was accepted: {entry}")


def _accepted(kind: str, maker) -> set[str]:
    from tests.specgen import SpecGen

    keys: set[str] = set()
    for seed in range(60):
        shape = SAMPLE_SHAPES[seed % len(SAMPLE_SHAPES)]
        piece = maker(SpecGen(seed), shape)
        if piece is not None and kind in [k for k, _ in piece.leaves]:
            keys |= _refused_keys(piece.entry, shape, kind) or set()
    return keys - EVERY_LAYER


def _named(text: str, key: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", text) is not None


@pytest.mark.parametrize("kind", sorted(_makers()))
def test_every_accepted_option_is_listed(kind, rows):
    accepted = _accepted(kind, _makers()[kind])
    row = rows[kind]
    assert accepted <= set(row["options"]), (kind, accepted - set(row["options"]))
    assert [k for k in sorted(accepted) if not _named(row["summary"], k)] == []


def test_conv_transpose_lists_groups(rows):
    """The reported case, by hand: conv_transpose takes groups (and dilation, bias) as conv does."""
    row = rows["conv_transpose"]
    for key in ("groups", "dilation", "bias", "output_padding", "weights"):
        assert key in row["options"] and _named(row["summary"], key), key


def test_the_listing_follows_the_layer_not_its_prose():
    """A layer type whose summary forgets an option still shows it; an option asked about only to
    be refused (linear's `units`) is not shown."""
    from calc.layers.base import Layer
    from calc.layers.listing import accepted_options, unnamed_options

    class Forgetful(Layer):
        kind, summary = "forgetful", "does things: alpha"

        @classmethod
        def from_options(cls, opts):
            layer = cls(opts.where)
            layer.alpha = opts.number("alpha", 1.0)
            if opts.has("hidden"):
                layer.hidden = opts.int("hidden")
            if opts.has("units"):
                opts.fail("units", "no units here")
            opts.finish()
            return layer

    options = accepted_options(Forgetful)
    assert options == ["alpha", "hidden"]
    assert unnamed_options(Forgetful.summary, options) == ["hidden"]
    assert "units" not in accepted_options(__import__("calc.layers", fromlist=["REGISTRY"]).REGISTRY["linear"])
