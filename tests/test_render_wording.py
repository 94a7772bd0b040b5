"""Counting returns records; the renderers word them (calc/render/wording.py). The sentences
below are written out by hand, plurals included."""

from __future__ import annotations

from calc.counting.stats import UnusedInput, summarize
from calc.network import network_from_text
from calc.render.wording import summary_warnings, unused_input_text, zoo_published_text


def test_unused_input_sentences():
    one = UnusedInput("conv1", ("row",), 5, 2, 1)
    assert unused_input_text(one) == ("conv1: (i + pad - d(k-1) - 1) = 5 is not divisible by the stride 2: "
                                      "the last input row is never used")
    both = UnusedInput("conv2", ("row", "column"), 7, 4, 3)
    assert unused_input_text(both).endswith("the last 3 input rows and columns are never used")
    cols = UnusedInput("pool1", ("column",), 7, 4, 3)
    assert unused_input_text(cols).endswith("the last 3 input columns are never used")
    single_both = UnusedInput("conv3", ("row", "column"), 213, 4, 1)
    assert unused_input_text(single_both).endswith("the last input row and column are never used")


def test_summary_warnings_hint_first_then_strides():
    # 9 x 12 input, kernel 5, stride 4: rows (9 - 5) = 4 divide, columns (12 - 5) = 7 leave 3 unused
    net = network_from_text("input: [9, 12, 1]\nlayers:\n  - conv: {filters: 1, kernel: 5, stride: 4}\n", "t.yaml")
    s = summarize(net)
    assert s.unused_input == [UnusedInput("conv1", ("column",), 7, 4, 3)]
    assert summary_warnings(s) == [unused_input_text(s.unused_input[0])]


def test_zoo_published_words_agreement_and_shouts_a_mismatch():
    def fig(figure, published, ours):
        return {"figure": figure, "published": published, "ours": ours, "match": published == ours}

    assert zoo_published_text([fig("params", 10, 10), fig("macs", 7, 7)]) == "params+MACs"
    assert zoo_published_text([fig("params", 10, 10)]) == "params"
    assert zoo_published_text([]) == "-"
    assert zoo_published_text([fig("params", 10, 11), fig("macs", 7, 7)]) == "DIFFERS: params"
    assert zoo_published_text([fig("params", 10, 11), fig("macs", 7, 8)]) == "DIFFERS: params, MACs"
