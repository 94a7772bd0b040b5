"""Hypothesis strategies for what a user types: numbers at the edges, lists, matrices, odd text.

Most draws are ordinary small values (so cases get past parsing into the mathematics); the rest
are the edges where parsers and formatters break: huge and tiny magnitudes, negative zero, the
spellings of nan and inf, long digit strings, empty strings, odd unicode. Text never contains
'/' or '\\': the fuzzer runs as whatever user runs the tests and must not name paths outside its
temporary directory (paths come only from tests/fuzz/files.py).
"""

from __future__ import annotations

from hypothesis import strategies as st

# Families of edges that can be left out of the draws (tests/test_fuzz_cli.py's PENDING):
#   huge     numbers too long or too large to build exactly (issue 10, causes 1-3)
#   deep     expressions nested or chained thousands deep (cause 4)
#   devices  /dev/zero and a FIFO as input files (cause 8)
#   seeds    negative seeds (cause 6)
#   columns  COLUMNS set to 0, negative or text (cause 11)
#   models   bundled networks (VGG, ResNet) given to run/train/backprop: built before the input is read (cause 7)
PENDING: frozenset = frozenset()


def drawn(family: str, *items) -> list:
    """``items`` (strategies or values), or none while ``family`` is pending."""
    return [] if family in PENDING else list(items)


EDGE_NUMBERS = (
    "0", "-0", "-0.0", "+0", "0.0", "1", "-1", "2", "0.5", "-2.5", "3", "10", "1e-5", "1e-320",
    "5e-324", "-5e-324", "nan", "NaN", "-nan", "inf", "-inf", "+inf", "Infinity", "infinity", "1/3", "-1/0", "0/0",
    "1/0", "2/4", "1_0", "0x10", "0b1", "1e", "e5", ".5", "5.", "-.5", "1..2", "--1", "+-1", "1e+", "00012", "0.1",
    "0.30000000000000004", "2.2250738585072014e-308", "", " ", "½", "١٢", "𝟙", "\u00a01", "1\u200b", "−1", "1٫5",
    "1,5", "pi", "e",
)
HUGE_NUMBERS = (  # and magnitudes whose exponential overflows a float (e^710)
    "709", "710", "1000", "1_000", "-745", "1e308", "1.8e308", "1.7976931348623157e308", "1e999", "-1e999", "1.0e+400", "1E400", "1e999999999",
    "1e-999999999", "9e99999", str(2**63), str(-(2**63) - 1), str(10**40), "1" + "0" * 400, "0." + "0" * 400 + "1",
)
ODD_TEXT = ("", " ", "\t", "é", "ß", "\u202e", "\ufeff", "💥", "null", "None", "true", "~", "[]", "{}", "[[]]",
            "[", "]]", "'", '"', "a: b", "- x", "&a", "*a", "!!python/object:os.system", "%s", "{0}", "$x", "${x}",
            "\x07", "\x1b[31m", "\\n")
KEYWORDS = ("relu", "sigmoid", "tanh", "leaky_relu", "prelu", "elu", "selu", "softmax", "step", "linear", "sgd",
            "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "glorot-uniform", "glorot-normal",
            "he-uniform", "he-normal", "lecun-normal", "lecun-uniform", "torch-default", "xavier-uniform",
            "kaiming-normal", "same", "valid", "chw", "hwc", "mse", "bce", "ce", "cross_entropy", "softmax_ce",
            "bce_logits", "half", "mean", "sum", "half_sum", "max", "avg", "conv1", "fc1", "fc2", "dense", "0", "-1",
            "label", "x")


def small_number() -> st.SearchStrategy[str]:
    """Numbers a hand exercise uses: small integers, short decimals, simple fractions."""
    return st.one_of(st.integers(-9, 9).map(str),
                     st.builds(lambda i, d: f"{i}.{d}", st.integers(-5, 5), st.integers(0, 99)),
                     st.builds(lambda a, b: f"{a}/{b}", st.integers(-5, 5), st.integers(1, 9)))


def edge_number() -> st.SearchStrategy[str]:
    big = 700 if "huge" in PENDING else 10**12
    floats = st.floats(-big, big) if "huge" in PENDING else st.floats(allow_nan=True, allow_infinity=True)
    return st.one_of(
        st.sampled_from(EDGE_NUMBERS),
        floats.map(repr),
        st.integers(-big, big).map(str),
        *drawn("huge", st.sampled_from(HUGE_NUMBERS),
               st.integers(-(10**30), 10**30).map(str),
               st.builds(lambda m, e: f"{m}e{e}", st.integers(-9, 9), st.integers(-5000, 5000)),
               st.builds(lambda n, d: d * n, st.integers(300, 6000), st.sampled_from("19")),
               st.builds(lambda n: "0." + "3" * n, st.integers(50, 5000))),
    )


def number() -> st.SearchStrategy[str]:
    return st.one_of(small_number(), small_number(), edge_number())


def numbers(min_size: int = 0, max_size: int = 6) -> st.SearchStrategy[list[str]]:
    return st.lists(number(), min_size=min_size, max_size=max_size)


def number_list() -> st.SearchStrategy[str]:
    """'1,2,3', '1 2 3', '[1, 2, 3]': one option value holding a vector."""
    return st.builds(lambda xs, sep, wrap: wrap.format(sep.join(xs)), numbers(0, 8),
                     st.sampled_from([",", " ", ", ", ";", "x"]), st.sampled_from(["{}", "[{}]", "({})"]))


def matrix() -> st.SearchStrategy[str]:
    """Matrices and stacks of them in the spellings the CNN commands read (sometimes ragged)."""
    row = st.lists(number(), min_size=1, max_size=4)
    rows = st.integers(1, 4).flatmap(lambda w: st.lists(
        st.one_of(st.lists(small_number(), min_size=w, max_size=w), row), min_size=1, max_size=4))

    def spell(m, style):
        if style == 0:
            return "[" + ",".join("[" + ",".join(r) + "]" for r in m) + "]"
        if style == 1:
            return ";".join(",".join(r) for r in m)
        return "; ".join(" ".join(r) for r in m)

    plane = st.builds(spell, rows, st.integers(0, 2))
    stack = st.lists(rows, min_size=1, max_size=3).map(lambda ms: "[" + ",".join(spell(m, 0) for m in ms) + "]")
    return st.one_of(plane, plane, stack)


def shape_text() -> st.SearchStrategy[str]:
    side = st.one_of(st.integers(1, 40).map(str), st.sampled_from(["0", "-1", "100000", str(2**70), "1.5", "", "a"]))
    return st.builds(lambda xs, sep: sep.join(xs), st.lists(side, min_size=1, max_size=4), st.sampled_from("x,*"))


def odd_text() -> st.SearchStrategy[str]:
    chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="/\\\x00")
    return st.one_of(st.sampled_from(ODD_TEXT), st.text(chars, max_size=30), *drawn(
        "huge", st.builds(lambda c, n: c * n, st.sampled_from(["(", "[", "a", "-", "9", "é"]), st.integers(500, 20000))))


def any_text() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(KEYWORDS), number(), number_list(), matrix(), shape_text(), odd_text())


def int_text(low: int | None, high: int | None) -> st.SearchStrategy[str]:
    lo = (0 if "seeds" in PENDING else -3) if low is None else low
    hi = max(lo, 50 if high is None else high)
    edges = st.sampled_from(["0", str(2**31), str(2**63), str(10**40), "1e3", "", "nan", "1.0", "٣", "-0",
                             *(["-1"] if lo < 0 else [])])
    return st.one_of(st.integers(lo, hi).map(str), st.integers(lo, hi).map(str), edges)
