"""Direct commands for convolution, pooling and conv backpropagation worked solutions (issue 5):
`nncalc conv2d`, `nncalc pool`, `nncalc conv-backward`. Each builds the same ``given`` a problem
file would hold and calls that problem type's solver, so checks and output are the same."""


from typing import Annotated

import typer

from calc.numtext import axes, padding_axes, vector
from nncalc_cli.answers import check_answers, problem_from_given
from nncalc_cli.options import (
    MATRIX_HELP,
    AllowBlankOpt,
    AnswersOpt,
    DecimalsOpt,
    JsonOpt,
    Layout,
    LayoutOpt,
    MapInputOpt,
    MapPaddingOpt,
    MarkdownOpt,
    StrideOpt,
    TemplateOpt,
    Windows,
    WindowsOpt,
)
from nncalc_cli.output import Output, emit

app = typer.Typer()


def _solve(kind: str, given: dict, decimals: int, as_json: bool, markdown: str | None, answers: str | None = None,
           template: bool = False) -> None:
    from calc.errors import Where
    from calc.solve.registry import SolveOptions, solver_for

    check_answers(answers, problem_from_given(kind, given), as_json, markdown)

    solution = solver_for(kind, Where("command line"))(given, Where("command line"), SolveOptions(decimals))
    emit(solution, Output(as_json, markdown, decimals, template))


def _matrix(text: str, option: str):
    from calc.solve.cnn.given import matrix_from_text

    return matrix_from_text(text, option)


@app.command("conv2d")
def conv2d(
    input: MapInputOpt,
    kernel: Annotated[str, typer.Option("--kernel", "-k", help="The kernel: kh x kw, [channels][kh][kw] or "
                                        "[filters][channels][kh][kw]:" + MATRIX_HELP + ".")],
    bias: Annotated[str | None, typer.Option("--bias", "-b", help="Bias per filter: 1 or 1,0.")] = None,
    stride: StrideOpt = "1",
    padding: MapPaddingOpt = "0",
    dilation: Annotated[str, typer.Option("--dilation", "-d", help="Dilation: 1 (none), or HxW.")] = "1",
    input_layout: LayoutOpt = Layout.chw,
    hwio: Annotated[bool, typer.Option("--hwio", help="The kernel is TensorFlow's [kh][kw][channels][filters].")] = False,
    flip: Annotated[bool, typer.Option("--flip", help="True convolution: rotate the kernel 180 degrees first.")] = False,
    im2col: Annotated[bool, typer.Option("--im2col", help="Also show the patches matrix times the filters.")] = False,
    activation: Annotated[str | None, typer.Option("--activation", help="Apply relu, sigmoid, ... after.")] = None,
    windows: WindowsOpt = Windows.first,
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
    decimals: DecimalsOpt = 4,
    answers: AnswersOpt = None,
    allow_blank: AllowBlankOpt = False,
    template: TemplateOpt = False,
) -> None:
    """Convolution step by step: output size, padded input, each output as its sum of products."""
    given = {"input": _matrix(input, "--input"), "kernel": _matrix(kernel, "--kernel"), "input_layout": input_layout.value,
             "stride": axes(stride, "--stride"), "padding": padding_axes(padding), "dilation": axes(dilation, "--dilation"),
             "weight_layout": "hwio" if hwio else "oihw", "flip": flip, "im2col": im2col, "windows": windows.value}
    if bias is not None:
        given["bias"] = vector(bias, "--bias")
    if activation:
        given["activation"] = activation
    _solve("conv", given, decimals, as_json, markdown, answers, template)


@app.command("pool")
def pool(
    input: MapInputOpt,
    kernel: Annotated[str, typer.Option("--kernel", "-k", help="Window size: 2, or HxW.")],
    stride: Annotated[str | None, typer.Option("--stride", "-s", help="Stride (default: the window size).")] = None,
    padding: MapPaddingOpt = "0",
    pool_type: Annotated[str, typer.Option("--type", help="max, or avg (also: average).")] = "max",
    input_layout: LayoutOpt = Layout.chw,
    relu_check: Annotated[bool, typer.Option("--relu-check", help="Compare Pool(ReLU(x)) with ReLU(Pool(x)).")] = False,
    grad: Annotated[str | None, typer.Option("--grad", "-g", help="dL/dP, shaped like the output: also the backward "
                                             "pass (gradient routed to each window's maximum).")] = None,
    windows: WindowsOpt = Windows.first,
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
    decimals: DecimalsOpt = 4,
    answers: AnswersOpt = None,
    allow_blank: AllowBlankOpt = False,
    template: TemplateOpt = False,
) -> None:
    """Max or average pooling step by step, with the chosen element of each window."""
    given = {"input": _matrix(input, "--input"), "kernel": axes(kernel, "--kernel"), "padding": padding_axes(padding),
             "type": pool_type.strip().lower(), "input_layout": input_layout.value, "relu_check": relu_check, "windows": windows.value}
    if stride is not None:
        given["stride"] = axes(stride, "--stride")
    if grad is not None:
        given["grad_output"] = _matrix(grad, "--grad")
    _solve("pool", given, decimals, as_json, markdown, answers, template)


@app.command("conv-backward")
def conv_backward(
    input: MapInputOpt,
    kernel: Annotated[str, typer.Option("--kernel", "-k", help="The kernel:" + MATRIX_HELP + ".")],
    grad: Annotated[str, typer.Option("--grad", "-g", help="dL/dO, shaped like the output:" + MATRIX_HELP + ".")],
    bias: Annotated[str | None, typer.Option("--bias", "-b", help="Bias per filter (adds dL/db).")] = None,
    stride: StrideOpt = "1",
    padding: MapPaddingOpt = "0",
    input_layout: LayoutOpt = Layout.chw,
    lr: Annotated[str | None, typer.Option("--lr", help="Learning rate: also F_new = F - lr dL/dF.")] = None,
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
    decimals: DecimalsOpt = 4,
    answers: AnswersOpt = None,
    allow_blank: AllowBlankOpt = False,
    template: TemplateOpt = False,
) -> None:
    """Conv backward from dL/dO: dL/dF, dL/db, dL/dX (full convolution) and an SGD step."""
    given = {"input": _matrix(input, "--input"), "kernel": _matrix(kernel, "--kernel"),
             "grad_output": _matrix(grad, "--grad"), "stride": axes(stride, "--stride"),
             "padding": padding_axes(padding), "input_layout": input_layout.value}
    if bias is not None:
        given["bias"] = vector(bias, "--bias")
    if lr is not None:
        given["lr"] = vector(lr, "--lr")[0]
    _solve("conv_backward", given, decimals, as_json, markdown, answers, template)
