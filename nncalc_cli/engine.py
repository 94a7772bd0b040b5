"""`nncalc run`, `nncalc train`: run specs forward and train them (issue 3).

Parse -> one calc.engine.api call -> one calc.render call. numpy and rich load inside the commands.
"""


from enum import Enum
from typing import Annotated

import typer

from calc.vocabulary import LOSSES, OPTIMIZERS, REDUCTIONS
from nncalc_cli.common import DecimalsOpt, JsonOpt, Style, console

app = typer.Typer()


class Device(str, Enum):
    cpu = "cpu"
    gpu = "gpu"


class DType(str, Enum):
    float64 = "float64"
    float32 = "float32"


SpecArg = Annotated[str, typer.Argument(metavar="SPEC", help="A YAML spec file or a bundled network name (see 'nncalc zoo').")]
DeviceOpt = Annotated[Device, typer.Option("--device", help="cpu (NumPy) or gpu (CuPy, optional extra: pip install 'nncalc[gpu]').")]
DTypeOpt = Annotated[DType, typer.Option("--dtype", help="float64 (default: answers match hand solutions) or float32.")]
WeightsOpt = Annotated[str | None, typer.Option("--weights", metavar="FILE.npz", help="Load every parameter from an .npz saved by 'nncalc train --save'.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the initialiser (and of shuffling and dropout masks).")]
MemoryOpt = Annotated[str | None, typer.Option("--max-memory", metavar="SIZE", help="Refuse work estimated to need more memory than this, e.g. 16G (default: half the available memory; env NNCALC_MAX_MEMORY).")]
InitOpt = Annotated[str, typer.Option("--init", help="Initialiser for weights not given in the spec: torch_default, glorot_uniform/normal (xavier), he_uniform/normal (kaiming), lecun_uniform/normal, zeros, ones.")]


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

    with memory.option(max_memory):
        result = run_network(spec, inputs, device.value, dtype.value, weights, seed, init, activations, training,
                             batch_size)
    if as_json:
        from calc.render.engine_json import run_data
        from calc.render.jsonout import dumps

        print(dumps(run_data(result)))
        return
    from calc.render.engine import run_renderable

    console().print(run_renderable(result, decimals, full))


@app.command()
def train(
    spec: SpecArg,
    data: Annotated[str, typer.Option("--data", metavar="FILE", help="Training data: CSV (or a YAML/JSON list) of rows: the features, then the label.")],
    epochs: Annotated[int, typer.Option("--epochs", "-e", help="Passes over the data.", min=1)] = 100,
    lr: Annotated[float | None, typer.Option("--lr", help="Learning rate (default: the optimizer's, e.g. 0.01 for sgd).")] = None,
    optimizer: Annotated[str, typer.Option("--optimizer", help=f"{OPTIMIZERS.choices()} (aliases: docs/vocabulary.md).")] = "sgd",
    style: Annotated[Style, typer.Option("--style", help="Update rules and defaults of pytorch or keras where they differ.")] = Style.pytorch,
    loss: Annotated[str | None, typer.Option("--loss", help=f"{LOSSES.choices()}, or an alias (default: cross_entropy after softmax, bce after sigmoid, else mse).")] = None,
    reduction: Annotated[str | None, typer.Option("--reduction", "--convention", "-c", metavar="REDUCTION", help=f"{REDUCTIONS.choices()} (default mean, as PyTorch; half_sum: mse's textbook 1/2 sum of squares).")] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Samples per step (default: all of them).", min=1)] = None,
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
) -> None:
    """Train a network on a data file and print the loss per epoch."""
    from calc import memory
    from calc.engine.api import TrainSettings, train_network
    from calc.render.engine import epoch_progress


    settings = TrainSettings(epochs, lr, optimizer, style.value, loss, reduction, batch_size, shuffle, seed, label_column)
    out = console()
    with memory.option(max_memory), epoch_progress(epochs, out.is_terminal and not as_json) as on_epoch:
        result = train_network(spec, data, settings, device.value, dtype.value, init, weights, save, on_epoch)
    if as_json:
        from calc.render.engine_json import train_data
        from calc.render.jsonout import dumps

        print(dumps(train_data(result)))
        return
    from calc.render.engine import train_renderable

    out.print(train_renderable(result, decimals, every))
