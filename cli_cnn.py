"""Direct commands for convolution, pooling and conv backpropagation worked solutions (issue 5):
`nncalc conv2d`, `nncalc pool`, `nncalc conv-backward`. Each builds the same ``given`` a problem
file would hold and calls that problem type's solver, so checks and output are the same."""


from enum import Enum
from typing import Annotated

import typer

from cli_answers import AnswersOpt
from cli_common import DecimalsOpt, JsonOpt, MarkdownOpt, emit_solution

app = typer.Typer()

MATRIX_HELP = " '[[1, 2], [3, 4]]', '1,2;3,4', or a .csv/.yaml file"
InputOpt = Annotated[str, typer.Option("--input", "-i", "-x", help="The input map: a matrix, or one matrix per channel"
                                       " (see --input-layout):" + MATRIX_HELP + ".")]
StrideOpt = Annotated[str, typer.Option("--stride", "-s", help="Stride: 1, or HxW.")]
PaddingOpt = Annotated[str, typer.Option("--padding", "-p", help="Zeros on each side: 0, 1, HxW, 'same' or 'valid'.")]
LayoutOpt = Annotated[str, typer.Option("--input-layout", help="A 3-D --input is [channels][rows][cols] (chw, the "
                                        "course's x[:,:,c] slices) or [rows][cols][channels] (hwc, TensorFlow).")]


class Windows(str, Enum):
    first = "first"
    all = "all"
    none = "none"


WindowsOpt = Annotated[Windows, typer.Option("--windows", help="Show the window grid for the first output, all, none.")]


def _pair(text: str, option: str, minimum: int = 1):
    from cli_common import parse_ints

    values = parse_ints(text, option, 2, minimum)
    return values[0] if len(values) == 1 else list(values)


def _padding(text: str):
    lowered = str(text).strip().lower()
    return lowered if lowered in ("same", "valid") else _pair(text, "--padding", 0)


def _solve(kind: str, given: dict, decimals: int, as_json: bool, markdown: str | None, answers: str | None = None) -> None:
    from calc.errors import Where
    from calc.solve.registry import SolveOptions, solver_for
    from cli_answers import check_answers, problem_from_given

    check_answers(answers, problem_from_given(kind, given), as_json, markdown)

    solution = solver_for(kind, Where("command line"))(given, Where("command line"), SolveOptions(decimals))
    emit_solution(solution, as_json, markdown, decimals)


def _matrix(text: str, option: str):
    from calc.solve.cnn.given import matrix_from_text

    return matrix_from_text(text, option)


@app.command("conv2d")
def conv2d(
    input: InputOpt,
    kernel: Annotated[str, typer.Option("--kernel", "-k", help="The kernel: kh x kw, [channels][kh][kw] or "
                                        "[filters][channels][kh][kw]:" + MATRIX_HELP + ".")],
    bias: Annotated[str | None, typer.Option("--bias", "-b", help="Bias per filter: 1 or 1,0.")] = None,
    stride: StrideOpt = "1",
    padding: PaddingOpt = "0",
    dilation: Annotated[str, typer.Option("--dilation", "-d", help="Dilation: 1 (none), or HxW.")] = "1",
    input_layout: LayoutOpt = "chw",
    hwio: Annotated[bool, typer.Option("--hwio", help="The kernel is TensorFlow's [kh][kw][channels][filters].")] = False,
    flip: Annotated[bool, typer.Option("--flip", help="True convolution: rotate the kernel 180 degrees first.")] = False,
    im2col: Annotated[bool, typer.Option("--im2col", help="Also show the patches matrix times the filters.")] = False,
    activation: Annotated[str | None, typer.Option("--activation", help="Apply relu, sigmoid, ... after.")] = None,
    windows: WindowsOpt = Windows.first,
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
    decimals: DecimalsOpt = 4,
    answers: AnswersOpt = None,
) -> None:
    """Convolution step by step: output size, padded input, each output as its sum of products."""
    given = {"input": _matrix(input, "--input"), "kernel": _matrix(kernel, "--kernel"), "input_layout": input_layout,
             "stride": _pair(stride, "--stride"), "padding": _padding(padding), "dilation": _pair(dilation, "--dilation"),
             "weight_layout": "hwio" if hwio else "oihw", "flip": flip, "im2col": im2col, "windows": windows.value}
    if bias is not None:
        given["bias"] = _numbers(bias, "--bias")
    if activation:
        given["activation"] = activation
    _solve("conv", given, decimals, as_json, markdown, answers)


@app.command("pool")
def pool(
    input: InputOpt,
    kernel: Annotated[str, typer.Option("--kernel", "-k", help="Window size: 2, or HxW.")],
    stride: Annotated[str | None, typer.Option("--stride", "-s", help="Stride (default: the window size).")] = None,
    padding: PaddingOpt = "0",
    pool_type: Annotated[str, typer.Option("--type", help="max, or avg (also: average).")] = "max",
    input_layout: LayoutOpt = "chw",
    relu_check: Annotated[bool, typer.Option("--relu-check", help="Compare Pool(ReLU(x)) with ReLU(Pool(x)).")] = False,
    grad: Annotated[str | None, typer.Option("--grad", "-g", help="dL/dP, shaped like the output: also the backward "
                                             "pass (gradient routed to each window's maximum).")] = None,
    windows: WindowsOpt = Windows.first,
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
    decimals: DecimalsOpt = 4,
    answers: AnswersOpt = None,
) -> None:
    """Max or average pooling step by step, with the chosen element of each window."""
    given = {"input": _matrix(input, "--input"), "kernel": _pair(kernel, "--kernel"), "padding": _padding(padding),
             "type": pool_type.strip().lower(), "input_layout": input_layout, "relu_check": relu_check, "windows": windows.value}
    if stride is not None:
        given["stride"] = _pair(stride, "--stride")
    if grad is not None:
        given["grad_output"] = _matrix(grad, "--grad")
    _solve("pool", given, decimals, as_json, markdown, answers)


@app.command("conv-backward")
def conv_backward(
    input: InputOpt,
    kernel: Annotated[str, typer.Option("--kernel", "-k", help="The kernel:" + MATRIX_HELP + ".")],
    grad: Annotated[str, typer.Option("--grad", "-g", help="dL/dO, shaped like the output:" + MATRIX_HELP + ".")],
    bias: Annotated[str | None, typer.Option("--bias", "-b", help="Bias per filter (adds dL/db).")] = None,
    stride: StrideOpt = "1",
    padding: PaddingOpt = "0",
    input_layout: LayoutOpt = "chw",
    lr: Annotated[str | None, typer.Option("--lr", help="Learning rate: also F_new = F - lr dL/dF.")] = None,
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
    decimals: DecimalsOpt = 4,
    answers: AnswersOpt = None,
) -> None:
    """Conv backward from dL/dO: dL/dF, dL/db, dL/dX (full convolution) and an SGD step."""
    given = {"input": _matrix(input, "--input"), "kernel": _matrix(kernel, "--kernel"),
             "grad_output": _matrix(grad, "--grad"), "stride": _pair(stride, "--stride"),
             "padding": _padding(padding), "input_layout": input_layout}
    if bias is not None:
        given["bias"] = _numbers(bias, "--bias")
    if lr is not None:
        given["lr"] = _numbers(lr, "--lr")[0]
    _solve("conv_backward", given, decimals, as_json, markdown, answers)


def _numbers(text: str, option: str) -> list[str]:
    from cli_solve import parse_numbers

    return parse_numbers(text, option)
