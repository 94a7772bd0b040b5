"""A model file works wherever a spec does (calc/interchange/load.py): every command that takes a
SPEC on an ONNX model and on a Keras config, each checked against an independent reference (hand
counts from the models' definitions, onnxruntime, PyTorch and Keras actually run); files that are
none of them are refused in one line; `nncalc convert` writes Keras configs as specs."""

from __future__ import annotations

import json
import math
import os
import zipfile

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
onnx = pytest.importorskip("onnx")
torch = pytest.importorskip("torch")

from tests import onnx_models  # noqa: E402 - after the optional packages are found
from tests.test_keras_in import RESIDUAL, _keras3_functional, _tf2_functional  # noqa: E402

ONNX = "examples/onnx/small-cnn.onnx"
KERAS = "examples/keras/mnist-convnet.json"
MODELS = [ONNX, KERAS]
# Hand counts. small-cnn (tests/onnx_models.SmallCNN): c1 3*8*9 + 8 = 224, bn 8 + 8 = 16 (and 16
# running statistics), left 8*4 + 4 = 36, right 8*4*9 = 288, c2 8*6*9 + 6 = 438, fc 54*5 + 5 = 275:
# 1,277 parameters. The MNIST convnet: 34,826 (tests/test_keras_in.py), no batch norm.
PARAMS = {ONNX: 1_277, KERAS: 34_826}
STATS = {ONNX: 16, KERAS: 0}
# The layers of each model by the names its author gave them (torch modules; Keras layers).
NAMES = {ONNX: ["c1", "bn", "left", "right", "c2", "fc"], KERAS: ["conv2d", "conv2d_1", "dense"]}
INPUT = {ONNX: (16, 16, 3), KERAS: (28, 28, 1)}


def ok(cli, *args) -> str:
    code, out, err = cli(*args)
    assert code == 0, err
    return out


def torch_params(source: str) -> int:
    from tests.export_util import module_from

    return sum(p.numel() for p in module_from(source)().parameters())


def keras_params(source: str) -> int:
    keras = pytest.importorskip("keras")
    namespace = {"__name__": "exported"}
    exec(compile(source, "<keras>", "exec"), namespace)  # noqa: S102 - the code under test
    model = next(v for k, v in namespace.items() if k.startswith("build_"))()
    assert isinstance(model, keras.Model)
    return model.count_params()


# --- every command x both kinds of model ---------------------------------------------------------

def check_summary(cli, model, tmp_path):
    data = json.loads(ok(cli, "summary", model, "--json"))
    assert data["total_params"] == PARAMS[model]


def check_draw(cli, model, tmp_path):
    dot = ok(cli, "draw", model)
    assert dot.startswith("digraph") and all(f'label="{name}: ' in dot for name in NAMES[model])


def check_export_pytorch(cli, model, tmp_path):
    assert torch_params(ok(cli, "export", model, "--to", "pytorch")) == PARAMS[model]


def check_export_keras(cli, model, tmp_path):
    """Keras counts the batch-norm moving statistics as (non-trainable) parameters."""
    assert keras_params(ok(cli, "export", model, "--to", "keras")) == PARAMS[model] + STATS[model]


def check_memory(cli, model, tmp_path):
    steps = {s["name"]: s["result"] for s in json.loads(ok(cli, "memory", model, "--json"))["steps"]}
    assert steps["weights_bytes"] == 2 * (PARAMS[model] + STATS[model])  # fp16: 2 bytes each


def check_init(cli, model, tmp_path):
    """He normal: std = sqrt(2 / fan_in); c1 3x3 over 3 channels (27), conv2d_1 3x3 over 32 (288)."""
    layer, fan_in = {ONNX: ("c1", 27), KERAS: ("conv2d_1", 288)}[model]
    data = json.loads(ok(cli, "init", "he_normal", "--spec", model, "--layer", layer, "--json"))
    steps = {s["name"]: s["result"] for s in data["steps"]}
    assert steps["fan_in"] == fan_in and math.isclose(float(steps["std"]), math.sqrt(2 / fan_in), rel_tol=1e-9)


def check_run(cli, model, tmp_path):
    x = np.random.default_rng(1).standard_normal((4, *INPUT[model]))
    np.save(tmp_path / "x.npy", x)
    data = json.loads(ok(cli, "run", model, "-i", str(tmp_path / "x.npy"), "--json"))
    got = np.asarray(data["outputs"])
    if model == ONNX:  # the model's own weights: onnxruntime's outputs
        import onnxruntime as ort

        session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
        want = session.run(None, {"x": x.transpose(0, 3, 1, 2).astype(np.float32)})[0]
        assert np.abs(got - want).max() <= 1e-5 and f"weights: loaded from {model}" in data["conventions"]
    else:  # a config has no weights: as a spec without weights, drawn with the seed
        spec = tmp_path / "spec.yaml"
        ok(cli, "convert", model, "-o", str(spec))
        same = json.loads(ok(cli, "run", str(spec), "-i", str(tmp_path / "x.npy"), "--json"))
        assert np.array_equal(got, np.asarray(same["outputs"])) and data["conventions"] == same["conventions"]
        assert any("drawn" in line for line in data["conventions"])


def check_train(cli, model, tmp_path):
    """An ONNX model trains from its own weights: the first epoch's loss (full batch, training
    mode) is PyTorch's cross-entropy of the same module with the same weights."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, *INPUT[model]))
    labels = np.array([0, 1, 2, 3])
    np.savetxt(tmp_path / "d.csv", np.column_stack([x.reshape(4, -1), labels]), delimiter=",")
    data = json.loads(ok(cli, "train", model, "--data", str(tmp_path / "d.csv"), "--epochs", "1", "--json"))
    if model == KERAS:
        assert any("drawn" in line for line in data["conventions"])
        return
    net = onnx_models.SmallCNN().double()
    arrays = {i.name: torch.tensor(onnx.numpy_helper.to_array(i)).double() for i in onnx.load(model).graph.initializer}
    net.load_state_dict(arrays, strict=False)
    with torch.no_grad():
        probs = net.train()(torch.tensor(x).permute(0, 3, 1, 2))
    want = float(-torch.log(probs[torch.arange(4), torch.tensor(labels)]).mean())
    assert math.isclose(data["epochs"][0]["loss"], want, rel_tol=1e-9)


CHECKS = [check_summary, check_draw, check_export_pytorch, check_export_keras, check_memory, check_init,
          check_run, check_train]


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("check", CHECKS, ids=lambda f: f.__name__[6:])
def test_every_command_takes_a_model_file(cli, tmp_path, model, check):
    check(cli, model, tmp_path)


def test_the_model_files_own_kind_is_read_not_its_suffix(cli, tmp_path):
    """An ONNX model as .bin, a Keras config as .txt, a .keras archive as .zip count the same."""
    (tmp_path / "m.bin").write_bytes(open(ONNX, "rb").read())
    (tmp_path / "m.txt").write_text(open(KERAS).read())
    with zipfile.ZipFile(tmp_path / "m.zip", "w") as z:
        z.writestr("config.json", json.dumps(_keras3_functional()))
    for path, params in [("m.bin", PARAMS[ONNX]), ("m.txt", PARAMS[KERAS]), ("m.zip", RESIDUAL[0])]:
        assert json.loads(ok(cli, "summary", str(tmp_path / path), "--json"))["total_params"] == params


def test_the_library_loads_a_model_file_as_a_network():
    from calc.counting.stats import summarize
    from calc.interchange.load import load_model, load_network

    assert summarize(load_network(KERAS)).total_params == PARAMS[KERAS]
    loaded = load_model(ONNX, with_weights=True)
    assert loaded.kind == "onnx" and loaded.weights.arrays["fc.weight"].shape == (5, 54)


def test_every_spec_argument_has_the_same_help(cli):
    from nncalc_cli.options import SPEC_HELP

    for command in ["summary", "memory", "draw", "export", "run", "train", "backprop"]:
        out = " ".join(ok(cli, command, "--help").split())
        assert " ".join(SPEC_HELP.split())[:60] in out, command


# --- files that are none of them ------------------------------------------------------------------

def _bad_files(folder) -> dict:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    whole = open(ONNX, "rb").read()
    files = {"png.onnx": png, "truncated.onnx": whole[: len(whole) // 2], "neither.json": b'{"foo": 1}',
             "layer.json": b'{"class_name": "Dense", "config": {"units": 3}}', "empty.yaml": b"",
             "empty.onnx": b"", "png.bin": png,
             "deep.json": b'{"class_name": "Sequential", "config": {"layers": ' + b"[" * 5000 + b"]" * 5000 + b"}}"}
    for name, content in files.items():
        (folder / name).write_bytes(content)
    with zipfile.ZipFile(folder / "noconfig.keras", "w") as z:
        z.writestr("metadata.json", "{}")
    (folder / "folder.onnx").mkdir()
    for name, head in [("big.yaml", b"# a comment\n" * 20), ("big.onnx", b""), ("big.bin", b"")]:
        with open(folder / name, "wb") as handle:  # 200 MB, sparse: refused by its size or first bytes
            handle.write(head)
            handle.truncate(200 * 2**20)
    return files


BAD = ["png.onnx", "truncated.onnx", "neither.json", "layer.json", "deep.json", "empty.yaml", "empty.onnx", "png.bin",
       "noconfig.keras", "folder.onnx", "big.yaml", "big.onnx", "big.bin"]
COMMANDS = [["summary"], ["draw"], ["export", "--to", "keras"], ["memory"], ["run", "-i", "1"],
            ["train", "--data", "d.csv"], ["convert", "-o", "out.yaml"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_file_that_is_no_model_is_one_line(cli, tmp_path, command):
    import time

    _bad_files(tmp_path)
    for name in BAD:
        path = str(tmp_path / name)
        start = time.monotonic()
        code, out, err = cli(command[0], path, *command[1:])
        assert code == 2 and out == "" and "Traceback" not in err, (name, err)
        assert len(err.strip().splitlines()) == 1 and name in err, (name, err)
        assert time.monotonic() - start < 10, name  # never read whole
    assert not (tmp_path / "out.yaml").exists()


def test_the_refusals_say_what_is_wrong(cli, tmp_path):
    _bad_files(tmp_path)
    said = {name: cli("summary", str(tmp_path / name))[2] for name in BAD}
    assert "not an ONNX model" in said["png.onnx"] and "not an ONNX model" in said["truncated.onnx"]
    assert "unknown top-level key 'foo'" in said["neither.json"]
    assert "not a Keras model config" in said["layer.json"]
    assert "nested too deeply" in said["deep.json"]
    assert "empty" in said["empty.yaml"] and "empty" in said["empty.onnx"]
    assert "binary file" in said["png.bin"] and "files up to" in said["big.bin"]
    assert "without config.json" in said["noconfig.keras"]
    assert "is a directory" in said["folder.onnx"]
    assert "files up to" in said["big.yaml"] and "not an ONNX model" in said["big.onnx"]


# --- nncalc convert of Keras configs --------------------------------------------------------------

def _keras_files(folder) -> dict:
    """name -> (path, hand counts (total, trainable, non-trainable), Keras layer names)."""
    (folder / "tf2.json").write_text(json.dumps(_tf2_functional()))
    with zipfile.ZipFile(folder / "k3.keras", "w") as z:
        z.writestr("config.json", json.dumps(_keras3_functional()))
    names = ["stem", "bn", "act", "body", "add", "cat", "gap", "logits"]
    return {"mnist": (KERAS, (PARAMS[KERAS], PARAMS[KERAS], 0), NAMES[KERAS]),
            "tf2": (str(folder / "tf2.json"), RESIDUAL, names), "k3": (str(folder / "k3.keras"), RESIDUAL, names)}


@pytest.mark.parametrize("name", ["mnist", "tf2", "k3"])
def test_convert_writes_a_keras_config_as_a_spec(cli, tmp_path, name):
    import yaml

    path, counts, layer_names = _keras_files(tmp_path)[name]
    spec = tmp_path / "spec.yaml"
    out = " ".join(ok(cli, "convert", path, "-o", str(spec)).split())
    assert f"{counts[0]:,} params" in out and "weights: none read" in out
    data = json.loads(ok(cli, "summary", str(spec), "--keras", "--json"))
    assert (data["total_params"], data["trainable_params"], data["non_trainable_params"]) == counts
    written = {entry["name"] for entry in yaml.safe_load(spec.read_text())["layers"]}
    assert set(layer_names) <= written


def test_convert_json_of_onnx_keeps_its_fields(cli, tmp_path):
    data = json.loads(ok(cli, "convert", ONNX, "-o", str(tmp_path / "s.yaml"), "--json"))
    assert list(data) == ["source", "spec_path", "weights_path", "layers", "arrays", "params", "macs"]
    assert data["params"] == PARAMS[ONNX]


# --- a .keras archive's weights (model.weights.h5, read with h5py) ----------------------------------

def _saved_keras(path, which: str):
    """A Keras model with every weight random (batch-norm variances positive), saved as .keras."""
    keras = pytest.importorskip("keras")
    from keras import layers

    if which == "cnn":
        inp = keras.Input((10, 10, 2))
        x = layers.Conv2D(4, 3, activation="relu", name="stem")(inp)
        x = layers.BatchNormalization(name="bn")(x)
        x = layers.Conv2D(3, 3, padding="same", use_bias=False)(x)
        x = layers.MaxPooling2D(2)(x)
        x = layers.Flatten()(x)
        x = layers.Dense(6, activation="tanh")(x)
        x = layers.LayerNormalization()(x)
        model = keras.Model(inp, layers.Dense(3, activation="softmax", name="out")(x))
    elif which == "tokens":
        model = keras.Sequential([keras.Input((5,)), layers.Embedding(20, 4), layers.Flatten(), layers.Dense(2)])
    else:
        model = keras.Sequential([keras.Input((5, 3)), layers.LSTM(4), layers.Dense(2)])
    rng = np.random.default_rng(3)
    for w in model.weights:
        positive = "variance" in w.path
        w.assign((rng.uniform(0.5, 1.5, w.shape) if positive else rng.normal(0, 0.5, w.shape)).astype("float32"))
    model.save(str(path))
    return model


@pytest.mark.parametrize("which", ["cnn", "tokens"])
def test_a_keras_archive_runs_with_its_own_weights(cli, tmp_path, which):
    pytest.importorskip("h5py")
    path = tmp_path / "model.keras"
    model = _saved_keras(path, which)
    rng = np.random.default_rng(4)
    x = rng.integers(0, 20, (3, 5)) if which == "tokens" else rng.standard_normal((3, 10, 10, 2))
    np.save(tmp_path / "x.npy", x.astype(np.float64))
    want = np.asarray(model.predict(x.astype("float32") if which == "cnn" else x, verbose=0), dtype=np.float64)
    data = json.loads(ok(cli, "run", str(path), "-i", str(tmp_path / "x.npy"), "--json"))
    assert np.abs(np.asarray(data["outputs"]) - want).max() <= 1e-5 * max(1.0, np.abs(want).max())
    out = ok(cli, "convert", str(path), "-o", str(tmp_path / "s.yaml"))
    assert "wrote" in out and (tmp_path / "s.npz").exists()
    again = json.loads(ok(cli, "run", str(tmp_path / "s.yaml"), "--weights", str(tmp_path / "s.npz"), "-i",
                          str(tmp_path / "x.npy"), "--json"))
    assert again["outputs"] == data["outputs"]
    assert json.loads(ok(cli, "summary", str(path), "--json"))["total_params"] == model.count_params()


def test_keras_weights_that_cannot_be_read_are_one_line(cli, tmp_path, monkeypatch):
    path = tmp_path / "rnn.keras"
    _saved_keras(path, "rnn")
    out = " ".join(ok(cli, "convert", str(path), "-o", str(tmp_path / "r.yaml")).split())
    # an LSTM's weights are read now (against model.predict: tests/test_keras_in.py)
    assert "weights: not read" not in out and (tmp_path / "r.npz").exists()
    _saved_keras(tmp_path / "cnn.keras", "cnn")
    monkeypatch.setitem(__import__("sys").modules, "h5py", None)
    out = " ".join(ok(cli, "convert", str(tmp_path / "cnn.keras"), "-o", str(tmp_path / "c.yaml")).split())
    assert "needs h5py" in out and (tmp_path / "c.yaml").exists() and not (tmp_path / "c.npz").exists()
