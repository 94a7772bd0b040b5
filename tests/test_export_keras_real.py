"""`nncalc export --to keras` run in real Keras 3 (torch backend): every network that exports
builds, counts nncalc's Keras-convention parameters (trainable and non-trainable) and gives
nncalc's output shape; with the engine's weights copied in (``keras_weights`` below, written from
the Keras documentation's weight layouts, not from the exporter) it computes the engine's outputs."""

from __future__ import annotations

import glob
import math
import os
import textwrap

import numpy as np
import pytest

os.environ["KERAS_BACKEND"] = "torch"
keras = pytest.importorskip("keras")

from calc import zoo  # noqa: E402 - after the backend is chosen
from calc.counting.stats import CountOptions, summarize  # noqa: E402
from calc.errors import SpecError  # noqa: E402
from calc.interchange.export import export_code  # noqa: E402
from calc.network import load_network, network_from_text  # noqa: E402
from tests.export_util import perturb  # noqa: E402
from tests.test_export_torch import SPECS  # noqa: E402


def exportable() -> list[str]:
    """Zoo networks and example specs that `export --to keras` accepts (the others give one line,
    checked in tests/test_export_keras.py)."""
    names = []
    for name in [*zoo.bundled_names(), *sorted(glob.glob("examples/**/*.yaml", recursive=True))]:
        try:
            export_code(load_network(name), "keras")
        except SpecError:
            continue
        names.append(name)
    return names


def build(network):
    source = export_code(network, "keras")
    namespace = {"__name__": "exported"}
    exec(compile(source, "<keras>", "exec"), namespace)  # noqa: S102 - the code under test
    return next(v for k, v in namespace.items() if k.startswith("build_"))()


def size(weights) -> int:
    return sum(math.prod(w.shape) for w in weights)


EXPORTABLE = exportable()
TOO_BIG = {"llama-2-7b"}  # 6.7e9 float32 weights: tests/test_export_keras_seq.py builds a narrow variant


def test_the_zoo_and_the_examples_are_covered():
    assert {"resnet50", "mobilenet-v2", "lstm-classifier", "examples/export/small-resnet.yaml"} <= set(EXPORTABLE)


@pytest.mark.parametrize("name", [n for n in EXPORTABLE if n not in TOO_BIG])
def test_counts_and_shape_in_real_keras(name):
    network = load_network(name)
    model = build(network)
    want = summarize(network, CountOptions(keras=True))
    assert tuple(model.output_shape[1:]) == tuple(network.output_shape)
    assert size(model.trainable_weights) == want.trainable_params
    assert size(model.non_trainable_weights) == want.non_trainable_params
    assert model.count_params() == want.total_params


def gru_gates(a, axis=0):
    """PyTorch's GRU gates (r, z, n) in Keras' order (z, r, h)."""
    r, z, n = np.split(a, 3, axis=axis)
    return np.concatenate([z, r, n], axis=axis)


def recurrent_weights(layer, p):
    """Keras' kernel (in, gates*H), recurrent_kernel (H, gates*H) and bias: (gates*H,) for one
    bias, (2, gates*H) for a GRU with reset_after (input bias, then recurrent bias); a
    Bidirectional layer holds the forward direction's, then the backward one's."""
    fix = gru_gates if layer.kind == "gru" else (lambda a, axis=0: a)
    out = []
    for sfx in ("_l0", "_l0_reverse") if layer.bidirectional else ("_l0",):
        out += [fix(p["weight_ih" + sfx]).T, fix(p["weight_hh" + sfx]).T]
        if "bias" + sfx in p:
            out.append(fix(p["bias" + sfx]))
        elif "bias_ih" + sfx in p:
            out.append(np.stack([fix(p["bias_ih" + sfx]), fix(p["bias_hh" + sfx])]))
    return out


def attention_weights(layer, p) -> list:
    """MultiHeadAttention: query/key/value kernels (d, heads, head_dim) and biases (heads,
    head_dim), then the output kernel (heads, head_dim, d) and bias (d,); nncalc's are Linear's."""
    heads, dim = layer.heads, layer.head_dim
    out = []
    for name in "qkv":
        w = p[f"{name}_weight"]
        out += [w.T.reshape(w.shape[1], heads, dim), *([p[f"{name}_bias"].reshape(heads, dim)] if layer.use_bias else [])]
    w = p["o_weight"]
    return [*out, w.T.reshape(heads, dim, w.shape[0]), *([p["o_bias"]] if layer.use_bias else [])]


def keras_weights(layer, p) -> list:
    """nncalc's (PyTorch-layout) weights of one layer as the list Keras' set_weights takes."""
    bias = [p["bias"]] if "bias" in p else []
    if layer.kind == "conv":  # O, I/g, kh, kw -> kh, kw, I/g, O
        return [p["weight"].transpose(2, 3, 1, 0), *bias]
    if layer.kind == "conv1d":  # O, I/g, k -> k, I/g, O
        return [p["weight"].transpose(2, 1, 0), *bias]
    if layer.kind == "dense":
        return [p["weight"].T, *bias]
    if layer.kind == "batchnorm":
        names = ("weight", "bias", "running_mean", "running_var")  # gamma, beta (when affine), moving mean, var
        return [p[k] for k in names if k in p]
    if layer.kind in ("groupnorm", "layernorm"):
        return [p["weight"], *bias]
    if layer.kind in ("lstm", "gru", "rnn"):
        return recurrent_weights(layer, p)
    if layer.kind == "embedding":
        return [p["weight"]]
    if layer.kind == "attention":
        return attention_weights(layer, p)
    raise AssertionError(f"no Keras weight layout for {layer.kind} in this test")


def keras_outputs(network, x, seed: int = 0):
    """(engine float64 output, Keras float32 output) for the same random weights."""
    from calc.backend import get_backend
    from calc.engine.context import Ctx
    from calc.engine.model import Model

    engine = Model(network, Ctx(get_backend("cpu", "float64"), seed=seed))
    perturb(engine, np.random.default_rng(seed))
    want = np.asarray(engine.forward(engine.backend.asarray(x), training=False), dtype=np.float64)
    model = build(network)
    for leaf in network.leaves():
        p = {k: np.asarray(v) for k, v in {**getattr(leaf, "params", {}), **getattr(leaf, "buffers", {})}.items()}
        if p:
            model.get_layer(leaf.name).set_weights([np.asarray(w, np.float32) for w in keras_weights(leaf, p)])
    got = keras.ops.convert_to_numpy(model(x.astype(np.float32), training=False)).astype(np.float64)
    return want, got


OWN = {
    "valid-stride-pools-activations": """
        input: [11, 10, 3]
        layers:
          - conv: {filters: 5, kernel: 3, stride: 2}
          - batchnorm
          - gelu
          - conv: {filters: 4, kernel: [2, 3], padding: same, stride: 1, activation: leaky_relu}
          - maxpool: {kernel: 3, stride: 2, padding: 1}
          - elu
          - conv: {filters: 6, kernel: 1}
          - selu
          - avgpool: {kernel: 2}
          - silu
          - flatten
          - dense: {units: 7, activation: softplus}
          - dense: {units: 4, activation: mish}
          - softmax
    """,
    "flatten-hwc": """
        input: [5, 4, 3]
        layers:
          - conv: {filters: 3, kernel: 3, padding: same, activation: relu}
          - flatten
          - dense: {units: 4, activation: tanh}
    """,
    "dilated-and-strided": """
        input: [10, 9, 3]
        layers:
          - conv: {filters: 4, kernel: 3, stride: 2, dilation: 2, padding: 1}
          - conv: {filters: 4, kernel: 2, stride: [2, 1], dilation: [1, 2], groups: 2}
          - flatten
          - dense: {units: 3}
    """,
    "more-maps": """
        input: [7, 7, 3]
        layers:
          - conv: {filters: 4, kernel: 3, padding: same, bias: false}
          - batchnorm: {affine: false}
          - relu6
          - maxpool: {kernel: 2, stride: 2, ceil_mode: true}
          - residual:
              body: [conv: {filters: 4, kernel: 3, padding: 1}, hardswish]
          - multiply:
              - [hardsigmoid]
              - [global_avgpool, conv: {filters: 4, kernel: 1}, sigmoid]
          - upsample: {scale: 2}
          - adaptive_avgpool: {output: 2}
          - dropout: {rate: 0.3}
          - flatten
          - dense: {units: 5, activation: {gelu: {approximate: tanh}}}
          - layernorm
    """,
    "sequence": """
        input: [5]
        layers:
          - embedding: {vocab: 11, dim: 8}
          - transformer_encoder: {heads: 2, ffn: 16, activation: gelu, norm: pre}
          - gru: {hidden: 3, bidirectional: true}
          - sequence_pool: {mode: last}
          - dense: {units: 2}
    """,
    "recurrent": """
        input: [9, 3]
        layers:
          - conv1d: {filters: 4, kernel: 3, padding: same}
          - conv1d: {filters: 4, kernel: 2, stride: 2, dilation: 2}
          - lstm: {hidden: 5, convention: keras, bidirectional: true}
          - gru: {hidden: 4}
          - gru: {hidden: 3, convention: keras, reset_after: false}
          - rnn: {hidden: 3, convention: keras, return_sequences: false}
          - dense: {units: 2}
    """,
}
ALL = {**{k: SPECS[k] for k in ("cnn-residual-projection", "flatten-chw-and-asymmetric-same",
                                "concat-split-shuffle-se")}, **OWN}


@pytest.mark.parametrize("name", sorted(ALL))
def test_same_outputs_as_the_engine(name):
    network = network_from_text(textwrap.dedent(ALL[name]), f"{name}.yaml")
    rng = np.random.default_rng(1)
    first = network.leaves()[0]
    if first.kind == "embedding":
        x = rng.integers(0, first.vocab, size=(3, *network.input_shape)).astype(np.float64)
    else:
        x = rng.normal(size=(3, *network.input_shape))
    want, got = keras_outputs(network, x)
    assert got.shape == want.shape
    assert np.max(np.abs(got - want)) <= 1e-5 * max(1.0, float(np.max(np.abs(want))))


def engine_and_npz(network, path):
    from calc.backend import get_backend
    from calc.engine.context import Ctx
    from calc.engine.model import Model
    from calc.engine.weights import save_weights

    engine = Model(network, Ctx(get_backend("cpu", "float64"), seed=3))
    perturb(engine, np.random.default_rng(3))
    return engine, str(save_weights(engine, str(path)))


@pytest.mark.parametrize("name", ["more-maps", "sequence", "recurrent", "dilated-and-strided"])
def test_generated_loader_reads_an_npz_saved_by_nncalc(name, tmp_path):
    """The file's own load_nncalc_weights (not this test's keras_weights) gives the engine's outputs."""
    network = network_from_text(textwrap.dedent(ALL[name]), f"{name}.yaml")
    engine, path = engine_and_npz(network, tmp_path / "w.npz")
    rng = np.random.default_rng(2)
    first = network.leaves()[0]
    x = (rng.integers(0, first.vocab, size=(2, *network.input_shape)).astype(np.float64)
         if first.kind == "embedding" else rng.normal(size=(2, *network.input_shape)))
    want = np.asarray(engine.forward(engine.backend.asarray(x), training=False), dtype=np.float64)
    namespace = {"__name__": "exported"}
    exec(compile(export_code(network, "keras"), "<keras>", "exec"), namespace)  # noqa: S102
    model = next(v for k, v in namespace.items() if k.startswith("build_"))()
    namespace["load_nncalc_weights"](model, path)
    got = keras.ops.convert_to_numpy(model(x.astype(np.float32), training=False)).astype(np.float64)
    assert np.max(np.abs(got - want)) <= 1e-5 * max(1.0, float(np.max(np.abs(want))))


def test_generated_loader_names_missing_weights():
    network = network_from_text(textwrap.dedent(ALL["cnn-residual-projection"]), "s.yaml")
    namespace = {"__name__": "exported"}
    exec(compile(export_code(network, "keras"), "<keras>", "exec"), namespace)  # noqa: S102
    model = next(v for k, v in namespace.items() if k.startswith("build_"))()
    with pytest.raises(KeyError, match="conv1.weight"):
        namespace["load_nncalc_weights"](model, {})


@pytest.mark.parametrize("name", ["resnet18", "mobilenet-v2"])
def test_zoo_outputs_at_a_small_input(name, tmp_path):
    """A whole bundled network (at 32 x 32 so the float64 engine is quick): the generated loader
    and model give the engine's outputs."""
    from calc.network import override_input

    network = override_input(load_network(name), (32, 32, 3))
    engine, path = engine_and_npz(network, tmp_path / "w.npz")
    x = np.random.default_rng(4).normal(size=(2, 32, 32, 3))
    want = np.asarray(engine.forward(engine.backend.asarray(x), training=False), dtype=np.float64)
    namespace = {"__name__": "exported"}
    exec(compile(export_code(network, "keras"), "<keras>", "exec"), namespace)  # noqa: S102
    model = next(v for k, v in namespace.items() if k.startswith("build_"))()
    namespace["load_nncalc_weights"](model, path)
    got = keras.ops.convert_to_numpy(model(x.astype(np.float32), training=False)).astype(np.float64)
    assert np.max(np.abs(got - want)) <= 1e-5 * max(1.0, float(np.max(np.abs(want))))
