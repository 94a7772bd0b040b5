"""Size arithmetic against conv-arithmetic's own examples and hand-derived cases."""

from fractions import Fraction

import pytest

from calc.counting import size_formulas
from calc.solve.size_steps import solve_padding, solve_window


# Dumoulin & Visin, "A guide to convolution arithmetic" (model-stats.md)
@pytest.mark.parametrize("i,k,s,p,d,expected", [
    (5, 4, 1, 2, 1, 6),
    (5, 3, 2, 1, 1, 3),
    (6, 3, 2, 1, 1, 3),
    (7, 3, 1, 0, 2, 3),
    (227, 11, 4, 0, 1, 55),  # course AlexNet conv1
    (224, 11, 4, 0, 1, 54),  # the 224 trap
    (28, 3, 2, 1, 1, 14),    # the notes on activations and optimizers: floor((28 + 2 - 3)/2) + 1 = 13 + 1
    (7, 3, 2, 0, 1, 3),      # the notes on activations and optimizers: (7 - 3)/2 + 1
])
def test_conv_arithmetic(i, k, s, p, d, expected):
    assert size_formulas.window_output(i, k, s, p, p, d).output == expected


def test_transposed_examples():
    assert size_formulas.transposed_output(3, 3, 2, 1, 1).output == 5
    assert size_formulas.transposed_output(3, 3, 2, 1, 1, output_padding=1).output == 6
    with pytest.raises(size_formulas.SizeProblem, match="smaller than the stride"):
        size_formulas.transposed_output(3, 3, 2, 1, 1, output_padding=2)


def test_remainder_reported_not_rounded():
    a = size_formulas.window_output(224, 11, 4)
    assert (a.output, a.span, a.uncovered, a.uncovered_input) == (54, 213, 1, 1)
    sol = solve_window("conv", (224,), (11,), (4,), ((0, 0),), (1,))
    assert sol.answers["output"] == 54
    assert any("213 is not divisible by the stride 4" in f and "real input" in f for f in sol.findings)
    # remainder that lands in the padding only: no input lost
    b = size_formulas.window_output(5, 2, 2, 1, 1)
    assert (b.output, b.uncovered, b.uncovered_input) == (3, 1, 0)


def test_ceil_mode_pytorch_rule():
    # 112 -> 56 with ceil (floor would give 55): GoogLeNet's maxpool
    assert size_formulas.window_output(112, 3, 2, ceil_mode=True).output == 56
    assert size_formulas.window_output(112, 3, 2).output == 55
    # a window that would start in the right padding is dropped: i=5,k=2,s=2,p=1
    # ceil((5+2-2)/2)+1 = 4, but the 4th window would start at 6 >= i + p = 6 -> 3
    a = size_formulas.window_output(5, 2, 2, 1, 1, ceil_mode=True)
    assert a.output == 3 and a.ceil_dropped


def test_tf_same_padding():
    assert size_formulas.tf_same_padding(28, 6, 2) == (2, 2)  # mnist-cnn conv2: out 14, total 4
    assert size_formulas.tf_same_padding(14, 6, 2) == (2, 2)
    assert size_formulas.tf_same_padding(5, 2, 1) == (0, 1)   # odd extra pixel after
    assert size_formulas.tf_same_padding(7, 3, 2) == (1, 1)


def test_kernel_larger_than_input():
    with pytest.raises(size_formulas.SizeProblem, match="larger than the padded input"):
        size_formulas.window_output(5, 9)


def test_padding_solution_non_integer():
    """The notes "Simple Neural Networks": keeping 28x28 with a 28x28 kernel needs p = (28-1)/2 = 13.5."""
    sol = solve_padding(28, 28, 28)
    assert sol.answers["padding"] == Fraction(27, 2)
    assert sol.answers["split"] == (13, 14)
    assert "symmetric_padding" not in sol.answers
    assert any("not an integer" in f for f in sol.findings)


def test_padding_solution_integer_and_stride_slack():
    assert solve_padding(32, 32, 3).answers["padding"] == 1
    sol = solve_padding(227, 55, 11, 4)
    assert sol.answers["padding"] == 0 and sol.answers["total_padding"] == 0
    # stride 2: p = ((14-1)*2 - 28 + 3)/2 = 1/2; totals 1..2 all give 14, symmetric p = 1 works
    sol = solve_padding(28, 14, 3, 2)
    assert sol.answers["exact_padding"] == Fraction(1, 2)  # the equation, below the answer
    assert sol.answers["padding"] == sol.answers["symmetric_padding"] == 1
    assert size_formulas.window_output(28, 3, 2, 1, 1).output == 14
    assert not solve_padding(10, 2, 1).answers.get("split")  # impossible: output too small
