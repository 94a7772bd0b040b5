"""`nncalc summary`, `nncalc zoo`, `nncalc layers`: counting networks."""


from typing import Annotated

import typer

from nncalc_cli.options import CostKind, JsonOpt, MarkdownOpt, SpecArg
from nncalc_cli.output import Output, emit

app = typer.Typer()


@app.command()
def summary(
    spec: SpecArg,
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
    keras: Annotated[bool, typer.Option("--keras", help="Count batch-norm running mean/var as non-trainable params, as Keras' summary does (always for a Keras config).")] = False,
    include: Annotated[list[CostKind] | None, typer.Option("--include", help="Add these operations to the MAC count (repeatable): bias adds, bn, act(ivations), pool, (residual) add, norm (layer/RMS norm), or all.")] = None,
    batch: Annotated[int, typer.Option("--batch", help="Batch size for MACs and activation memory.", min=1)] = 1,
    input_shape: Annotated[str | None, typer.Option("--input-shape", "--input", "-i", help="Override the spec's input shape: 224x224x3, or 224 / 224x224 keeping the channels.")] = None,
    config: Annotated[bool | None, typer.Option("--config/--no-config", help="Show the layer config column (default: when the terminal is wide enough).")] = None,
) -> None:
    """Per-layer output shapes, parameters and MACs of a network, with totals."""
    from calc.counting.stats import CountOptions, summarize
    from calc.interchange.load import load_model
    from calc.network import override_input
    from calc.numtext import ints

    kinds = {k.value for k in include or []}
    kinds = {"bias", "bn", "act", "pool", "add", "norm"} if "all" in kinds else kinds
    loaded = load_model(spec)
    network, keras = loaded.network, keras or loaded.keras
    if input_shape:
        network = override_input(network, ints(input_shape, "--input"))
    result = summarize(network, CountOptions(include=frozenset(kinds), keras=keras, batch=batch))
    emit(result, Output(as_json, markdown), show_config=config)


@app.command()
def memory(
    spec: SpecArg,
    dtype: Annotated[str, typer.Option("--dtype", help="Weights' precision: fp32, bf16, fp16, int8, int4.")] = "fp16",
    context: Annotated[int | None, typer.Option("--context", help="Tokens in the KV cache (default: the spec's sequence length).", min=1)] = None,
    batch: Annotated[int, typer.Option("--batch", help="Sequences held at once.", min=1)] = 1,
    gpu: Annotated[str | None, typer.Option("--gpu", help="A card's memory, e.g. 24GB (read as GiB), 80G: says whether it fits.")] = None,
    kv_dtype: Annotated[str | None, typer.Option("--kv-dtype", help="KV cache precision (default: the weights' float dtype, fp16 for int8/int4).")] = None,
    training: Annotated[bool, typer.Option("--training", help="Add the training state: weights, gradients, optimizer state.")] = False,
    optimizer: Annotated[str, typer.Option("--optimizer", help="For --training: adam, momentum or sgd.")] = "adam",
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
) -> None:
    """Memory of a network: weights per dtype, KV cache, training state, and whether it fits a card."""
    from calc.interchange.load import load_network
    from calc.memory import parse_bytes
    from calc.solve.memory import MemoryQuestion, memory_solution

    if optimizer not in ("adam", "momentum", "sgd"):
        from calc.errors import InputError

        raise InputError(f"--optimizer: expected adam, momentum or sgd, got '{optimizer[:40]}'")
    card = parse_bytes(gpu, "--gpu") if gpu is not None else None
    question = MemoryQuestion(dtype.lower(), context, batch, card, gpu or "", kv_dtype and kv_dtype.lower(),
                              training, optimizer)
    emit(memory_solution(load_network(spec), question), Output(as_json, markdown))


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
    from calc.layers.transformer import BLOCK_SUMMARIES

    rows += [{"name": k, "aliases": [], "summary": text} for k, text in BLOCK_SUMMARIES.items()]
    emit(rows, Output(as_json), kind="layers")


