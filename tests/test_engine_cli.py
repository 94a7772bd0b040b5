"""`nncalc run` and `nncalc train` through the CLI: hand-computable outputs, JSON documents, saved
weights that `run --weights` reproduces, and bad input as one line with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from calc.backend import available_backends

ROOT = Path(__file__).resolve().parents[1]
EX = ROOT / "examples"

# z = [1 2; -1 1] x + [0.5, 0]; relu; x = [1, 1] -> z = [3.5, 0] -> [3.5, 0]; x = [2, -1] -> z = [0.5, -3]
SPEC = """name: hand
input: [2]
layers:
  - dense: {units: 2, weights: [[1, 2], [-1, 1]], bias: [0.5, 0], activation: relu}
"""


@pytest.fixture
def files(tmp_path):
    (tmp_path / "net.yaml").write_text(SPEC)
    (tmp_path / "x.yaml").write_text("- [1, 1]\n- [2, -1]\n")
    return tmp_path


def test_run_prints_outputs_and_conventions(cli, files):
    code, out, _ = cli("run", str(files / "net.yaml"), "--input", str(files / "x.yaml"))
    assert code == 0
    assert "hand: 2 samples, input 2 -> output 2" in out
    lines = [line.split() for line in out.splitlines()]
    assert ["1", "3.5", "0"] in lines and ["2", "0.5", "0"] in lines
    assert "weights: as given in the spec" in out and "float64" in out


def test_run_json_with_activations(cli, files):
    code, out, _ = cli("run", str(files / "net.yaml"), "--input", str(files / "x.yaml"), "--activations", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["outputs"] == [[3.5, 0.0], [0.5, 0.0]]
    assert [a["layer"] for a in doc["activations"]] == ["fc1", "relu1"]
    assert doc["activations"][0]["values"] == [[3.5, 0.0], [0.5, -3.0]]


def test_train_save_then_run_with_the_weights(cli, tmp_path):
    saved = tmp_path / "and.npz"
    code, out, _ = cli("train", str(EX / "and.yaml"), "--data", str(EX / "and.csv"), "--epochs", "1000", "--lr", "1",
                       "--save", str(saved), "--json")
    assert code == 0
    doc = json.loads(out)
    assert len(doc["epochs"]) == 1000 and doc["final"]["errors"] == 0 and doc["saved"] == str(saved)
    code, _, err = cli("run", str(EX / "and.yaml"), "--input", str(EX / "and.csv"), "--weights", str(saved))
    assert code == 2 and "has 3 values, expected 2" in err  # the training file has a label column
    inputs = tmp_path / "x.csv"
    inputs.write_text("0,0\n0,1\n1,0\n1,1\n")
    code, out, _ = cli("run", str(EX / "and.yaml"), "--input", str(inputs), "--weights", str(saved), "--json")
    assert json.loads(out)["outputs"] == doc["final"]["outputs"]  # eval mode, same weights: identical


def test_train_table(cli):
    code, out, _ = cli("train", str(EX / "xor.yaml"), "--data", str(EX / "xor.csv"), "--epochs", "2000", "--lr", "1",
                       "--seed", "1")
    assert code == 0
    assert "accuracy 100.0% (0 of 4 misclassified)" in out
    assert "optimizer: sgd (pytorch): w <- w - lr g; lr 1" in out
    assert "  2000 " in out and "\n     1 " in out


@pytest.mark.parametrize("args,fragments", [
    (["run", "{net}", "--input", "{dir}/missing.csv"], ["missing.csv: no such file"]),
    (["run", "{net}", "--input", "{dir}/x.yaml", "--init", "glorot"], ["unknown initialiser 'glorot'"]),
    (["run", "{net}", "--input", "{dir}/x.yaml", "--weights", "{dir}/x.yaml"], ["--weights: expected a file ending in .npz"]),
    (["train", "{net}", "--data", "{dir}/x.yaml", "--optimizer", "adamm"], ["unknown optimizer 'adamm'", "did you mean 'adam'"]),
    (["train", "{net}", "--data", "{dir}/x.yaml", "--loss", "hinge"], ["unknown loss 'hinge'"]),
    (["train", "{net}", "--data", "{dir}/x.yaml"], ["x.yaml:1: row 1: has 2 values, expected 2 feature(s)"]),
    (["train", "mnist-mlp", "--data", "{dir}/x.yaml", "--loss", "softmax_ce"],
     ["--loss softmax_ce takes logits, but mnist-mlp already ends in softmax: use cross_entropy"]),
    (["train", "{net}", "--data", "{dir}/x.yaml", "--loss", "cross_entropy", "--reduction", "half_sum"],
     ["reduction must be one of mean, sum"]),
])
def test_bad_input_is_one_line(cli, files, args, fragments):
    args = [a.format(net=files / "net.yaml", dir=files) for a in args]
    code, out, err = cli(*args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


@pytest.mark.skipif("gpu" in available_backends(), reason="CuPy and a GPU are present")
def test_gpu_without_cupy_says_so(cli, files):
    code, _, err = cli("run", str(files / "net.yaml"), "--input", str(files / "x.yaml"), "--device", "gpu")
    assert code == 2 and "--device gpu needs CuPy, which is not installed" in err


def test_cli_import_stays_light():
    """`nncalc --help` must stay fast: importing the CLI loads neither numpy nor rich."""
    code = "import sys, cli; print(sorted(m for m in ('numpy', 'rich', 'calc.engine') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("layer,fragments", [
    ("dense: {units: 2, weights: [[1, 2, 3], [4, 5, 6]]}",
     ["net.yaml:4", "layers[0].dense.weights", "expected shape 2 x 2 (one row per neuron: 2 rows of 2 inputs), got 2 x 3"]),
    ("dense: {units: 2, weights: [[1, 2], [3, 4], [5, 6]], weight_layout: in_out}",
     ["weight_layout in_out: 2 rows (inputs) of 2 (neurons)", "got 3 x 2"]),
    ("dense: {units: 2, weights: [[1, .nan], [3, 4]]}", ["layers[0].dense.weights", "NaN/inf not allowed"]),
    ("dense: {units: 2, weights: [[1, 2], [3]]}", ["ragged rows"]),
    ("dense: {units: 2, bias: [1, 2, 3]}", ["layers[0].dense.bias", "one per neuron: 2", "got 3"]),
    ("dense: {units: 2, bias: [1, 2], shared_bias: true}", ["one shared bias"]),
])
def test_bad_weights_in_the_spec(cli, files, layer, fragments):
    (files / "net.yaml").write_text(f"name: bad\ninput: [2]\nlayers:\n  - {layer}\n")
    code, _, err = cli("run", str(files / "net.yaml"), "--input", str(files / "x.yaml"))
    assert code == 2 and err.count("\n") == 1
    for fragment in fragments:
        assert fragment in err, (fragment, err)


def test_run_softmax_net_from_npy_shows_classes(cli, tmp_path):
    import numpy as np

    np.save(tmp_path / "x.npy", np.random.default_rng(0).uniform(size=(2, 784)))
    code, out, _ = cli("run", "mnist-mlp", "--input", str(tmp_path / "x.npy"), "--seed", "3")
    assert code == 0 and "class" in out and "mnist-mlp: 2 samples, input 784 -> output 10" in out
    code, out, _ = cli("run", "mnist-mlp", "--input", str(tmp_path / "x.npy"), "--seed", "3", "--json")
    doc = json.loads(out)
    assert doc["classes"] == [int(np.argmax(row)) for row in doc["outputs"]]
    assert all(abs(sum(row) - 1) < 1e-12 for row in doc["outputs"])
