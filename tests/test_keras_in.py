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


# --- layers checked against real Keras (3.x, torch backend): count_params() and output_shape ---

def _real_keras():
    import os

    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("these checks run Keras on its torch backend")
    return keras


def _against_keras(cli, tmp_path, model):
    path = tmp_path / "model.json"
    path.write_text(model.to_json())
    code, out, err = cli("summary", str(path), "--keras", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["total_params"] == model.count_params()
    assert data["layers"][-1]["output_shape"] == list(model.output_shape[1:])


def _sequence_model(keras):
    L = keras.layers
    x = keras.Input((20,))
    h = L.Conv1D(16, 3, padding="same", activation="relu")(L.Embedding(100, 32)(x))
    h = L.Bidirectional(L.LSTM(8, return_sequences=True))(L.MaxPooling1D(2)(h))
    h = L.TimeDistributed(L.Dense(12))(L.Bidirectional(L.GRU(8, return_sequences=True))(h))
    h = L.AveragePooling1D(2)(L.MultiHeadAttention(num_heads=3, key_dim=4)(h, h))
    return keras.Model(x, L.Dense(3)(L.GlobalAveragePooling1D()(h)))


def test_sequence_layers_count_as_keras_counts_them(cli, tmp_path):
    """Conv1D, 1-D pooling, Bidirectional LSTM/GRU (concat), TimeDistributed(Dense), Keras'
    MultiHeadAttention (per-head bias shapes: 4 (d^2 + d) all the same) and GlobalAveragePooling1D."""
    _against_keras(cli, tmp_path, _sequence_model(_real_keras()))


def test_image_layers_count_as_keras_counts_them(cli, tmp_path):
    """UpSampling2D, PReLU per channel and per element, ELU, GroupNormalization, a depthwise conv
    with a depth multiplier, a separable conv, and 'same' stride-2 padding (Keras pads more at the
    bottom/right: 9 -> 5), ZeroPadding2D folded into the conv after it."""
    keras = _real_keras()
    L = keras.layers
    x = keras.Input((9, 9, 4))
    h = L.PReLU(shared_axes=[1, 2])(L.UpSampling2D(2)(x))
    h = L.GroupNormalization(groups=2)(L.ELU()(h))
    h = L.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2)(L.Conv2D(4, 3, strides=2, padding="same")(h))
    h = L.Conv2D(5, 3, strides=2)(L.ZeroPadding2D(((0, 1), (1, 2)))(L.SeparableConv2D(6, 3, padding="same")(h)))
    _against_keras(cli, tmp_path, keras.Model(x, L.PReLU()(h)))


@pytest.mark.parametrize("pool", ["GlobalMaxPooling1D", "GlobalMaxPooling2D"])
def test_global_max_pooling_counts_as_keras(cli, tmp_path, pool):
    keras = _real_keras()
    L = keras.layers
    x = keras.Input((12, 6) if pool.endswith("1D") else (8, 8, 3))
    conv = L.Conv1D(4, 3) if pool.endswith("1D") else L.Conv2D(4, 3)
    _against_keras(cli, tmp_path, keras.Model(x, L.Dense(2)(getattr(L, pool)()(conv(x)))))


def _refused(cli, tmp_path, model):
    path = tmp_path / "model.json"
    path.write_text(model.to_json())
    code, out, err = cli("summary", str(path))
    assert code == 2 and out == "" and "Traceback" not in err
    return err.strip().splitlines()


def test_what_nncalc_cannot_hold_is_one_line_per_layer(cli, tmp_path):
    keras = _real_keras()
    L = keras.layers
    x = keras.Input((16, 16, 3))
    h = L.Rescaling(1 / 255, name="rescaling")(x)
    h = L.Lambda(lambda t: t * 2, name="lambda")(L.Conv2D(4, 3)(h))
    h = L.BatchNormalization(scale=False, name="batch_normalization")(h)
    h = L.Conv1D(3, 2, padding="causal", name="conv1d")(L.Reshape((-1, 4), name="reshape")(h))
    model = keras.Model(x, L.Dense(2)(L.Flatten()(h)))
    lines = _refused(cli, tmp_path, model)
    assert lines[0].endswith("5 layers do not map to nncalc layers:")
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        "layer 'rescaling' (Rescaling)", "layer 'lambda' (Lambda)", "layer 'batch_normalization' (BatchNormalization)",
        "layer 'reshape' (Reshape)", "layer 'conv1d' (Conv1D)"]
    assert "padding 'causal' is not mapped" in lines[-1]


def test_two_inputs_and_masking_are_refused_in_one_line(cli, tmp_path):
    keras = _real_keras()
    L = keras.layers
    a, b = keras.Input((4,)), keras.Input((4,))
    lines = _refused(cli, tmp_path, keras.Model([a, b], L.Dense(1)(L.Add()([a, b]))))
    assert lines == [f"nncalc: error: {tmp_path / 'model.json'}: the model has 2 inputs; nncalc reads models with one"]
    x = keras.Input((5,))
    lines = _refused(cli, tmp_path, keras.Model(x, L.LSTM(3)(L.Embedding(10, 4, mask_zero=True, name="embedding")(x))))
    # Keras 3 writes the mask as a keras.ops.not_equal operation: that is named too
    assert lines[1] == "  layer 'embedding' (Embedding): mask_zero is not mapped (nncalc does not skip padded steps)"


def _predict_and_engine(cli, tmp_path, model, x):
    """model.predict (float32) against `nncalc convert` of the saved .keras and nncalc's engine."""
    import numpy as np

    from tests.test_keras_apps import _randomize, engine_output

    _randomize(model)
    archive = tmp_path / "m.keras"
    model.save(str(archive))
    expected = np.asarray(model.predict(x, verbose=0), dtype=np.float64)
    got = engine_output(cli, archive, x, tmp_path)
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() <= 1e-5 * np.abs(expected).max()


def test_image_layers_compute_what_keras_predicts(cli, tmp_path):
    """PReLU per channel and per element, ELU, GroupNormalization, a depthwise conv with a depth
    multiplier, a separable conv, a ZeroPadding2D folded into a conv, 'same' stride-2 padding,
    Conv2DTranspose 'same' (Keras' output size: input x stride) and 'valid'."""
    import numpy as np

    keras = _real_keras()
    L = keras.layers
    x = keras.Input((9, 9, 4))
    h = L.GroupNormalization(groups=2)(L.ELU()(L.PReLU(shared_axes=[1, 2])(L.UpSampling2D(2)(x))))
    h = L.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2)(L.Conv2D(4, 3, strides=2, padding="same")(h))
    h = L.Conv2D(5, 3, strides=2)(L.ZeroPadding2D(((0, 1), (1, 2)))(L.SeparableConv2D(6, 3, padding="same")(h)))
    h = L.Conv2DTranspose(3, 2, strides=2)(L.Conv2DTranspose(4, 3, strides=2, padding="same")(L.PReLU()(h)))
    model = keras.Model(x, h)
    _predict_and_engine(cli, tmp_path, model, np.random.default_rng(2).uniform(-1, 1, (3, 9, 9, 4)).astype("float32"))


def test_sequence_layers_compute_what_keras_predicts(cli, tmp_path):
    """Conv1D, self MultiHeadAttention (per-head kernels and biases), TimeDistributed(Dense),
    1-D pooling and GlobalAveragePooling1D, with the archive's weights."""
    import numpy as np

    keras = _real_keras()
    L = keras.layers
    x = keras.Input((10, 6))
    h = L.MaxPooling1D(2)(L.Conv1D(12, 3, padding="same", activation="relu")(x))
    h = L.TimeDistributed(L.Dense(8))(L.MultiHeadAttention(num_heads=2, key_dim=6)(h, h))
    model = keras.Model(x, L.Dense(3)(L.GlobalAveragePooling1D()(L.AveragePooling1D(2)(h))))
    _predict_and_engine(cli, tmp_path, model, np.random.default_rng(3).uniform(-1, 1, (4, 10, 6)).astype("float32"))


def test_the_mobile_block_example(cli):
    """examples/keras/mobile-block.json (docs/models-in.md), by hand: stem 3*3*3*16 = 432; two batch
    norms 4*16 = 64 each (moving mean/var 2*16 non-trainable each); depthwise 3*3*16 = 144 (its
    ZeroPadding2D folded in); squeeze 16*4 + 4 = 68, excite 4*16 + 16 = 80; separable 3*3*16 +
    16*24 + 24 = 552; Dense 24*10 + 10 = 250. Total 1,654, non-trainable 64 (Keras' count_params)."""
    assert totals(cli, "examples/keras/mobile-block.json") == (1_654, 1_590, 64)
    data = json.loads(cli("summary", "examples/keras/mobile-block.json", "--json")[1])
    rows = {row["name"]: row["output_shape"] for row in data["layers"]}
    assert rows["stem"] == [16, 16, 16] and rows["dw"] == [8, 8, 16] and rows["se_pool"] == [1, 1, 16]


@pytest.mark.parametrize("reset_after", [True, False])
def test_recurrent_layers_compute_what_keras_predicts(cli, tmp_path, reset_after):
    """LSTM, GRU (Keras' z, r, h gate order; reset_after's two biases or one), SimpleRNN and
    Bidirectional (concat) with the .keras archive's weights, against model.predict."""
    import numpy as np

    keras = _real_keras()
    L = keras.layers
    x = keras.Input((7, 5))
    h = L.Bidirectional(L.GRU(4, return_sequences=True, reset_after=reset_after))(L.LSTM(6, return_sequences=True)(x))
    h = L.Bidirectional(L.LSTM(3))(L.SimpleRNN(5, return_sequences=True)(h))
    model = keras.Model(x, L.Dense(2)(h))
    _predict_and_engine(cli, tmp_path, model, np.random.default_rng(4).uniform(-1, 1, (3, 7, 5)).astype("float32"))


def test_a_zero_padding_no_conv_takes_is_refused(cli, tmp_path):
    """nncalc has no padding layer: a ZeroPadding2D is folded into the conv or pool reading it, and
    one at the end of the model, or read by a merge, is a line (not a silently smaller map)."""
    keras = _real_keras()
    L = keras.layers
    last = keras.Sequential([keras.Input((10, 10, 3)), L.Conv2D(4, 3), L.ZeroPadding2D(1, name="pad")])
    assert _refused(cli, tmp_path, last)[1:] == [
        "  layer 'pad' (ZeroPadding2D): no conv or pooling layer reads it, and nncalc has no padding layer of its own"]
    x = keras.Input((10, 10, 3))
    padded = L.ZeroPadding2D(1)(x)
    lines = _refused(cli, tmp_path, keras.Model(x, L.Add(name="add")([L.Conv2D(3, 3, padding="same")(padded), padded])))
    assert "  layer 'add' (Add): it reads a ZeroPadding2D; only a conv or pooling layer after one maps" in lines
    assert any("it pads 'same' after a ZeroPadding2D; only padding 'valid' maps there" in line for line in lines)


def test_variables_of_a_layer_without_a_weight_mapping_are_one_note():
    """Every Keras layer nncalc maps has its weights mapped; one that had none (a class added to
    the layer rules only) leaves the spec written and says which layer's weights were not read."""
    import numpy as np

    from calc.interchange.keras_weights import keras_arrays

    arrays, note = keras_arrays([("Dense", {"name": "d"}, ["d"]), ("NewLayer", {"name": "n"}, ["n"])],
                                {"dense": [np.ones((2, 3)), np.ones(3)], "new_layer": [np.ones(2)]})
    assert arrays == {} and note == "weights: not read (the variables of 'n' (NewLayer) are not mapped to nncalc's)"
