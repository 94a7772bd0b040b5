"""keras.applications read by nncalc, against real Keras (3.x, torch backend, weights=None so
nothing is downloaded): total and per-layer parameter counts against count_params(), output
shapes against Keras', and, from a saved .keras archive with random weights, nncalc's engine
output against model.predict. The totals are also the published figures (ResNet50 25,636,712;
MobileNetV2 3,538,984; VGG16 138,357,544; DenseNet121 8,062,504). MobileNetV3Small is read without
its preprocessing Rescaling (include_preprocessing=False), which nncalc has no layer for."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
if keras.backend.backend() != "torch":
    pytest.skip("these checks run Keras on its torch backend", allow_module_level=True)
applications = keras.applications

BUILDERS = {  # name -> builder; each is built once per module
    "ResNet50": lambda: applications.ResNet50(weights=None),
    "MobileNetV2": lambda: applications.MobileNetV2(weights=None),
    "MobileNetV2-0.35": lambda: applications.MobileNetV2(weights=None, alpha=0.35),
    "VGG16": lambda: applications.VGG16(weights=None),
    "DenseNet121": lambda: applications.DenseNet121(weights=None),
    "Xception": lambda: applications.Xception(weights=None),
    "MobileNetV3Small": lambda: applications.MobileNetV3Small(weights=None, input_shape=(224, 224, 3),
                                                              include_preprocessing=False),
}
PUBLISHED = {"ResNet50": 25_636_712, "MobileNetV2": 3_538_984, "VGG16": 138_357_544, "DenseNet121": 8_062_504,
             "Xception": 22_910_480}


@pytest.fixture(scope="module")
def configs(tmp_path_factory):
    """Each application's config written once, with Keras' own figures beside it."""
    folder = tmp_path_factory.mktemp("apps")
    out = {}
    for name, build in BUILDERS.items():
        model = build()
        path = folder / f"{name}.json"
        path.write_text(model.to_json())
        layers = {layer.name: layer.count_params() for layer in model.layers}
        out[name] = (str(path), model.count_params(), list(model.output_shape[1:]), layers)
        del model
    return out


@pytest.mark.parametrize("name", list(BUILDERS))
def test_an_application_counts_as_keras_counts_it(cli, configs, name):
    path, total, shape, _ = configs[name]
    code, out, err = cli("summary", path, "--keras", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["total_params"] == total == PUBLISHED.get(name, total)
    assert data["layers"][-1]["output_shape"] == shape


@pytest.mark.parametrize("name", ["MobileNetV2-0.35", "Xception", "DenseNet121", "MobileNetV3Small"])
def test_every_layer_counts_as_its_keras_layer(cli, configs, name):
    """Per Keras layer: the sum over the entries it became (a SeparableConv2D is two convs)."""
    from calc.interchange.keras_map import map_keras

    path, _, _, keras_layers = configs[name]
    rows = {row["name"]: row["params"] for row in json.loads(cli("summary", path, "--keras", "--json")[1])["layers"]}
    got = {config["name"]: sum(rows[e] for e in entries) for _, config, entries in map_keras(path).layers if entries}
    assert {k: v for k, v in got.items() if k in keras_layers} == {k: v for k, v in keras_layers.items() if k in got}
    assert all(keras_layers[k] == 0 for k in keras_layers if k not in got)
    assert all(got[k] == 0 for k in got if k not in keras_layers)  # keras.ops steps (x * (1/6)): no layer


def _randomize(model, seed=0):
    """Weights that make every mapping matter: batch-norm statistics away from 0 and 1."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        shape = tuple(w.shape)
        if "variance" in w.path:
            w.assign(rng.uniform(0.5, 1.5, shape).astype("float32"))
        else:
            fan = max(1, int(np.prod(shape[:-1])))
            w.assign((rng.standard_normal(shape) / np.sqrt(fan)).astype("float32"))


def engine_output(cli, archive, x, tmp_path):
    from calc.engine.model import Model
    from calc.engine.weights import load_weights
    from calc.network import load_network

    spec = tmp_path / "spec.yaml"
    code, _, err = cli("convert", str(archive), "-o", str(spec))
    assert code == 0, err
    model = Model(load_network(str(spec)))
    load_weights(model, str(tmp_path / "spec.npz"))
    return np.asarray(model.backend.to_numpy(model.forward(model.backend.asarray(x.astype(np.float64)))))


SMALL = {  # small inputs keep the engine run short; the mappings are those of the full models
    "MobileNetV2-0.35": lambda: applications.MobileNetV2(weights=None, alpha=0.35, input_shape=(96, 96, 3),
                                                         classifier_activation=None),
    "ResNet50": lambda: applications.ResNet50(weights=None, input_shape=(64, 64, 3), classifier_activation=None),
    "Xception": lambda: applications.Xception(weights=None, input_shape=(71, 71, 3), classifier_activation=None),
    "MobileNetV3Small": lambda: applications.MobileNetV3Small(weights=None, input_shape=(64, 64, 3),
                                                              include_preprocessing=False, classifier_activation=None),
}


@pytest.mark.parametrize("name", list(SMALL))
def test_the_engine_computes_what_keras_predicts(cli, tmp_path, name):
    """The .keras archive's weights through `nncalc convert` and nncalc's engine (float64) against
    model.predict (float32): 1e-5 of the output's scale."""
    model = SMALL[name]()
    _randomize(model)
    archive = tmp_path / "m.keras"
    model.save(str(archive))
    x = np.random.default_rng(1).uniform(-1, 1, (2, *model.input_shape[1:])).astype("float32")
    expected = np.asarray(model.predict(x, verbose=0), dtype=np.float64)
    got = engine_output(cli, archive, x, tmp_path)
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() <= 1e-5 * np.abs(expected).max()


def test_efficientnet_is_refused_naming_its_preprocessing_layers(cli, tmp_path):
    """EfficientNetB0 maps but for its Rescaling(1/255) and Normalization (mean, variance and a
    sample count: 2C + 1 Keras weights), which no nncalc layer holds: two lines, no count."""
    path = tmp_path / "efficientnet.json"
    path.write_text(applications.EfficientNetB0(weights=None).to_json())
    code, out, err = cli("summary", str(path))
    assert code == 2 and out == ""
    assert err.strip().splitlines()[1:] == ["  layer 'rescaling' (Rescaling): nncalc has no layer for this class",
                                            "  layer 'normalization' (Normalization): nncalc has no layer for this class"]
