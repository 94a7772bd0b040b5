"""Numbers as people type them (issue 9): negative numbers anywhere among the values, one syntax
for vectors and matrices, an inline value never taken for a file name. Expected values are
derived by hand here (math.exp, sums), never from nncalc's output."""

import json
import math

import pytest

from calc.errors import InputError
from calc.numtext import is_inline, looks_numeric, matrix, rows, vector


def answers(cli, *args):
    code, out, err = cli(*args, "--json")
    assert code == 0, err
    return json.loads(out)["answers"]


@pytest.mark.parametrize("args", [("3.2", "5.1", "-1.7"), ("--jacobian", "3.2", "5.1", "-1.7"),
                                  ("3.2", "5.1", "-1.7", "--no-shift"), ("3.2,5.1,-1.7",), ("3.2", "5.1,-1.7")])
def test_softmax_of_cs231n_scores_with_a_negative_score(cli, args):
    z = (3.2, 5.1, -1.7)
    total = sum(math.exp(v) for v in z)
    got = answers(cli, "softmax", *args)
    for i, v in enumerate(z, 1):
        assert got[f"p{i}"] == pytest.approx(math.exp(v) / total, rel=1e-12)
    assert got["p1"] == pytest.approx(0.13, abs=5e-3) and got["p3"] == pytest.approx(0.00097, abs=1e-5)


def test_batchnorm_negative_value_in_the_middle_and_first(cli):
    # x = 1, -2, 3: mean 2/3, biased variance ((1/3)^2 + (8/3)^2 + (7/3)^2) / 3 = 38/9
    for args in (("1", "-2", "3"), ("--eps", "0", "1", "-2", "3"), ("1", "-2", "3", "--eps", "0")):
        got = answers(cli, "batchnorm", *args)
        assert got["mean"] == pytest.approx(2 / 3)
        assert got["var"] == pytest.approx(38 / 9)
    got = answers(cli, "batchnorm", "-2", "1", "3", "--eps", "0")
    assert got["y"][0] == pytest.approx((-2 - 2 / 3) / math.sqrt(38 / 9))


def test_ewma_with_negative_values_and_options_on_both_sides(cli):
    # beta 0.5: V1 = 0.5, V2 = 0.25 - 1 = -0.75, V3 = -0.375 + 1.5 = 1.125
    for args in (("1", "-2", "3", "--beta", "0.5"), ("--beta", "0.5", "1", "-2", "3"),
                 ("--beta", "0.5", "1", "-2", "--decimals", "3", "3")):
        assert answers(cli, "ewma", *args)["V"] == pytest.approx([0.5, -0.75, 1.125])


@pytest.mark.parametrize("token", ["-1e-3", "-.5", "-0", "-1/3", "-2,3"])
def test_dropout_and_activation_take_negative_spellings(cli, token):
    expected = [-1e-3, -0.5, 0, -1 / 3, -2][["-1e-3", "-.5", "-0", "-1/3", "-2,3"].index(token)]
    got = answers(cli, "dropout", token, "4", "--mask", "0,1" if token != "-2,3" else "0,1,1")
    assert got["test_output"][0] == pytest.approx(expected)


def test_option_values_may_be_negative(cli):
    got = answers(cli, "optimizer", "sgd", "--grads", "-1,2", "--lr", "0.5", "--start", "-3")
    assert got["w_final"] == pytest.approx(-3 + 0.5 - 1)  # w1 = -3 - 0.5(-1) = -2.5; w2 = -2.5 - 1


def test_non_finite_and_words_are_refused_in_one_line(cli):
    code, _, err = cli("softmax", "1", "-inf")
    assert code == 2 and "finite" in err and err.count("\n") == 1
    code, _, err = cli("softmax", "1", "--bogus")
    assert code == 2 and "--bogus" in err


def test_real_options_are_never_numeric():
    """A number is never an option, so no option name may look like one."""
    import typer

    import cli as cli_module

    def walk(command):
        for sub in getattr(command, "commands", {}).values():
            yield from walk(sub)
        for param in command.params:
            yield from getattr(param, "opts", []) + getattr(param, "secondary_opts", [])

    names = list(walk(typer.main.get_command(cli_module.app)))
    assert names and not [n for n in names if looks_numeric(n)]


def test_looks_numeric():
    assert all(looks_numeric(t) for t in ("-1", "-1.7", "-.5", "-1e-3", "-2,3", "-1,2;3,4", "-inf", "-NaN"))
    assert not any(looks_numeric(t) for t in ("-", "--", "-h", "-x", "--lr", "-.", "1", "-i"))


def test_one_parser_for_vectors_and_matrices():
    assert vector("2 4 6", "X") == vector("2,4,6", "X") == vector("[2, 4, 6]", "X") == vector(["2", "4,6"], "X") \
        == ["2", "4", "6"]
    assert rows("1,2;3,4", "M") == rows("[[1, 2], [3, 4]]", "M") == [["1", "2"], ["3", "4"]]
    assert matrix("1,2;3,4", "M") == [["1", "2"], ["3", "4"]]
    with pytest.raises(InputError, match="equal length"):
        rows("1,2;3", "M")
    with pytest.raises(InputError, match="M: expected a number"):
        vector("1 two", "M")


def test_inline_or_file_is_decided_from_the_text():
    assert is_inline("1,2;3,4") and is_inline("[[1]]") and is_inline("5") and is_inline("-1.5")
    assert not is_inline("image.csv") and not is_inline("kernel")


def test_a_long_inline_matrix_is_never_a_file_name(cli):
    # 12 x 6 input of ones, 3 x 3 kernel of ones, no padding: every output is 9
    big = ";".join(",".join(["1"] * 6) for _ in range(12))
    assert len(big) > 140
    got = answers(cli, "conv2d", "-x", big, "-k", "1,1,1;1,1,1;1,1,1")
    assert got["output"] == [[9] * 4] * 10
    code, _, err = cli("conv2d", "-x", "nosuchfile", "-k", "1")
    assert code == 2 and "no such file 'nosuchfile'" in err


def test_matrix_from_a_csv_file(cli, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("1,2,3\n4,5,6\n7,8,-9\n", encoding="utf-8")
    # 2 x 2 kernel [[1, 0], [0, 1]] over the 3 x 3 map: 1+5, 2+6, 4+8, 5-9
    inline = answers(cli, "conv2d", "-x", "1,2,3;4,5,6;7,8,-9", "-k", "1,0;0,1")
    from_file = answers(cli, "conv2d", "-x", str(path), "-k", "1,0;0,1")
    assert inline["output"] == from_file["output"] == [[6, 8], [12, -4]]


def test_problem_files_accept_the_command_line_syntax():
    from calc.errors import Where
    from calc.solve.given import matrix as given_matrix
    from calc.solve.given import vector as given_vector

    where = Where("p.yaml")
    assert given_vector({"x": "1, -2, 3"}, where, "x") == [1, -2, 3]
    assert given_matrix({"m": "1,2;3,-4"}, where, "m") == [[1, 2], [3, -4]]


def test_run_takes_inline_inputs(cli):
    # Mazur's example: out_o1 = 0.75136507, out_o2 = 0.772928465 (published)
    code, out, err = cli("run", "examples/mazur.yaml", "-i", "0.05,0.1", "--json")
    assert code == 0, err
    assert json.loads(out)["outputs"][0] == pytest.approx([0.75136507, 0.772928465], abs=1e-8)
    code, out, err = cli("run", "examples/mazur.yaml", "-i", "0.05,0.1;0.05,0.1", "--json")
    assert code == 0 and len(json.loads(out)["outputs"]) == 2


def test_vectors_and_rows_from_files(cli, tmp_path):
    scores = tmp_path / "s.yaml"
    scores.write_text("[3.2, 5.1, -1.7]\n", encoding="utf-8")
    total = sum(math.exp(v) for v in (3.2, 5.1, -1.7))
    assert answers(cli, "softmax", str(scores))["p1"] == pytest.approx(math.exp(3.2) / total, rel=1e-12)
    sample = tmp_path / "x.csv"
    sample.write_text("0.05,0.1\n", encoding="utf-8")
    # Mazur: E_total = 0.298371109 (published)
    got = answers(cli, "backprop", "examples/mazur.yaml", "-x", str(sample), "-t", "0.01,0.99")
    assert got["loss"] == pytest.approx(0.298371109, abs=1e-9)


def test_huge_typed_numbers_are_refused_at_once(cli):
    import time

    for text, why in (("1e999999999", "exponent 999999999 is out of range"), ("-2e-10001", "out of range"),
                      ("1" * 1001, "1001 significant digits is more than the 1000 allowed")):
        start = time.perf_counter()
        code, _, err = cli("softmax", "1", text)
        assert code == 2 and why in err and len(err) < 200 and time.perf_counter() - start < 5
    assert answers(cli, "softmax", "0", "1e3")["p2"] == pytest.approx(1.0)


def test_file_names_that_start_with_digits_are_files():
    assert not is_inline("1.csv") and not is_inline("2021data.csv")
    assert is_inline("1/3") and is_inline("1e5") and is_inline("1_000")
