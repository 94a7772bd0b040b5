"""`nncalc run`, `nncalc train`: run specs forward and train them (issue 3).

Parse -> one calc.engine.api call -> one calc.render call. numpy and rich load inside the commands.
"""


from typing import Annotated

import typer

from calc.vocabulary import LOSSES, OPTIMIZERS, REDUCTIONS
from nncalc_cli.options import (
    DecimalsOpt,
    Device,
    DeviceOpt,
    DType,
    DTypeOpt,
    InitOpt,
    JsonOpt,
    MemoryOpt,
    PlotOpt,
    SeedOpt,
    SpecArg,
    Style,
    WeightsOpt,
)
from nncalc_cli.output import Output, console, emit

app = typer.Typer()


@app.command()
def run(
    spec: SpecArg,
    inputs: Annotated[str, typer.Option("--input", "-i", "-x", metavar="VALUES|FILE", help="Inputs: inline (0.05,0.1; samples separated by ';'), a YAML/JSON list (one sample or a list of samples), .npy, or .csv (one flattened sample per row).")],
    activations: Annotated[bool, typer.Option("--activations", help="Also print every layer's output.")] = False,
    training: Annotated[bool, typer.Option("--training", help="Training mode: batch norm on batch statistics, dropout masks drawn (default: eval mode).")] = False,
    device: DeviceOpt = Device.cpu,
    dtype: DTypeOpt = DType.float64,
    weights: WeightsOpt = None,
    seed: SeedOpt = 0,
    init: InitOpt = "torch_default",
    full: Annotated[bool, typer.Option("--full", help="Print every value and every sample (default: the first 8 values of the first 20 samples).")] = False,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Samples per forward pass: memory stays flat as the file grows (same outputs).", min=1)] = 256,
    max_memory: MemoryOpt = None,
    decimals: DecimalsOpt = 4,
    as_json: JsonOpt = False,
) -> None:
    """Run a network forward on the inputs in a file and print its output."""
    from calc import memory
    from calc.engine.api import run_network
    from calc.interchange.load import load_model

    with memory.option(max_memory):
        loaded = load_model(spec, with_weights=weights is None)  # a model file: its own weights, unless --weights
        result = run_network(loaded.network, inputs, device.value, dtype.value, weights or loaded.weights, seed, init, activations, training,
                             batch_size)
    emit(result, Output(as_json, decimals=decimals), full=full)


@app.command()
def train(
    spec: SpecArg,
    data: Annotated[str, typer.Option("--data", metavar="FILE", help="Training data: CSV (or a YAML/JSON list) of rows: the features, then the label.")],
    epochs: Annotated[int, typer.Option("--epochs", "-e", help="Passes over the data.", min=1)] = 100,
    lr: Annotated[float | None, typer.Option("--lr", help="Learning rate (default: the optimizer's, e.g. 0.01 for sgd).")] = None,
    optimizer: Annotated[str, typer.Option("--optimizer", help=f"{OPTIMIZERS.choices()} (aliases: nncalc conventions vocabulary).")] = "sgd",
    style: Annotated[Style, typer.Option("--style", help="Update rules and defaults of pytorch or keras where they differ.")] = Style.pytorch,
    loss: Annotated[str | None, typer.Option("--loss", help=f"{LOSSES.choices()}, or an alias (default: cross_entropy after softmax, bce after sigmoid, else mse).")] = None,
    reduction: Annotated[str | None, typer.Option("--reduction", "--convention", "-c", metavar="REDUCTION", help=f"{REDUCTIONS.choices()} (default mean, as PyTorch; half_sum: mse's textbook 1/2 sum of squares).")] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Samples per step (default 256; all of them when fewer: full-batch gradient descent).", min=1)] = None,
    shuffle: Annotated[bool, typer.Option("--shuffle/--no-shuffle", help="Shuffle the batches each epoch (seeded).")] = True,
    label_column: Annotated[str | None, typer.Option("--label-column", help="The label column: 0-based index (negative from the end) or header name (default: the last).")] = None,
    save: Annotated[str | None, typer.Option("--save", metavar="FILE.npz", help="Save the trained weights.")] = None,
    every: Annotated[int | None, typer.Option("--every", help="Show every Nth epoch (default: about 10 rows).", min=1)] = None,
    device: DeviceOpt = Device.cpu,
    dtype: DTypeOpt = DType.float64,
    weights: WeightsOpt = None,
    seed: SeedOpt = 0,
    init: InitOpt = "torch_default",
    max_memory: MemoryOpt = None,
    decimals: DecimalsOpt = 4,
    as_json: JsonOpt = False,
    plot: PlotOpt = None,
) -> None:
    """Train a network on a data file and print the loss per epoch."""
    from calc import memory
    from calc.engine.api import TrainSettings, train_network
    from calc.interchange.load import load_model
    from calc.render.engine import epoch_progress

    if plot is not None:  # the file name and matplotlib checked before the training, not after
        from calc.pictures.plotting import target

        plot = target(plot)


    settings = TrainSettings(epochs, lr, optimizer, style.value, loss, reduction, batch_size, shuffle, seed, label_column)
    out = console()
    with memory.option(max_memory), epoch_progress(epochs, out.is_terminal and not as_json) as on_epoch:
        loaded = load_model(spec, with_weights=weights is None)  # a model file: its own weights, unless --weights
        result = train_network(loaded.network, data, settings, device.value, dtype.value, init,
                               weights or loaded.weights, save, on_epoch)
    emit(result, Output(as_json, decimals=decimals), every=every)
    if plot is not None:
        from calc.pictures.curve_picture import draw_curves

        draw_curves(result, plot)
