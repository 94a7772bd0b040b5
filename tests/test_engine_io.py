"""Input files, weight files and training data: what is read, and one located line for what is wrong."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from calc.backend import get_backend
from calc.engine.data import read_training_data
from calc.engine.inputs import read_inputs
from calc.engine.weights import load_weights, save_weights
from calc.errors import NNCalcError
from tests.engine_util import make_model

CPU = get_backend("cpu")


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# -- inputs ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name,text,want", [
    ("one.yaml", "[1, 2, 3]\n", [[1, 2, 3]]),
    ("batch.yaml", "- [1, 2, 3]\n- [4, 5, 6]\n", [[1, 2, 3], [4, 5, 6]]),
    ("batch.json", "[[1, 2, 3], [4.5, 5, 6]]", [[1, 2, 3], [4.5, 5, 6]]),
    ("rows.csv", "1,2,3\n4,5,6\n", [[1, 2, 3], [4, 5, 6]]),
    ("header.csv", "a,b,c\n1,2,3\n\n", [[1, 2, 3]]),
])
def test_vector_inputs(tmp_path, name, text, want):
    assert read_inputs(write(tmp_path, name, text), (3,), CPU).tolist() == want


def test_map_inputs_in_every_form(tmp_path):
    x = np.arange(2 * 2 * 2 * 1, dtype=float).reshape(2, 2, 2, 1)  # two 2 x 2 one-channel maps
    forms = {"nhwc.npy": x, "hw.npy": x[0, :, :, 0], "nhw.npy": x[:, :, :, 0], "flat.npy": x.reshape(2, 4)}
    for name, arr in forms.items():
        np.save(tmp_path / name, arr)
        got = read_inputs(str(tmp_path / name), (2, 2, 1), CPU)
        assert got.shape[1:] == (2, 2, 1)
        np.testing.assert_array_equal(got, x[: len(got)])
    csv = write(tmp_path, "maps.csv", "0,1,2,3\n4,5,6,7\n")  # flattened row-major over H x W x C
    np.testing.assert_array_equal(read_inputs(csv, (2, 2, 1), CPU), x)


def test_exact_inputs_keep_their_text(tmp_path):
    exact = get_backend("exact")
    for path in (write(tmp_path, "a.yaml", "[0.1, 1/3]\n"), write(tmp_path, "a.csv", "0.1,1/3\n")):
        assert read_inputs(path, (2,), exact).tolist() == [[Fraction(1, 10), Fraction(1, 3)]]


@pytest.mark.parametrize("name,text,fragments", [
    ("bad.yaml", "- [1, 2]\n- [1, 2, 3]\n", ["bad.yaml:2", "row 2", "ragged"]),
    ("bad.yaml", "- [1, 2, 3]\n- [1, .nan, 3]\n", ["bad.yaml:2", "row 2", "NaN/inf not allowed"]),
    ("bad.yaml", "- [1, 2, 3]\n- [1, .inf, 3]\n", ["row 2", "not a finite number"]),
    ("bad.json", '[[1, 2, "x"]]', ["expected a number"]),
    ("bad.yaml", "{a: 1}\n", ["expected a list"]),
    ("bad.yaml", "- [1, 2, 3, 4]\n", ["shape 1 x 4", "takes 3 per sample"]),
    ("bad.csv", "1,2,3\n4,nan,6\n", ["bad.csv:2", "row 2", "[1]", "finite number"]),
    ("bad.csv", "1,2,3\n4,5\n", ["bad.csv:2", "row 2", "has 2 values, expected 3"]),
    ("bad.csv", "1,2,3\n4,five,6\n", ["bad.csv:2", "row 2", "expected a number"]),
    ("bad.csv", "", ["no rows"]),
    ("bad.txt", "1,2,3\n", ["--input: expected a file ending in .npy, .csv, .yaml, .yml, .json"]),
])
def test_bad_input_files(tmp_path, name, text, fragments):
    with pytest.raises(NNCalcError) as info:
        read_inputs(write(tmp_path, name, text), (3,), CPU)
    message = str(info.value)
    assert "\n" not in message and str(tmp_path) in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_bad_npy(tmp_path):
    np.save(tmp_path / "nan.npy", np.asarray([[1.0, np.inf, 3.0]]))
    with pytest.raises(NNCalcError, match=r"value at \[0, 1\] is inf"):
        read_inputs(str(tmp_path / "nan.npy"), (3,), CPU)
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    with pytest.raises(NNCalcError, match="cannot read .npy"):
        read_inputs(str(tmp_path / "junk.npy"), (3,), CPU)
    with pytest.raises(NNCalcError, match="no such file"):
        read_inputs(str(tmp_path / "missing.npy"), (3,), CPU)


# -- weights ---------------------------------------------------------------------------------
SPEC = "input: [3]\nlayers:\n  - dense: {units: 4}\n  - batchnorm\n  - relu\n  - dense: {units: 2}\n"


def test_weights_round_trip(tmp_path):
    a, b = make_model(SPEC, seed=1), make_model(SPEC, seed=2)
    a.forward(np.random.default_rng(0).normal(size=(5, 3)), training=True)  # running stats move
    saved = save_weights(a, str(tmp_path / "w"))
    assert saved.endswith("w.npz")
    with np.load(saved) as archive:
        assert sorted(archive.files) == sorted(["fc1.weight", "fc1.bias", "bn1.weight", "bn1.bias",
                                                "bn1.running_mean", "bn1.running_var", "fc2.weight", "fc2.bias"])
    load_weights(b, saved)
    for name, value in a.state().items():
        np.testing.assert_array_equal(b.state()[name], value)
    x = np.ones((2, 3))
    np.testing.assert_array_equal(a.forward(x), b.forward(x))


@pytest.mark.parametrize("change,fragment", [
    (lambda d: d.pop("fc2.bias"), "missing fc2.bias"),
    (lambda d: d.update(extra=np.ones(2)), "unexpected extra"),
    (lambda d: d.update({"fc1.weight": np.ones((3, 4))}), "fc1.weight has shape 3 x 4, expected 4 x 3"),
    (lambda d: d.update({"fc1.bias": np.asarray([1, np.nan, 1, 1])}), "fc1.bias: weights must be finite"),
])
def test_bad_weight_files(tmp_path, change, fragment):
    model = make_model(SPEC)
    arrays = {k: np.asarray(v) for k, v in model.state().items()}
    change(arrays)
    np.savez(tmp_path / "w.npz", **arrays)
    with pytest.raises(NNCalcError) as info:
        load_weights(model, str(tmp_path / "w.npz"))
    assert fragment in str(info.value) and "w.npz" in str(info.value)


# -- training data ---------------------------------------------------------------------------
def test_label_column_default_last_and_by_name_or_index(tmp_path):
    path = write(tmp_path, "d.csv", "a,label,b\n1,0,2\n3,1,4\n")
    default = read_training_data(path, (2,), (1,))
    assert default.x.tolist() == [[1, 0], [3, 1]] and default.t.tolist() == [[2], [4]]
    for column in ("label", "1", "-2"):
        data = read_training_data(path, (2,), (1,), label_column=column)
        assert data.x.tolist() == [[1, 2], [3, 4]] and data.t.tolist() == [[0], [1]], column


def test_class_labels_become_one_hot(tmp_path):
    data = read_training_data(write(tmp_path, "d.csv", "0.5,2\n0.1,0\n"), (1,), (3,))
    assert data.t.tolist() == [[0, 0, 1], [1, 0, 0]] and data.classes == [2, 0]
    direct = read_training_data(write(tmp_path, "e.csv", "0.5,0.2,0.3,0.5\n"), (1,), (3,))
    assert direct.t.tolist() == [[0.2, 0.3, 0.5]] and direct.classes is None


@pytest.mark.parametrize("text,kwargs,fragment", [
    ("1,2,3\n", {}, "label 3 is not a class index 0..2"),
    ("1,2,1.5\n", {}, "label 1.5 is not a class index"),
    ("1,2\n", {}, "has 2 values, expected 2 feature(s)"),
    ("1,2,1\n", {"label_column": "y"}, "no header row"),
    ("1,2,1\n", {"label_column": "5"}, "--label-column 5: the rows have 3 columns"),
    ("1,2,1\n1,x,0\n", {}, "d.csv:2: row 2[1]: expected a number"),
])
def test_bad_training_data(tmp_path, text, kwargs, fragment):
    with pytest.raises(NNCalcError) as info:
        read_training_data(write(tmp_path, "d.csv", text), (2,), (3,), **kwargs)
    assert fragment in str(info.value)
