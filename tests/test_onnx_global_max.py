"""ONNX global max pooling in: GlobalMaxPool (maps and (N, C, L)) and ReduceMax over H and W, over
the positions of a sequence or over L, as torch 2.13's three exporters write AdaptiveMaxPool2d(1),
x.max(dim=1).values, x.amax(...) and AdaptiveMaxPool1d(1).

References: parameters as torch's sum(p.numel()), MACs as FlopCounterMode / 2, outputs as
onnxruntime's on the same file; the converted spec must hold the nncalc layer the operator is
(so a test cannot pass by an unrelated route)."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from tests import onnx_models_ops as models  # noqa: E402
from tests import test_onnx_ops as ops  # noqa: E402


class MapMax(nn.Module):
    """conv, ReLU (ties at 0), AdaptiveMaxPool2d(1), flatten, linear on (N, 3, 6, 7)."""

    def __init__(self):
        super().__init__()
        self.conv, self.pool, self.fc = nn.Conv2d(3, 4, 3), nn.AdaptiveMaxPool2d(1), nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(torch.relu(self.conv(x))), 1))


class MapAmax(MapMax):
    def forward(self, x):
        return self.fc(self.conv(x).amax(dim=(2, 3)))


class SeqMax(nn.Module):
    """linear, max over the positions (torch's values), linear on (N, 7, 5)."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(5, 6), nn.Linear(6, 2)

    def forward(self, x):
        return self.b(self.a(x).max(dim=1).values)


class SeqAmax(SeqMax):
    def forward(self, x):
        return self.b(self.a(x).amax(dim=1))


class NclMax(nn.Module):
    """conv1d, AdaptiveMaxPool1d(1), flatten, linear on (N, 3, 9)."""

    def __init__(self):
        super().__init__()
        self.conv, self.pool, self.fc = nn.Conv1d(3, 4, 3), nn.AdaptiveMaxPool1d(1), nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.conv(x)), 1))


class NclAmax(NclMax):
    def forward(self, x):
        return self.fc(self.conv(x).amax(dim=2))


MODELS = {  # name -> (class, input shape of one sample, the nncalc kind its max becomes)
    "map-adaptive": (MapMax, (3, 6, 7), "global_maxpool"),
    "map-amax": (MapAmax, (3, 6, 7), "global_maxpool"),
    "seq-max": (SeqMax, (7, 5), "sequence_pool"),
    "seq-amax": (SeqAmax, (7, 5), "sequence_pool"),
    "ncl-adaptive": (NclMax, (3, 9), "sequence_pool"),
    "ncl-amax": (NclAmax, (3, 9), "sequence_pool"),
}
SEQUENCES = {"seq-max", "seq-amax"}
# TorchScript writes an adaptive max pool to 1 of a known size as MaxPool with the whole map as its
# kernel: nncalc's maxpool / maxpool1d, already read (the counts and outputs below hold for it too)
WINDOWED = {("map-adaptive", "legacy"): "maxpool", ("map-adaptive", "folded"): "maxpool",
            ("ncl-adaptive", "legacy"): "maxpool1d", ("ncl-adaptive", "folded"): "maxpool1d"}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder, cache = tmp_path_factory.mktemp("onnx-max"), {}

    def get(name, exporter):
        if (name, exporter) not in cache:
            cls, shape, _ = MODELS[name]
            torch.manual_seed(0)
            model = cls()
            cache[name, exporter] = model, models.export(model, (1, *shape), folder / f"{name}-{exporter}.onnx",
                                                         exporter)
        return cache[name, exporter]
    return get


def _kinds(network) -> list:
    return [(leaf.kind, getattr(leaf, "mode", None)) for leaf in network.leaves()]


@pytest.mark.parametrize("exporter", ops.EXPORTERS)
@pytest.mark.parametrize("name", list(MODELS))
def test_counts_equal_torch_and_the_layer_is_the_max(exported, name, exporter):
    from calc.counting.stats import summarize
    from calc.interchange.onnx_map import network_from_onnx

    model, path = exported(name, exporter)
    network = network_from_onnx(path)
    kind = WINDOWED.get((name, exporter), MODELS[name][2])
    want = (kind, "max") if kind == "sequence_pool" else (kind, None)
    assert want in _kinds(network), _kinds(network)
    summary = summarize(network)
    assert (summary.total_params, summary.total_macs) == ops.torch_counts(model, (1, *MODELS[name][1]))


@pytest.mark.parametrize("exporter", ops.EXPORTERS)
@pytest.mark.parametrize("name", list(MODELS))
def test_converted_outputs_equal_onnxruntime(exported, name, exporter, cli, tmp_path):
    _, path = exported(name, exporter)
    batch = 1 if exporter == "dynamo" else 3  # the dynamo export has a fixed batch
    x = np.random.default_rng(2).standard_normal((batch, *MODELS[name][1])).astype(np.float32)
    ops.assert_close(ops.nncalc_forward(cli, path, x, tmp_path, name in SEQUENCES), ops.ort_forward(path, x))


@pytest.mark.parametrize("shape", [(3, 4, 5), (3, 6)])
def test_a_global_max_pool_node_equals_onnxruntime(shape, cli, tmp_path):
    """GlobalMaxPool as other tools write it, on a map (-> global_maxpool) and on (N, C, L) (->
    sequence_pool max: a vector where ONNX keeps (N, C, 1))."""
    from calc.interchange.onnx_map import network_from_onnx

    path = tmp_path / "gmp.onnx"
    onnx.save(ops.one_node_model("GlobalMaxPool", shape, {}, len(shape) + 1), str(path))
    want = ("global_maxpool", None) if len(shape) == 3 else ("sequence_pool", "max")
    assert _kinds(network_from_onnx(str(path))) == [want]
    x = np.random.default_rng(4).integers(-3, 4, (2, *shape)).astype(np.float32)  # ties too
    expected = ops.ort_forward(path, x)
    got = ops.nncalc_forward(cli, path, x, tmp_path)
    ops.assert_close(got.reshape(expected.shape), expected)


def test_a_max_over_the_features_is_one_line(cli, tmp_path):
    path = tmp_path / "rmax.onnx"
    onnx.save(ops.one_node_model("ReduceMax", (7, 5), {}, 2, axes=[2], keepdims=0), str(path))
    code, out, err = cli("summary", str(path))
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.strip().splitlines()[1:] == [
        "  ReduceMax (node '/ReduceMax'): only a max over the positions of a sequence (axis 1, keepdims 0) "
        "or over H and W of a map maps"]
