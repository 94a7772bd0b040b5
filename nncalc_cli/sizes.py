"""`nncalc size conv|pool|transposed|padding`: output sizes and padding, with the numbers shown."""


from typing import Annotated

import typer

from calc.numtext import axes, padding_axes
from nncalc_cli.common import sub_app
from nncalc_cli.options import AtOpt, DilationOpt, JsonOpt, KernelSizeOpt, MarkdownOpt, PlotOpt, SizeInputOpt
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


def _plotted(given: dict, plot: str | None, at: str | None, show) -> None:
    """Print the sizes (``show``), then with --plot draw one window position (issue 14); the file and
    matplotlib are checked first, so a bad --plot prints nothing."""
    if plot is None:
        if at is not None:
            from calc.errors import InputError

            raise InputError("--at chooses the output cell of --plot: give --plot FILE.png too")
        show()
        return
    from calc.numtext import ints
    from calc.pictures.grid_picture import draw_window, window_plan
    from calc.pictures.plotting import target

    path = target(plot)
    cell = ints(at, "--at", 2, minimum=0) if at is not None else None
    cell = (cell[0], cell[0]) if cell is not None and len(cell) == 1 else cell
    pair = _pairs(given)
    plan = window_plan(given["kind"], pair("input"), pair("kernel"), pair("stride", given["kernel"]), pair("padding"),
                       pair("dilation"), pair("output_padding", 0), cell, given.get("ceil_mode", False))
    show()
    draw_window(plan, path)


def _pairs(given: dict):
    """(H, W) of a given option: one number for both axes, 'valid' as 0; 'same' is refused."""
    def pair(key: str, default=None):
        value = given.get(key, default)
        if value == "valid":
            value = 0
        if isinstance(value, str):
            from calc.errors import InputError

            raise InputError(f"--plot: give --padding as numbers (P or PHxPW), not '{value}'")
        return (value, value) if isinstance(value, int) else tuple(value)
    return pair


@app.command("conv")
def size_conv(
    input: SizeInputOpt,
    kernel: KernelSizeOpt,
    stride: Annotated[str, typer.Option("--stride", "-s", help="Stride: 1, or HxW.")] = "1",
    padding: Annotated[str, typer.Option("--padding", "-p", help="Padding per side: 0, HxW, 'same' or 'valid'.")] = "0",
    dilation: DilationOpt = "1",
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
    plot: PlotOpt = None,
    at: AtOpt = None,
) -> None:
    """Conv output size: o = floor((i + 2p - d(k-1) - 1)/s) + 1, with the numbers shown."""
    given = window_given("conv", input, kernel, stride, padding, dilation)
    _plotted(given, plot, at, lambda: emit(solve_size(given), Output(as_json, markdown)))


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
    plot: PlotOpt = None,
    at: AtOpt = None,
) -> None:
    """Pooling output size (stride defaults to the kernel; --ceil-mode as PyTorch)."""
    given = window_given("pool", input, kernel, stride, padding, dilation)
    given["ceil_mode"] = ceil_mode
    _plotted(given, plot, at, lambda: emit(solve_size(given), Output(as_json, markdown)))


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
    plot: PlotOpt = None,
    at: AtOpt = None,
) -> None:
    """Transposed conv output size: o = (i-1)s - 2p + d(k-1) + output_padding + 1."""
    given = {"kind": "transposed", "input": axes(input, "--input"), "kernel": axes(kernel, "--kernel"),
             "stride": axes(stride, "--stride"), "dilation": axes(dilation, "--dilation"),
             "padding": axes(padding, "--padding", minimum=0),
             "output_padding": axes(output_padding, "--output-padding", minimum=0)}
    _plotted(given, plot, at, lambda: emit(solve_size(given), Output(as_json, markdown)))


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
