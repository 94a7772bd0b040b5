"""`nncalc summary`, `nncalc zoo`, `nncalc layers`: counting networks."""


from typing import Annotated

import typer

from nncalc_cli.options import CostKind, JsonOpt, MarkdownOpt
from nncalc_cli.output import Output, emit

app = typer.Typer()


@app.command()
def summary(
    spec: Annotated[str, typer.Argument(metavar="SPEC", help="A YAML spec file or a bundled network name (see 'nncalc zoo').")],
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
    keras: Annotated[bool, typer.Option("--keras", help="Count batch-norm running mean/var as non-trainable params, as Keras' summary does.")] = False,
    include: Annotated[list[CostKind] | None, typer.Option("--include", help="Add these operations to the MAC count (repeatable): bias adds, bn, act(ivations), pool, (residual) add, norm (layer/RMS norm), or all.")] = None,
    batch: Annotated[int, typer.Option("--batch", help="Batch size for MACs and activation memory.", min=1)] = 1,
    input_shape: Annotated[str | None, typer.Option("--input-shape", "--input", "-i", help="Override the spec's input shape: 224x224x3, or 224 / 224x224 keeping the channels.")] = None,
    config: Annotated[bool | None, typer.Option("--config/--no-config", help="Show the layer config column (default: when the terminal is wide enough).")] = None,
) -> None:
    """Per-layer output shapes, parameters and MACs of a network, with totals."""
    from calc.counting.stats import CountOptions, summarize
    from calc.network import load_network, override_input
    from calc.numtext import ints

    kinds = {k.value for k in include or []}
    kinds = {"bias", "bn", "act", "pool", "add", "norm"} if "all" in kinds else kinds
    network = load_network(spec)
    if input_shape:
        network = override_input(network, ints(input_shape, "--input"))
    result = summarize(network, CountOptions(include=frozenset(kinds), keras=keras, batch=batch))
    emit(result, Output(as_json, markdown), show_config=config)


@app.command()
def zoo(as_json: JsonOpt = False) -> None:
    """List the bundled networks with their totals and whether they match published figures."""
    from calc.counting.stats import zoo_table

    emit(zoo_table(), Output(as_json), kind="zoo")


@app.command("layers")
def layers_cmd(as_json: JsonOpt = False) -> None:
    """List the layer types a spec can use, with their options."""
    from calc.layers.listing import layer_rows

    rows = layer_rows()  # every option each layer's from_options accepts is shown
    from calc.spec.build import STRUCTURE_HELP

    rows += [{"name": k, "aliases": [], "summary": text} for k, text in STRUCTURE_HELP.items()]
    emit(rows, Output(as_json), kind="layers")


