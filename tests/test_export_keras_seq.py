"""`nncalc export --to keras` of sequences, transformers and the options Keras has no layer for,
run in real Keras 3 (torch backend): the engine's weights go in through the generated file's own
``load_nncalc_weights`` (an .npz saved by nncalc), and the float32 Keras model gives the float64
engine's outputs to 1e-5 relative; parameter counts are nncalc's Keras-convention ones."""

from __future__ import annotations

import os
import textwrap

import numpy as np
import pytest

os.environ["KERAS_BACKEND"] = "torch"
keras = pytest.importorskip("keras")

from calc.interchange.export import export_code  # noqa: E402 - after the backend is chosen
from calc.network import load_network, network_from_text  # noqa: E402
from tests.export_util import perturb  # noqa: E402


def exported(network):
    """(the built Keras model, the generated file's namespace)."""
    namespace = {"__name__": "exported"}
    exec(compile(export_code(network, "keras"), "<keras>", "exec"), namespace)  # noqa: S102 - code under test
    build = next(v for k, v in namespace.items() if k.startswith("build_"))
    return build(), namespace


def inputs(network, rng, n: int = 2):
    first = network.leaves()[0]
    if first.kind == "embedding":
        return rng.integers(0, first.vocab, size=(n, *network.input_shape)).astype(np.float64)
    return rng.normal(size=(n, *network.input_shape))


def same_outputs(network, tmp_path, seed: int = 3):
    """The engine (float64, perturbed weights saved as .npz) and the Keras model loaded from it."""
    from calc.backend import get_backend
    from calc.engine.context import Ctx
    from calc.engine.model import Model
    from calc.engine.weights import save_weights

    engine = Model(network, Ctx(get_backend("cpu", "float64"), seed=seed))
    perturb(engine, np.random.default_rng(seed))
    path = str(save_weights(engine, str(tmp_path / "w.npz")))
    x = inputs(network, np.random.default_rng(seed + 1))
    want = np.asarray(engine.forward(engine.backend.asarray(x), training=False), dtype=np.float64)
    model, namespace = exported(network)
    namespace["load_nncalc_weights"](model, path)
    got = keras.ops.convert_to_numpy(model(x.astype(np.float32), training=False)).astype(np.float64)
    assert got.shape == want.shape
    err = np.max(np.abs(got - want)) / max(1.0, float(np.max(np.abs(want))))
    assert err <= 1e-5, err


def spec(text: str, name: str = "t.yaml"):
    return network_from_text(textwrap.dedent(text), name)


NETS = {
    "bert-like": """
        input: [9]
        layers:
          - embedding: {vocab: 40, dim: 16, padding_idx: 0}
          - positional_embedding: {max_len: 12}
          - token_type_embedding: {types: 2}
          - layernorm: {eps: 1e-12}
          - dropout: {rate: 0.1}
          - transformer_encoder: {heads: 4, ffn: 32, activation: gelu, norm: post, eps: 1e-12, dropout: 0.1}
          - transformer_encoder: {heads: 2, ffn: 24, activation: gelu, norm: post}
          - sequence_pool: {mode: first}
          - dense: {units: 16, activation: tanh}
    """,
    "gpt2-like": """
        input: [8]
        layers:
          - embedding: {vocab: 30, dim: 12}
          - positional_embedding: {max_len: 16}
          - transformer_decoder: {heads: 3, ffn: 24, activation: {gelu: {approximate: tanh}}}
          - transformer_decoder: {heads: 3, ffn: 24, activation: {gelu: {approximate: tanh}}}
          - layernorm
          - dense: {units: 30, bias: false}
    """,
    "llama-like": """
        input: [7]
        layers:
          - embedding: {vocab: 25, dim: 16}
          - rotary: {pairing: interleaved, head_dim: 8}
          - transformer_decoder: {heads: 4, kv_heads: 2, ffn: 20, mlp: swiglu, norm_layer: rmsnorm,
                                  bias: false, rotary: true}
          - transformer_decoder: {heads: 2, kv_heads: 1, ffn: 12, mlp: swiglu, norm_layer: rmsnorm,
                                  bias: false, rotary: true, rotary_base: 500}
          - rotary: {pairing: half, base: 100}
          - rmsnorm
          - rmsnorm: {elementwise_affine: false, eps: 1e-5}
          - dense: {units: 25, bias: false}
    """,
    "gqa-and-sinusoidal": """
        input: [6, 8]
        layers:
          - sinusoidal
          - attention: {heads: 4, kv_heads: 2, causal: true}
          - sinusoidal: {base: 100}
          - swiglu: {hidden: 6, bias: true}
          - attention: {heads: 2, head_dim: 3, bias: false}
    """,
    "vit-like": """
        input: [8, 8, 3]
        layers:
          - conv: {filters: 12, kernel: 4, stride: 4}
          - to_sequence
          - class_token
          - positional_embedding: {max_len: 5}
          - transformer_encoder: {heads: 3, ffn: 24, activation: gelu, norm: pre, eps: 1e-6}
          - layernorm: {eps: 1e-6}
          - sequence_pool: {mode: first}
          - dense: {units: 5}
    """,
    "encoder-decoder": """
        input: [6, 8]
        layers:
          - transformer_encoder: {heads: 2, ffn: 16}
            name: memory
          - dense: {units: 12}
            from: input
          - transformer_decoder: {heads: 4, ffn: 16, norm: post, memory: memory}
          - transformer_decoder: {heads: 4, kv_heads: 2, ffn: 16, memory: memory}
    """,
    "unet-like": """
        input: [8, 8, 3]
        layers:
          - conv: {filters: 4, kernel: 3, padding: 1}
            name: enc1
          - maxpool: {kernel: 2}
          - conv: {filters: 6, kernel: 3, padding: 1}
          - instancenorm: {affine: true}
          - relu
          - conv_transpose: {filters: 4, kernel: 2, stride: 2}
          - concat: {with: enc1}
          - conv_transpose: {filters: 5, kernel: 3, stride: 2, padding: 1, output_padding: 1}
          - instancenorm: {track_running_stats: true}
          - conv_transpose: {filters: 3, kernel: 3, stride: 1, dilation: 2, padding: [1, 2]}
          - conv_transpose: {filters: 3, kernel: 2, stride: 3, output_padding: 2, bias: false}
          - instancenorm
          - conv: {filters: 2, kernel: 1}
    """,
}


@pytest.mark.parametrize("name", sorted(NETS))
def test_network_gives_the_engine_outputs(name, tmp_path):
    same_outputs(spec(NETS[name], f"{name}.yaml"), tmp_path)


@pytest.mark.parametrize("path", ["examples/mazur.yaml", "examples/sequence-layers.yaml",
                                  "examples/transformers/encoder-decoder.yaml", "examples/decoder.yaml",
                                  "examples/blocks/skips.yaml"])
def test_example_gives_the_engine_outputs(path, tmp_path):
    same_outputs(load_network(path), tmp_path)
