"""Problem type `size`: output-size and padding questions as problem files.

The worked solution is exactly what `nncalc size conv|pool|transposed|padding` prints: the
given mapping is read with the spec's typed options, then calc.solve.size_steps solves it.

    type: size
    given: {kind: conv, input: 224, kernel: 11, stride: 4, padding: 0}
    given: {kind: padding, input: 28, kernel: 28}          # output defaults to the input
"""

from __future__ import annotations

from calc.counting import size_formulas
from calc.solve.registry import problem_type
from calc.solve.size_steps import solve_padding, solve_transposed, solve_window
from calc.spec.options import Options, read_padding

KINDS = ("conv", "pool", "transposed", "padding")


def _axes(opts: Options, key: str, default=None, minimum: int = 1) -> tuple[int, int]:
    """One size for both axes, or [height, width]; required when there is no default."""
    return opts.pair(key, minimum=minimum) if default is None else opts.pair(key, default, minimum)


@problem_type("size")
def solve_size_problem(given, where, options):
    opts = Options(given, where, "size")
    kind = opts.choice("kind", KINDS)
    if kind == "padding":
        i, k = opts.int("input"), opts.int("kernel")
        out = opts.int("output", i)
        s, d = opts.int("stride", 1), opts.int("dilation", 1)
        opts.finish()
        return solve_padding(i, out, k, s, d)
    # every size written as one number: a one-axis question ("output 54"), else height and width
    n = 2 if any(isinstance(given.get(k), list) for k in ("input", "kernel", "stride", "dilation", "padding",
                                                           "output_padding")) else 1
    inputs, kernels = _axes(opts, "input")[:n], _axes(opts, "kernel")[:n]
    strides = _axes(opts, "stride", kernels if kind == "pool" else 1)[:n]
    dilations = _axes(opts, "dilation", 1)[:n]
    if kind == "transposed":
        pads = _axes(opts, "padding", 0, minimum=0)[:n]
        out_pads = _axes(opts, "output_padding", 0, minimum=0)[:n]
        opts.finish()
        return solve_transposed(inputs, kernels, strides, tuple((p, p) for p in pads), dilations, out_pads)
    padding = read_padding(opts)
    ceil_mode = opts.flag("ceil_mode", False) if kind == "pool" else False
    opts.finish()
    spec = padding if isinstance(padding, str) else ((padding[0], padding[1]), (padding[2], padding[3]))[:n]
    pads = size_formulas.resolve_padding(spec, inputs, kernels, strides, dilations)
    return solve_window(kind, inputs, kernels, strides, pads, dilations, ceil_mode,
                        padding if isinstance(padding, str) else None, options.learner.size_rounding)
