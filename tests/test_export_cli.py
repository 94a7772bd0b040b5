"""`nncalc export` on the command line: code on stdout, --output with one line on stderr, one-line
errors (exit 2) for a kind without an export, an unknown target and the spec as --output."""

from __future__ import annotations

import ast

from tests.width_cases import ROOT


def test_prints_pytorch_code(cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, err = cli("export", "examples/export/small-resnet.yaml")
    assert code == 0 and err == ""
    tree = ast.parse(out)
    assert [n.name for n in tree.body if isinstance(n, ast.ClassDef)] == ["SmallResnet"]
    assert "NCHW" in out and "load_nncalc_weights" in out


def test_output_file_and_input_override(cli, monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    target = tmp_path / "model.py"
    code, out, err = cli("export", "resnet18", "--to", "keras", "--input", "64", "-o", str(target))
    text = target.read_text(encoding="utf-8")
    assert code == 0 and out == ""
    assert err == f"wrote {target} (Keras, {text.count(chr(10))} lines)\n"
    assert "keras.Input(shape=(64, 64, 3))" in text


def test_refusals_are_one_line(cli, monkeypatch, tmp_path):
    spec = tmp_path / "deconv.yaml"
    spec.write_text("input: [8, 8, 4]\nlayers:\n  - conv_transpose: {filters: 2, kernel: 2, stride: 2, dilation: 3, output_padding: 2}\n")
    code, out, err = cli("export", str(spec), "--to", "keras")
    assert code == 2 and out == "" and err.count("\n") == 1 and "output_padding" in err
    monkeypatch.chdir(ROOT)
    code, out, err = cli("export", "resnet18", "--to", "jax")
    assert code == 2 and out == "" and "jax" in err
    code, out, err = cli("export", "examples/export/small-resnet.yaml", "-o", "examples/export/small-resnet.yaml")
    assert code == 2 and "the spec being read" in err
