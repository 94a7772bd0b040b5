"""The expression parser: a whitelist, never eval; every rejection is one located line."""

from fractions import Fraction

import pytest

from calc.errors import InputError
from calc.expr import parse
from calc.expr_tree import Bin, Call, Neg, Num, Var, variables


@pytest.mark.parametrize("text,fragment", [
    ("__import__('os').system('ls')", "not allowed"),
    ("__import__", "'__import__' is not allowed"),
    ("x.real", "attribute access ('.') not allowed at column 2"),
    ("os.system", "attribute access"),
    ("lambda x: x", "'lambda' is not allowed"),
    ("x[0]", "subscripts ('[') not allowed at column 2"),
    ("open(x)", "unknown function 'open'"),
    ("eval(x)", "unknown function 'eval'"),
    ("exp(x, y)", "exp() takes 1 argument, got 2"),
    ("max(x)", "max() takes 2 to 8 arguments, got 1"),
    ("2x", "missing operator before 'x' at column 2"),
    ("(x + y", "expected ')'"),
    ("x +", "got the end"),
    ("x if y else z", "missing operator"),
    ("import os", "'import' is not allowed"),
    ("x == y", "expected a number"),
    ("{x}", "braces"),
    ("'text'", "strings"),
    ("x @ y", "'@' not allowed"),
    ("exp", "function 'exp' needs arguments"),
    ("exp = x", "'exp' is a function name"),
    ("", "expected a formula"),
])
def test_rejected_with_one_line(text, fragment):
    with pytest.raises(InputError) as err:
        parse(text)
    message = str(err.value)
    assert fragment in message
    assert "\n" not in message


def test_precedence_and_associativity():
    (st,) = parse("-x^2 + 2*y**-1 - z - w")
    # ((-(x^2) + 2*(y^-1)) - z) - w
    assert isinstance(st.expr, Bin) and st.expr.op == "-" and st.expr.right == Var("w", st.expr.right.col)
    inner = st.expr.left.left
    assert isinstance(inner.left, Neg) and inner.left.operand.op == "**"
    assert isinstance(inner.right.right, Bin) and isinstance(inner.right.right.right, Neg)
    (st,) = parse("a ^ b ^ c")  # right-associative
    assert st.expr.left == Var("a", 1) and st.expr.right.op == "**"


def test_numbers_are_exact_and_functions_known():
    (st,) = parse("0.1 * ln(x) + 1e-5")
    assert st.expr.right == Num(Fraction(1, 100000), "1e-5", st.expr.right.col)
    assert st.expr.left.left.value == Fraction(1, 10)
    assert isinstance(st.expr.left.right, Call) and st.expr.left.right.fn == "log"


def test_statements_name_stages_and_variables_exclude_them():
    statements = parse("q = x + y; f = q * z\n")
    assert [s.name for s in statements] == ["q", "f"]
    assert variables(statements) == ["x", "y", "z"]
