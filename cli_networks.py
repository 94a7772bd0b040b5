"""`nncalc summary`, `nncalc zoo`, `nncalc layers`: counting networks."""


from enum import Enum
from typing import Annotated

import typer

from cli_common import JsonOpt, MarkdownOpt, console, parse_ints, write_text

app = typer.Typer()


class CostKind(str, Enum):
    bias = "bias"
    bn = "bn"
    act = "act"
    pool = "pool"
    add = "add"
    all = "all"


@app.command()
def summary(
    spec: Annotated[str, typer.Argument(metavar="SPEC", help="A YAML spec file or a bundled network name (see 'nncalc zoo').")],
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
    keras: Annotated[bool, typer.Option("--keras", help="Count batch-norm running mean/var as non-trainable params, as Keras' summary does.")] = False,
    include: Annotated[list[CostKind] | None, typer.Option("--include", help="Add these operations to the MAC count (repeatable): bias adds, bn, act(ivations), pool, (residual) add, or all.")] = None,
    batch: Annotated[int, typer.Option("--batch", help="Batch size for MACs and activation memory.", min=1)] = 1,
    input_shape: Annotated[str | None, typer.Option("--input-shape", "--input", "-i", help="Override the spec's input shape: 224x224x3, or 224 / 224x224 keeping the channels.")] = None,
    config: Annotated[bool | None, typer.Option("--config/--no-config", help="Show the layer config column (default: when the terminal is wide enough).")] = None,
) -> None:
    """Per-layer output shapes, parameters and MACs of a network, with totals."""
    from calc.counting.stats import CountOptions, summarize
    from calc.network import load_network, override_input

    kinds = {k.value for k in include or []}
    kinds = {"bias", "bn", "act", "pool", "add"} if "all" in kinds else kinds
    network = load_network(spec)
    if input_shape:
        network = override_input(network, parse_ints(input_shape, "--input"))
    result = summarize(network, CountOptions(include=frozenset(kinds), keras=keras, batch=batch))
    if markdown:  # a file is written alongside JSON too; '-' with --json is refused
        from calc.render.markdown import summary_markdown

        write_text(markdown, summary_markdown(result), as_json)
    if as_json:
        from calc.render.jsonout import dumps, summary_data

        print(dumps(summary_data(result)))
    elif not markdown:
        from calc.render.terminal import summary_renderable

        out = console()
        out.print(summary_renderable(result, show_config=config, width=out.width))


@app.command()
def zoo(as_json: JsonOpt = False) -> None:
    """List the bundled networks with their totals and whether they match published figures."""
    from calc.counting.stats import zoo_table

    rows = zoo_table()
    if as_json:
        from calc.render.jsonout import dumps

        print(dumps(rows))
        return
    from calc.render.terminal import zoo_renderable

    out = console()
    out.print(zoo_renderable(rows, out.width))


@app.command("layers")
def layers_cmd(as_json: JsonOpt = False) -> None:
    """List the layer types a spec can use, with their options."""
    from calc.layers import REGISTRY

    rows = [{"name": k, "aliases": list(c.aliases), "summary": c.summary or (c.__doc__ or "").strip()}
            for k, c in sorted(REGISTRY.items())]
    rows += [{"name": "concat", "aliases": [], "summary": "parallel branches [[...], [...]] concatenated on channels"},
             {"name": "residual", "aliases": [], "summary": "{body: [...], shortcut: [...]} added; empty shortcut = identity"},
             {"name": "repeat", "aliases": [], "summary": "{times: n, layers: [...]}"},
             {"name": "sequential", "aliases": [], "summary": "a named group of layers"}]
    if as_json:
        from calc.render.jsonout import dumps

        print(dumps(rows))
        return
    from calc.render.terminal import layers_renderable

    console().print(layers_renderable(rows))


