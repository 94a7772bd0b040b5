"""`nncalc export --to pytorch`: the generated module runs, counts nncalc's parameters for every
zoo network, and with nncalc's weights copied in computes the engine's outputs (float64)."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from calc import zoo
from calc.errors import SpecError
from calc.interchange.export import export_code
from calc.interchange.export.torch_kinds import unexported_kinds
from calc.network import network_from_text
from tests.export_util import compare, module_from

torch = pytest.importorskip("torch")

ZOO = [name for name in zoo.bundled_names()]


def net(text: str, name: str = "spec.yaml"):
    return network_from_text(textwrap.dedent(text), name)


def test_every_kind_has_an_emitter_or_a_stated_reason():
    assert unexported_kinds() == []


@pytest.mark.parametrize("name", ZOO)
def test_zoo_parameter_count(name):
    """sum(p.numel()) of the generated module (built on the meta device: no memory) is nncalc's count,
    which tests/test_zoo_counts.py checks against torchvision / Hugging Face / published figures."""
    from calc.network import load_network

    network = load_network(name)
    cls = module_from(export_code(network, "pytorch"), name)
    with torch.device("meta"):
        module = cls()
    assert sum(p.numel() for p in module.parameters()) == sum(leaf.param_count() for leaf in network.leaves())
    assert network.reference.get("params", None) in (None, sum(p.numel() for p in module.parameters()))


SPECS = {
    "cnn-residual-projection": """
        input: [9, 9, 3]
        layers:
          - conv: {filters: 4, kernel: 3, padding: same, bias: false}
          - batchnorm
          - relu
          - residual:
              body: [conv: {filters: 6, kernel: 3, stride: 2, padding: 1}, batchnorm, relu6]
              shortcut: [conv: {filters: 6, kernel: 1, stride: 2}]
          - maxpool: {kernel: 2, stride: 1}
          - flatten
          - dropout: {rate: 0.5}
          - dense: {units: 5}
          - softmax
    """,
    "flatten-chw-and-asymmetric-same": """
        input: [6, 7, 2]
        layers:
          - conv: {filters: 3, kernel: 2, padding: same, activation: tanh}
          - avgpool: {kernel: 3, stride: 2, padding: 1}
          - flatten: {order: chw}
          - dense: {units: 4, activation: sigmoid}
    """,
    "concat-split-shuffle-se": """
        input: [8, 8, 4]
        layers:
          - concat:
              - []
              - [conv: {filters: 4, kernel: 3, padding: 1}, hardswish]
          - split:
              - []
              - [conv: {filters: 4, kernel: 1}, groupnorm: {groups: 2}, silu]
          - channel_shuffle: {groups: 2}
          - se: {reduction: 4}
          - upsample: {scale: 2, mode: bilinear}
          - conv: {filters: 2, kernel: 3, stride: 2, groups: 2, dilation: 2, padding: 2}
          - global_avgpool
          - flatten
          - dense: {units: 3}
    """,
    "multiply-gate-and-named": """
        input: [6, 6, 3]
        layers:
          - conv: {filters: 4, kernel: 3, padding: 1}
            name: stem
          - leaky_relu: {slope: 0.2}
          - multiply:
              - [conv: {filters: 4, kernel: 1}, elu]
              - [global_avgpool, conv: {filters: 4, kernel: 1}, sigmoid]
          - add: {with: stem}
            name: gated
          - conv: {filters: 2, kernel: 1, from: input}
            name: side
          - concat: {from: [gated, side]}
          - conv_transpose: {filters: 2, kernel: 2, stride: 2}
          - maxpool: {kernel: 2}
          - adaptive_avgpool: {output: 2}
          - flatten
          - dense: {units: 3}
    """,
    "mini-bert": """
        input: [7]
        layers:
          - embedding: {vocab: 30, dim: 8, padding_idx: 0}
          - positional_embedding: {max_len: 10}
          - token_type_embedding: {types: 2}
          - layernorm: {eps: 1e-12}
          - dropout: {rate: 0.1}
          - repeat:
              times: 2
              layers:
                - transformer_encoder: {heads: 2, ffn: 16, activation: gelu, norm: post, eps: 1e-12, dropout: 0.1}
          - sequence_pool: {mode: first}
          - dense: {units: 8, activation: tanh}
    """,
    "mini-gpt2": """
        input: [6]
        layers:
          - embedding: {vocab: 20, dim: 8}
          - positional_embedding: {max_len: 8}
          - repeat:
              times: 2
              layers:
                - transformer_decoder: {heads: 2, ffn: 16, activation: {gelu: {approximate: tanh}}}
          - layernorm
    """,
    "mini-llama": """
        input: [5]
        layers:
          - embedding: {vocab: 16, dim: 8}
          - repeat:
              times: 2
              layers:
                - transformer_decoder:
                    {heads: 2, kv_heads: 1, ffn: 12, mlp: swiglu, norm_layer: rmsnorm, eps: 1e-6, bias: false,
                     rotary: true}
          - rmsnorm: {eps: 1e-6}
          - dense: {units: 16, bias: false}
    """,
    "mini-vit": """
        input: [8, 8, 3]
        layers:
          - conv: {filters: 8, kernel: 4, stride: 4}
          - to_sequence: {}
          - class_token
          - positional_embedding: {max_len: 5}
          - sinusoidal
          - transformer_encoder: {heads: 2, ffn: 16, activation: gelu, norm: pre, eps: 1e-6}
          - layernorm: {eps: 1e-6}
          - sequence_pool: {mode: mean}
          - dense: {units: 3}
    """,
    "recurrent-and-conv1d": """
        input: [9, 3]
        layers:
          - conv1d: {filters: 4, kernel: 3, padding: same}
          - maxpool1d: {kernel: 2}
          - gru: {hidden: 5, bidirectional: true}
          - lstm: {hidden: 4, layers: 2}
          - rnn: {hidden: 3, return_sequences: false}
          - dense: {units: 2}
    """,
    "activations-and-norms": """
        input: [6, 6, 4]
        layers:
          - instancenorm: {affine: true}
          - prelu: {per: channel}
          - selu
          - conv: {filters: 4, kernel: 1}
          - mish
          - softplus: {beta: 2}
          - hardsigmoid
          - upsample: {scale: 2}
          - prelu
          - softmax
          - to_sequence: {}
            name: memory
          - conv1d: {filters: 4, kernel: 3, stride: 2}
          - avgpool1d: {kernel: 2, stride: 2}
          - cross_attention: {heads: 2}
            with: memory
          - rmsnorm
          - sequence_pool: {mode: last}
          - dense: {units: 3}
            name: scores
          - step
          - add: {with: scores}
    """,
    "keras-recurrent": """
        input: [6, 3]
        layers:
          - lstm: {hidden: 4, bidirectional: true, convention: keras}
          - gru: {hidden: 3, reset_after: false, convention: keras, layers: 2}
          - rnn: {hidden: 3, convention: keras, nonlinearity: relu, return_sequences: false}
          - dense: {units: 2}
    """,
}


def sample(network, rng):
    first = network.leaves()[0]
    if first.kind == "embedding":
        return rng.integers(0, first.vocab, size=(3, *network.input_shape)).astype(np.float64)
    return rng.normal(size=(3, *network.input_shape))


@pytest.mark.parametrize("name", sorted(SPECS))
def test_same_outputs_as_the_engine(name):
    network = net(SPECS[name], f"{name}.yaml")
    assert compare(network, sample(network, np.random.default_rng(1))) <= 1e-9


def test_flatten_order_matters():
    """A wrong flatten order would be caught: the same spec with the other order gives another output."""
    spec = SPECS["flatten-chw-and-asymmetric-same"]
    network = net(spec)
    source = export_code(network, "pytorch")
    assert ".flatten(1)  # order chw" in source
    hwc = export_code(net(spec.replace("order: chw", "order: hwc")), "pytorch")
    assert ".permute(0, 2, 3, 1).flatten(1)  # order hwc" in hwc


def test_layout_is_stated_and_main_runs():
    network = net(SPECS["cnn-residual-projection"])
    source = export_code(network, "pytorch")
    assert "NCHW" in source
    namespace = {"__name__": "__main__"}
    exec(compile(source, "<export>", "exec"), namespace)  # noqa: S102 - its __main__ check runs


def test_refused_kind_is_one_line():
    """Every registered kind exports; a layer class added without an emitter is one line naming it."""
    network = net("""
        input: [6, 4]
        layers:
          - relu
    """)
    layer = network.leaves()[0]
    layer.__class__ = type("Novel", (type(layer),), {"kind": "novel"})
    with pytest.raises(SpecError) as info:
        export_code(network, "pytorch")
    assert "\n" not in str(info.value) and "novel 'relu1'" in str(info.value)


def test_weights_from_an_npz_saved_by_nncalc(tmp_path):
    """`nncalc train --save` writes 'layer.param' keys; the generated loader reads the file itself."""
    from calc.backend import get_backend
    from calc.engine.context import Ctx
    from calc.engine.model import Model
    from calc.engine.weights import save_weights

    network = net(SPECS["multiply-gate-and-named"])
    model = Model(network, Ctx(get_backend("cpu", "float64"), seed=3))
    x = np.random.default_rng(2).normal(size=(2, *network.input_shape))
    want = np.asarray(model.forward(model.backend.asarray(x), training=False))
    path = save_weights(model, str(tmp_path / "w.npz"))
    module = module_from(export_code(network, "pytorch"))().double().eval()
    module.load_nncalc_weights(str(path))
    with torch.no_grad():
        got = module(torch.tensor(x).permute(0, 3, 1, 2)).numpy()
    assert np.max(np.abs(got - want)) <= 1e-9 * max(1.0, np.max(np.abs(want)))


def test_missing_weights_are_named():
    module = module_from(export_code(net(SPECS["cnn-residual-projection"]), "pytorch"))()
    with pytest.raises(KeyError, match="conv1.weight"):
        module.load_nncalc_weights({})
