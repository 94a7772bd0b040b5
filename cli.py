"""nncalc command line: parse arguments, call calc, render, print.

Heavy modules (numpy, sympy, rich) are imported inside the commands that need them so that
``nncalc --help`` and ``nncalc size ...`` start fast. Bad input raises calc.errors.NNCalcError,
which ``main`` prints as one line on stderr with exit code 2 — never a traceback.
"""

from __future__ import annotations

import sys
from enum import Enum
from typing import Annotated

import typer

from calc.errors import InputError, NNCalcError

app = typer.Typer(
    name="nncalc",
    help="Network calculator and exercise solver for deep learning: sizes, parameters, MACs, "
    "and step-by-step worked solutions.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
)
size_app = typer.Typer(help="Output sizes of conv / pool / transposed conv layers, and padding.",
                       no_args_is_help=True, rich_markup_mode=None)
app.add_typer(size_app, name="size")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts and autograders.")]
MarkdownOpt = Annotated[str | None, typer.Option(
    "--markdown", metavar="FILE", help="Write Markdown (with LaTeX math) to FILE; '-' prints it.")]


class CostKind(str, Enum):
    bias = "bias"
    bn = "bn"
    act = "act"
    pool = "pool"
    add = "add"
    all = "all"


# -- helpers -------------------------------------------------------------------------------
def parse_ints(text: str, option: str, count: int | None = None, minimum: int = 1) -> tuple[int, ...]:
    """'227' -> (227,), '227x227' / '227,227' / '[227, 227]' -> (227, 227)."""
    cleaned = str(text).strip().strip("[]()").replace("x", ",").replace("X", ",").replace("*", ",")
    try:
        values = tuple(int(part) for part in cleaned.split(",") if part.strip() != "")
    except ValueError:
        raise InputError(f"{option}: expected integers such as 5 or 5x5, got '{text}'") from None
    if not values or (count is not None and len(values) not in (1, count)):
        raise InputError(f"{option}: expected one integer or {count} separated by 'x', got '{text}'")
    for v in values:
        if v < minimum:
            raise InputError(f"{option}: expected integers >= {minimum}, got {v}")
    return values


def per_axis(values: tuple[int, ...], n: int) -> tuple[int, ...]:
    return values * n if len(values) == 1 else values


def console():
    from calc.render.terminal import make_console

    return make_console()


def emit_solution(solution, as_json: bool, markdown: str | None, decimals: int = 4) -> None:
    """Print a worked solution as JSON, Markdown (file or '-') or rich text."""
    if as_json:
        from calc.render.jsonout import dumps, solution_data

        print(dumps(solution_data(solution)))
        return
    if markdown:
        from calc.render.markdown import solution_markdown

        write_text(markdown, solution_markdown(solution, decimals))
        if markdown == "-":
            return
    from calc.render.terminal import solution_renderable

    console().print(solution_renderable(solution, decimals))


def write_text(target: str, text: str) -> None:
    if target == "-":
        sys.stdout.write(text)
        return
    try:
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise InputError(f"--markdown: cannot write '{target}': {exc.strerror}") from None
    print(f"wrote {target}", file=sys.stderr)


def _padding(text: str, n: int, option: str = "--padding"):
    """'same' | 'valid' | p | ph x pw -> (mode, ((before, after) per axis))."""
    lowered = str(text).strip().lower()
    if lowered in ("same", "valid"):
        return lowered, None
    values = per_axis(parse_ints(text, option, count=n, minimum=0), n)
    return None, tuple((v, v) for v in values)


# -- size ----------------------------------------------------------------------------------
InputOpt = Annotated[str, typer.Option("--input", "-i", help="Input size: 227, or HxW such as 32x24.")]
KernelOpt = Annotated[str, typer.Option("--kernel", "-k", help="Kernel size: 3, or HxW.")]
DilationOpt = Annotated[str, typer.Option("--dilation", "-d", help="Dilation: 1 (none), or HxW.")]


@size_app.command("conv")
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
    mode, pads = _padding(padding, n)
    if mode == "same":
        pads = tuple(sizes.tf_same_padding(ins[a], ks[a], ss[a], ds[a]) for a in range(n))
    elif mode == "valid":
        pads = ((0, 0),) * n
    elif len(pads) != n:
        pads = pads * n
    emit_solution(solve_window("conv", ins, ks, ss, pads, ds, padding_mode=mode), as_json, markdown)


@size_app.command("pool")
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
    mode, pads = _padding(padding, n)
    if mode == "same":
        pads = tuple(sizes.tf_same_padding(ins[a], ks[a], ss[a], ds[a]) for a in range(n))
    elif mode == "valid":
        pads = ((0, 0),) * n
    elif len(pads) != n:
        pads = pads * n
    emit_solution(solve_window("pool", ins, ks, ss, pads, ds, ceil_mode, padding_mode=mode), as_json, markdown)


@size_app.command("transposed")
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


@size_app.command("padding")
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


# -- networks ------------------------------------------------------------------------------
@app.command()
def summary(
    spec: Annotated[str, typer.Argument(help="A YAML spec file or a bundled network name (see 'nncalc zoo').")],
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
    keras: Annotated[bool, typer.Option("--keras", help="Count batch-norm running mean/var as non-trainable params, as Keras' summary does.")] = False,
    include: Annotated[list[CostKind] | None, typer.Option("--include", help="Add these operations to the MAC count (repeatable): bias adds, bn, act(ivations), pool, (residual) add, or all.")] = None,
    batch: Annotated[int, typer.Option("--batch", help="Batch size for MACs and activation memory.", min=1)] = 1,
    input_shape: Annotated[str | None, typer.Option("--input", help="Override the spec's input shape, e.g. 224x224x3.")] = None,
    config: Annotated[bool | None, typer.Option("--config/--no-config", help="Show the layer config column (default: when the terminal is wide enough).")] = None,
) -> None:
    """Per-layer output shapes, parameters and MACs of a network, with totals."""
    from calc.network import load_network, override_input
    from calc.stats import CountOptions, summarize

    kinds = {k.value for k in include or []}
    kinds = {"bias", "bn", "act", "pool", "add"} if "all" in kinds else kinds
    network = load_network(spec)
    if input_shape:
        network = override_input(network, parse_ints(input_shape, "--input", 3))
    result = summarize(network, CountOptions(include=frozenset(kinds), keras=keras, batch=batch))
    if as_json:
        from calc.render.jsonout import dumps, summary_data

        print(dumps(summary_data(result)))
    elif markdown:
        from calc.render.markdown import summary_markdown

        write_text(markdown, summary_markdown(result))
    if not as_json and markdown != "-":
        from calc.render.terminal import summary_renderable

        out = console()
        out.print(summary_renderable(result, show_config=config, width=out.width))


@app.command()
def zoo(as_json: JsonOpt = False) -> None:
    """List the bundled networks with their totals and whether they match published figures."""
    from calc.render.numbers import grouped, human
    from calc.stats import zoo_table

    rows = zoo_table()
    if as_json:
        from calc.render.jsonout import dumps

        print(dumps(rows))
        return
    from rich.table import Table

    out = console()
    wide = out.width >= 130
    table = Table(title="Bundled networks: nncalc summary NAME", pad_edge=False)
    for col in ("name", "input", "params", "MACs", "", "published"):
        table.add_column(col, justify="left" if col in ("name", "published") else "right", no_wrap=True)
    if wide:
        table.add_column("description")
    for r in rows:
        cells = [r["name"], "x".join(map(str, r["input_shape"])), grouped(r["total_params"]),
                 grouped(r["total_macs"]), human(r["total_macs"]), r["matches"]]
        table.add_row(*(cells + ([r["description"]] if wide else [])))
    out.print(table)


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
    for r in rows:
        alias = f" (also {', '.join(r['aliases'])})" if r["aliases"] else ""
        print(f"{r['name']:<18} {r['summary']}{alias}")


def main() -> None:
    """Console entry point: user errors become one line on stderr, exit code 2."""
    try:
        app()
    except NNCalcError as exc:
        print(f"nncalc: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
