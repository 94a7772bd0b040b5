"""A network written as a Keras functional model (``keras_source``): the walk of torch_code.py
with the Keras emitters of keras_kinds.py. Keras is channels-last like nncalc: no layout change."""

from __future__ import annotations

from calc.interchange.export import keras_seq_kinds  # noqa: F401 - registers the sequence emitters
from calc.interchange.export.keras_custom import CUSTOM
from calc.interchange.export.keras_helpers import LOADER, weight_table
from calc.interchange.export.keras_kinds import keras_emitter_for, keras_name
from calc.interchange.export.pyfmt import in_docstring, wrap_all
from calc.interchange.export.torch_code import TorchWriter, class_name
from calc.interchange.export.torch_kinds import Unsupported


def _unique_names(network) -> None:
    """Two layers whose names differ only by '/' against '_' would be one Keras name: one line."""
    seen = {}
    for leaf in network.leaves():
        other = seen.setdefault(keras_name(leaf.name), leaf)
        if other is not leaf:
            raise Unsupported(f"{leaf.kind} '{leaf.name}': would have the same Keras name as '{other.name}' "
                              "(Keras refuses '/' in a name; it becomes '_'): rename one", leaf.where)


def keras_source(network) -> str:
    _unique_names(network)
    w = TorchWriter(keras_emitter_for, channels_last=True)
    out = w.sequence(network.root, "inputs", "x")
    params = sum(leaf.param_count() for leaf in network.leaves())
    shape = tuple(int(v) for v in network.input_shape)
    first = network.leaves()[0] if network.leaves() else None
    dtype = ', dtype="int32"' if first is not None and first.kind == "embedding" else ""
    shape_text = "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
    fn = "build_" + class_name(network.name).lower()
    head = ('"""A Keras functional model written by `nncalc export`.\n\n'
            f"Network: {in_docstring(network.name)}.\n"
            f"Input per sample: {shape_text}, channels last as nncalc.\n"
            f"Parameters: {params:,}, nncalc's count (batch-norm moving statistics are\n"
            "non-trainable weights in Keras).\n"
            '"""\n\n'
            + ("import math\nfrom fractions import Fraction\n\n" if "Resize" in w.helpers else "")
            + "import keras\nimport numpy as np\nfrom keras import layers\n")
    body = [f"def {fn}():", f"    inputs = keras.Input(shape={shape_text}{dtype})"]
    body += [f"    {line}" for line in w.lines]
    body += [f"    return keras.Model(inputs, {out}, name={keras_name(network.name)!r})"]
    main = (f'if __name__ == "__main__":\n    {fn}().summary()\n')
    table = "\n".join(wrap_all(weight_table(network))) + "\n"
    custom = [CUSTOM[h].strip("\n") + "\n" for h in w.helpers]
    return "\n\n".join([head, *custom, "\n".join(wrap_all(body)) + "\n", table + LOADER, main])
