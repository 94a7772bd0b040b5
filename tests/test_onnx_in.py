"""`nncalc summary model.onnx` and `nncalc convert`: models exported from torch
(torch.onnx.export) counted as torch counts them (sum(p.numel()), FlopCounterMode / 2, published
torchvision figures) and run, with the converted weights, to onnxruntime's outputs."""

from __future__ import annotations

import json

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")

from tests import onnx_models  # noqa: E402
from tests.zoo_torch import mobilenet_v2  # noqa: E402

TOL = 1e-5  # onnxruntime computes in float32; nncalc in float64


IDS = {"tokens", "transformer", "transformer-cls"}  # models whose input is token ids


def torch_counts(model, shape):
    """(parameters, batch-norm running statistics, FlopCounterMode MACs) of one sample."""
    from torch.utils.flop_counter import FlopCounterMode

    params = sum(p.numel() for p in model.parameters())
    buffers = sum(b.numel() for name, b in model.named_buffers() if name.endswith(("running_mean", "running_var")))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        ids = isinstance(model, (onnx_models.TokenNet, onnx_models.TinyTransformer))
        model.eval()(torch.zeros(shape, dtype=torch.long if ids else torch.float32))
    return params, buffers, counter.get_total_flops() // 2


def ort_forward(path, x):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def nncalc_forward(spec, weights, x):
    from calc.engine.model import Model
    from calc.engine.weights import load_weights
    from calc.network import load_network

    model = Model(load_network(spec))
    load_weights(model, weights)
    nhwc = x.transpose(0, 2, 3, 1) if x.ndim == 4 else x  # ONNX is NCHW, nncalc H x W x C
    y = model.forward(model.backend.asarray(nhwc.astype(np.float64)))
    return np.asarray(model.backend.to_numpy(y))


MODELS = {  # name -> (builder, input shape of one sample, batch for the output check)
    "mlp": (onnx_models.mlp, (4,), 5),
    "cnn": (onnx_models.SmallCNN, (3, 16, 16), 4),
    "sequence": (onnx_models.SequenceNet, (7, 6), 3),
    "tokens": (onnx_models.TokenNet, (6,), 3),
    "transformer": (onnx_models.TinyTransformer, (7,), 3),
    "transformer-cls": (onnx_models.tiny_transformer_cls, (5,), 4),
    "resnet18": (onnx_models.ResNet18, (3, 224, 224), 1),
    "mobilenet-v2": (mobilenet_v2, (3, 224, 224), 1),
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Each model built with a fixed seed, exported once: name -> (torch model, .onnx path)."""
    folder = tmp_path_factory.mktemp("onnx")
    cache = {}

    def get(name):
        if name not in cache:
            builder, shape, _ = MODELS[name]
            torch.manual_seed(0)
            model = onnx_models.randomize_norms(builder().float())  # float32 whatever the default dtype
            dtype = torch.long if name in IDS else torch.float32
            cache[name] = model, onnx_models.export(model, (1, *shape), folder / f"{name}.onnx", dtype)
        return cache[name]
    return get


@pytest.mark.parametrize("name", list(MODELS))
def test_counts_equal_torch(exported, name):
    from calc.counting.stats import summarize
    from calc.interchange.onnx_map import network_from_onnx

    model, path = exported(name)
    summary = summarize(network_from_onnx(path))
    assert (summary.total_params, summary.buffers, summary.total_macs) == torch_counts(model, (1, *MODELS[name][1]))


def test_resnet18_and_mobilenet_match_published_figures(exported):
    """torchvision's weights meta: ResNet-18 11,689,512 params, 1.814 GFLOPS; MobileNetV2 3,504,872."""
    from calc.counting.stats import summarize
    from calc.interchange.onnx_map import network_from_onnx

    resnet = summarize(network_from_onnx(exported("resnet18")[1]))
    assert (resnet.total_params, resnet.total_macs) == (11_689_512, 1_814_073_344)
    assert summarize(network_from_onnx(exported("mobilenet-v2")[1])).total_params == 3_504_872


@pytest.mark.parametrize("name", list(MODELS))
def test_converted_spec_and_weights_give_onnxruntime_outputs(exported, name, tmp_path, cli):
    _, path = exported(name)
    spec, weights = tmp_path / "spec.yaml", tmp_path / "w.npz"
    code, out, err = cli("convert", path, "-o", str(spec), "--weights", str(weights))
    assert code == 0, err
    assert f"wrote {spec}" in out and f"wrote {weights}" in out
    _, shape, batch = MODELS[name]
    rng = np.random.default_rng(1)
    x = rng.integers(0, 50, (batch, *shape)) if name in IDS else rng.standard_normal((batch, *shape)).astype(np.float32)
    expected = ort_forward(path, x)
    got = nncalc_forward(str(spec), str(weights), x)
    assert got.shape == expected.shape
    scale = max(1.0, float(np.abs(expected).max()))
    assert float(np.abs(got - expected).max()) <= TOL * scale


def test_summary_of_onnx_is_the_summary_of_the_converted_spec(exported, tmp_path, cli):
    _, path = exported("cnn")
    spec = tmp_path / "cnn.yaml"
    assert cli("convert", path, "-o", str(spec), "--no-weights")[0] == 0
    assert not (tmp_path / "cnn.npz").exists()
    direct = json.loads(cli("summary", path, "--json")[1])
    again = json.loads(cli("summary", str(spec), "--json")[1])
    assert direct["totals"] == again["totals"] if "totals" in direct else direct == again


def test_the_flatten_order_is_checked_by_the_outputs(exported, tmp_path, cli):
    """The output check can fail: the same weights behind a Keras-order (hwc) flatten differ."""
    _, path = exported("cnn")
    spec, weights = tmp_path / "cnn.yaml", tmp_path / "cnn.npz"
    assert cli("convert", path, "-o", str(spec))[0] == 0
    text = spec.read_text()
    assert text.count("flatten: {order: chw}") == 1
    wrong = tmp_path / "hwc.yaml"
    wrong.write_text(text.replace("flatten: {order: chw}", "flatten: {order: hwc}"))
    x = np.random.default_rng(2).standard_normal((3, 3, 16, 16)).astype(np.float32)
    expected = ort_forward(path, x)
    assert np.abs(nncalc_forward(str(spec), str(weights), x) - expected).max() <= TOL
    assert np.abs(nncalc_forward(str(wrong), str(weights), x) - expected).max() > 1e-3


def test_operators_that_do_not_map_get_one_line_each(cli):
    code, out, err = cli("summary", "examples/onnx/unsupported.onnx")
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert "2 operators do not map to nncalc layers" in lines[0]
    assert lines[1:] == ["  Sin (node '/Sin'): nncalc has no layer for this operator",
                         "  Abs (node '/Abs'): nncalc has no layer for this operator"]


def test_a_missing_onnx_package_says_how_to_install_it(cli, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "onnx", None)
    code, _, err = cli("summary", "examples/onnx/small-cnn.onnx")
    assert code == 2 and 'pip install "nncalc[onnx]"' in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("content, message", [(b"not a protobuf at all \xff\xfe", "not an ONNX model"),
                                               (b"", "not an ONNX model")])
def test_a_file_that_is_not_a_model_is_one_line(cli, tmp_path, content, message):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(content)
    code, _, err = cli("summary", str(bad))
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_convert_refuses_to_overwrite_the_model_and_odd_names(cli, tmp_path):
    model = tmp_path / "m.onnx"
    model.write_bytes(open("examples/onnx/small-cnn.onnx", "rb").read())
    code, _, err = cli("convert", str(model), "-o", str(tmp_path / "s.yaml"), "--weights", str(model))
    assert code == 2 and "--weights" in err and "expected a .npz" in err
    code, _, err = cli("convert", str(model), "-o", str(tmp_path / "s.txt"))
    assert code == 2 and "-o: expected a .yaml" in err
    assert model.read_bytes() == open("examples/onnx/small-cnn.onnx", "rb").read()


def test_a_model_read_past_the_size_limit_is_refused(cli, tmp_path, monkeypatch):
    import calc.interchange.onnx_read as reader

    monkeypatch.setattr(reader, "DATA_LIMIT", 1000)
    code, _, err = cli("summary", "examples/onnx/small-cnn.onnx")
    assert code == 2 and "files up to" in err


def test_weights_stored_outside_the_file_are_not_opened(cli, tmp_path):
    """An initialiser may name an external file (any path); it is refused, never opened."""
    from onnx import TensorProto

    model = onnx.load("examples/onnx/mlp.onnx")
    weight = model.graph.initializer[0]
    weight.ClearField("raw_data")
    weight.data_location = TensorProto.EXTERNAL
    entry = weight.external_data.add()
    entry.key, entry.value = "location", "/dev/zero"
    path = tmp_path / "external.onnx"
    onnx.save(model, str(path))
    code, _, err = cli("summary", str(path))
    assert code == 2 and "external data" in err and len(err.strip().splitlines()) == 1


def test_attention_becomes_one_layer_also_at_opset_17(tmp_path, cli):
    """The plain-torch attention (Reshape, Transpose, MatMul, Div, Softmax, ...) is one
    `attention` entry; at opset 17 ReduceMean takes its axes as an attribute, not an input,
    and GELU, with no operator yet, is exported as Div, Erf, Add, Mul, Mul."""
    torch.manual_seed(0)
    model = onnx_models.randomize_norms(onnx_models.TinyTransformer())
    path = onnx_models.export(model, (1, 7), tmp_path / "t17.onnx", torch.long, opset=17)
    spec = tmp_path / "t17.yaml"
    code, _, err = cli("convert", path, "-o", str(spec))
    assert code == 0, err
    text = spec.read_text()
    assert "- attention: {heads: 4}" in text and "- sequence_pool: {mode: mean}" in text
    assert text.count("- gelu: {}") == 1
    assert "softmax" not in text and "reshape" not in text
    x = np.random.default_rng(3).integers(0, 50, (2, 7))
    assert np.abs(nncalc_forward(str(spec), str(tmp_path / "t17.npz"), x) - ort_forward(path, x)).max() <= TOL


def test_the_attention_outputs_are_checked(exported, tmp_path, cli):
    """The output check can fail: the same weights split into other heads differ."""
    _, path = exported("transformer")
    spec, weights = tmp_path / "t.yaml", tmp_path / "t.npz"
    assert cli("convert", path, "-o", str(spec))[0] == 0
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(spec.read_text().replace("attention: {heads: 4}", "attention: {heads: 2}"))
    x = np.random.default_rng(4).integers(0, 50, (2, 7))
    assert np.abs(nncalc_forward(str(wrong), str(weights), x) - ort_forward(path, x)).max() > 1e-3


@pytest.mark.parametrize("change, message", [("unscaled", "scaled by 1, not by 1/sqrt(4)")])
def test_an_attention_that_does_not_fit_is_refused_in_one_line(tmp_path, cli, change, message):
    """Unscaled scores are no `attention` layer's: refused in one line, not mapped to something
    else (a causal mask is read: tests/test_onnx_attention.py)."""
    torch.manual_seed(0)
    model = onnx_models.TinyTransformer(scale="none" if change == "unscaled" else "div")
    if change == "masked":
        model.attn = onnx_models.MaskedAttention(16, 4)
    path = onnx_models.export(model, (1, 5), tmp_path / f"{change}.onnx", torch.long)
    code, out, err = cli("summary", path)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "/attn/Softmax" in err and message in err


def test_attention_written_with_q_shape_and_view_converts(tmp_path, cli):
    """A Shape read of the Q projection is no use of Q outside the attention: still one layer,
    with 2 heads of 4 on 8 features, counted as torch counts and giving onnxruntime's outputs."""
    from calc.counting.stats import summarize
    from calc.interchange.onnx_map import network_from_onnx

    torch.manual_seed(1)
    model = onnx_models.TinyTransformer(d=8, heads=2)
    model.attn = onnx_models.ShapeReadingAttention(8, 2)
    model = onnx_models.randomize_norms(model)
    path = onnx_models.export(model, (1, 4), tmp_path / "qshape.onnx", torch.long)
    summary = summarize(network_from_onnx(path))
    params, _, macs = torch_counts(model, (1, 4))
    assert (summary.total_params, summary.total_macs) == (params, macs)
    spec = tmp_path / "qshape.yaml"
    assert cli("convert", path, "-o", str(spec))[0] == 0
    assert "- attention: {heads: 2}" in spec.read_text()
    x = np.random.default_rng(5).integers(0, 50, (3, 4))
    assert np.abs(nncalc_forward(str(spec), str(tmp_path / "qshape.npz"), x) - ort_forward(path, x)).max() <= TOL
