"""`nncalc export SPEC --to pytorch|keras`: a network written as code (issue 14, code out)."""

from pathlib import Path
from typing import Annotated

import typer

from nncalc_cli.options import ExportTarget, SpecArg

app = typer.Typer()

TARGET_NAMES = {"pytorch": "PyTorch", "keras": "Keras"}


@app.command()
def export(
    spec: SpecArg,
    to: Annotated[ExportTarget, typer.Option("--to", help="pytorch: a torch.nn.Module taking NCHW maps; keras: a Keras functional model (channels last).")] = ExportTarget.pytorch,
    input_shape: Annotated[str | None, typer.Option("--input-shape", "--input", "-i", help="Override the spec's input shape: 224x224x3, or 224 / 224x224 keeping the channels.")] = None,
    output: Annotated[str | None, typer.Option("--output", "-o", metavar="FILE", help="Write the code to FILE (one line on stderr) instead of printing it.")] = None,
) -> None:
    """Write a network as PyTorch or Keras code (layers, forward, weight loading)."""
    from calc.errors import InputError
    from calc.interchange.export import export_code
    from calc.interchange.load import load_network
    from calc.network import override_input
    from calc.numtext import ints

    network = load_network(spec)
    if input_shape:
        network = override_input(network, ints(input_shape, "--input"))
    code = export_code(network, to.value)
    if output is None:
        print(code, end="")
        return
    target = Path(output)
    if target.exists() and target.resolve() == Path(spec).resolve():
        raise InputError(f"--output {output}: that is the spec being read; choose another file")
    try:
        target.write_text(code, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--output {output}: cannot write ({exc.strerror or exc})") from None
    lines = code.count("\n")
    typer.echo(f"wrote {output} ({TARGET_NAMES[to.value]}, {lines} line{'s' if lines != 1 else ''})", err=True)
