"""`nncalc export --to keras`: well-formed Python, run against a small fake of the Keras API
(tests/keras_fake.py, no Keras needed; real Keras: tests/test_export_keras_real.py): the model's
output shape and trainable weight count are nncalc's, layer by layer named as nncalc names them."""

from __future__ import annotations

import ast
import sys
import textwrap

import pytest

from calc.errors import SpecError
from calc.interchange.export import export_code
from calc.network import load_network, network_from_text
from tests.keras_fake import make_keras
from tests.test_export_torch import SPECS

KERAS_ZOO = ["mnist-mlp", "mnist-cnn", "lenet5", "alexnet", "resnet18", "resnet50", "mobilenet-v2",
             "mobilenet-v3-large", "efficientnet-b0", "densenet121", "shufflenet-v2-x1.0", "inception-naive", "vgg16", "googlenet", "squeezenet1.1",
             "lstm-classifier"]
KERAS_SPECS = ["cnn-residual-projection", "flatten-chw-and-asymmetric-same", "concat-split-shuffle-se"]


def run_keras(source: str, monkeypatch):
    keras, created = make_keras()
    monkeypatch.setitem(sys.modules, "keras", keras)
    monkeypatch.setitem(sys.modules, "keras.layers", keras.layers)
    namespace = {"__name__": "exported"}
    exec(compile(source, "<keras>", "exec"), namespace)  # noqa: S102 - the code under test
    build = next(v for k, v in namespace.items() if k.startswith("build_"))
    return build(), created


def check(network, monkeypatch):
    source = export_code(network, "keras")
    ast.parse(source)
    assert max(len(line) for line in source.splitlines()) <= 79
    model, created = run_keras(source, monkeypatch)
    assert model.outputs.shape == tuple(network.output_shape)
    per_layer = {layer.name: layer.trainable for layer in created if layer.name}
    for leaf in network.leaves():
        if leaf.param_count():
            assert per_layer.get(leaf.name) == leaf.param_count(), leaf.name
    named = [layer for layer in created if layer.name]  # a Bidirectional's inner layer counts through it
    assert sum(layer.trainable for layer in named) == sum(leaf.param_count() for leaf in network.leaves())
    assert sum(layer.frozen for layer in created) == sum(leaf.buffer_count() for leaf in network.leaves())


@pytest.mark.parametrize("name", KERAS_ZOO)
def test_zoo_network_in_keras(name, monkeypatch):
    check(load_network(name), monkeypatch)


@pytest.mark.parametrize("name", KERAS_SPECS)
def test_branchy_spec_in_keras(name, monkeypatch):
    check(network_from_text(textwrap.dedent(SPECS[name]), f"{name}.yaml"), monkeypatch)


def test_sequence_spec_in_keras(monkeypatch):
    check(network_from_text(textwrap.dedent("""
        input: [12]
        layers:
          - embedding: {vocab: 50, dim: 8}
          - transformer_encoder: {heads: 2, ffn: 16, activation: gelu, norm: pre}
          - conv1d: {filters: 6, kernel: 3, padding: same}
          - gru: {hidden: 5, bidirectional: true}
          - lstm: {hidden: 4, convention: keras, return_sequences: false}
          - dense: {units: 2}
    """), "seq.yaml"), monkeypatch)


def test_option_without_keras_form_is_one_line():
    network = network_from_text("input: [4, 4, 4]\nlayers:\n  - conv_transpose: {filters: 2, kernel: 2, stride: 2, dilation: 3, output_padding: 2}\n",
                                "t.yaml")
    with pytest.raises(SpecError) as info:
        export_code(network, "keras")
    text = str(info.value)
    assert "\n" not in text and "Keras" in text and "output_padding" in text and "t.yaml" in text
