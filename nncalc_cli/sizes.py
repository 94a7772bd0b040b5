"""`nncalc size conv|pool|transposed|padding`: output sizes and padding, with the numbers shown."""


from typing import Annotated

import typer

from calc.numtext import axes, padding_axes
from nncalc_cli.common import sub_app
from nncalc_cli.options import DilationOpt, JsonOpt, KernelSizeOpt, MarkdownOpt, SizeInputOpt
from nncalc_cli.output import Output, emit

app = sub_app("Output sizes of conv / pool / transposed conv layers, and padding.")


def window_given(kind: str, input: str, kernel: str, stride: str | None, padding: str, dilation: str) -> dict:
    """The options as a `type: size` problem's given, so commands and problem files share one solver."""
    given = {"kind": kind, "input": axes(input, "--input"), "kernel": axes(kernel, "--kernel"),
             "dilation": axes(dilation, "--dilation")}
    if stride is not None:
        given["stride"] = axes(stride, "--stride")
    given["padding"] = padding_axes(padding)
    return given


def solve_size(given: dict):
    from calc.errors import Where
    from calc.solve.registry import SolveOptions
    from calc.solve.size_problem import solve_size_problem

    return solve_size_problem(given, Where("command line"), SolveOptions())


@app.command("conv")
def size_conv(
    input: SizeInputOpt,
    kernel: KernelSizeOpt,
    stride: Annotated[str, typer.Option("--stride", "-s", help="Stride: 1, or HxW.")] = "1",
    padding: Annotated[str, typer.Option("--padding", "-p", help="Padding per side: 0, HxW, 'same' or 'valid'.")] = "0",
    dilation: DilationOpt = "1",
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
) -> None:
    """Conv output size: o = floor((i + 2p - d(k-1) - 1)/s) + 1, with the numbers shown."""
    given = window_given("conv", input, kernel, stride, padding, dilation)
    emit(solve_size(given), Output(as_json, markdown))


@app.command("pool")
def size_pool(
    input: SizeInputOpt,
    kernel: KernelSizeOpt,
    stride: Annotated[str | None, typer.Option("--stride", "-s", help="Stride (default: the kernel size).")] = None,
    padding: Annotated[str, typer.Option("--padding", "-p", help="Padding per side: 0, HxW, 'same' or 'valid'.")] = "0",
    dilation: DilationOpt = "1",
    ceil_mode: Annotated[bool, typer.Option("--ceil-mode", help="Round up (PyTorch ceil_mode).")] = False,
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
) -> None:
    """Pooling output size (stride defaults to the kernel; --ceil-mode as PyTorch)."""
    given = window_given("pool", input, kernel, stride, padding, dilation)
    given["ceil_mode"] = ceil_mode
    emit(solve_size(given), Output(as_json, markdown))


@app.command("transposed")
def size_transposed(
    input: SizeInputOpt,
    kernel: KernelSizeOpt,
    stride: Annotated[str, typer.Option("--stride", "-s", help="Stride: 1, or HxW.")] = "1",
    padding: Annotated[str, typer.Option("--padding", "-p", help="Padding per side: 0 or HxW.")] = "0",
    dilation: DilationOpt = "1",
    output_padding: Annotated[str, typer.Option("--output-padding", help="Extra rows/cols at the end.")] = "0",
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
) -> None:
    """Transposed conv output size: o = (i-1)s - 2p + d(k-1) + output_padding + 1."""
    given = {"kind": "transposed", "input": axes(input, "--input"), "kernel": axes(kernel, "--kernel"),
             "stride": axes(stride, "--stride"), "dilation": axes(dilation, "--dilation"),
             "padding": axes(padding, "--padding", minimum=0),
             "output_padding": axes(output_padding, "--output-padding", minimum=0)}
    emit(solve_size(given), Output(as_json, markdown))


@app.command("padding")
def size_padding(
    input: Annotated[int, typer.Option("--input", "-i", help="Input size.", min=1)],
    kernel: Annotated[int, typer.Option("--kernel", "-k", help="Kernel size.", min=1)],
    output: Annotated[int | None, typer.Option("--output", "-o", help="Wanted output size (default: keep the input size).", min=1)] = None,
    stride: Annotated[int, typer.Option("--stride", "-s", help="Stride.", min=1)] = 1,
    dilation: Annotated[int, typer.Option("--dilation", "-d", help="Dilation.", min=1)] = 1,
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
) -> None:
    """The padding that gives a wanted output size (non-integer answers reported, with a split)."""
    given = {"kind": "padding", "input": input, "kernel": kernel, "output": output or input,
             "stride": stride, "dilation": dilation}
    emit(solve_size(given), Output(as_json, markdown))
