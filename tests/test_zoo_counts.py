"""Bundled networks against published figures (../shared/reference/model-stats.md).

The expected integers are copied from the reference, not from nncalc's output.
"""

import pytest

from calc.counting.stats import CountOptions, summarize
from calc.network import load_network, override_input

# name: (params, MACs) — torchvision meta num_params / exact MACs; course figures
PUBLISHED = {
    "vgg11": (132_863_336, 7_609_090_048),
    "vgg16": (138_357_544, 15_470_264_320),
    "vgg19": (143_667_240, 19_632_062_464),
    "resnet18": (11_689_512, 1_814_073_344),
    "resnet34": (21_797_672, 3_663_761_408),
    "resnet50": (25_557_032, 4_089_184_256),
    "resnet101": (44_549_160, 7_801_405_440),
    "resnet152": (60_192_808, 11_513_626_624),
    "googlenet": (6_624_904, 1_498_376_192),
    "alexnet": (62_378_344, 1_135_256_096),
    "mnist-mlp": (13_002, 784 * 16 + 16 * 16 + 16 * 10),
    "lenet5": (61_706, None),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_totals(name):
    params, macs = PUBLISHED[name]
    s = summarize(load_network(name))
    assert s.total_params == params
    assert s.trainable_params == params
    if macs is not None:
        assert s.total_macs == macs


def test_course_alexnet_per_layer():
    """model-stats.md: per-layer params and the 55 -> 27 -> 27 -> 13 -> 13 -> 13 -> 13 -> 6 sizes."""
    s = summarize(load_network("alexnet"))
    by_name = {r.name: r for r in s.leaf_rows}
    expected = {"conv1": 34_944, "conv2": 614_656, "conv3": 885_120, "conv4": 1_327_488,
                "conv5": 884_992, "fc1": 37_752_832, "fc2": 16_781_312, "fc3": 4_097_000}
    assert {k: by_name[k].params for k in expected} == expected
    sizes = [r.output_shape[0] for r in s.leaf_rows if r.type in ("conv", "maxpool")]
    assert sizes == [55, 27, 27, 13, 13, 13, 13, 6]


def test_alexnet_224_trap_is_reported():
    net = override_input(load_network("alexnet"), (224, 224, 3))
    s = summarize(net)
    assert s.rows[0].output_shape == (54, 54, 96)
    assert any(u.layer == "conv1" for u in s.unused_input)


def test_alexnet_with_paper_groups():
    """model-stats.md: the paper's two-GPU groups on conv2, conv4, conv5 give 60,965,224 params."""
    from calc import zoo
    from calc.network import network_from_text

    text, _ = zoo.read_bundled("alexnet")
    for line, grouped in (("{filters: 256, kernel: 5, padding: 2,", "{filters: 256, kernel: 5, padding: 2, groups: 2,"),
                          ("{filters: 384, kernel: 3, padding: 1, activation: relu}\n  - conv: {filters: 256,",
                           "{filters: 384, kernel: 3, padding: 1, activation: relu, groups: 2}\n  - conv: {filters: 256, groups: 2,")):
        assert line in text
        text = text.replace(line, grouped)
    assert summarize(network_from_text(text)).total_params == 60_965_224


def test_resnet50_batchnorm_buffers_and_keras_count():
    """Keras' ResNet50 = torchvision + 53,120 BN moving stats + 26,560 conv biases = 25,636,712."""
    net = load_network("resnet50")
    s = summarize(net)
    assert s.buffers == 53_120
    keras = summarize(net, CountOptions(keras=True))
    assert keras.trainable_params == 25_557_032
    assert keras.non_trainable_params == 53_120
    for layer in net.leaves():  # Keras' ResNet50 convs carry biases
        if layer.kind == "conv":
            layer.use_bias = True
    with_bias = summarize(net, CountOptions(keras=True))
    assert with_bias.total_params == 25_636_712


def test_inception_modules_seed_003():
    """Hand counts: naive 854,196,224 MACs; bottleneck terms sum to 271,351,808 (slide says 358M)."""
    hw = 28 * 28
    naive = hw * (128 * 256 + 192 * 9 * 256 + 96 * 25 * 256)
    bottleneck = hw * (64 * 256 * 3 + 128 * 256 + 192 * 9 * 64 + 96 * 25 * 64)
    assert summarize(load_network("inception-naive")).total_macs == naive == 854_196_224
    s = summarize(load_network("inception-bottleneck"))
    assert s.total_macs == bottleneck == 271_351_808
    assert s.output_shape == (28, 28, 480)
    assert summarize(load_network("inception-naive")).output_shape == (28, 28, 672)


def test_mnist_cnn_course_shapes():
    """The LAPENNA Unit 7 slides: 28x28x12 -> 14x14x24 -> 7x7x32 -> 1568 -> 200 -> 10."""
    s = summarize(load_network("mnist-cnn"))
    shapes = [r.output_shape for r in s.leaf_rows if r.type in ("conv", "flatten", "dense")]
    assert shapes == [(28, 28, 12), (14, 14, 24), (7, 7, 32), (1568,), (200,), (10,)]
    assert s.total_params == (9 * 12 + 12) + (36 * 12 * 24 + 24) + (36 * 24 * 32 + 32) + (1568 * 200 + 200) + 2010


def test_every_bundled_network_builds_and_matches_its_reference():
    from calc.counting.stats import zoo_table

    for row in zoo_table():
        assert row["published"] and all(p["match"] for p in row["published"]), row
