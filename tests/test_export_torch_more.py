"""`nncalc export --to pytorch` for the options once refused: uneven or wide pool padding (max and
average, 2-D and 1-D, with ceil_mode and count_include_pad), a stand-alone rotary layer, a dense
layer's shared bias, PReLU per element or channel on maps, sequences and vectors, layer and RMS
norm on a map, batch norm on a sequence, dropout scaled at test time, channel shuffle on vectors
and sequences. Each generated module runs in torch (float64) with the engine's weights copied in
by its own loader and must give the engine's outputs within 1e-9 and nncalc's parameter count;
random specs of tests/specgen.py do the same for options nobody listed here. Hand-worked and
published numbers check the two new formulas that no torch module holds as such (the divisor of an
unevenly padded average pool, Mazur's shared-bias network)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from calc.errors import SpecError
from calc.interchange.export import export_code
from calc.interchange.export.torch_kinds import REFUSED
from calc.network import load_network, network_from_text
from tests.export_util import compare, module_from

torch = pytest.importorskip("torch")


def net(text: str, name: str = "spec.yaml"):
    return network_from_text(textwrap.dedent(text), name)


def pool_spec(kind: str, opts: str, shape=(7, 6, 3)) -> str:
    return f"input: {list(shape)}\nlayers:\n  - {kind}: {{{opts}}}\n"


# every padding the engine accepts that torch's padding argument cannot say, and the ones it can
PADDINGS = ["stride: 2, padding: [0, 1, 1, 0]", "stride: 2, padding: [1, 0, 0, 1]", "stride: 2, padding: [1, 1, 0, 1]",
            "stride: 1, padding: [1, 0, 1, 0]", "stride: 2, padding: same", "stride: 1, padding: same",
            "stride: 2, padding: 1", "stride: 2, padding: valid"]
CEIL = ("", ", ceil_mode: true")
POOLS = [pool_spec("maxpool", f"kernel: 3, {p}{c}") for p in PADDINGS for c in CEIL]
POOLS += [pool_spec("maxpool", f"kernel: 3, dilation: 2, {p}{c}") for p in PADDINGS[1:6] for c in CEIL]
# (with a dilated kernel, 'same' pads 2 > 3 // 2 on a side: wider than torch's padding allows)
POOLS += [pool_spec("avgpool", f"kernel: 3, {p}{c}{i}") for p in PADDINGS for c in CEIL
          for i in ("", ", count_include_pad: false", ", count_include_pad: true")]
POOLS += [pool_spec("avgpool", "kernel: [2, 3], stride: [3, 2], padding: [1, 0, 0, 1], ceil_mode: true", (8, 9, 2))]
PADDINGS1D = ["stride: 2, padding: [0, 1]", "stride: 2, padding: [1, 0]", "stride: 2, padding: same",
              "stride: 1, padding: same", "stride: 2, padding: 1", "stride: 1, padding: [1, 0]"]
POOLS1D = [pool_spec(kind, f"kernel: 3, {p}{c}{i}", (9, 3)) for kind in ("maxpool1d", "avgpool1d")
           for p in PADDINGS1D for c in CEIL
           for i in (("", ", count_include_pad: false") if kind == "avgpool1d" else ("",))]
POOLS1D += [pool_spec("maxpool1d", f"kernel: 3, dilation: 2, {p}{c}", (9, 3)) for p in PADDINGS1D[:4] for c in CEIL]


def check(network, seed: int = 1) -> None:
    """The engine's outputs within 1e-9 (relative to the largest) and nncalc's parameter count."""
    rng, first = np.random.default_rng(seed), network.leaves()[0]
    if first.kind == "embedding":  # token ids
        x = rng.integers(0, first.vocab, size=(3, *network.input_shape)).astype(np.float64)
    else:
        x = rng.normal(size=(3, *network.input_shape))
    assert compare(network, x, seed) <= 1e-9
    module = module_from(export_code(network, "pytorch"))()
    assert sum(p.numel() for p in module.parameters()) == sum(leaf.param_count() for leaf in network.leaves())


@pytest.mark.parametrize("spec", POOLS + POOLS1D)
def test_pools_with_any_padding(spec):
    check(net(spec))


def test_uneven_pools_are_padded_explicitly():
    """Not torch's padding argument (which pads both sides alike): F.pad first, -inf for max."""
    source = export_code(net(pool_spec("maxpool", "kernel: 3, stride: 2, padding: [0, 1, 1, 0]")), "pytorch")
    assert 'F.pad(x, (1, 0, 0, 1), value=float("-inf"))' in source and "nn.MaxPool2d(3, stride=2)" in source
    even = export_code(net(pool_spec("avgpool", "kernel: 3, stride: 2, padding: 1")), "pytorch")
    assert "nn.AvgPool2d(3, stride=2, padding=1)" in even and "F.pad" not in even


def test_uneven_average_pool_divisor_by_hand():
    """x = 1..9 on a 3 x 3 map, kernel 2, stride 2, padding [0, 1, 0, 1] (bottom and right). The four
    windows hold {1, 2, 4, 5}, {3, 6} + 2 pads, {7, 8} + 2 pads, {9} + 3 pads: averages 12/4, 9/2, 15/2,
    9/1 without the pads in the divisor, and 12/4, 9/4, 15/4, 9/4 with them."""
    x = torch.arange(1.0, 10.0, dtype=torch.float64).reshape(1, 1, 3, 3)
    for flag, want in (("false", [[3, 4.5], [7.5, 9]]), ("true", [[3, 2.25], [3.75, 2.25]])):
        network = net(pool_spec("avgpool", f"kernel: 2, padding: [0, 1, 0, 1], count_include_pad: {flag}", (3, 3, 1)))
        module = module_from(export_code(network, "pytorch"))().double()
        assert module(x)[0, 0].tolist() == want


ROTARY = """
    input: [5, 8]
    layers:
      - rotary: {%s}
"""


@pytest.mark.parametrize("opts", ["", "pairing: interleaved", "head_dim: 4", "head_dim: 2, pairing: interleaved",
                                  "base: 100, head_dim: 4, pairing: half"])
def test_rotary_layer(opts):
    check(net(ROTARY % opts))


def test_rotary_by_hand():
    """Position 1 turns pair k by 1 / base^(2k/D): with D = 2 and base b, the angle is 1 radian for
    position 1 and 2 radians for position 2; (1, 0) becomes (cos, sin)."""
    network = net("input: [3, 2]\nlayers:\n  - rotary: {base: 7}\n")
    module = module_from(export_code(network, "pytorch"))().double()
    x = torch.tensor([[[1.0, 0.0]] * 3], dtype=torch.float64)
    want = [[1.0, 0.0], [np.cos(1), np.sin(1)], [np.cos(2), np.sin(2)]]
    assert np.allclose(module(x)[0].numpy(), want, rtol=0, atol=1e-15)


OTHERS = {
    "shared-bias": """
        input: [4]
        layers:
          - dense: {units: 3, shared_bias: true, activation: tanh}
          - dense: {units: 2, shared_bias: true}
    """,
    "shared-bias-on-a-map": """
        input: [2, 2, 3]
        layers:
          - global_avgpool
          - dense: {units: 3, shared_bias: true}
    """,
    "prelu-everywhere": """
        input: [4, 3, 2]
        layers:
          - prelu: {per: element, init: 0.1}
          - prelu: {per: channel}
          - to_sequence
          - prelu: {per: element}
          - prelu: {per: channel, init: 0.3}
          - prelu
          - flatten
          - prelu: {per: element}
          - prelu: {per: channel}
    """,
    "norms-on-a-map": """
        input: [4, 3, 5]
        layers:
          - layernorm
          - layernorm: {bias: false, eps: 0.001}
          - layernorm: {elementwise_affine: false}
          - rmsnorm
          - rmsnorm: {elementwise_affine: false, eps: 0.01}
    """,
    "batchnorm-on-a-sequence": """
        input: [6, 4]
        layers:
          - batchnorm
          - batchnorm: {affine: false, eps: 0.001, momentum: 0.3}
          - dense: {units: 3}
    """,
    "dropout-scaled-at-test": """
        input: [3, 3, 2]
        layers:
          - dropout: {rate: 0.25, scaling: test}
          - flatten
          - dropout: {p: 0.5, scaling: test}
          - dropout: {rate: 0.1}
    """,
    "shuffle-vector-and-sequence": """
        input: [6, 6]
        layers:
          - channel_shuffle: {groups: 3}
          - sequence_pool: {mode: mean}
          - channel_shuffle: {groups: 2}
    """,
    "attention-options": """
        input: [5]
        layers:
          - embedding: {vocab: 9, dim: 8, padding_idx: -1}
            name: tokens
          - attention: {heads: 4, kv_heads: 2, head_dim: 4, rotary: true, rotary_base: 50, causal: true}
          - cross_attention: {heads: 2, kv_heads: 1, head_dim: 5, bias: false}
            with: tokens
          - swiglu: {hidden: 6, bias: true}
          - transformer_decoder: {heads: 2, ffn: 6, head_dim: 2, norm: post, norm_layer: rmsnorm, ffn_bias: false}
    """,
}


@pytest.mark.parametrize("name", sorted(OTHERS))
def test_once_refused_options(name):
    check(net(OTHERS[name], f"{name}.yaml"))


def test_norm_on_a_map_is_per_pixel():
    """Over the channels of each pixel as nncalc (ConvNeXt's channels-last LayerNorm), not over C, H, W."""
    source = export_code(net(OTHERS["norms-on-a-map"]), "pytorch")
    assert "self.ln1(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)" in source
    assert "nn.LayerNorm(\n            5, eps=1e-05" in source  # over C = 5 values


def test_mazur_published_outputs():
    """Mazur's step-by-step example (examples/mazur.yaml, one bias shared per layer): inputs 0.05, 0.10
    give outputs 0.75136507 and 0.772928465 on his page; the spec's weights come in through the loader."""
    network = load_network("examples/mazur.yaml")
    module = module_from(export_code(network, "pytorch"))().double()
    module.load_nncalc_weights({"fc1": {"weight": [[0.15, 0.20], [0.25, 0.30]], "bias": [0.35]},
                                "fc2": {"weight": [[0.40, 0.45], [0.50, 0.55]], "bias": [0.60]}})
    y = module(torch.tensor([[0.05, 0.10]], dtype=torch.float64))[0].tolist()
    assert y == pytest.approx([0.75136507, 0.772928465], abs=5e-9)
    assert sum(p.numel() for p in module.parameters()) == 10  # 2 x (4 weights + 1 shared bias)


def test_dropout_scaled_at_test_trains_unscaled():
    """scaling: test keeps survivors as they are in training (each output is 0 or the input)."""
    network = net("input: [400]\nlayers:\n  - dropout: {rate: 0.5, scaling: test}\n")
    module = module_from(export_code(network, "pytorch"))().double().train()
    x = torch.rand(2, 400, dtype=torch.float64) + 1
    y = module(x)
    assert bool(((y == 0) | (y == x)).all()) and 0 < int((y == 0).sum()) < 800


def test_no_refusals_left():
    assert REFUSED == {}


@pytest.mark.parametrize("block", range(6))
def test_random_specs_export_and_agree(block):
    """Seeded random specs (every layer kind and option tests/specgen.py draws) export, run and equal
    the engine: an option that an emitter ignores fails here. The code stays within 79 columns."""
    from tests.specgen import random_spec

    for seed in range(block * 60, block * 60 + 60):
        text = random_spec(seed).text
        network = network_from_text(text, f"random{seed}.yaml")
        width = max(len(line) for line in export_code(network, "pytorch").splitlines())
        assert width <= 79, f"seed {seed}: a line of {width} characters"
        try:
            check(network, seed)
        except (AssertionError, SpecError, RuntimeError) as err:
            raise AssertionError(f"seed {seed}:\n{text}") from err


def test_generated_file_runs_as_a_script(tmp_path):
    """`python model.py` builds the module and runs one batch: output shape and parameter count."""
    path = tmp_path / "model.py"
    path.write_text(export_code(net(OTHERS["prelu-everywhere"]), "pytorch"))
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "output (2, 24) parameters 101"  # 24 + 2 + 24 + 2 + 1 + 24 + 24 slopes


def compare_training(network, x, seed: int = 0) -> float:
    """One training-mode step of the module (nn.Module.train()) against the engine's training forward:
    the largest relative difference of the outputs and of the running statistics updated by it."""
    from calc.backend import get_backend
    from calc.engine.context import Ctx
    from calc.engine.model import Model
    from tests.export_util import engine_weights, perturb

    model = Model(network, Ctx(get_backend("cpu", "float64"), seed=seed))
    perturb(model, np.random.default_rng(seed))
    module = module_from(export_code(network, "pytorch"))().double().train()
    module.load_nncalc_weights(engine_weights(model))
    want = np.asarray(model.forward(model.backend.asarray(x), training=True), dtype=np.float64)
    xt = torch.tensor(x).permute(0, 3, 1, 2) if x.ndim == 4 else torch.tensor(x)
    got = module(xt)
    got = (got.permute(0, 2, 3, 1) if got.dim() == 4 else got).detach().numpy()
    errors = [np.max(np.abs(got - want)) / max(np.max(np.abs(want)), 1e-3)]
    tensors = dict(module.named_buffers())
    for layer, values in engine_weights(model).items():
        for name, value in values.items():
            path = module.NNCALC_WEIGHTS[layer][name]
            if "running" in name:
                errors.append(np.max(np.abs(tensors[path].numpy().reshape(value.shape) - value)))
    return float(max(errors))


TRAINING = {
    "batchnorm-map-vector-sequence": """
        input: [4, 3, 2]
        layers:
          - batchnorm: {momentum: 0.3}
          - batchnorm: {variance: unbiased, eps: 0.001}
          - to_sequence
          - batchnorm: {variance: unbiased, affine: false}
          - batchnorm
          - flatten
          - batchnorm: {variance: unbiased}
          - batchnorm
    """,
    "instancenorm-tracking": """
        input: [3, 3, 2]
        layers:
          - instancenorm: {track_running_stats: true, momentum: 0.2, affine: true}
    """,
}


@pytest.mark.parametrize("name", sorted(TRAINING))
def test_training_mode_and_running_statistics(name):
    """nn.BatchNorm normalises a training batch by the biased variance; nncalc's `variance: unbiased`
    by n - 1 (the batch_norm_unbiased helper): outputs and running statistics as the engine's."""
    network = net(TRAINING[name])
    x = np.random.default_rng(4).normal(size=(3, *network.input_shape))
    assert compare_training(network, x) <= 1e-9
    if "unbiased" in TRAINING[name]:
        assert "batch_norm_unbiased(self.bn2, x)" in export_code(network, "pytorch")


def test_random_specs_in_training_mode():
    """The same random specs in training mode (batch statistics, running statistics updated), those
    without dropout, whose masks are drawn differently by torch and by the engine."""
    from tests.specgen import random_spec

    checked = 0
    for seed in range(150):
        text = random_spec(seed).text
        network = network_from_text(text, f"random{seed}.yaml")
        if any(getattr(leaf, "rate", 0) for leaf in network.leaves()):
            continue
        x = np.random.default_rng(seed).normal(size=(3, *network.input_shape))
        assert compare_training(network, x, seed) <= 1e-9, f"seed {seed}:\n{text}"
        checked += 1
    assert checked > 50


def test_frozen_layers_do_not_train():
    """`trainable: false` freezes the layer's parameters (requires_grad False), not its buffers:
    frozen 4*3 + 1 (shared bias) + 3 (slopes) + 3 + 3 (gamma, beta) = 22, trainable 3*2 + 2 = 8."""
    network = net("""
        input: [4]
        layers:
          - dense: {units: 3, shared_bias: true}
            trainable: false
          - prelu: {per: element}
            trainable: false
          - batchnorm: {}
            trainable: false
          - dense: {units: 2}
    """)
    module = module_from(export_code(network, "pytorch"))()
    assert sum(p.numel() for p in module.parameters() if not p.requires_grad) == 22
    assert sum(p.numel() for p in module.parameters() if p.requires_grad) == 8
    check(network)


def test_dropout_with_a_given_mask_says_so():
    network = net("input: [3]\nlayers:\n  - dropout: {rate: 0.5, mask: [1, 0, 1], scaling: test}\n")
    source = export_code(network, "pytorch")
    assert "# scaling: test (the paper's); torch draws the masks\n        x = self.dropout1(x) * (1 - 0.5)\n" in source
    check(network)
