"""Keras model configs read without TensorFlow (`nncalc summary model.json | model.keras`): the
totals Keras' model.summary() prints, derived by hand below from Keras' layer formulas, for
Sequential and Functional models in tf.keras 2 and Keras 3 formats."""

from __future__ import annotations

import json
import zipfile

import pytest


def totals(cli, path):
    code, out, err = cli("summary", str(path), "--json")
    assert code == 0, err
    data = json.loads(out)
    return data["total_params"], data["trainable_params"], data["non_trainable_params"]


def test_the_keras_mnist_convnet(cli):
    """keras.io's 'Simple MNIST convnet': Conv2D(32, 3) on 28x28x1: 3*3*1*32 + 32 = 320;
    Conv2D(64, 3): 3*3*32*64 + 64 = 18,496; after two 2x2 pools 5*5*64 = 1,600 features;
    Dense(10): 1,600*10 + 10 = 16,010. Total 34,826 (the guide's summary)."""
    assert totals(cli, "examples/keras/mnist-convnet.json") == (34_826, 34_826, 0)


def _sequential(layers, name="seq"):
    return {"class_name": "Sequential", "config": {"name": name, "layers": layers}}


def _layer(cls, name, **config):
    return {"class_name": cls, "config": {"name": name, **config}}


def test_embedding_and_recurrent_layers_use_keras_bias_conventions(cli, tmp_path):
    """Embedding(1000, 64): 64,000. LSTM(128) on 64 features, Keras: 4*(128*(64 + 128) + 128)
    = 98,816 (one bias per gate; PyTorch would have 4*128 more). GRU(32, reset_after=True) on 128:
    3*(32*(128 + 32) + 2*32) = 15,552. SimpleRNN(16) on 32: 16*(32 + 16) + 16 = 784.
    Dense(10) on 16: 170. Total 64,000 + 98,816 + 15,552 + 784 + 170 = 179,322."""
    spec = tmp_path / "rnn.json"
    spec.write_text(json.dumps(_sequential([
        _layer("InputLayer", "tokens", batch_input_shape=[None, 20]),
        _layer("Embedding", "embed", input_dim=1000, output_dim=64),
        _layer("LSTM", "lstm", units=128, return_sequences=True),
        _layer("GRU", "gru", units=32, return_sequences=True),
        _layer("SimpleRNN", "rnn", units=16),
        _layer("Dense", "out", units=10, activation="softmax")])))
    assert totals(cli, spec) == (179_322, 179_322, 0)


# a small residual model: Input 32x32x3 -> Conv2D(16, 3, same, no bias) -> BN -> ReLU -> Conv2D(16,
# 3, same) -> Add(relu, conv) -> Concatenate(add, relu) -> GlobalAveragePooling2D -> Dense(10).
# Conv 3*3*3*16 = 432; BN 4*16 = 64 of which moving mean/var 32 are non-trainable; conv 3*3*16*16
# + 16 = 2,320; 32 channels after the concat; Dense 32*10 + 10 = 330. Total 3,146; non-trainable 32.
RESIDUAL = (3_146, 3_114, 32)
LAYERS = [  # (class, name, config, inputs)
    ("InputLayer", "img", {"batch_shape": [None, 32, 32, 3]}, []),
    ("Conv2D", "stem", {"filters": 16, "kernel_size": [3, 3], "padding": "same", "use_bias": False}, ["img"]),
    ("BatchNormalization", "bn", {"epsilon": 0.001}, ["stem"]),
    ("ReLU", "act", {}, ["bn"]),
    ("Conv2D", "body", {"filters": 16, "kernel_size": 3, "padding": "same"}, ["act"]),
    ("Add", "add", {}, ["act", "body"]),
    ("Concatenate", "cat", {"axis": -1}, ["add", "act"]),
    ("GlobalAveragePooling2D", "gap", {}, ["cat"]),
    ("Dense", "logits", {"units": 10}, ["gap"]),
]


def _tf2_functional():
    layers = [{"class_name": cls, "name": name, "config": {"name": name, **config},
               "inbound_nodes": [[[src, 0, 0, {}] for src in inputs]] if inputs else []}
              for cls, name, config, inputs in LAYERS]
    return {"class_name": "Functional", "config": {"name": "residual", "layers": layers,
                                                   "input_layers": [["img", 0, 0]],
                                                   "output_layers": [["logits", 0, 0]]}}


def _keras3_functional():
    def tensor(src):
        return {"class_name": "__keras_tensor__", "config": {"shape": [None], "dtype": "float32",
                                                               "keras_history": [src, 0, 0]}}
    layers = []
    for cls, name, config, inputs in LAYERS:
        args = [[tensor(s) for s in inputs]] if len(inputs) > 1 else [tensor(s) for s in inputs]
        layers.append({"module": "keras.layers", "class_name": cls, "name": name,
                       "config": {"name": name, **config},
                       "inbound_nodes": [{"args": args, "kwargs": {}}] if inputs else []})
    return {"module": "keras", "class_name": "Functional",
            "config": {"name": "residual", "layers": layers, "input_layers": [["img", 0, 0]],
                       "output_layers": ["logits", 0, 0]}}


def test_a_functional_model_in_tf_keras_2_format(cli, tmp_path):
    spec = tmp_path / "residual.json"
    spec.write_text(json.dumps(_tf2_functional()))
    assert totals(cli, spec) == RESIDUAL


def test_a_functional_model_inside_a_keras_3_archive(cli, tmp_path):
    archive = tmp_path / "residual.keras"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.3.3"}))
        z.writestr("config.json", json.dumps(_keras3_functional()))
    assert totals(cli, archive) == RESIDUAL
    data = json.loads(cli("summary", str(archive), "--json")[1])
    rows = {row["name"]: row for row in data["layers"]}
    assert rows["cat"]["output_shape"] == [32, 32, 32] and rows["gap_flatten"]["output_shape"] == [32]


def test_layers_that_do_not_map_get_one_line_each(cli, tmp_path):
    spec = tmp_path / "odd.json"
    spec.write_text(json.dumps(_sequential([
        _layer("InputLayer", "x", batch_shape=[None, 8, 8, 8, 1]),
        _layer("Conv3D", "c3", filters=4, kernel_size=3),
        _layer("Lambda", "fn", function="x * 2"),
        _layer("Dense", "d", units=2, activation="swishy")])))
    code, out, err = cli("summary", str(spec))
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert "3 layers do not map to nncalc layers" in lines[0]
    assert lines[1:] == ["  layer 'c3' (Conv3D): nncalc has no layer for this class",
                         "  layer 'fn' (Lambda): nncalc has no layer for this class",
                         "  layer 'd' (Dense): activation 'swishy' has no nncalc layer"]


@pytest.mark.parametrize("content, message", [(b"PK not a zip", "not a .keras archive"), (b"", "not a .keras archive")])
def test_a_broken_archive_is_one_line(cli, tmp_path, content, message):
    bad = tmp_path / "m.keras"
    bad.write_bytes(content)
    code, _, err = cli("summary", str(bad))
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_a_json_spec_is_still_a_spec(cli, tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"name": "plain", "input": [4], "layers": [{"dense": {"units": 3}}]}))
    assert totals(cli, spec) == (15, 15, 0)
