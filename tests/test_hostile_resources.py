"""Issue 10, causes 7-10: memory, files, YAML alias bombs and work that grows without bound.

Each test asserts the behaviour (the refusal with its figure, the cap line, the limit), with
figures derived by hand in the comments; hang cases run in a subprocess with a timeout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
EX = ROOT / "examples"
LIMIT_ENV = {"NNCALC_MAX_MEMORY": "12G"}  # a fixed limit: the messages do not depend on the machine


def nncalc(*args: str, timeout: float = 20, env: dict | None = None) -> tuple[int, str, str]:
    """The real entry point in a subprocess (a FIFO would block the test itself)."""
    proc = subprocess.run([sys.executable, "-c", "import cli; cli.main()", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env={**os.environ, **LIMIT_ENV, **(env or {}), "COLUMNS": "80"})
    return proc.returncode, proc.stdout, proc.stderr


# -- 7. memory: estimated from the counts, refused with the figure before allocating -----------------
HUGE = """name: huge
input: [1000]
layers:
  - dense: {units: 100000000000}
"""


def test_run_refuses_a_huge_dense_layer_with_the_figure(cli, tmp_path):
    # weights 1000 x 1e11 + 1e11 bias = 1.001e14 values, float64: 8.008e14 bytes; one sample's input and
    # output 1000 + 1e11 values: 8.00000008e11 bytes; together 8.0088e14 / 2^40 = 729.05 TiB; 12 GiB limit
    (tmp_path / "huge.yaml").write_text(HUGE)
    (tmp_path / "x.yaml").write_text(json.dumps([0] * 1000))
    start = time.perf_counter()
    code, _, err = cli("run", str(tmp_path / "huge.yaml"), "--input", str(tmp_path / "x.yaml"), env=LIMIT_ENV)
    assert code == 2
    assert "needs 729 TiB for weights and activations; limit 12 GiB (set by NNCALC_MAX_MEMORY)" in err
    assert time.perf_counter() - start < 2
    code, _, err = cli("train", str(tmp_path / "huge.yaml"), "--data", str(tmp_path / "x.yaml"), env=LIMIT_ENV)
    # training: weights x 4 (values, gradients, two optimizer moments) = 3.2032e15 bytes = 2.85 PiB
    assert code == 2 and "needs 2.8 PiB for weights and activations" in err


def test_max_memory_option_refuses_before_allocating(cli, tmp_path):
    # mnist-mlp 784-16-16-10 has 784*16+16 + 16*16+16 + 16*10+10 = 13,002 parameters; one sample's input and
    # layer outputs 784 + 4*16 + 2*10 = 868 values; (13,002 + 868) * 8 = 110,960 bytes = 108 KiB > 100 KiB
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((1, 784)))
    code, _, err = cli("run", "mnist-mlp", "--input", str(x), "--max-memory", "100K")
    assert code == 2 and "needs 108 KiB for weights and activations; limit 100 KiB (set by --max-memory)" in err
    code, _, err = cli("run", "mnist-mlp", "--input", str(x), "--max-memory", "lots")
    assert code == 2 and "--max-memory: expected a size such as 8G" in err


def test_conv2d_with_huge_padding_is_refused_with_the_figure(cli):
    # padded input (2 + 2e5)^2 cells x 8 bytes = 3.2e11; output (2e5 + 1)^2 x 2 x 100 bytes = 8.0e12;
    # 8.32e12 bytes = 7.57 TiB
    code, _, err = cli("conv2d", "-x", "1,2;3,4", "-k", "1,0;0,1", "--padding", "100000", env=LIMIT_ENV)
    assert code == 2 and "needs 7.6 TiB for the padded input and the output; limit 12 GiB" in err


def _npy_header_only(shape) -> bytes:
    """An .npy header that claims ``shape`` with no data behind it (what a bomb's header says)."""
    import io

    from numpy.lib import format as npformat

    buf = io.BytesIO()
    npformat.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False, "shape": shape})
    return buf.getvalue()


def test_npz_shapes_are_read_from_the_headers_before_the_data(cli, tmp_path):
    # a member claiming 100,000 x 100,000 float64 = 8e10 bytes = 74.5 GiB: refused from its header
    weights, x = tmp_path / "w.npz", tmp_path / "x.csv"
    x.write_text("0,1\n")
    with zipfile.ZipFile(weights, "w") as archive:
        archive.writestr("junk.npy", _npy_header_only((100000, 100000)))
    code, _, err = cli("run", str(EX / "xor.yaml"), "--input", str(x), "--weights", str(weights),
                       env=LIMIT_ENV)
    assert code == 2 and "needs 75 GiB for the arrays in w.npz; limit 12 GiB" in err
    # a right name with a wrong shape is named before anything is decompressed
    with zipfile.ZipFile(weights, "w") as archive:
        archive.writestr("fc1.weight.npy", _npy_header_only((100000, 100000)))
    code, _, err = cli("run", str(EX / "xor.yaml"), "--input", str(x), "--weights", str(weights))
    assert code == 2 and "fc1.weight has shape 100000 x 100000, expected 2 x 2" in err


def test_npy_input_header_is_checked_before_the_data(cli, tmp_path):
    # 400,000,000 x 784 float64 = 2.509e12 bytes = 2.28 TiB, claimed by a 128-byte file
    x = tmp_path / "x.npy"
    x.write_bytes(_npy_header_only((400000000, 784)))
    code, _, err = cli("run", "mnist-mlp", "--input", str(x), env=LIMIT_ENV)
    assert code == 2 and "needs 2.3 TiB for the arrays in x.npy" in err


def test_train_full_batch_refused_then_mini_batches_fit(cli, tmp_path):
    data = tmp_path / "xor.csv"
    data.write_text("x1,x2,t\n" + "0,1,1\n1,1,0\n" * 1000)
    args = ("train", str(EX / "xor.yaml"), "--data", str(data), "--epochs", "1", "--max-memory", "100K")
    code, _, err = cli(*args, "--batch-size", "2000")  # the whole set at once: over the limit
    assert code == 2 and "a smaller --batch-size (this run: 2,000 samples per step)" in err
    code, out, _ = cli(*args, "--json")  # the default: mini-batches of 256, memory flat as the data grows
    assert code == 0 and json.loads(out)["final"]["accuracy"] is not None
    assert any("batches of 256" in line for line in json.loads(out)["conventions"])


def test_run_in_batches_gives_the_outputs_of_one_batch(cli, tmp_path):
    # y = 2x + 1 by hand for x = 0 .. 24; batches of 7 must not change a value
    (tmp_path / "lin.yaml").write_text("name: lin\ninput: [1]\nlayers:\n  - dense: {units: 1, weights: [[2]], bias: [1]}\n")
    (tmp_path / "x.csv").write_text("".join(f"{i}\n" for i in range(25)))
    code, out, _ = cli("run", str(tmp_path / "lin.yaml"), "--input", str(tmp_path / "x.csv"), "--batch-size", "7",
                       "--json")
    assert code == 0 and json.loads(out)["outputs"] == [[2.0 * i + 1] for i in range(25)]


def test_float32_weights_are_the_float64_draws_rounded_without_a_float64_copy():
    from calc.engine.api import build_model

    model = build_model("mnist-mlp", dtype="float32", seed=3)
    w = model.state()["fc1.weight"]
    assert w.dtype == np.float32
    # PyTorch's default: U(-1/sqrt(784), 1/sqrt(784)) for the first weight (16 x 784), drawn first
    bound = 1 / np.sqrt(784)
    reference = np.random.default_rng(3).uniform(-bound, bound, size=(16, 784))
    assert np.array_equal(w, reference.astype(np.float32))


# -- 8. files: regular files only, bounded size, never blocking --------------------------------------
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_spec_or_answers_file_is_refused_not_waited_for(tmp_path):
    fifo = tmp_path / "net.yaml"
    os.mkfifo(fifo)
    code, _, err = nncalc("summary", str(fifo), timeout=10)
    assert code == 2 and "not a regular file" in err
    code, _, err = nncalc("check", "softmax/softmax-jacobian", "--answers", str(fifo), timeout=10)
    assert code == 2 and "not a regular file" in err


def test_a_link_to_dev_zero_is_refused(cli, tmp_path):
    link = tmp_path / "x.csv"
    link.symlink_to("/dev/zero")
    code, _, err = cli("run", str(EX / "xor.yaml"), "--input", str(link))
    assert code == 2 and "not a regular file" in err
    spec = tmp_path / "zero.yaml"
    spec.symlink_to("/dev/zero")
    code, _, err = cli("summary", str(spec))
    assert code == 2 and "not a regular file" in err


def test_a_spec_over_the_size_limit_is_refused_unread(cli, tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as handle:  # sparse: 5 MiB of nothing, over the 4 MiB limit for specs
        handle.truncate(5 << 20)
    code, _, err = cli("summary", str(big))
    assert code == 2 and "the file is 5.0 MiB; files up to 4.0 MiB are read" in err


def test_bounded_reader_stops_at_the_limit(tmp_path):
    from calc.errors import InputError
    from calc.files import read_text

    f = tmp_path / "a.txt"
    f.write_text("x" * 101)
    assert read_text(f, 101) == "x" * 101
    with pytest.raises(InputError, match="the file is 101 bytes; files up to 100 bytes are read"):
        read_text(f, 100)


# -- 9. YAML alias bombs and unbounded values in messages -------------------------------------------
def _bomb(key: str) -> str:
    """Nine levels of ten aliases: 10^9 strings once expanded, a few hundred bytes written."""
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for prev, cur in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{cur}: &{cur} [{', '.join(['*' + prev] * 10)}]")
    return "\n".join(lines) + f"\n{key}: *i\n"


@pytest.mark.parametrize("key", ["description", "name", "input", "weights"])
def test_alias_bombs_are_refused_quickly(key, tmp_path):
    spec = tmp_path / "bomb.yaml"
    spec.write_text(_bomb(key) + "layers:\n  - dense: {units: 1}\n" if key != "input" else _bomb(key))
    start = time.perf_counter()
    from calc.errors import SpecError
    from calc.network import load_network

    with pytest.raises(SpecError, match=r"YAML aliases expand to [\d,]+ values; at most 1,000,000 are read"):
        load_network(spec)
    assert time.perf_counter() - start < 1


def test_alias_expansion_is_counted_on_the_node_graph():
    from calc.spec.yamlio import load_yaml_text

    # level a = 1 + 10 = 11 nodes, b = 1 + 10 * 11 = 111, ..., i = (10^10 - 1) / 9 = 1,111,111,111;
    # the document: 1 mapping + 9 keys + a..i (1,234,567,899) = 1,234,567,909
    with pytest.raises(Exception, match="expand to 1,234,567,909 values"):
        load_yaml_text(_bomb("k").split("\nk:")[0] + "\n")
    ordinary = load_yaml_text("a: &x [1, 2]\nb: *x\n")
    assert ordinary == {"a": [1, 2], "b": [1, 2]}


def test_messages_quote_values_shortly(cli, tmp_path):
    spec = tmp_path / "long.yaml"
    spec.write_text("name: [" + ", ".join(["spam"] * 100000) + "]\ninput: [1]\nlayers:\n  - dense: {units: 1}\n")
    code, _, err = cli("summary", str(spec))
    assert code == 2 and "name: expected text, got a list: ['spam', 'spam'" in err and len(err) < 600
    spec.write_text("name: " + "n" * 10**6 + "\ninput: [1]\nlayers:\n  - dense: {units: 1}\n")
    code, _, err = cli("summary", str(spec))
    assert code == 2 and "name: 1,000,000 characters; at most 200" in err


def test_short_cuts_any_value():
    from calc.errors import short

    assert short("abc") == "'abc'"
    assert len(short("x" * 10**6)) <= 300
    nested = [[list(range(1000))] * 1000] * 1000  # 10^9 numbers if printed in full
    assert len(short(nested)) <= 300


# -- 10. work that grows: a head on the terminal, linear algorithms ----------------------------------
def test_run_shows_a_head_and_says_so(cli, tmp_path):
    x = tmp_path / "x.csv"
    x.write_text("".join(f"{i % 2},{i % 3}\n" for i in range(25)))
    code, out, _ = cli("run", str(EX / "xor.yaml"), "--input", str(x))
    assert code == 0 and "showing 20 of 25 samples; --full or --json for all" in out
    code, out, _ = cli("run", str(EX / "xor.yaml"), "--input", str(x), "--json")
    assert len(json.loads(out)["outputs"]) == 25


def test_softmax_jacobian_of_many_scores_is_capped(cli):
    scores = [str(i % 7) for i in range(200)]
    start = time.perf_counter()
    code, out, _ = cli("softmax", *scores, "--jacobian")
    assert code == 0 and "the Jacobian of 200 scores has 40,000 entries" in out.replace("\n", " ").replace("  ", " ")
    assert time.perf_counter() - start < 2


def test_softmax_gradient_sums_are_elided_not_quadratic(cli):
    # 100 scores with a target: each dL/dz_j shows 7 terms, '... (92 more)' and the last
    scores = [str(i % 5) for i in range(100)]
    target = ",".join("1" if i == 0 else "0" for i in range(100))
    code, out, _ = cli("softmax", *scores, "--target", target)
    assert code == 0 and "(92 more)" in out


def test_check_shows_a_head_of_unknown_names(cli, tmp_path):
    answers = tmp_path / "a.yaml"
    answers.write_text("".join(f"k{i}: {i}\n" for i in range(2000)))
    code, out, _ = cli("check", "softmax/softmax-jacobian", "--answers", str(answers))
    assert "showing 20 of 2,000 not checked; --json for all" in out.replace("\n", " ").replace("  ", " ")
    assert "2000 not checked" in out


def test_csv_inputs_are_read_row_by_row_with_the_same_values(cli, tmp_path):
    # '0.1' and '1/3' must become the doubles nearest to 1/10 and 1/3 on either path; '1/3' takes the
    # exact parser, the rest NumPy's; a NaN anywhere is still named with its row and column
    spec = tmp_path / "id.yaml"
    spec.write_text("name: id\ninput: [2]\nlayers:\n  - dense: {units: 2, weights: [[1, 0], [0, 1]], bias: [0, 0]}\n")
    x = tmp_path / "x.csv"
    x.write_text("a,b\n0.1,1/3\n\n2e-3,-7\n")
    code, out, _ = cli("run", str(spec), "--input", str(x), "--json")
    assert code == 0 and json.loads(out)["outputs"] == [[0.1, 1 / 3], [0.002, -7.0]]
    x.write_text("0.1,0.2\n0.3,nan\n")
    code, _, err = cli("run", str(spec), "--input", str(x))
    assert code == 2 and "x.csv:2: row 2[1]" in err and "NaN/inf" in err
