"""Convolution forward worked out: the output size first, the padded input and kernel as grids,
every output element as its sum of products with the numbers substituted, the output map.

    type: conv
    given:
      input: [[2, 4, 9, 1, 4], ...]     # calc.solve.cnn.given: maps, kernels, layouts
      kernel: [[1, 2, 3], [-4, 7, 4], [2, -5, 1]]
      padding: 1                        # stride, dilation, groups, bias as the conv layer
      flip: false                       # true convolution (kernel rotated 180 degrees)
      im2col: false                     # also the patches matrix times the filters
      activation: relu                  # optional, applied to the output
      windows: first                    # window grids: first | all | none

Values come from calc.layers.conv.Conv run on the exact backend (true convolution = the same
layer given the rotated kernel). Answer names: ``output_size`` (or ``output_height`` /
``output_width``), ``O11`` ... (``O11_2`` = filter 2), ``output`` (the map: a matrix, or one
matrix per filter), ``output_1`` ...; ``activated`` and ``A11`` after an activation;
``patches`` and ``filter_matrix`` for the im2col view; ``flipped_kernel`` for one flipped kernel.
"""

from __future__ import annotations

from calc.errors import Where
from calc.solve.cnn.given import conv_layer, read_kernel, read_map, run
from calc.solve.cnn.shared_steps import (
    MapSlot,
    conv_conventions,
    forward_steps,
    kernel_grids,
    output_grid,
    padded_grid,
    shape_text,
    size_steps,
)
from calc.solve.given import choice, flag
from calc.solve.grid import Matrix, grid, rows_of
from calc.solve.registry import SolveOptions, problem_type
from calc.solve.step import Solution, Step
from calc.solve.text import Writer

KEYS = ("input", "input_layout", "kernel", "weight_layout", "bias", "stride", "padding", "dilation", "groups",
        "flip", "im2col", "activation", "windows")


@problem_type("conv")
def solve_conv_problem(given, where: Where, options: SolveOptions) -> Solution:
    from calc.solve.given import check_keys
    from calc.solve.loss import _number_convention

    check_keys(given, where, KEYS)
    x = read_map(given, where)
    kernel = read_kernel(given, where, x.shape[2])
    flip = flag(given, where, "flip")
    windows = choice(given, where, "windows", ("first", "all", "none"), "first")
    layer, ctx = conv_layer(given, where, kernel, x.shape, flip)
    y = run(layer, ctx, x)
    writer = Writer(options.decimals, options.hand_rounding)
    layouts = (given.get("input_layout", "chw"), kernel.layout)
    sol = Solution("Convolution", [_number_convention(options.decimals, False)]
                   + conv_conventions(layer, flip, x.shape[2], layouts))
    size_steps(sol, layer, rounding=options.learner.size_rounding)
    padded_grid(sol, layer, layer.xpad[0], "Input", "Input and kernel")
    kernel_grids(sol, layer.written, "Input and kernel")
    index = None
    if flip:
        kh, kw = layer.kernel
        kernel_grids(sol, layer.params["weight"], "Input and kernel", "F'", "Kernel rotated 180 degrees")
        if layer.params["weight"].shape[:2] == (1, 1):
            sol.answers["flipped_kernel"] = rows_of(layer.params["weight"][0, 0])
        index = lambda i, j: (kh - 1 - i, kw - 1 - j)  # noqa: E731 - tap (i, j) applies F[kh-1-i, kw-1-j]
    forward_steps(sol, layer, writer, y, windows, index)
    output_grid(sol, y, "Output O", "output", "O", "Output")
    sol.summary = f"output {shape_text(y.shape)}" + _values(y, writer)
    if "activation" in given:
        a, kind = activation_steps(sol, given, where, y, ctx, writer)
        sol.summary += f"; after {kind}" + (_values(a, writer) or f" {shape_text(a.shape)}")
    if flag(given, where, "im2col"):
        im2col_steps(sol, layer, y, ctx)
    return sol


def _values(y, writer) -> str:
    if y.shape[2] != 1 or y.shape[0] * y.shape[1] > 25:
        return ""
    return ": " + "[" + ", ".join(writer.vec(row) for row in y[:, :, 0].tolist()) + "]"


def activation_layer(given, where: Where, shape):
    """An activation layer named by ``activation: relu`` (or {leaky_relu: {slope: 0.1}})."""
    from calc.errors import SpecError
    from calc.layers import lookup
    from calc.solve.given import at
    from calc.spec.options import Options

    value = given["activation"]
    place = at(given, where, "activation")
    if isinstance(value, dict) and len(value) == 1:
        (kind, opts), = value.items()
    elif isinstance(value, str):
        kind, opts = value, None
    else:
        raise SpecError("expected an activation name such as relu, or {leaky_relu: {slope: 0.1}}", place)
    cls = lookup(kind, place)
    layer = cls.from_options(Options(opts, place, cls.kind))
    if not getattr(layer, "elementwise", False):
        raise SpecError(f"'{kind}' is not an element-wise activation", place)
    layer.name = cls.kind
    layer.build(tuple(shape))
    return layer


def activation_steps(sol: Solution, given, where: Where, y, ctx, writer):
    """A = f(O) element by element, with the activation layer's own formula and values."""
    from calc.solve.narrate.base import Narration, View
    from calc.solve.narrate.dense import ActivationNarrator

    act = activation_layer(given, where, y.shape)
    a = act.forward(y[None], ctx)[0]
    nar = Narration(sol, writer, ctx.backend, section=f"Activation ({act.kind})")
    c = y.shape[2]
    ActivationNarrator().forward(nar, View(act, MapSlot("", "O", None, c), MapSlot("", "A", None, c), act.kind), y, a)
    output_grid(sol, a, f"After {act.kind}: A", "activated", "A", nar.section)
    return a, act.kind


def im2col_steps(sol: Solution, layer, y, ctx) -> None:
    """The same convolution as one matrix product: patches (one row per output position) times
    the filters (one column each). The patches and the weight matrix are calc.ops' own."""
    from calc.ops.conv import weight_matrix
    from calc.ops.windows import im2col

    section = "im2col view"
    if layer.groups != 1:
        sol.findings.append("im2col view: shown for groups 1 only")
        return
    xp = ctx.xp
    patches = im2col(layer.xpad, layer.window(), 1, xp)[:, 0, :]
    wmat = weight_matrix(layer.params["weight"], 1, xp)[0]
    m, k = patches.shape
    ho, wo, cout = y.shape
    sol.add(Step("O as a matrix product", "O = P W: P = one row per output position (the window, read kernel row, "
                 "kernel column, channel), W = one column per filter", f"({m} x {k}) ({k} x {cout}) = ({m} x {cout})",
                 (m, cout), section=section,
                 note=f"row r of P and O is output position ((r-1) // {wo} + 1, (r-1) % {wo} + 1)"))
    sol.add(grid("im2col: patches P times filters W", [Matrix("P", rows_of(patches), name="patches"),
                                                        Matrix("W", rows_of(wmat), name="filter_matrix"),
                                                        Matrix("O", rows_of(y.reshape(ho * wo, cout)))],
                 section=section, between=["x", "="]))
