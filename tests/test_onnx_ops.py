"""ONNX operators beyond the first reader: 1-D convs and pools, ConvTranspose, auto_pad, a folded
Pad, Resize, instance and group norms, PRelu and the other activations, under torch 2.13's three
export settings (TorchScript without and with constant folding, the default dynamo exporter).

References: parameters as torch's sum(p.numel()) (batch norms folded away: minus their 2C, a
hand count), MACs as FlopCounterMode / 2, outputs as onnxruntime's on the same file; ONNX graphs
written by hand (auto_pad, which torch never writes) checked against onnxruntime only."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from tests import onnx_models_ops as models  # noqa: E402

TOL = 1e-5
MODELS = {  # name -> (class, input shape of one sample, batch-norm parameters folded by the exporters)
    "audio1d": (models.AudioNet, (2, 32), 16),
    "unet": (models.UNet, (3, 16, 16), 0),
    "activations": (models.Activations, (5,), 0),
    "shuffle": (models.Shuffle, (6, 5, 5), 0),
    "lstm-tagger": (lambda: models.Tagger("lstm"), (7, 4), 0),
    "gru-tagger": (lambda: models.Tagger("gru"), (7, 4), 0),
    "rnn-tagger": (lambda: models.Tagger("rnn"), (7, 4), 0),
}
SEQUENCES = {"lstm-tagger", "gru-tagger", "rnn-tagger"}  # (N, L, F) in and out: no layout change
UNROLLED = {("rnn-tagger", "dynamo")}  # the dynamo exporter writes nn.RNN step by step (test below)
EXPORTERS = [pytest.param(e, marks=pytest.mark.skipif(
    e == "dynamo" and not __import__("importlib").util.find_spec("onnxscript"), reason="onnxscript not installed"))
    for e in models.EXPORTERS]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder, cache = tmp_path_factory.mktemp("onnx-ops"), {}

    def get(name, exporter):
        if (name, exporter) not in cache:
            cls, shape, _ = MODELS[name]
            torch.manual_seed(0)
            model = models.randomize(cls())
            cache[name, exporter] = model, models.export(model, (1, *shape), folder / f"{name}-{exporter}.onnx",
                                                         exporter)
        return cache[name, exporter]
    return get


def recurrent_macs(model, length: int) -> int:
    """The hand count of torch's LSTM / GRU / RNN: L * sum over layers and directions of
    G*H*(in + H) (the products W_ih x_t and W_hh h_t-1), from the module's own sizes."""
    total = 0
    for m in model.modules():
        if isinstance(m, torch.nn.RNNBase):
            gates, h, dirs = {"LSTM": 4, "GRU": 3}.get(m.mode, 1), m.hidden_size, 1 + m.bidirectional
            total += sum(dirs * gates * h * ((m.input_size if i == 0 else h * dirs) + h) for i in range(m.num_layers))
    return length * total


def torch_counts(model, shape):
    """(numel, MACs): FlopCounterMode / 2, whose count of a recurrent layer is replaced by the hand
    count (it does not see inside the fused LSTM kernel; where it sees the GRU and RNN steps, its
    count must equal the hand count)."""
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model.float()(torch.zeros(shape, dtype=torch.float32))
    seen = sum(sum(d.values()) for name, d in counter.get_flop_counts().items() if name.endswith(".rnn")) // 2
    hand = recurrent_macs(model, shape[1]) if len(shape) == 3 else 0
    assert seen in (0, hand)
    return sum(p.numel() for p in model.parameters()), counter.get_total_flops() // 2 - seen + hand


def to_nncalc(x):
    """ONNX's NCHW / NCL as nncalc's H x W x C / L x C (and back: the same swap for (N, C, L))."""
    return x.transpose(0, 2, 3, 1) if x.ndim == 4 else x.transpose(0, 2, 1) if x.ndim == 3 else x


def ort_forward(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def nncalc_forward(cli, path, x, tmp_path, sequence=False):
    """`nncalc convert`, then the spec and .npz through nncalc's engine; the output as ONNX lays it out."""
    from calc.engine.model import Model
    from calc.engine.weights import load_weights
    from calc.network import load_network

    spec, weights = tmp_path / "spec.yaml", tmp_path / "spec.npz"
    code, _, err = cli("convert", str(path), "-o", str(spec))
    assert code == 0, err
    model = Model(load_network(str(spec)))
    load_weights(model, str(weights))
    x = x if sequence else to_nncalc(x)
    y = np.asarray(model.backend.to_numpy(model.forward(model.backend.asarray(x.astype(np.float64)))))
    return y if sequence else y.transpose(0, 3, 1, 2) if y.ndim == 4 else to_nncalc(y)


def assert_close(got, expected):
    assert got.shape == expected.shape
    assert float(np.abs(got - expected).max()) <= TOL * max(1.0, float(np.abs(expected).max()))


@pytest.mark.parametrize("exporter", EXPORTERS)
@pytest.mark.parametrize("name", list(MODELS))
def test_counts_equal_torch(exported, name, exporter):
    """Parameters as torch's numel (less the batch norms the folding exporters fold into the
    convs: the file no longer holds them), MACs as FlopCounterMode / 2 under every exporter."""
    from calc.counting.stats import summarize
    from calc.interchange.onnx_map import network_from_onnx

    if (name, exporter) in UNROLLED:
        pytest.skip("unrolled by the exporter: refused, see test_an_unrolled_rnn_is_refused")
    model, path = exported(name, exporter)
    params, macs = torch_counts(model, (1, *MODELS[name][1]))
    folded = MODELS[name][2] if exporter != "legacy" else 0
    summary = summarize(network_from_onnx(path))
    assert (summary.total_params, summary.total_macs) == (params - folded, macs)


@pytest.mark.parametrize("exporter", EXPORTERS)
@pytest.mark.parametrize("name", list(MODELS))
def test_converted_outputs_equal_onnxruntime(exported, name, exporter, cli, tmp_path):
    if (name, exporter) in UNROLLED:
        pytest.skip("unrolled by the exporter: refused, see test_an_unrolled_rnn_is_refused")
    _, path = exported(name, exporter)
    batch = 1 if exporter == "dynamo" else 3  # the dynamo export has a fixed batch
    x = np.random.default_rng(1).standard_normal((batch, *MODELS[name][1])).astype(np.float32)
    assert_close(nncalc_forward(cli, path, x, tmp_path, name in SEQUENCES), ort_forward(path, x))


@pytest.mark.parametrize("exporter", [e for e in EXPORTERS if e.values[0] == "dynamo"])
def test_an_unrolled_rnn_is_refused_in_lines_not_a_traceback(exported, cli, exporter):
    _, path = exported("rnn-tagger", exporter)
    code, out, err = cli("summary", path)
    assert (code, out) == (2, "") and "Traceback" not in err and "do not map to nncalc layers" in err


@pytest.mark.parametrize(("change", "words"), [
    ({"direction": "reverse"}, "a reverse-only direction is not mapped"),
    ({"clip": 3.0}, "clip, input_forget and activation parameters are not mapped"),
    ({"activations": ["Sigmoid", "Tanh", "Relu", "Sigmoid", "Tanh", "Relu"]}, "activations"),
    ({"sequence_lens": True}, "a sequence_lens input (packed sequences) is not mapped"),
    ({"initial_h": True}, "a non-zero initial state is not mapped"),
])
def test_what_nncalc_lstm_cannot_express_is_one_line(exported, cli, tmp_path, change, words):
    """The LSTM torch wrote, with one attribute or input changed by hand."""
    _, path = exported("lstm-tagger", "folded")
    model = onnx.load(path)
    node = next(n for n in model.graph.node if n.op_type == "LSTM")
    for key, value in change.items():
        if key == "sequence_lens":
            node.input[4] = "x"
        elif key == "initial_h":
            model.graph.initializer.append(numpy_helper.from_array(np.ones((2, 1, 6), np.float32), "h0"))
            node.input[5] = "h0"
        else:
            for old in [a for a in node.attribute if a.name == key]:
                node.attribute.remove(old)
            node.attribute.append(helper.make_attribute(key, value))
    changed = tmp_path / "changed.onnx"
    onnx.save(model, str(changed))
    code, _, err = cli("summary", str(changed))
    assert code == 2 and "Traceback" not in err
    assert any(line.startswith("  LSTM (node '/rnn/LSTM'): ") and words in line for line in err.splitlines()), err


def test_the_output_check_can_fail(exported, cli, tmp_path):
    """A ConvTranspose read with its padding dropped gives other outputs: the comparison bites."""
    _, path = exported("unet", "legacy")
    model = onnx.load(path)
    node = next(n for n in model.graph.node if n.op_type == "ConvTranspose")
    pads = next(a for a in node.attribute if a.name == "pads")
    pads.ints[:] = [0, 0, 1, 1]
    node.attribute.remove(next(a for a in node.attribute if a.name == "output_padding"))
    wrong = tmp_path / "wrong.onnx"
    onnx.save(model, str(wrong))
    x = np.random.default_rng(1).standard_normal((2, 3, 16, 16)).astype(np.float32)
    got, expected = nncalc_forward(cli, wrong, x, tmp_path), ort_forward(path, x)
    assert got.shape == expected.shape and float(np.abs(got - expected).max()) > 1e-2


@pytest.mark.parametrize("exporter", [e for e in EXPORTERS if e.values[0] != "legacy"])
def test_resnet18_and_mobilenet_read_under_the_folding_exporters(tmp_path, exporter):
    """Batch norms folded into the convs: parameters are the file's float arrays (counted here
    straight from its initialisers), MACs FlopCounterMode / 2 (folding changes no product)."""
    from calc.counting.stats import summarize
    from calc.interchange.onnx_map import network_from_onnx
    from calc.interchange.onnx_read import read_model
    from tests import onnx_models
    from tests.zoo_torch import mobilenet_v2

    for name, builder in (("resnet18", onnx_models.ResNet18), ("mobilenet-v2", mobilenet_v2)):
        torch.manual_seed(0)
        model = onnx_models.randomize_norms(builder().float())
        path = models.export(model, (1, 3, 224, 224), tmp_path / f"{name}.onnx", exporter)
        held = sum(numpy_helper.to_array(t).size for t in read_model(path).graph.initializer
                   if t.data_type == TensorProto.FLOAT and len(t.dims) >= 1)
        summary = summarize(network_from_onnx(path))
        assert (summary.total_params, summary.buffers) == (held, 0)
        assert summary.total_macs == torch_counts(model, (1, 3, 224, 224))[1]


# --- hand-written graphs: auto_pad, which torch never exports ---------------------------------------

def one_node_model(op, x_shape, weights: dict, y_rank: int, opset: int = 17, **attrs):
    """x -> op(x, *weights) -> y, the weights stored as initialisers."""
    inits = [numpy_helper.from_array(v.astype(np.float32), k) for k, v in weights.items()]
    node = helper.make_node(op, ["x", *weights], ["y"], name=f"/{op}", **attrs)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *x_shape])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


RNG = np.random.default_rng(3)
AUTO_PAD = {  # id -> (op, input shape, weights, attributes)
    "conv-same-upper": ("Conv", (3, 7, 8), {"w": RNG.standard_normal((4, 3, 4, 3))},
                        {"auto_pad": "SAME_UPPER", "strides": [2, 3]}),
    "conv-same-lower": ("Conv", (3, 7, 8), {"w": RNG.standard_normal((4, 3, 4, 3)), "b": RNG.standard_normal(4)},
                        {"auto_pad": "SAME_LOWER", "strides": [2, 2]}),
    "conv-valid": ("Conv", (3, 7, 8), {"w": RNG.standard_normal((4, 3, 3, 3))}, {"auto_pad": "VALID", "strides": [2, 2]}),
    "conv1d-same-lower": ("Conv", (3, 9), {"w": RNG.standard_normal((5, 3, 4))}, {"auto_pad": "SAME_LOWER", "strides": [2]}),
    "maxpool-same-upper": ("MaxPool", (3, 6, 7), {}, {"auto_pad": "SAME_UPPER", "kernel_shape": [3, 2], "strides": [2, 2]}),
    "avgpool-same-lower": ("AveragePool", (3, 6, 7), {},
                           {"auto_pad": "SAME_LOWER", "kernel_shape": [3, 3], "strides": [2, 2]}),
    "avgpool1d-same-upper": ("AveragePool", (3, 10), {}, {"auto_pad": "SAME_UPPER", "kernel_shape": [4], "strides": [3]}),
    "deconv-same-upper": ("ConvTranspose", (4, 5, 6), {"w": RNG.standard_normal((4, 3, 4, 3))},
                          {"auto_pad": "SAME_UPPER", "strides": [2, 2]}),
    "deconv-output-shape": ("ConvTranspose", (4, 5, 6), {"w": RNG.standard_normal((4, 2, 3, 3))},
                            {"output_shape": [10, 11], "strides": [2, 2]}),
}


@pytest.mark.parametrize("case", list(AUTO_PAD))
def test_auto_pad_equals_onnxruntime(case, cli, tmp_path):
    op, shape, weights, attrs = AUTO_PAD[case]
    model = one_node_model(op, shape, weights, len(shape) + 1, **attrs)
    path = tmp_path / f"{case}.onnx"
    onnx.save(model, str(path))
    x = RNG.standard_normal((2, *shape)).astype(np.float32)
    assert_close(nncalc_forward(cli, path, x, tmp_path), ort_forward(path, x))


# --- what does not map: one line each ----------------------------------------------------------------

class Unmapped(torch.nn.Module):
    """Two CELUs and an Abs: two operator kinds nncalc has no layer for (the adaptive max pool
    after them exports as a MaxPool over the whole map, which maps)."""

    def forward(self, x):
        x = torch.nn.functional.celu(torch.nn.functional.celu(x)) + torch.abs(x)
        return torch.nn.functional.adaptive_max_pool2d(x, 1)


def test_unmapped_operators_give_one_line_per_kind(cli, tmp_path):
    path = models.export(Unmapped(), (1, 3, 8, 8), tmp_path / "unmapped.onnx", "legacy")
    code, out, err = cli("summary", path)
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.strip().splitlines()[1:] == ["  Celu (2 nodes, first '/Celu'): nncalc has no layer for this operator",
                                            "  Abs (node '/Abs'): nncalc has no layer for this operator"]
    assert "2 operators do not map" in err.splitlines()[0]


def test_a_3d_convolution_is_one_line(cli, tmp_path):
    path = models.export(torch.nn.Conv3d(2, 3, 3), (1, 2, 5, 6, 6), tmp_path / "c3d.onnx", "legacy")
    code, _, err = cli("summary", path)
    assert code == 2 and err.strip().count("\n") == 0 and "nncalc has no 3-D layers" in err


def test_a_quantized_model_is_one_line(cli, tmp_path):
    scale, zero = numpy_helper.from_array(np.float32(0.1), "s"), numpy_helper.from_array(np.uint8(128), "z")
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="q1"),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["d"], name="d1"),
             helper.make_node("Relu", ["d"], ["y"], name="r")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], [scale, zero])
    path = tmp_path / "q.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    code, _, err = cli("summary", str(path))
    assert code == 2 and err.strip().count("\n") == 0
    assert "quantized models are not read (DequantizeLinear, QuantizeLinear)" in err


def test_an_opset_too_new_a_truncated_file_and_two_inputs_are_one_line_each(cli, tmp_path):
    mlp = onnx.load("examples/onnx/mlp.onnx")
    mlp.opset_import[0].version = 99
    newer = tmp_path / "newer.onnx"
    onnx.save(mlp, str(newer))
    truncated = tmp_path / "truncated.onnx"
    truncated.write_bytes(open("examples/onnx/small-cnn.onnx", "rb").read()[:3000])
    add = helper.make_node("Add", ["a", "b"], ["y"])
    info = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 4]) for n in ("a", "b", "y")]
    two = tmp_path / "two.onnx"
    onnx.save(helper.make_model(helper.make_graph([add], "g", info[:2], info[2:])), str(two))
    for path, words in ((newer, "opset 99 is newer than the installed onnx"), (truncated, "not an ONNX model"),
                        (two, "the model has 2 inputs (a, b)")):
        code, out, err = cli("summary", str(path))
        assert (code, out) == (2, "") and words in err and err.strip().count("\n") == 0, err


@pytest.mark.skipif(not __import__("importlib").util.find_spec("onnxscript"), reason="onnxscript not installed")
def test_external_data_beside_the_model_is_read_and_elsewhere_refused(exported, cli, tmp_path):
    """torch 2.13's default export writes the weights to model.onnx.data beside the model."""
    import os

    _, path = exported("audio1d", "dynamo")
    assert os.path.exists(path + ".data")
    assert cli("summary", path)[0] == 0
    model = onnx.load(path, load_external_data=False)
    for tensor in model.graph.initializer:
        for entry in tensor.external_data:
            if entry.key == "location":
                entry.value = "../" + entry.value
    moved = tmp_path / "moved.onnx"
    onnx.save(model, str(moved))
    code, _, err = cli("summary", str(moved))
    assert code == 2 and "only a file beside the model is read" in err and err.strip().count("\n") == 0


def test_resize_by_sizes_and_a_pad_before_an_average_pool_equal_onnxruntime(cli, tmp_path):
    """Resize given output sizes (not scales), and a zero Pad folded into the average pool after
    it (the padded zeros count as values, as count_include_pad), against onnxruntime."""
    sizes = numpy_helper.from_array(np.array([1, 3, 8, 15], np.int64), "sizes")
    pads = numpy_helper.from_array(np.array([0, 0, 1, 0, 0, 0, 1, 1], np.int64), "pads")
    nodes = [helper.make_node("Resize", ["x", "", "", "sizes"], ["r"], name="/up", mode="linear",
                              coordinate_transformation_mode="align_corners"),
             helper.make_node("Pad", ["r", "pads"], ["p"], name="/pad"),
             helper.make_node("AveragePool", ["p"], ["y"], name="/pool", kernel_shape=[3, 2], strides=[2, 2])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 5])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [sizes, pads])
    path = tmp_path / "resize.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    x = RNG.standard_normal((1, 3, 4, 5)).astype(np.float32)
    assert_close(nncalc_forward(cli, path, x, tmp_path), ort_forward(path, x))
    spec = (tmp_path / "spec.yaml").read_text()
    assert "upsample: {scale: [2, 3], mode: bilinear, align_corners: true}" in spec
    assert "padding: [1, 1, 0, 1], count_include_pad: true" in spec
