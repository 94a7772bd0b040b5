"""Upsampling, group norm and instance norm (issue 13) against torch autograd (float64, relative
1e-10: nn.Upsample, nn.GroupNorm, nn.InstanceNorm2d) on the float and exact backends, and small
cases worked out by hand."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from calc.errors import SpecError
from tests.engine_util import backends, make_model, random_input, run_pair

UPSAMPLE = [
    ("{scale: 2}", (3, 4, 2)), ("{scale: [2, 3], mode: nearest}", (2, 3, 1)), ("{scale: 1}", (3, 3, 2)),
    ("{scale: 2, mode: bilinear}", (3, 4, 2)), ("{scale: [3, 2], mode: bilinear}", (4, 2, 3)),
    ("{scale: 3, mode: bilinear, align_corners: true}", (3, 4, 1)),
    ("{size: [5, 7]}", (3, 4, 2)), ("{size: [7, 5], mode: bilinear}", (3, 4, 2)),
    ("{size: [2, 3], mode: bilinear}", (5, 7, 2)),  # downsampling by a size, as torch allows
    ("{size: [6, 9], mode: bilinear, align_corners: true}", (4, 5, 2)), ("{size: 1, mode: bilinear}", (3, 3, 1)),
    ("{size: [9, 13], mode: nearest}", (4, 5, 1)), ("{scale: 2, mode: bilinear}", (1, 1, 2)),
]
NORMS = [
    ("groupnorm: {groups: 2}", (3, 4, 4)), ("groupnorm: {groups: 1}", (2, 3, 3)), ("groupnorm: {groups: 6}", (2, 2, 6)),
    ("groupnorm: {groups: 3, affine: false, eps: 0.01}", (3, 2, 6)), ("groupnorm: {groups: 2}", (6,)),
    ("groupnorm: {groups: 2}", (1, 1, 4)),
    ("instancenorm: {}", (3, 4, 3)), ("instancenorm: {affine: true}", (2, 5, 2)),
    ("instancenorm: {affine: true, eps: 0.1}", (1, 3, 1)),
]


def _randomise(model, rng):
    for layer in model.layers:
        for name in getattr(layer, "params", {}):
            layer.params[name] = model.backend.asarray(rng.normal(size=layer.params[name].shape))


@pytest.mark.parametrize("device", ["cpu", "exact"])
@pytest.mark.parametrize("options, shape", UPSAMPLE)
def test_upsample_matches_torch(device, options, shape):
    rng = np.random.default_rng(len(options))
    model = make_model(f"input: {list(shape)}\nlayers:\n  - upsample: {options}\n", device)
    run_pair(model, random_input(shape, 2, rng), rng=rng).check()


@backends
@pytest.mark.parametrize("entry, shape", NORMS)
@pytest.mark.parametrize("training", [True, False])
def test_group_and_instance_norm_match_torch(device, entry, shape, training):
    rng = np.random.default_rng(len(entry) + len(shape))
    model = make_model(f"input: {list(shape)}\nlayers:\n  - {entry}\n  - tanh\n", device)
    _randomise(model, rng)
    run_pair(model, random_input(shape, 3, rng, scale=2.0) + 0.5, training=training, rng=rng).check()


@pytest.mark.parametrize("training", [True, False])
def test_instance_norm_running_statistics_over_steps(training):
    """track_running_stats: torch averages the instances' mean and unbiased variance over the
    batch; eval mode then normalises with the running values (buffers compared too)."""
    rng = np.random.default_rng(7)
    spec = "input: [3, 4, 2]\nlayers:\n  - instancenorm: {track_running_stats: true, momentum: 0.3, affine: true}\n"
    model = make_model(spec)
    _randomise(model, rng)
    x = random_input((3, 4, 2), 4, rng, scale=1.5) + 1.0
    run_pair(model, x, training=True, steps=3, rng=rng).check()
    run_pair(model, x, training=training, rng=rng).check()  # the twin starts from the accumulated buffers


def test_norms_inside_a_network_exact_backend():
    rng = np.random.default_rng(11)
    spec = ("input: [4, 4, 2]\nlayers:\n  - conv: {filters: 4, kernel: 3, padding: 1}\n  - groupnorm: {groups: 2}\n"
            "  - relu\n  - upsample: {scale: 2, mode: bilinear}\n  - instancenorm: {affine: true}\n"
            "  - conv: {filters: 1, kernel: 1}\n")
    model = make_model(spec, "exact")
    run_pair(model, random_input((4, 4, 2), 2, rng), rng=rng).check()


def _exact(spec: str):
    return make_model(spec, "exact")


def test_bilinear_by_hand():
    """[[1, 2], [3, 4]] to 4 x 4, half-pixel centres: rows and columns use sources
    0, 0.25, 0.75, 1.25 -> clamped to 0, (0.75, 0.25), (0.25, 0.75), 1, so one axis of [1, 2] is
    [1, 5/4, 7/4, 2] and y[1][1] = 9/16*1 + 3/16*2 + 3/16*3 + 1/16*4 = 7/4."""
    model = _exact("input: [2, 2, 1]\nlayers:\n  - upsample: {scale: 2, mode: bilinear}\n")
    y = model.forward(model.backend.asarray([[[[1], [2]], [[3], [4]]]]))[0, :, :, 0]
    assert y[0].tolist() == [1, Fraction(5, 4), Fraction(7, 4), 2]
    assert y[1, 1] == Fraction(7, 4) and y[3, 3] == 4 and y[3].tolist() == [3, Fraction(13, 4), Fraction(15, 4), 4]
    # dy = 1 everywhere: every input receives the sum of its weights, 4 per input by symmetry
    dx = model.backward(model.backend.asarray(np.ones((1, 4, 4, 1), dtype=object)))
    assert dx.ravel().tolist() == [4, 4, 4, 4]


def test_align_corners_and_nearest_by_hand():
    """align_corners: 1-D [0, 3] to 4 values samples 0, 1/3, 2/3, 1 of the way: [0, 1, 2, 3].
    nearest x2 repeats each value: [0, 0, 3, 3]; its gradient sums the two copies."""
    model = _exact("input: [1, 2, 1]\nlayers:\n  - upsample: {scale: [1, 2], mode: bilinear, align_corners: true}\n")
    assert model.forward(model.backend.asarray([[[[0], [3]]]])).ravel().tolist() == [0, 1, 2, 3]
    model = _exact("input: [1, 2, 1]\nlayers:\n  - upsample: {scale: [1, 2]}\n")
    assert model.forward(model.backend.asarray([[[[0], [3]]]])).ravel().tolist() == [0, 0, 3, 3]
    dx = model.backward(model.backend.asarray([[[[1], [2], [5], [7]]]]))
    assert dx.ravel().tolist() == [3, 12]


def test_group_norm_by_hand():
    """One sample, 1 x 1 x 4 = [1, 2, 3, 5], two groups, eps 0: group [1, 2] has mean 3/2 and
    variance 1/4 -> [-1, 1]; group [3, 5] mean 4, variance 1 -> [-1, 1]; gamma 2, beta 1."""
    model = _exact("input: [1, 1, 4]\nlayers:\n  - groupnorm: {groups: 2, eps: 0}\n")
    layer = model.layers[0]
    layer.params["weight"] = model.backend.asarray([2, 2, 2, 2])
    layer.params["bias"] = model.backend.asarray([1, 1, 1, 1])
    y = model.forward(model.backend.asarray([[[[1, 2, 3, 5]]]]))
    assert y.ravel().tolist() == [-1, 3, -1, 3]


def test_instance_norm_is_per_channel_by_hand():
    """2 x 1 x 2 map, channel 0 = [0, 2], channel 1 = [5, 5] (eps 0: constant -> 0 by the eps -> 0 limit)."""
    model = _exact("input: [2, 1, 2]\nlayers:\n  - instancenorm: {eps: 0}\n")
    y = model.forward(model.backend.asarray([[[[0, 5]], [[2, 5]]]]))
    assert y[0, :, 0, 0].tolist() == [-1, 1] and y[0, :, 0, 1].tolist() == [0, 0]


def test_counts_and_shapes():
    from calc.network import network_from_text

    net = network_from_text("input: [8, 8, 6]\nlayers:\n  - upsample: {scale: [2, 3], mode: bilinear}\n"
                            "  - groupnorm: {groups: 3}\n  - instancenorm: {affine: true, track_running_stats: true}\n"
                            "  - upsample: {size: [20, 30]}\n")
    up, gn, inorm, up2 = net.leaves()
    assert up.out_shape == (16, 24, 6) and up.param_count() == 0 and up.macs() == 0
    assert gn.param_count() == 12 and gn.buffer_count() == 0 and gn.macs() == 0
    assert inorm.param_count() == 12 and inorm.buffer_count() == 12
    assert up2.out_shape == (20, 30, 6)
    from calc.counting.stats import summarize

    notes = summarize(net).conventions
    assert sum(n.startswith("upsample: no parameters and 0 MACs") for n in notes) == 1  # once for two layers
    assert any(n.startswith("groupnorm/instancenorm: 0 MACs; --include norm") for n in notes)


@pytest.mark.parametrize("entry, message", [
    ("upsample: {}", "give exactly one of scale and size"),
    ("upsample: {scale: 2, size: 4}", "give exactly one of scale and size"),
    ("upsample: {scale: 1.5}", "expected an integer"),
    ("upsample: {scale: 2, mode: bicubic}", "expected one of nearest, bilinear"),
    ("upsample: {scale: 2, align_corners: true}", "align_corners applies to bilinear only"),
    ("upsample: {scale: 0}", "expected an integer >= 1"),
    ("groupnorm: {groups: 3}", "channels (4) must be divisible by groups (3)"),
    ("groupnorm: {}", "missing required option 'groups'"),
    ("instancenorm: {groups: 2}", "unknown option 'groups'"),
])
def test_bad_options_are_one_line_errors(entry, message):
    from calc.network import network_from_text

    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        network_from_text(f"input: [4, 4, 4]\nlayers:\n  - {entry}\n")


@pytest.mark.parametrize("entry, shape", [("instancenorm", [6]), ("instancenorm", [3, 5])])
def test_instance_norm_needs_a_map(entry, shape):
    from calc.network import network_from_text

    with pytest.raises(SpecError, match="needs a feature map"):
        network_from_text(f"input: {shape}\nlayers:\n  - {entry}\n")


@pytest.mark.parametrize("entry, shape, noun", [("instancenorm: {track_running_stats: true}", [1, 1, 3], "channel"),
                                                ("groupnorm: {groups: 4}", [4], "group"),
                                                ("groupnorm: {groups: 2}", [1, 1, 2], "group")])
def test_one_value_per_group_is_refused_as_torch_does(entry, shape, noun):
    """torch: "Expected more than 1 value per channel"; the normalised value would always be 0."""
    from calc.network import network_from_text

    with pytest.raises(SpecError, match=f"each {noun} has 1 value"):
        network_from_text(f"input: {shape}\nlayers:\n  - {entry}\n")


@pytest.mark.parametrize("mode, fields", [("bilinear", [3, 4, 6, 8]), ("nearest", [3, 4, 4, 6])])
def test_receptive_field_through_upsampling(mode, fields):
    """By hand: conv 3 (r 3, j 1), max pool 2 (r 4, j 2), upsample x2 (j 1; bilinear also reads the
    next input value, r + j_prev = 4 + 2; nearest one value, r stays 4), conv 3 (r + 2 j)."""
    from calc.counting.receptive import receptive_fields
    from calc.network import network_from_text

    net = network_from_text(f"input: [16, 16, 1]\nlayers:\n  - conv: {{filters: 1, kernel: 3}}\n  - maxpool: {{kernel: 2}}\n"
                            f"  - upsample: {{scale: 2, mode: {mode}}}\n  - conv: {{filters: 1, kernel: 3}}\n")
    assert [row.after.size[0] for row in receptive_fields(net)] == fields
