"""`nncalc size conv|pool|transposed|padding`: output sizes and padding, with the numbers shown."""


from typing import Annotated

import typer

from cli_common import JsonOpt, MarkdownOpt, emit_solution, padding_arg, parse_ints, per_axis, sub_app

app = sub_app("Output sizes of conv / pool / transposed conv layers, and padding.")

InputOpt = Annotated[str, typer.Option("--input", "-i", help="Input size: 227, or HxW such as 32x24.")]
KernelOpt = Annotated[str, typer.Option("--kernel", "-k", help="Kernel size: 3, or HxW.")]
DilationOpt = Annotated[str, typer.Option("--dilation", "-d", help="Dilation: 1 (none), or HxW.")]


@app.command("conv")
def size_conv(
    input: InputOpt,
    kernel: KernelOpt,
    stride: Annotated[str, typer.Option("--stride", "-s", help="Stride: 1, or HxW.")] = "1",
    padding: Annotated[str, typer.Option("--padding", "-p", help="Padding per side: 0, HxW, 'same' or 'valid'.")] = "0",
    dilation: DilationOpt = "1",
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
) -> None:
    """Conv output size: o = floor((i + 2p - d(k-1) - 1)/s) + 1, with the numbers shown."""
    from calc import sizes
    from calc.steps.sizes import solve_window

    ins, ks, ss, ds = (parse_ints(input, "--input", 2), parse_ints(kernel, "--kernel", 2),
                       parse_ints(stride, "--stride", 2), parse_ints(dilation, "--dilation", 2))
    n = max(len(ins), len(ks), len(ss), len(ds))
    ins, ks, ss, ds = (per_axis(v, n) for v in (ins, ks, ss, ds))
    mode, pads = padding_arg(padding, n)
    pads = sizes.resolve_padding(mode or pads, ins, ks, ss, ds)
    emit_solution(solve_window("conv", ins, ks, ss, pads, ds, padding_mode=mode), as_json, markdown)


@app.command("pool")
def size_pool(
    input: InputOpt,
    kernel: KernelOpt,
    stride: Annotated[str | None, typer.Option("--stride", "-s", help="Stride (default: the kernel size).")] = None,
    padding: Annotated[str, typer.Option("--padding", "-p", help="Padding per side: 0, HxW, 'same' or 'valid'.")] = "0",
    dilation: DilationOpt = "1",
    ceil_mode: Annotated[bool, typer.Option("--ceil-mode", help="Round up (PyTorch ceil_mode).")] = False,
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
) -> None:
    """Pooling output size (stride defaults to the kernel; --ceil-mode as PyTorch)."""
    from calc import sizes
    from calc.steps.sizes import solve_window

    ins, ks, ds = parse_ints(input, "--input", 2), parse_ints(kernel, "--kernel", 2), parse_ints(dilation, "--dilation", 2)
    ss = parse_ints(stride, "--stride", 2) if stride else ks
    n = max(len(ins), len(ks), len(ss), len(ds))
    ins, ks, ss, ds = (per_axis(v, n) for v in (ins, ks, ss, ds))
    mode, pads = padding_arg(padding, n)
    pads = sizes.resolve_padding(mode or pads, ins, ks, ss, ds)
    emit_solution(solve_window("pool", ins, ks, ss, pads, ds, ceil_mode, padding_mode=mode), as_json, markdown)


@app.command("transposed")
def size_transposed(
    input: InputOpt,
    kernel: KernelOpt,
    stride: Annotated[str, typer.Option("--stride", "-s", help="Stride: 1, or HxW.")] = "1",
    padding: Annotated[str, typer.Option("--padding", "-p", help="Padding per side: 0 or HxW.")] = "0",
    dilation: DilationOpt = "1",
    output_padding: Annotated[str, typer.Option("--output-padding", help="Extra rows/cols at the end.")] = "0",
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
) -> None:
    """Transposed conv output size: o = (i-1)s - 2p + d(k-1) + output_padding + 1."""
    from calc.steps.sizes import solve_transposed

    ins, ks, ss, ds = (parse_ints(input, "--input", 2), parse_ints(kernel, "--kernel", 2),
                       parse_ints(stride, "--stride", 2), parse_ints(dilation, "--dilation", 2))
    ops = parse_ints(output_padding, "--output-padding", 2, minimum=0)
    ps = parse_ints(padding, "--padding", 2, minimum=0)
    n = max(len(ins), len(ks), len(ss), len(ds), len(ops), len(ps))
    ins, ks, ss, ds, ops, ps = (per_axis(v, n) for v in (ins, ks, ss, ds, ops, ps))
    pads = tuple((p, p) for p in ps)
    emit_solution(solve_transposed(ins, ks, ss, pads, ds, ops), as_json, markdown)


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
    from calc.steps.sizes import solve_padding

    emit_solution(solve_padding(input, output or input, kernel, stride, dilation), as_json, markdown)


