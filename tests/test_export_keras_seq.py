"""`nncalc export --to keras` of sequences, transformers and the options Keras has no layer for,
run in real Keras 3 (torch backend): the engine's weights go in through the generated file's own
``load_nncalc_weights`` (an .npz saved by nncalc), and the float32 Keras model gives the float64
engine's outputs to 1e-5 relative; parameter counts are nncalc's Keras-convention ones."""

from __future__ import annotations

import glob
import os
import textwrap

import numpy as np
import pytest

os.environ["KERAS_BACKEND"] = "torch"
keras = pytest.importorskip("keras")

from calc import zoo  # noqa: E402 - after the backend is chosen
from calc.errors import SpecError  # noqa: E402
from calc.interchange.export import export_code  # noqa: E402
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
    counts_match(network, model)
    namespace["load_nncalc_weights"](model, path)
    got = keras.ops.convert_to_numpy(model(x.astype(np.float32), training=False)).astype(np.float64)
    assert got.shape == want.shape
    err = np.max(np.abs(got - want)) / max(1.0, float(np.max(np.abs(want))))
    assert err <= 1e-5, err


def counts_match(network, model):
    """Trainable and non-trainable weights as nncalc counts them in Keras' convention."""
    from calc.counting.stats import CountOptions, summarize

    want = summarize(network, CountOptions(keras=True))
    size = lambda weights: sum(int(np.prod(w.shape)) for w in weights)  # noqa: E731
    assert (size(model.trainable_weights), size(model.non_trainable_weights)) == \
        (want.trainable_params, want.non_trainable_params)


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
          - conv: {filters: 4, kernel: 1}
          - conv_transpose: {filters: 4, kernel: 3, stride: 2, padding: 1, groups: 2, output_padding: 1}
          - conv_transpose: {filters: 6, kernel: 2, groups: 2, bias: false}
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


OPTIONS = {
    "pools": """
        input: [11, 10, 3]
        layers:
          - maxpool: {kernel: 3, stride: 2, dilation: 2, padding: 1}
          - avgpool: {kernel: 3, stride: 1, padding: 1, count_include_pad: false}
          - avgpool: {kernel: 2, stride: 2, ceil_mode: true}
          - avgpool: {kernel: 3, stride: 2, padding: 1, ceil_mode: true, count_include_pad: false}
          - maxpool: {kernel: 2, stride: 2, ceil_mode: true, dilation: [1, 2]}
    """,
    "adaptive-and-upsample": """
        input: [7, 9, 2]
        layers:
          - adaptive_avgpool: {output: [3, 4]}
          - upsample: {size: [5, 7]}
          - upsample: {size: [9, 8], mode: bilinear}
          - upsample: {scale: 2, mode: bilinear, align_corners: true}
          - upsample: {size: [7, 5], mode: bilinear, align_corners: true}
          - upsample: {scale: [2, 3]}
          - adaptive_avgpool: {output: 5}
    """,
    "pools-1d": """
        input: [13, 3]
        layers:
          - maxpool1d: {kernel: 3, stride: 2, padding: 1, dilation: 2}
          - avgpool1d: {kernel: 2, stride: 2, ceil_mode: true}
          - avgpool1d: {kernel: 3, stride: 1, padding: 1, count_include_pad: false}
    """,
    "activations-and-dense": """
        input: [5, 4, 3]
        layers:
          - prelu: {per: channel, init: 0.1}
          - conv: {filters: 4, kernel: 1}
          - prelu
          - step
          - prelu: {per: element}
          - softplus: {beta: 2, threshold: 1}
          - flatten
          - dropout: {rate: 0.25, scaling: test}
          - dense: {units: 3, shared_bias: true}
          - softplus: {beta: 0.5}
          - dense: {units: 4, trainable: false}
    """,
    "norms-and-keras-recurrent": """
        input: [5, 4, 3]
        layers:
          - layernorm
          - rmsnorm
          - conv: {filters: 4, kernel: 2}
          - to_sequence
          - batchnorm
          - conv1d: {filters: 3, kernel: 2}
          - gru: {hidden: 3, convention: keras, reset_after: false, bidirectional: true, layers: 2}
          - lstm: {hidden: 2, convention: keras, layers: 2}
          - rnn: {hidden: 2, bias: false, layers: 2}
          - sequence_pool: {mode: mean}
    """,
    "recurrent": """
        input: [6, 3]
        layers:
          - rnn: {hidden: 4, nonlinearity: relu}
          - lstm: {hidden: 3, bidirectional: true, layers: 2}
          - rnn: {hidden: 3, bidirectional: true, layers: 3, convention: keras}
          - gru: {hidden: 3, layers: 2, bidirectional: true, return_sequences: false}
    """,
}


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_option_gives_the_engine_outputs(name, tmp_path):
    same_outputs(spec(OPTIONS[name], f"{name}.yaml"), tmp_path)


def specs_on_disk() -> list[str]:
    """Every bundled network and every example file that is a network spec."""
    names = list(zoo.bundled_names())
    for path in sorted(glob.glob("examples/**/*.yaml", recursive=True)):
        try:
            load_network(path)
        except SpecError:
            continue  # an answers file, a class roster, a deliberately broken spec
        names.append(path)
    return names


def test_no_network_or_example_is_refused():
    """The whole zoo and every example spec export, within 79 columns."""
    names = specs_on_disk()
    assert {"bert-base", "gpt2", "llama-2-7b", "vit-b-16", "unet", "examples/mazur.yaml"} <= set(names)
    for name in names:
        source = export_code(load_network(name), "keras")
        assert max(len(line) for line in source.splitlines()) <= 79, name


def test_llama_2_7b_layers_at_two_blocks_and_narrow():
    """Llama 2 7B is 27 GB of float32 in Keras: its spec at 2 of 32 blocks, width 256 (head_dim
    128 as the real one), vocabulary 500, 64 tokens builds instead; every nncalc layer's weight count and the
    output shape are checked layer by layer, and the whole model's count."""
    text, _ = zoo.read_bundled("llama-2-7b")
    for old, new in (("times: 32", "times: 2"), ("dim: 4096", "dim: 256"), ("heads: 32", "heads: 2"),
                     ("ffn: 11008", "ffn: 688"), ("vocab: 32000", "vocab: 500"), ("units: 32000", "units: 500"),
                     ("input: [4096]", "input: [64]")):
        assert old in text
        text = text.replace(old, new)
    network = network_from_text(text, "llama-narrow.yaml")
    model, _ = exported(network)
    assert tuple(model.output_shape[1:]) == tuple(network.output_shape) == (64, 500)
    for leaf in network.leaves():
        if leaf.param_count():
            assert model.get_layer(leaf.name).count_params() == leaf.param_count(), leaf.name
    counts_match(network, model)


def test_what_keras_cannot_write_is_one_line():
    """output_padding past the padding by a stride or more (a dilation larger than the stride
    allows it) is past Keras' output_padding < stride."""
    for entry, word in (("{filters: 2, kernel: 2, stride: 2, dilation: 3, output_padding: 2}", "output_padding"),):
        text = f"input: [4, 4, 4]\nlayers:\n  - conv_transpose: {entry}\n"
        with pytest.raises(SpecError) as info:
            export_code(network_from_text(text, "t.yaml"), "keras")
        assert "\n" not in str(info.value) and word in str(info.value) and "Keras" in str(info.value)


def test_custom_layers_and_loader_fit_79_columns():
    from calc.interchange.export.keras_custom import CUSTOM
    from calc.interchange.export.keras_helpers import LOADER

    for name, text in {**CUSTOM, "LOADER": LOADER}.items():
        assert max(len(line) for line in text.splitlines()) <= 79, name


def test_every_registered_kind_has_a_keras_emitter():
    from calc.interchange.export import keras_code  # noqa: F401 - registers every Keras emitter
    from calc.interchange.export.keras_kinds import EMITTERS
    from calc.layers import REGISTRY

    assert sorted(kind for kind, cls in REGISTRY.items() if cls not in EMITTERS) == []
