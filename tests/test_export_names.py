"""Names users write become Python and Keras names in the exported code: a network name cannot
end the generated docstring and run code, a layer named like an nn.Module attribute (forward,
named_parameters, __init__) cannot shadow it, a '/' (which Keras refuses) is renamed, and the
files still give the engine's outputs with the engine's weights."""

from __future__ import annotations

import ast
import os
import textwrap

import numpy as np
import pytest

from calc.errors import SpecError
from calc.interchange.export import export_code
from calc.network import network_from_text

HOSTILE = '''
name: "x\\"\\"\\"; import os; os.system('echo PWNED') #\\\\"
input: [4]
layers:
  - dense: {units: 3}
    name: "named_parameters"
  - relu: {}
    name: "a/b"
  - dense: {units: 3}
    name: "__init__"
  - dense: {units: 3}
    name: "forward"
  - relu: {}
    name: "class"
  - dense: {units: 2}
    name: "F"
'''


def network():
    return network_from_text(textwrap.dedent(HOSTILE), "hostile.yaml")


@pytest.mark.parametrize("target", ["pytorch", "keras"])
def test_a_network_name_stays_inside_the_docstring(target):
    source = export_code(network(), target)
    tree = ast.parse(source)
    doc = ast.get_docstring(tree)
    assert "os.system('echo PWNED')" in doc  # the name is shown, as text
    assert not any(isinstance(n, ast.Import) and n.names[0].name == "os" for n in tree.body)
    assert [type(n).__name__ for n in tree.body[:1]] == ["Expr"]


def test_layer_names_of_module_attributes_give_the_engine_outputs():
    pytest.importorskip("torch")
    from tests.export_util import compare

    x = np.random.default_rng(0).normal(size=(3, 4))
    assert compare(network(), x) <= 1e-9


def test_keras_names_with_a_slash_build_and_load(tmp_path):
    os.environ["KERAS_BACKEND"] = "torch"
    pytest.importorskip("keras")
    from tests.test_export_keras_seq import exported, same_outputs

    model, _ = exported(network())
    assert "a_b" in [layer.name for layer in model.layers]
    same_outputs(network(), tmp_path)


def test_two_names_one_keras_name_is_one_line():
    clash = network_from_text("input: [4]\nlayers:\n  - dense: {units: 3}\n    name: a/b\n"
                              "  - dense: {units: 3}\n    name: a_b\n", "clash.yaml")
    with pytest.raises(SpecError) as info:
        export_code(clash, "keras")
    text = str(info.value)
    assert text.startswith("clash.yaml:5") and "'a_b'" in text and "'a/b'" in text and "\n" not in text
