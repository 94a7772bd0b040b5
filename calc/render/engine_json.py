"""The `--json` documents of `nncalc run` and `nncalc train` (plain lists and numbers)."""

from __future__ import annotations

from calc.render.jsonout import plain
from calc.render.wording import run_conventions, train_conventions


def run_data(result) -> dict:
    data = {"network": result.network, "input_shape": list(result.input_shape),
            "output_shape": list(result.output_shape), "outputs": plain(result.outputs)}
    if result.classes is not None:
        data["classes"] = result.classes
    if result.activations:
        data["activations"] = [{"layer": name, "type": kind, "shape": list(values.shape[1:]), "values": plain(values)}
                               for name, kind, values in result.activations]
    data["conventions"] = run_conventions(result)
    return data


def train_data(result) -> dict:
    final = result.final
    return {
        "network": result.network,
        "data": result.data.source,
        "samples": len(result.data),
        "epochs": [{"epoch": e.number, "loss": e.loss, "accuracy": e.accuracy} for e in result.epochs],
        "final": {"loss": final.loss, "accuracy": final.accuracy, "errors": final.errors,
                  "outputs": plain(final.outputs)},
        "saved": result.saved,
        "conventions": train_conventions(result),
    }
