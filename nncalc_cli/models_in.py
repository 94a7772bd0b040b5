"""`nncalc convert`: a model from another tool (an ONNX model, a Keras config) written as a spec
and weights."""

from typing import Annotated

import typer

from nncalc_cli.options import JsonOpt
from nncalc_cli.output import Output, emit

app = typer.Typer()


@app.command()
def convert(
    model: Annotated[str, typer.Argument(metavar="MODEL", help="An ONNX model (.onnx; needs pip install \"nncalc[onnx]\") or a Keras config (.json, .keras); the kind is read from the file.")],
    output: Annotated[str, typer.Option("--output", "-o", metavar="SPEC.yaml", help="The spec to write.")],
    weights: Annotated[str | None, typer.Option("--weights", metavar="FILE.npz", help="Where the weights go (default: the spec's name with .npz).")] = None,
    no_weights: Annotated[bool, typer.Option("--no-weights", help="Write the spec only.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write an ONNX model or a Keras config as a spec (and its weights as .npz) that every command accepts."""
    from calc.interchange.load import convert_model

    emit(convert_model(model, output, weights, not no_weights), Output(as_json))
