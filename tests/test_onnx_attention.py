"""ONNX attention as users export it (tests/onnx_models_attn.py), read as nncalc `attention`
layers: counts equal torch's (sum(p.numel()), FlopCounterMode / 2 with the math SDPA kernel and
autograd on, so that neither nn.MultiheadAttention's fast path nor a fused kernel hides the
products) and the converted spec, run with the converted weights, gives onnxruntime's outputs
within 1e-5; with the legacy exporter (with and without constant folding) and dynamo's."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")

from tests import onnx_models_attn as models  # noqa: E402
from tests.test_onnx_in import nncalc_forward, ort_forward  # noqa: E402

TOL = 1e-5
VOCAB = 40

CASES = {  # name -> (builder, one sample's shape, the attention entries expected in the spec)
    "causal-fill": (models.CausalSelfAttention, (7, 16), ["{heads: 4, causal: true}"]),
    "causal-add": (lambda: models.CausalSelfAttention(mask="add"), (7, 16), ["{heads: 4, causal: true}"]),
    "gpt": (models.TinyGPT, (8,), ["{heads: 4, causal: true}"] * 2),
    "gpt2-attention": (models.Gpt2Attention, (7, 16), ["{heads: 4, causal: true}"]),
    "sdpa": (models.SdpaAttention, (7, 16), ["{heads: 4}"]),
    "sdpa-causal": (lambda: models.SdpaAttention(causal=True), (7, 16), ["{heads: 4, causal: true}"]),
    "sdpa-gqa": (lambda: models.SdpaAttention(kv_heads=2, causal=True), (7, 16),
                 ["{heads: 4, kv_heads: 2, causal: true}"]),
    "sdpa-gqa-tile": (lambda: models.SdpaAttention(d=24, heads=6, kv_heads=2, tile=True), (5, 24),
                      ["{heads: 6, kv_heads: 2}"]),
    "repeat-kv": (models.RepeatKvAttention, (7, 16), ["{heads: 4, kv_heads: 2, causal: true, bias: false}"]),
    "llama-rotary": (lambda: models.RepeatKvAttention(rotary=10000.0), (7, 16),
                     ["{heads: 4, kv_heads: 2, causal: true, bias: false, rotary: true}"]),
    "llama3-rotary": (lambda: models.RepeatKvAttention(d=32, heads=4, kv_heads=1, rotary=500000.0), (6, 32),
                      ["{heads: 4, kv_heads: 1, causal: true, bias: false, rotary: true, rotary_base: 500000}"]),
    "mha": (models.Mha, (7, 16), ["{heads: 4}"]),
    "mha-causal": (lambda: models.Mha(mask="causal"), (7, 16), ["{heads: 4, causal: true}"]),
    "mha-need-weights": (lambda: models.Mha(need_weights=True), (7, 16), ["{heads: 4}"]),
    "mha-causal-weights": (lambda: models.Mha(mask="causal", need_weights=True), (7, 16), ["{heads: 4, causal: true}"]),
    "mha-zeros-mask": (lambda: models.Mha(mask="zeros"), (5, 16), ["{heads: 4}"]),
    "encoder-post-relu": (models.Encoder, (6, 16), ["{heads: 4}"] * 2),
    "encoder-pre-gelu": (lambda: models.Encoder(norm_first=True, activation="gelu"), (6, 16), ["{heads: 4}"] * 2),
}
IDS = {"gpt"}


def _input(name, shape, batch=1, seed=0):
    if name in IDS:
        return torch.from_numpy(np.random.default_rng(seed).integers(0, VOCAB, (batch, *shape)))
    return torch.from_numpy(np.random.default_rng(seed).standard_normal((batch, *shape)).astype(np.float32))


def torch_counts(model, x):
    """(sum of p.numel(), FlopCounterMode MACs) of one sample: the math kernel, autograd on."""
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    with sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter:
        model(x)
    return sum(p.numel() for p in model.parameters()), counter.get_total_flops() // 2


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """(name, exporter) -> (torch model, .onnx path), each exported once."""
    folder = tmp_path_factory.mktemp("onnx-attn")
    cache = {}

    def get(name, exporter):
        if exporter == "dynamo":
            pytest.importorskip("onnxscript")
        if (name, exporter) not in cache:
            builder, shape, _ = CASES[name]
            torch.manual_seed(0)
            model = models.randomize(builder())
            path = models.export(model, (_input(name, shape),), folder / f"{name}-{exporter}.onnx", exporter)
            cache[name, exporter] = model, path
        return cache[name, exporter]
    return get


@pytest.mark.parametrize("exporter", models.EXPORTERS)
@pytest.mark.parametrize("name", list(CASES))
def test_attention_counts_and_outputs_equal_torch_and_onnxruntime(exported, name, exporter, tmp_path, cli):
    from calc.counting.stats import summarize
    from calc.interchange.onnx_map import network_from_onnx

    model, path = exported(name, exporter)
    _, shape, entries = CASES[name]
    summary = summarize(network_from_onnx(path))
    assert (summary.total_params, summary.total_macs) == torch_counts(model, _input(name, shape))
    spec, weights = tmp_path / "spec.yaml", tmp_path / "w.npz"
    code, _, err = cli("convert", path, "-o", str(spec), "--weights", str(weights))
    assert code == 0, err
    assert [line.split("attention: ")[1] for line in spec.read_text().splitlines() if "- attention:" in line] == entries
    assert "softmax" not in spec.read_text()
    x = _input(name, shape, batch=1 if exporter == "dynamo" else 3, seed=1).numpy()
    expected = ort_forward(path, x)
    got = nncalc_forward(str(spec), str(weights), x)
    assert got.shape == expected.shape
    assert float(np.abs(got - expected).max()) <= TOL * max(1.0, float(np.abs(expected).max()))


@pytest.mark.parametrize("edit", ["causal", "kv", "heads"])
def test_the_outputs_check_can_fail(exported, edit, tmp_path, cli):
    """The same weights read without the causal mask, with K and V swapped, or as other heads give
    other outputs: the comparison with onnxruntime sees each reading."""
    _, path = exported("sdpa-gqa", "legacy")
    spec, weights = tmp_path / "s.yaml", tmp_path / "s.npz"
    assert cli("convert", path, "-o", str(spec))[0] == 0
    text = spec.read_text()
    if edit == "causal":
        text = text.replace(", causal: true", "")
    elif edit == "heads":
        text = text.replace("heads: 4, kv_heads: 2", "heads: 2, kv_heads: 1, head_dim: 8")
    else:
        arrays = dict(np.load(weights))
        key = next(k for k in arrays if k.endswith(".k_weight"))
        arrays[key], arrays[key.replace("k_weight", "v_weight")] = arrays[key.replace("k_weight", "v_weight")], arrays[key]
        np.savez(weights, **arrays)
    spec.write_text(text)
    x = _input("sdpa-gqa", (7, 16), batch=2, seed=2).numpy()
    assert np.abs(nncalc_forward(str(spec), str(weights), x) - ort_forward(path, x)).max() > 1e-3


REFUSED = {  # name -> (builder, inputs, what the one line says)
    "scale": (lambda: models.SdpaAttention(scale=0.1), (torch.zeros(1, 5, 16, dtype=torch.float32),),
              "scaled by 0.1, not by 1/sqrt(4) = 0.5; nncalc's attention has no other scale"),
    "window": (lambda: models.CausalSelfAttention(mask="window"), (torch.zeros(1, 6, 16, dtype=torch.float32),),
               "a mask that is not causal"),
    "rotary-base": (lambda: models.RepeatKvAttention(rotary=1234.0), (torch.zeros(1, 6, 16, dtype=torch.float32),),
                    "Q is not read as rows of its projection split into heads and rotated (rotary base 10000"),
    "pad-input": (models.PaddingMasked, (torch.zeros(1, 5, 16, dtype=torch.float32), torch.zeros(1, 5, dtype=torch.bool)),
                  "has 2 inputs (x, pad); nncalc reads models with one (a mask fed as an input is not read: "
                  "nncalc's attention has no padding mask)"),
    "pad-from-ids": (models.PadFromIds, (torch.ones(1, 6, dtype=torch.long),), "(a padding mask?)"),
}


@pytest.mark.parametrize("exporter", ["legacy", "dynamo"])
@pytest.mark.parametrize("name", list(REFUSED))
def test_attention_nncalc_cannot_hold_is_one_line(name, exporter, tmp_path, cli):
    if exporter == "dynamo":
        pytest.importorskip("onnxscript")
    builder, inputs, message = REFUSED[name]
    torch.manual_seed(0)
    path = models.export(models.randomize(builder()), inputs, tmp_path / f"{name}.onnx", exporter)
    code, out, err = cli("summary", path)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert message in err


@pytest.mark.parametrize("file, builder, shape", [
    ("tiny-gpt.onnx", models.TinyGPT, (8,)),
    ("encoder.onnx", lambda: models.Encoder(norm_first=True, activation="gelu"), (6, 16))])
def test_the_docs_example_models_count_as_torch(file, builder, shape, tmp_path, cli):
    """examples/onnx (python -m tests.onnx_models_attn): small, counted as torch counts the model
    they were exported from, converted to onnxruntime's outputs."""
    from pathlib import Path

    from calc.counting.stats import summarize
    from calc.interchange.onnx_map import network_from_onnx

    path = Path(__file__).resolve().parents[1] / "examples" / "onnx" / file
    assert path.stat().st_size < 200_000
    name = "gpt" if file.startswith("tiny") else "encoder"
    summary = summarize(network_from_onnx(str(path)))
    assert (summary.total_params, summary.total_macs) == torch_counts(models.randomize(builder()), _input(name, shape))
    spec = tmp_path / "e.yaml"
    assert cli("convert", str(path), "-o", str(spec))[0] == 0
    x = _input(name, shape, batch=2, seed=3).numpy()
    assert np.abs(nncalc_forward(str(spec), str(tmp_path / "e.npz"), x) - ort_forward(str(path), x)).max() <= TOL


class TwoHeads(torch.nn.Module):
    """A classifier whose logits are the sum of two heads (an Add of two computed tensors before
    its softmax): no attention, so the softmax keeps its own rule."""

    def __init__(self):
        super().__init__()
        self.a, self.b = torch.nn.Linear(6, 3), torch.nn.Linear(6, 3)

    def forward(self, x):
        return torch.softmax(self.a(x) + self.b(x), dim=-1)


def test_a_softmax_after_an_add_of_two_layers_is_no_attention(tmp_path, cli):
    torch.manual_seed(0)
    path = models.export(models.randomize(TwoHeads()), (torch.zeros(1, 6, dtype=torch.float32),), tmp_path / "two.onnx")
    spec = tmp_path / "two.yaml"
    code, _, err = cli("convert", path, "-o", str(spec))
    assert code == 0, err
    assert "- softmax: {}" in spec.read_text() and "attention" not in spec.read_text()
    x = np.random.default_rng(6).standard_normal((4, 6)).astype(np.float32)
    assert np.abs(nncalc_forward(str(spec), str(tmp_path / "two.npz"), x) - ort_forward(path, x)).max() <= TOL


def test_the_probe_run_is_bounded_before_it_runs(cli, monkeypatch):
    """The probe keeps every tensor of one run: its estimate is within a few percent of what the run
    really keeps (the evaluator's own arrays), and past the memory limit the model is refused with the figure,
    one line naming the file, before anything runs."""
    from pathlib import Path

    from calc.interchange import onnx_attention_probe as probe
    from calc.interchange.onnx_graph import Graph
    from calc.interchange.onnx_read import read_model

    path = str(Path(__file__).resolve().parents[1] / "examples" / "onnx" / "tiny-gpt.onnx")
    g = Graph(read_model(path), None, "tiny-gpt")
    values = probe.probe_values(g, 2)
    kept = sum(np.asarray(v).nbytes for v in values.values() if v is not None)
    assert 0.9 * kept <= probe.probe_bytes(g, 2) <= 1.5 * kept
    monkeypatch.setenv("NNCALC_MAX_MEMORY", "64K")
    code, out, err = cli("summary", path)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "tiny-gpt.onnx: needs" in err and "KiB for running the model once" in err and "limit 64 KiB" in err
