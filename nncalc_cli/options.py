"""Every option type that two or more commands share, and the choices of every fixed vocabulary.

A command declares `as_json: JsonOpt = False`; the flag, its help and its limits are written once
here, so the same option reads the same in every command's --help. Fixed vocabularies are Enums
(click lists and checks the choices); the vocabularies with aliases (losses, reductions,
optimizers) come from calc/vocabulary.py, which resolves them (`ce` -> `cross_entropy`).

Only typer, enum and calc.vocabulary are imported: a command module loads this at start-up.
"""

from enum import Enum
from typing import Annotated

import typer

from calc.vocabulary import LOSSES, REDUCTIONS

# --- output: every command that prints a worked solution or a report --------------------------

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts and autograders.")]
def markdown_name(value: str | None) -> str | None:
    """'--markdown ""' (an unset shell variable) was taken as no --markdown: say so instead."""
    if value is not None and not value.strip():
        from calc.errors import InputError

        raise InputError("--markdown: expected a file name, or '-' to print, got ''")
    return value


MarkdownOpt = Annotated[str | None, typer.Option(
    "--markdown", metavar="FILE", help="Write Markdown (with LaTeX math) to FILE; '-' prints it.",
    callback=markdown_name)]
DecimalsOpt = Annotated[int, typer.Option("--decimals", help="Decimals shown (values are computed exactly).",
                                          min=0, max=30)]
HandOpt = Annotated[bool, typer.Option("--hand-rounding", help="Round every intermediate value to --decimals "
                                       "(half up), as a student does by hand; reproduces textbook answers.")]
AnswersOpt = Annotated[str | None, typer.Option(
    "--answers", "-a", metavar="FILE", help="Check FILE (your answers; --template prints a blank one) against this "
    "solution instead of printing it; exit 0 all right, 1 something wrong or not answered, 2 unusable.")]
AllowBlankOpt = Annotated[bool, typer.Option(
    "--allow-blank", help="With --answers: blank (null) and missing answers do not fail the check.")]
TemplateOpt = Annotated[bool, typer.Option(
    "--template", help="Print a blank answers YAML (the names --answers takes) instead of the solution.")]

# --- losses (backprop, check, loss, train) ----------------------------------------------------

LOSS_HELP = f"{LOSSES.choices()}; aliases such as ce, ce-logits, bce-logits (nncalc conventions vocabulary)"
ReductionOpt = Annotated[str | None, typer.Option("--reduction", "--convention", "-c", metavar="REDUCTION",
                                                  help=f"Loss reduction: {REDUCTIONS.choices()} (half = half_sum, "
                                                  "the textbook 1/2 SSE).")]

# --- sizes (size conv, pool, transposed) ------------------------------------------------------

SizeInputOpt = Annotated[str, typer.Option("--input", "-i", help="Input size: 227, or HxW such as 32x24.")]
KernelSizeOpt = Annotated[str, typer.Option("--kernel", "-k", help="Kernel size: 3, or HxW.")]
DilationOpt = Annotated[str, typer.Option("--dilation", "-d", help="Dilation: 1 (none), or HxW.")]

# --- feature maps (conv2d, pool, conv-backward) -----------------------------------------------

MATRIX_HELP = " '[[1, 2], [3, 4]]', '1,2;3,4', or a .csv/.yaml file"
MapInputOpt = Annotated[str, typer.Option("--input", "-i", "-x", help="The input map: a matrix, or one matrix per "
                                          "channel (see --input-layout):" + MATRIX_HELP + ".")]
StrideOpt = Annotated[str, typer.Option("--stride", "-s", help="Stride: 1, or HxW.")]
MapPaddingOpt = Annotated[str, typer.Option("--padding", "-p", help="Zeros on each side: 0, 1, HxW, 'same' or "
                                            "'valid'.")]


class Layout(str, Enum):
    """How a 3-D map is nested (calc.solve.cnn.given MAP_LAYOUTS)."""

    chw = "chw"
    hwc = "hwc"


LayoutOpt = Annotated[Layout, typer.Option("--input-layout", help="A 3-D --input is [channels][rows][cols] (chw, the "
                                           "course's x[:,:,c] slices) or [rows][cols][channels] (hwc, TensorFlow).")]


class Windows(str, Enum):
    first = "first"
    all = "all"
    none = "none"


WindowsOpt = Annotated[Windows, typer.Option("--windows", help="Show the window grid for the first output, all, none.")]

# --- the engine (run, train) ------------------------------------------------------------------


class Device(str, Enum):
    cpu = "cpu"
    gpu = "gpu"


class DType(str, Enum):
    float64 = "float64"
    float32 = "float32"


SPEC_HELP = ("A YAML spec file, a bundled network name (see 'nncalc zoo'), an ONNX model (.onnx) or a Keras "
             "config (.json, .keras); the kind is read from the file.")
SpecArg = Annotated[str, typer.Argument(metavar="SPEC", help=SPEC_HELP)]
DeviceOpt = Annotated[Device, typer.Option("--device", help="cpu (NumPy) or gpu (CuPy, optional extra: pip install "
                                           "'nncalc[gpu]').")]
DTypeOpt = Annotated[DType, typer.Option("--dtype", help="float64 (default: answers match hand solutions) or float32.")]
WeightsOpt = Annotated[str | None, typer.Option("--weights", metavar="FILE.npz", help="Load every parameter from an "
                                                ".npz saved by 'nncalc train --save'.")]
SeedOpt = Annotated[int, typer.Option("--seed", min=0, help="Seed of the initialiser (and of shuffling and dropout masks).")]
MemoryOpt = Annotated[str | None, typer.Option("--max-memory", metavar="SIZE", help="Refuse work estimated to need "
                                               "more memory than this, e.g. 16G (default: half the available "
                                               "memory; env NNCALC_MAX_MEMORY).")]
InitOpt = Annotated[str, typer.Option("--init", help="Initialiser for weights not given in the spec: torch_default, "
                                      "glorot_uniform/normal (xavier), he_uniform/normal (kaiming), "
                                      "lecun_uniform/normal, zeros, ones.")]

# --- the other fixed vocabularies -------------------------------------------------------------


class Style(str, Enum):
    """Whose forms and defaults to use where PyTorch and Keras differ."""

    pytorch = "pytorch"
    keras = "keras"


class CostKind(str, Enum):
    """Operations `nncalc summary --include` adds to the MAC count."""

    bias = "bias"
    bn = "bn"
    act = "act"
    pool = "pool"
    add = "add"
    norm = "norm"
    all = "all"


class Gate(str, Enum):
    AND = "and"
    OR = "or"
    NAND = "nand"
    NOR = "nor"
    XOR = "xor"
    custom = "custom"


class Deltas(str, Enum):
    """Which weights the hidden deltas use: before (textbook) or after the layer above's update."""

    original = "original"
    updated = "updated"


class Variance(str, Enum):
    n = "n"
    n_1 = "n-1"


class Scaling(str, Enum):
    inverted = "inverted"
    test = "test"


class ExportTarget(str, Enum):
    """What `nncalc export` writes (calc.interchange.export.TARGETS)."""

    pytorch = "pytorch"
    keras = "keras"


# --- pictures (issue 14): matplotlib files, the optional extra nncalc[plot] ----------------------
PlotOpt = Annotated[str | None, typer.Option(
    "--plot", metavar="FILE", help="Also draw it to FILE (.png, .svg, .pdf; needs nncalc[plot]).")]
AtOpt = Annotated[str | None, typer.Option(
    "--at", metavar="R,C", help="With --plot: the output cell drawn, 0-based (default 1,1: one stride in).")]
