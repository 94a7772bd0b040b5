"""The spec forms of docs/blocks.md: named references, conditions in blocks, gates, splits and
shuffles. Shapes and counts by hand; every mistake is one located line."""

from __future__ import annotations

import pytest

from calc.counting.stats import summarize
from calc.errors import SpecError
from tests.conftest import net_from

HEAD = "name: t\ninput: [8, 8, 4]\n"

BAD = [
    # references
    ("layers:\n  - conv: {filters: 4, kernel: 1, from: nope}\n",
     ["test.yaml:4", "layers[0].conv", "no layer named 'nope'"]),
    ("layers:\n  - conv: {filters: 4, kernel: 1, name: a}\n  - conv: {filters: 4, kernel: 1, from: aa}\n",
     ["no layer named 'aa'", "did you mean 'a'"]),
    ("layers:\n  - conv: {filters: 4, kernel: 1, name: a}\n  - relu\n  - concat: {with: b}\n"
     "  - conv: {filters: 4, kernel: 1, name: b}\n", ["test.yaml:6", "'b' comes later", "earlier one"]),
    ("layers:\n  - relu\n  - conv: {filters: 4, kernel: 1, name: a, from: a}\n", ["'a' takes its input from itself"]),
    ("layers:\n  - relu\n  - sequential: [relu, conv: {filters: 4, kernel: 1, from: s}]\n    name: s\n",
     ["'s' contains this layer", "cycle"]),
    ("layers:\n  - conv: {filters: 4, kernel: 1, name: a}\n  - relu\n  - conv: {filters: 4, kernel: 1, from: a}\n",
     ["the output of 'relu1' is never used", "from: 'a'"]),
    ("layers:\n  - relu\n  - concat: {from: relu1}\n", ["concat from: needs two or more names", "with: relu1"]),
    ("layers:\n  - relu\n  - conv: {filters: 4, kernel: 1}\n    with: relu1\n", ["with: merges the previous output",
                                                                                "only concat, add and multiply"]),
    ("layers:\n  - relu\n  - conv: {filters: 4, kernel: 1}\n    from: [relu1, input]\n", ["conv takes one input"]),
    ("layers:\n  - conv: {filters: 4, kernel: 1, name: a}\n  - relu\n  - add: {with: a, from: [a, a]}\n",
     ["from: (the inputs) or with:"]),
    ("layers:\n  - conv: {filters: 4, kernel: 1, name: a, activation: relu}\n  - relu\n  - add: {with: a}\n",
     ["'a' has a fused activation (relu)"]),
    ("layers:\n  - conv: {filters: 6, kernel: 1, name: a}\n  - relu\n  - conv: {filters: 4, kernel: 1}\n"
     "  - add: {with: a}\n", ["cannot add inputs of different shapes", "the previous output: 8 x 8 x 4", "'a': 8 x 8 x 6"]),
    ("layers:\n  - maxpool: {kernel: 2, name: p}\n  - relu\n  - concat: {with: input}\n",
     ["cannot concatenate", "'input': 8 x 8 x 4"]),
    ("layers:\n  - concat: [[relu], [relu]]\n  - conv: {filters: 4, kernel: 1, from: concat1}\n",
     ["'concat1' is part of 'branches1'", "name the entry around it"]),
    ("layers:\n  - conv: {filters: 4, kernel: 1, name: input}\n  - add: {with: input}\n", ["rename the layer"]),
    ("layers:\n  - relu\n  - conv: {filters: 4, kernel: 1, from: 3}\n", ["expected a layer name", "got 3"]),
    ("layers:\n  - relu\n  - concat: [[conv: {filters: 2, kernel: 1, from: relu1}], []]\n",
     ["input of 'branch1' is never used"]),
    # conditions
    ("layers:\n  - relu\n    if: maybe\n", ["YAML syntax error"]),
    ("layers:\n  - relu:\n    if: maybe\n", ["test.yaml:5", "layers[0].if", "expected true, false or a condition"]),
    ("layers:\n  - relu:\n    if: ${1 == 1}\n", ["was not evaluated", "inside a block"]),
    ("layers:\n  - if: true\n    then: [relu]\n    when: [relu]\n", ["a conditional entry is if:", "found when"]),
    ("blocks:\n  b:\n    params: [s]\n    layers:\n      - relu:\n        if: ${s == 1 < 2}\n"
     "layers:\n  - b: {s: 1}\n", ["chained comparison"]),
    ("blocks:\n  b:\n    params: [s]\n    layers:\n      - relu:\n        if: ${s === 1}\n"
     "layers:\n  - b: {s: 1}\n", ["cannot evaluate", "in conditions also =="]),
    ("blocks:\n  b:\n    params: [s]\n    layers:\n      - if: ${s == 1}\n        then: [relu]\n"
     "        else: [conv: {filters: 2}]\nlayers:\n  - b: {s: 1}\n", ["missing required option 'kernel'"]),
    # gates, splits, shuffles
    ("layers:\n  - multiply: [[conv: {filters: 4, kernel: 3}], []]\n",
     ["cannot multiply", "branch 1: 6 x 6 x 4", "branch 2: 8 x 8 x 4", "match or be 1"]),
    ("layers:\n  - multiply: [[relu]]\n", ["multiply needs a list of at least two branches"]),
    ("layers:\n  - split: [[], [], []]\n", ["cannot split 4 channels into 3 equal parts"]),
    ("layers:\n  - split: {sizes: [1, 2], branches: [[], []]}\n", ["sizes [1, 2] add up to 3", "4 channels"]),
    ("layers:\n  - split: {sizes: [4], branches: [[], []]}\n", ["expected 2 positive channel counts"]),
    ("layers:\n  - channel_shuffle: {groups: 3}\n", ["4 channels do not divide into 3 groups"]),
    ("layers:\n  - se: {}\n", ["se needs reduction: r", "or squeeze: channels"]),
    ("layers:\n  - se: {reduction: 8}\n", ["4 channels // reduction 8 leaves no squeeze channels"]),
    ("layers:\n  - se: {squeeze: 2, divisor: 8}\n", ["layers[0].se.divisor", "with squeeze"]),
    ("layers:\n  - flatten\n  - se: {squeeze: 2}\n", ["needs a feature map"]),
]


@pytest.mark.parametrize("body,fragments", BAD)
def test_located_errors(body, fragments):
    with pytest.raises(SpecError) as info:
        net_from(HEAD + body)
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


MOBILE_BLOCK = """
blocks:
  ir:
    params: [cin, cout, stride, t]
    layers:
      - if: ${stride == 1 and cin == cout}
        then: [residual: {body: [inner: {cin: $cin, cout: $cout, stride: 1, t: $t}]}]
        else: [inner: {cin: $cin, cout: $cout, stride: $stride, t: $t}]
  inner:
    params: [cin, cout, stride, t]
    layers:
      - conv: {filters: "${cin * t}", kernel: 1, bias: false}
        if: ${t != 1}
      - conv: {filters: "${cin * t}", kernel: 3, stride: $stride, padding: 1, groups: "${cin * t}", bias: false}
      - conv: {filters: $cout, kernel: 1, bias: false}
layers:
  - ir: {cin: 4, cout: 4, stride: 1, t: 1}
  - ir: {cin: 4, cout: 8, stride: 2, t: 6}
  - ir: {cin: 8, cout: 8, stride: 1, t: 6}
"""


def test_one_block_with_a_condition_serves_every_mobilenet_stage():
    """By hand: t = 1 drops the expansion (depthwise 4*9 + project 4*4 = 52); the stride-2 block has
    no shortcut (4*24 + 24*9 + 24*8 = 504); the last one adds one (8*48 + 48*9 + 48*8 = 1200)."""
    net = net_from(HEAD + MOBILE_BLOCK)
    s = summarize(net)
    assert s.total_params == 52 + 504 + 1200
    kinds = [r.type for r in s.rows if r.depth == 1]
    assert kinds == ["residual", "inner", "residual"]
    assert s.output_shape == (4, 4, 8)


def test_conditions_read_like_python():
    from calc.spec.intexpr import evaluate

    args = {"stride": 1, "cin": 16, "cout": 16, "t": 6, "se": True}.get
    cases = {"stride == 1 and cin == cout": True, "not t == 1": True, "t != 1 and not se": False,
             "cin * 2 >= 32 or false": True, "cin // 5 < 3": False, "se and stride > 1": False,
             "1 + 2 * 3 == 7": True, "not (stride == 1 or t == 1)": False}
    for text, want in cases.items():
        assert evaluate(text, args) is want, text


def test_se_counts_as_torchvision():
    """SqueezeExcitation(C=16, S=4): fc1 16*4 + 4, fc2 4*16 + 16 = 148 params, 2*64 MACs; with
    reduction 4 and divisor 8, C = 24 gives _make_divisible(6, 8) = 8 squeeze channels."""
    s = summarize(net_from("input: [5, 5, 16]\nlayers:\n  - se: {squeeze: 4}\n"))
    assert (s.total_params, s.total_macs, s.output_shape) == (148, 128, (5, 5, 16))
    net = net_from("input: [5, 5, 24]\nlayers:\n  - se: {reduction: 4, divisor: 8, gate: tanh}\n")
    assert [leaf.out_shape for leaf in net.leaves() if leaf.kind == "conv"] == [(1, 1, 8), (1, 1, 24)]


def test_references_shapes_and_receptive_fields():
    """A skip from the input around two 3x3 convs: the concat sees 5 x 5 (the widest path)."""
    from calc.counting.receptive import receptive_fields

    net = net_from("input: [8, 8, 2]\nlayers:\n  - conv: {filters: 3, kernel: 3, padding: 1}\n"
                   "  - conv: {filters: 3, kernel: 3, padding: 1}\n  - concat: {with: input, name: cat}\n"
                   "  - conv: {filters: 5, kernel: 1, from: input}\n    name: side\n  - add: {with: cat}\n")
    assert net.output_shape == (8, 8, 5)
    rows = {r.name: r for r in receptive_fields(net)}
    assert rows["cat"].after.size == (5, 5)
    assert rows["side"].after.size == (1, 1)
    assert rows["add1"].after.size == (5, 5)


def test_a_network_with_references_is_refused_by_the_worked_network_solution():
    from calc.solve.network.solver import check_sequential

    net = net_from("input: [3]\nlayers:\n  - dense: {units: 3, name: a}\n  - relu\n  - add: {with: a}\n")
    with pytest.raises(SpecError, match="takes from: a named layer"):
        check_sequential(net)
