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


def torch_counts(model, shape):
    """(parameters, batch-norm running statistics, FlopCounterMode MACs) of one sample."""
    from torch.utils.flop_counter import FlopCounterMode

    params = sum(p.numel() for p in model.parameters())
    buffers = sum(b.numel() for name, b in model.named_buffers() if name.endswith(("running_mean", "running_var")))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model.eval()(torch.zeros(shape))
    return params, buffers, counter.get_total_flops() // 2


def ort_forward(path, x):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x.astype(np.float32)})[0]


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
            model = onnx_models.randomize_norms(builder())
            cache[name] = model, onnx_models.export(model, (1, *shape), folder / f"{name}.onnx")
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
    x = np.random.default_rng(1).standard_normal((batch, *shape)).astype(np.float32)
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
