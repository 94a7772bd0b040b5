"""Malformed specs: one located line, no traceback, exit code 2."""

import pytest

from calc.errors import SpecError
from tests.conftest import net_from

CASES = [
    ("layers:\n  - conv: {filters: 16, kernel: 3}\n  - convv: {filters: 3}\n",
     ["test.yaml:5", "layers[1].convv", "unknown layer 'convv'", "did you mean 'conv'", "valid layers:"]),
    ("layers:\n  - conv: {filters: 16, kernel: 0}\n", ["test.yaml:4", "layers[0].conv.kernel", ">= 1, got 0"]),
    ("layers:\n  - conv: {filters: -2, kernel: 3}\n", ["layers[0].conv.filters", "got -2"]),
    ("layers:\n  - conv: {filters: 16, kernel: 3, filter: 2}\n", ["layers[0].conv.filter", "unknown option 'filter'", "did you mean 'filters'"]),
    ("layers:\n  - conv: {filters: 16, kernel: 3}\n  - maxpool: {kernel: 2}\n  - conv: {filters: 4, kernel: 5}\n",
     ["test.yaml:6", "conv 'conv2'", "kernel 5 is larger than the padded input 3", "3 x 3 x 16"]),
    ("layers:\n  - residual:\n      body: [conv: {filters: 16, kernel: 3, padding: 1}]\n",
     ["cannot add", "8 x 8 x 16", "8 x 8 x 3", "projection"]),
    ("layers:\n  - conv: {filters: 16, kernel: 3}\n  - dense: {units: 10}\n", ["dense 'fc1'", "unflattened 6 x 6 x 16", "flatten"]),
    ("layers:\n  - conv: {filters: 16, kernel: 3, groups: 2}\n", ["divisible by groups"]),
    ("layers:\n  - concat: [[conv: {filters: 4, kernel: 3}], [conv: {filters: 4, kernel: 1}]]\n", ["cannot concatenate", "6 x 6 x 4", "8 x 8 x 4"]),
    ("layers:\n  - dropout: {rate: 1.5}\n", ["dropout.rate", "< 1.0"]),
    ("layers:\n  - conv: {filters: 16, kernel: 3\n", ["YAML syntax error"]),
    ("layers:\n  - conv: {filters: 4, kernel: 3, kernel: 5}\n", ["duplicate key 'kernel'"]),
    ("layerz: []\n", ["unknown top-level key 'layerz'", "did you mean 'layers'"]),
    ("layers: []\n", ["no layers"]),
    ("layers:\n  - maxpool: {kernel: 2, padding: 2}\n", ["more than half the kernel"]),
    ("layers:\n  - conv: {filters: 4, kernel: [3, 3, 3]}\n", ["[height, width]"]),
    ("layers:\n  - conv: {filters: 4, kernel: 3, padding: full}\n", ["padding", "expected one of same, valid"]),
    ("blocks:\n  b:\n    params: [w]\n    layers: [conv: {filters: $w, kernel: 9}]\nlayers:\n  - b: {w: 4}\n",
     ["blocks.b.layers[0].conv", "larger than the padded input", "in block 'b' used at layers[0]"]),
    ("blocks:\n  b:\n    params: [w]\n    layers: [conv: {filters: $w, kernel: 1}]\nlayers:\n  - b: {width: 4}\n",
     ["block 'b' has no parameter 'width'"]),
    ("blocks:\n  b:\n    params: [w]\n    layers: [conv: {filters: $x, kernel: 1}]\nlayers:\n  - b: {w: 4}\n",
     ["unknown block parameter '$x'"]),
    ("blocks:\n  b:\n    layers: [b]\nlayers:\n  - b\n", ["block 'b' uses itself"]),
    ("blocks:\n  b:\n    params: {w: 1, 2: 3}\n    layers: [relu]\nlayers:\n  - b: {v: 1}\n",
     ["test.yaml:5", "blocks.b.params", "identifiers", "got 2"]),
    ("blocks:\n  b:\n    params: [w, 2x]\n    layers: [relu]\nlayers:\n  - b\n", ["identifiers", "got '2x'"]),
    ("blocks:\n  conv:\n    layers: [relu]\nlayers:\n  - relu\n", ["already a layer name"]),
    ("layers:\n  - conv: {filters: 4, kernel: 3, name: a}\n  - conv: {filters: 4, kernel: 3, name: a}\n", ["duplicate layer name 'a'"]),
    ("layers:\n  - {conv: {filters: 4, kernel: 3}, relu: {}}\n", ["each list entry must be one layer"]),
    ("layers:\n  - repeat: {times: 1000000000, layers: [relu]}\n", ["layers[0].repeat.times", "more than 100,000 layers"]),
    ("blocks:\n  b: [relu, relu]\nlayers:\n  - repeat: {times: 60000, layers: [b]}\n",
     ["more than 100,000 layers", "check repeat times and block uses"]),
    ("layers:\n  - flatten\n  - linear: {units: 3}\n", ["test.yaml:5", "layers[1].linear.units", "identity activation", "'dense'"]),
]


@pytest.mark.parametrize("body,fragments", CASES)
def test_bad_spec_messages(body, fragments):
    with pytest.raises(SpecError) as info:
        net_from("name: t\ninput: [8, 8, 3]\n" + body)
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_bad_input_shapes():
    for shape, fragment in (("[8, -8, 3]", "input[1]"), ("[8, 8, 3, 2]", "[height, width, channels]"), ("foo", "expected")):
        with pytest.raises(SpecError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
            net_from(f"input: {shape}\nlayers: [relu]\n")


def test_safe_loader_only():
    with pytest.raises(SpecError, match="could not determine a constructor"):
        net_from('!!python/object/apply:os.system ["echo pwned"]\n')


def test_cli_reports_one_line_and_exit_2(tmp_path):
    import subprocess
    import sys

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: t\ninput: [8, 8, 3]\nlayers:\n  - conv: {filters: 16, kernel: 30}\n")
    for args in (["summary", str(bad)], ["summary", str(tmp_path / "missing.yaml")], ["summary", "resnet5"],
                 ["size", "conv", "-i", "5", "-k", "9"], ["size", "conv", "-i", "x", "-k", "3"],
                 ["summary"], ["frobnicate"], ["size", "conv", "-i", "5"], ["summary", "alexnet", "--include", "foo"]):
        proc = subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("nncalc: error:"), proc.stderr


def test_linear_is_the_identity_activation():
    """'linear' was also a dense alias, which made `activation: linear` (Keras) a dense without units."""
    net = net_from("input: [4]\nlayers:\n  - dense: {units: 3, activation: linear}\n  - linear\n")
    assert [(leaf.kind, leaf.out_shape) for leaf in net.leaves()] == [("dense", (3,)), ("linear", (3,)), ("linear", (3,))]


@pytest.mark.parametrize("depth,fragment", [(70, "nested more than 64 deep"), (400, "YAML nested too deeply")])
def test_deep_nesting_is_an_error_not_a_recursion_crash(depth, fragment):
    text = "input: [4]\nlayers: " + "[{sequential: " * depth + "[relu]" + "}]" * depth + "\n"
    with pytest.raises(SpecError, match=fragment):
        net_from(text)


def test_no_arguments_shows_help():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "cli"], capture_output=True, text=True)
    assert proc.returncode == 0 and "Usage: nncalc" in proc.stdout and not proc.stderr
