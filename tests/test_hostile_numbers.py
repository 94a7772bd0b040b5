"""Hostile numbers (issue 10, causes 1-3 and 11): huge exact values, 50-digit approximations shown
as such, bounded number parsing, and values that were accepted or refused wrongly.

Expected values come from mpmath (60 digits), math, or hand arithmetic, never from nncalc."""

import json
import math
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest

from calc import exact, exact_functions
from calc.errors import InputError, SpecError
from calc.numfmt import fmt, fmt_exact, human, shown_exactly, size_bytes


def _sci(value, digits: int) -> str:
    """Scientific text of an mpmath value, independent of calc.numfmt."""
    mpmath.mp.dps = 60
    return mpmath.nstr(mpmath.mpf(value), digits + 1, min_fixed=1, max_fixed=0, strip_zeros=False)


def _mantissa(text: str) -> str:
    return text.split("e")[0]


# -- 1. formatting huge exact numbers ---------------------------------------------------------------
def test_graph_exp_of_a_million_is_shown_not_a_traceback(cli):
    code, out, _ = cli("graph", "exp(x)", "-v", "x=1000000")
    assert code == 0
    mpmath.mp.dps = 30
    want = mpmath.exp(1000000)  # 3.0332e+434294
    assert f"f = {_mantissa(_sci(want, 3))}e+434294" in out


def test_softmax_overflow_without_shift_is_a_finding(cli):
    code, out, _ = cli("softmax", "710", "1", "--no-shift", "--json")
    assert code == 0
    data = json.loads(out)
    assert any(f.startswith("overflow: e^710 is beyond float64") for f in data["findings"])
    with pytest.raises(OverflowError):
        math.exp(710)  # float64 itself: e^710 overflows, e^709 does not
    # p2 = e / (e^710 + e) = 1 / (e^709 + 1); p1 = 1 - p2
    assert data["p2"] == pytest.approx(math.exp(-709), rel=1e-12)
    assert data["p1"] == 1.0
    assert data["e1"].startswith(_mantissa(_sci(mpmath.exp(710), 20))[:20])  # a string: beyond float64


def test_softmax_underflow_without_shift_is_a_finding(cli):
    code, out, _ = cli("softmax", "--no-shift", "--json", "--", "-800", "-900")
    assert code == 0
    data = json.loads(out)
    assert any(f.startswith("underflow") for f in data["findings"])
    assert data["p2"] == pytest.approx(math.exp(-100), rel=1e-12)


def test_formatter_handles_any_size():
    assert fmt(10 ** 5000) == "1.000e+5000"  # str() of this integer raises ValueError
    assert fmt(Fraction(1, 10 ** 5000)) == "1.000e-5000"  # float() of it is 0
    assert fmt(-(2 ** 100)) == "-1267650600228229401496703205376"  # 31 digits: shown in full
    assert human(10 ** 400) == "1.00e+400"
    assert size_bytes(3 * 1024 ** 5) == "3.07e+03 TB"


def test_summary_of_a_layer_with_10_to_the_400_units(cli, tmp_path):
    n = 10 ** 400
    spec = tmp_path / "huge.yaml"
    spec.write_text(f"name: huge\ninput: [{n}]\nlayers:\n  - dense: {{units: {n}}}\n  - dense: {{units: 10}}\n")
    code, out, _ = cli("summary", str(spec))
    assert code == 0 and "e+800" in out  # MACs about 1e800, in scientific notation
    code, out, _ = cli("summary", str(spec), "--json")
    assert json.loads(out)["total_params"] == n * n + n + n * 10 + 10  # weights + biases of both layers


# -- 2. approximations are not shown as exact ------------------------------------------------------
def test_exp_1000_is_an_approximation_in_text_and_json(cli):
    value = exact_functions.exp(1000)
    assert exact.is_approx(value) and value.denominator == 1  # an integer only by accident of digits
    assert fmt(value) == "1.970e+434"
    code, out, _ = cli("graph", "exp(x)", "-v", "x=1000", "--json")
    data = json.loads(out)
    assert isinstance(data["f"], str)  # not a 435-digit JSON integer
    assert Fraction(data["f"]) == Fraction(_sci(mpmath.exp(1000), 49))  # 50 significant digits, rounded
    assert set(data["approximate"]) == {"f", "df/dx"}


def test_approximation_mark_survives_arithmetic():
    e = exact_functions.exp(2)
    assert all(exact.is_approx(v) for v in (e + 1, 1 - e, 3 * e, e / 7, 2 / e, -e, abs(e), e ** 2))
    assert not exact.is_approx(e * 0)  # exactly 0, however e was known
    assert not exact.is_approx(Fraction(1, 3) + 1)


def test_exact_cube_root_is_exact_and_others_have_no_noise_digits(cli):
    assert exact_functions.power(Fraction(10) ** 300, Fraction(1, 3)) == 10 ** 100
    code, out, _ = cli("graph", "x ^ (1/3)", "-v", "x=1e300", "--json")
    data = json.loads(out)
    assert data["f"] == 10 ** 100 and "f" not in data.get("approximate", [])
    mpmath.mp.dps = 80
    root = exact_functions.power(2 * Fraction(10) ** 300, Fraction(1, 3))
    want = mpmath.cbrt(mpmath.mpf(2) * mpmath.mpf(10) ** 300)
    assert abs(mpmath.mpf(root.numerator) / root.denominator / want - 1) < mpmath.mpf(10) ** -49


# -- 3. parsing numbers with limits ----------------------------------------------------------------
@pytest.mark.parametrize("text,fragment", [
    ("1e999999999", "exponent 999999999 is out of range"),
    ("1" * 5000, "5000 significant digits"),
    ("0." + "3" * 2000, "2000 significant digits"),
    ("1/" + "7" * 1500, "1500 significant digits"),
])
def test_parser_refuses_numbers_past_the_limits_quickly(text, fragment):
    start = time.perf_counter()
    with pytest.raises(InputError, match=fragment):
        exact.to_fraction(text, "--x")
    assert time.perf_counter() - start < 1


def test_parser_keeps_ordinary_extremes_exact():
    assert exact.to_fraction("1e400") == 10 ** 400
    assert exact.to_fraction("-2.5e-3") == Fraction(-1, 400)
    assert exact.to_fraction("1_000") == 1000
    assert exact.to_fraction("3/-6") == Fraction(-1, 2)


def test_exponent_hang_is_gone_in_a_real_process():
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "cli", "graph", "1e999999999 * x", "-v", "x=1"],
                          capture_output=True, text=True, timeout=30, cwd=Path(__file__).parents[1])
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "exponent 999999999 is out of range" in proc.stderr
    assert time.perf_counter() - start < 30


@pytest.mark.parametrize("suffix,body", [
    ("csv", "x1,x2\n1e999,0\n"), ("yaml", "- [1e999, 0]\n"), ("json", "[[1e999, 0]]\n")])
def test_data_cell_beyond_float64_is_refused_with_its_place(cli, tmp_path, suffix, body):
    data = tmp_path / f"d.{suffix}"
    data.write_text(body)
    code, _, err = cli("run", "examples/xor.yaml", "--input", str(data))
    assert code == 2 and str(data) in err and "1.000e+999 is beyond the float64 range" in err


def test_yaml_integer_of_5000_digits_is_a_located_error(cli, tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text(f"name: s\ninput: [{'1' + '0' * 5000}]\nlayers:\n  - dense: {{units: 2}}\n")
    code, _, err = cli("summary", str(spec))
    assert code == 2 and "s.yaml:2" in err and "5001 digits" in err


@pytest.mark.parametrize("args,fragment", [
    (["graph", "exp(x)", "-v", "x=1e7"], "exp(10000000) is about 10^4342945, beyond the range"),
    (["graph", "2^x", "-v", "x=1e7"], "about 10^3010300, beyond the range"),
    (["graph", "exp(exp(exp(x)))", "-v", "x=10"], "beyond the range"),
])
def test_results_beyond_the_exact_range_are_refused(cli, args, fragment):
    code, _, err = cli(*args)
    assert code == 2 and fragment in err


def test_log_of_a_tiny_excess_over_one_is_fast(cli):
    start = time.perf_counter()  # log(1 + e^-1000000) converted a million-digit integer to Decimal
    code, out, _ = cli("loss", "bce-logits", "-o", "1e6", "-t", "0", "--json")
    assert code == 0 and json.loads(out)["loss"] == 1e6  # softplus(1e6) = 1e6 + log(1 + e^-1e6)
    assert time.perf_counter() - start < 10


# -- 11. accepted when it must not be, refused when it must not be -----------------------------------
@pytest.mark.parametrize("lr", ["inf", "nan", "1e400"])
def test_train_refuses_a_learning_rate_that_is_not_finite(cli, lr):
    code, _, err = cli("train", "examples/xor.yaml", "--data", "examples/xor.csv", "--lr", lr, "--epochs", "1")
    assert code == 2 and "lr must be a finite number, got" in err


@pytest.mark.parametrize("columns", ["0", "-5", "abc", "100000000"])
def test_absurd_columns_fall_back_to_80(cli, columns):
    code, out, _ = cli("softmax", "1", "2", env={"COLUMNS": columns})
    assert code == 0 and "p = [0.2689, 0.7311]" in out  # 1/(1+e), e/(1+e)
    assert max(len(line) for line in out.splitlines()) <= 80


def test_real_powers_of_zero(cli):
    code, out, _ = cli("graph", "x ^ 1.5", "-v", "x=0", "--json")
    assert code == 0 and json.loads(out)["f"] == 0 and json.loads(out)["df/dx"] == 0
    code, out, _ = cli("graph", "x ^ y", "-v", "x=0", "-v", "y=2", "--json")
    data = json.loads(out)
    assert (data["f"], data["df/dx"], data["df/dy"]) == (0, 0, 0)  # 0^y = 0 for every y > 0
    code, _, err = cli("graph", "x ^ 0.5", "-v", "x=0")
    assert code == 2 and "is infinite at x = 0" in err


def test_check_answer_with_a_huge_exponent_is_unchecked_not_a_hang(cli, tmp_path):
    problem = tmp_path / "p.yaml"
    problem.write_text("type: graph\ntitle: t\ngiven: {expression: 'x * y', values: {x: 2, y: 3}}\n")
    answers = tmp_path / "a.yaml"
    answers.write_text("f: 1e999999999\ndf/dx: 0." + "9" * 3000 + "\ndf/dy: 2\n")
    start = time.perf_counter()
    code, out, _ = cli("check", str(problem), "--answers", str(answers), "--json")
    assert time.perf_counter() - start < 20
    assert code == 1  # something unchecked
    text = json.dumps(json.loads(out))
    assert "exponent 999999999 is out of range" in text and "3000 significant digits" in text
    assert {v["name"]: v["status"] for v in json.loads(out)["verdicts"]}["df/dy"] == "correct"  # x = 2


def test_an_approximation_is_never_offered_as_an_exact_fraction(cli):
    value = exact_functions.exp(110)  # 5.92e47 to 50 digits: two decimals, denominator 100
    assert value.denominator <= 1000
    assert fmt_exact(value) == "" and exact.fraction_text(value) == "" and not shown_exactly(value)
    code, out, _ = cli("graph", "exp(x)", "-v", "x=100", "--json")
    assert "exact" not in json.loads(out)


def test_graph_says_a_huge_result_is_an_approximation(cli):
    code, out, _ = cli("graph", "exp(x)", "-v", "x=1000", "--json")
    findings = json.loads(out)["findings"]
    mpmath.mp.dps = 60
    assert any(f.startswith("f, df/dx: not exact") and _sci(mpmath.exp(1000), 49) in f for f in findings)


def test_thirty_decimals_are_the_values_digits_not_float_noise(cli):
    code, out, _ = cli("init", "he-normal", "--fan-in", "1", "--decimals", "30", "--json")
    assert code == 0
    mpmath.mp.dps = 50
    assert fmt(exact_functions.sqrt(2), 30) == mpmath.nstr(mpmath.sqrt(2), 31)  # 1.41421356237309504880168872421
    assert fmt(Fraction(-1, 3), 30) == "-0." + "3" * 30


def test_an_exact_learning_rate_beyond_float64_is_not_an_overflow(cli):
    code, _, err = cli("conv-backward", "-x", "1,2;3,4", "-k", "1", "-g", "1,1;1,1", "--lr", "1e400")
    assert code == 0, err


def test_check_answers_of_a_problem_with_a_huge_value(cli, tmp_path):
    problem = tmp_path / "big.yaml"
    problem.write_text("type: graph\ntitle: big\ngiven: {expression: 'exp(x)', values: {x: 1000}}\n")
    answers = tmp_path / "a.yaml"
    answers.write_text("f: 1.97e434\ndf/dx: 1.9700e+434\n")  # e^1000 = 1.970071...e434
    code, out, _ = cli("check", str(problem), "--answers", str(answers), "--json")
    assert code == 1
    status = {v["name"]: v["status"] for v in json.loads(out)["verdicts"]}
    assert status == {"f": "rounded", "df/dx": "wrong"}  # 1.97 is right at 2 decimals; 1.9701 at 4


def test_summary_of_a_conv_with_999_digit_sizes(cli, tmp_path):
    n = 10 ** 999
    spec = tmp_path / "huge.yaml"
    spec.write_text(f"name: huge\ninput: [{n}, {n}, {n}]\nlayers:\n  - conv: {{filters: {n}, kernel: 1}}\n")
    code, out, _ = cli("summary", str(spec))
    assert code == 0 and "MACs:" in out and "1.000e+3996" in out  # H W Cin Cout k k = 10^(4 x 999)
    assert max(len(line) for line in out.splitlines()) <= 100  # the fixture's COLUMNS
    code, out, _ = cli("summary", str(spec), "--json")
    assert json.loads(out)["total_macs"] == n ** 4


def test_huge_values_in_fraction_texts_and_sizes(cli):
    code, out, err = cli("graph", "x*x*x*x*x/3", "-v", "x=1e1000")
    assert code == 0, err  # the '(= n/d)' text of a 5,000-digit numerator over 3 raised ValueError
    assert "f = 3.333e+4999" in out
    code, out, err = cli("size", "padding", "-i", "4", "-o", "9" * 400, "-k", "3", "-s", "2", "--json")
    assert code == 0, err  # p = ((o-1)s - i + d(k-1) + 1)/2 = (2(10^400 - 2) - 4 + 3)/2: a half-integer
    data = json.loads(out)
    padding = data.get("exact_padding", data["padding"])  # 10^400 - 5/2: beyond float64, 50 digits in a string
    assert isinstance(padding, str) and Fraction(padding) == 10 ** 400


def test_spec_numbers_written_without_a_dot_are_numbers():
    from tests.conftest import net_from

    net = net_from("name: t\ninput: [2]\nlayers:\n  - batchnorm: {eps: 1e-5, momentum: 1e-1}\n")
    assert (net.layer("bn1").eps, net.layer("bn1").momentum) == (1e-5, 0.1)  # YAML 1.1 read '1e-5' as text
    with pytest.raises(SpecError, match="expected a finite number"):
        net_from("name: t\ninput: [2]\nlayers:\n  - batchnorm: {eps: 1e999}\n")


@pytest.mark.parametrize("args", [["graph", "x", "-v", "x=" + "7" * 5000], ["batchnorm", "1", "2", "--eps", "1e-99999"]])
def test_cli_numbers_past_the_limits_are_one_short_line(cli, args):
    code, _, err = cli(*args)
    assert code == 2 and err.count("\n") == 1 and len(err) < 300  # the CLI or calc.exact names the limit
    assert "digits" in err or "exponent" in err
