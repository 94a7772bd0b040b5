"""Counting returns records; the renderers word them (calc/render/wording.py). The sentences
below are written out by hand, plurals included."""

from __future__ import annotations

from types import SimpleNamespace

from calc.counting.stats import UnusedInput, summarize
from calc.network import network_from_text
from calc.render.wording import (
    run_conventions,
    summary_warnings,
    train_conventions,
    unused_input_text,
    zoo_published_text,
)


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


def test_run_overflow_is_said_first_and_only_when_there_is_one():
    fine = SimpleNamespace(overflow=0, dtype="float64", conventions=["arithmetic: float64"])
    assert run_conventions(fine) == ["arithmetic: float64"]
    bad = SimpleNamespace(overflow=1234, dtype="float32", conventions=["arithmetic: float32"])
    assert run_conventions(bad) == [
        "overflow: 1,234 output value(s) are inf or nan: the values left the range of float32 "
        "(float64 reaches about 1.8e308, float32 3.4e38)", "arithmetic: float32"]


def test_train_divergence_is_said_first_and_only_when_it_happened():
    assert train_conventions(SimpleNamespace(diverged=None, conventions=["loss: mse"])) == ["loss: mse"]
    assert train_conventions(SimpleNamespace(diverged=3, conventions=["loss: mse"])) == [
        "diverged: the loss is not finite from epoch 3 on (inf or nan in float64); a smaller --lr usually helps",
        "loss: mse"]


def test_run_and_train_results_carry_overflow_and_divergence_as_data(tmp_path):
    from calc import TrainSettings, run_network, train_network

    spec = tmp_path / "res.yaml"  # 3e38 + 3e38 leaves float32's range (3.4e38); 1 + 1 does not
    spec.write_text("name: r\ninput: [2]\nlayers:\n  - residual:\n      body:\n"
                    "        - dense: {units: 2, weights: [[1, 0], [0, 1]], bias: [0, 0]}\n", encoding="utf-8")
    data = tmp_path / "big.yaml"
    data.write_text("- [3e38, 1]\n", encoding="utf-8")
    result = run_network(str(spec), str(data), dtype="float32")
    assert (result.overflow, result.dtype) == (1, "float32")
    assert not any(c.startswith("overflow") for c in result.conventions)  # the renderer words it
    lin = tmp_path / "lin.yaml"
    lin.write_text("name: lin\ninput: [2]\nlayers:\n  - dense: {units: 1}\n")
    trained = train_network(str(lin), "examples/xor.csv", TrainSettings(epochs=4, lr=1e300, loss="mse"))
    assert trained.diverged == 2  # epoch 2 overflows 1e300 * ~1


def test_weights_origin_sentences():
    from calc.engine.api import WeightsOrigin
    from calc.render.wording import weights_text

    assert weights_text(WeightsOrigin(file="w.npz")) == "weights: loaded from w.npz"
    assert weights_text(WeightsOrigin(given=("fc1.weight",))) == "weights: as given in the spec"
    assert weights_text(WeightsOrigin(has_params=False, before_training=True)) == "weights: none (no layer has parameters)"
    drawn = WeightsOrigin(drawn=2, init="he_normal", dist="normal", formula="std = sqrt(2 / fan_in)", seed=7,
                          given=("fc2.bias",), before_training=True)
    assert weights_text(drawn) == ("weights: 2 tensor(s) drawn (he_normal: normal, std = sqrt(2 / fan_in)), seed 7; "
                                   "biases start at 0; from the spec: fc2.bias; before training")
    assert weights_text(WeightsOrigin(drawn=1, init="zeros", constant=True)) == "weights: 1 tensor(s) set to zeros"


def test_a_run_says_its_weights_second(tmp_path):
    from calc import run_network

    spec = tmp_path / "d.yaml"  # one dense layer, weights drawn: 2 tensors (weight, bias), seed 0
    spec.write_text("name: d\ninput: [2]\nlayers:\n  - dense: {units: 1}\n", encoding="utf-8")
    data = tmp_path / "x.yaml"
    data.write_text("- [1, 2]\n", encoding="utf-8")
    result = run_network(str(spec), str(data))
    assert (result.weights.drawn, result.weights.init, result.weights.seed) == (2, "torch_default", 0)
    notes = run_conventions(result)
    assert notes[0].startswith("arithmetic:") and notes[1].startswith("weights: 2 tensor(s) drawn (torch_default")
