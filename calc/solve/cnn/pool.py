"""Pooling worked out: max pooling with the chosen element of every window, average pooling with
its divisor, the MaxPool(ReLU(x)) = ReLU(MaxPool(x)) check, and the backward pass (the gradient
routed to each window's maximum, or spread evenly by average pooling).

    type: pool
    given:
      input: [[21, 59, 37, -19, 2], ...]   # a matrix, or one per channel (calc.solve.cnn.given)
      type: max                            # or avg
      kernel: 2
      stride: 1                            # default: the kernel size (no overlap)
      padding: 0                           # ceil_mode, dilation (max), count_include_pad (avg)
      relu_check: true                     # compare MaxPool(ReLU(x)) with ReLU(MaxPool(x))
      grad_output: [[...]]                 # dL/dP: also the backward pass
      windows: first                       # window grids: first | all | none

Values are calc.layers.pool's (exact backend); which element a max window chose is read from the
layer's own backward pass (a unit gradient per output), so the tie rule shown is the engine's.
Answer names: ``output_size``, ``P11`` ... (``P11_2`` = channel 2), ``pool_output``;
``relu_then_pool``, ``pool_then_relu``, ``commutes``; ``dL/dX`` and ``dL/dX11`` ...
"""

from __future__ import annotations

from calc.errors import Where
from calc.solve.cnn.given import pool_layer, read_map, read_output_grad, run
from calc.solve.cnn.shared_steps import element_name, output_grid, padded_grid, shape_text, shown_rows, size_steps
from calc.solve.cnn.sums import Geometry, ij, pool_grad_text, pool_text, suffix
from calc.solve.given import choice, flag
from calc.solve.grid import Matrix, grid, rows_of
from calc.solve.registry import SolveOptions, problem_type
from calc.solve.step import Solution, Step
from calc.solve.text import Writer

KEYS = ("input", "input_layout", "type", "kernel", "stride", "padding", "ceil_mode", "dilation", "count_include_pad",
        "relu_check", "grad_output", "windows")


def pool_conventions(layer) -> list[str]:
    from calc.solve.cnn.shared_steps import padding_text

    k, s = layer.kernel, layer.stride
    lines = []
    if layer.pool_reduce == "max":
        lines.append("max pooling: each output is the largest value in its window; " + layer.tie_rule)
        if any(layer.pad):
            lines.append("padding cells count as -inf (PyTorch), so they never win")
    else:
        lines.append("average pooling: each output is the window's sum divided by "
                     + ("the window size, padding cells included (PyTorch count_include_pad)" if layer.count_include_pad
                        else "the number of input cells it covers (count_include_pad: false)"))
    overlap = "overlapping windows" if s[0] < k[0] or s[1] < k[1] else "windows do not overlap"
    lines.append(f"window {k[0]}x{k[1]}, stride {s[0] if s[0] == s[1] else s} ({overlap}); "
                 f"{padding_text(layer).split(':')[0]}; each channel is pooled on its own; no parameters")
    lines.append("names: X23 = input row 2, column 3 (1-based); P = pooled output; '_c' = channel c")
    return lines


def chosen_cells(layer, ctx, x) -> dict:
    """(oh, ow, c) -> input cell (r, q) of one sample x (H, W, C) that receives a unit gradient:
    the max-pool layer's own routing (its tie rule), probed on a copy so its caches stay intact."""
    import copy

    probe = copy.copy(layer)
    probe.forward(x[None], ctx)
    xp = ctx.xp
    ho, wo, c = layer.out_shape
    out = {}
    for idx in [(a, b, k) for k in range(c) for a in range(ho) for b in range(wo)]:
        dy = xp.zeros((1, ho, wo, c))
        dy[(0, *idx)] = 1
        dx = probe.backward(dy, ctx)[0]
        hits = list(zip(*xp.nonzero(dx[:, :, idx[2]])))
        out[idx] = tuple(int(v) for v in hits[0]) if hits else None
    return out


@problem_type("pool")
def solve_pool_problem(given, where: Where, options: SolveOptions) -> Solution:
    from calc.solve.given import check_keys
    from calc.solve.loss import _number_convention

    check_keys(given, where, KEYS)
    x = read_map(given, where)
    layer, ctx = pool_layer(given, where, x.shape)
    windows = choice(given, where, "windows", ("first", "all", "none"), "first")
    y = run(layer, ctx, x)
    writer = Writer(options.decimals, options.hand_rounding)
    conventions = [_number_convention(options.decimals, False)] + pool_conventions(layer)
    sol = Solution(layer.words.name.capitalize(), conventions)
    size_steps(sol, layer, "pooling", options.learner.size_rounding)
    padded_grid(sol, layer, layer.xpad[0] if layer.pool_reduce == "max" else x, "Input", "Input")
    chosen = chosen_cells(layer, ctx, x) if layer.pool_reduce == "max" else {}
    element_steps(sol, layer, writer, x, y, chosen, windows)
    output_grid(sol, y, "Pooled output P", "pool_output", "P", "Output")
    sol.summary = f"pooled output {shape_text(y.shape)}"
    if flag(given, where, "relu_check"):
        relu_check(sol, given, where, x, y, layer, ctx)
    if "grad_output" in given:
        dy = read_output_grad(given, where, "grad_output", y.shape, f"this {shape_text(x.shape)} input's pooling")
        backward_steps(sol, layer, ctx, writer, dy, chosen)
    return sol


def element_steps(sol: Solution, layer, writer, x, y, chosen: dict, windows: str) -> None:
    geo = Geometry(layer)
    xpad = layer.xpad[0] if layer.pool_reduce == "max" else None
    many = geo.c > 1
    for c in range(geo.c):
        for oh in range(geo.ho):
            for ow in range(geo.wo):
                name = element_name("P", oh, ow, c, many)
                symbols, numbers, note = pool_text(geo, layer, x, xpad, chosen, oh, ow, c, writer)
                sol.add(Step(name, f"{name} = {symbols}", numbers, y[oh, ow, c], name=name, note=note,
                             section="Pooled elements"))
                if windows == "all" or (windows == "first" and (oh, ow, c) == (0, 0, 0)):
                    marks = geo.window_cells(oh, ow)
                    shown = xpad[:, :, c] if xpad is not None else x[:, :, c]
                    off = (0, 0) if xpad is not None else (geo.top, geo.left)
                    mats = [Matrix("X" if not many else f"X[:, :, {c + 1}]", shown_rows(shown),
                                   frozenset((r - off[0], q - off[1]) for r, q in marks)),
                            Matrix(name, [[y[oh, ow, c]]])]
                    sol.add(grid(f"{name}: its window in brackets", mats, section="Pooled elements", note=note,
                                 between=["->"]))


def relu_check(sol: Solution, given, where: Where, x, y, layer, ctx) -> None:
    """Both orders computed with the ReLU and pooling layers themselves."""
    from calc.layers.activation.rectifiers import ReLU
    from calc.solve.cnn.given import pool_layer as make_pool

    relu = ReLU()
    first = run(make_pool(given, where, x.shape, layer.kind)[0], ctx, relu.forward(x[None], ctx)[0])
    second = relu.forward(y[None], ctx)[0]
    same = bool((first == second).all())
    pool = layer.words.symbol
    section = f"{pool}(ReLU(x)) = ReLU({pool}(x))?"
    output_grid(sol, first, "ReLU first, then pooling", "relu_then_pool", "P", section)
    output_grid(sol, second, "Pooling first, then ReLU", "pool_then_relu", "P", section)
    sol.add(Step("same result", "Pool(ReLU(x)) == ReLU(Pool(x))", "", same, name="commutes",
                 note=layer.words.relu_order, section=section))


def backward_steps(sol: Solution, layer, ctx, writer, dy, chosen: dict) -> None:
    """dL/dX: each window's gradient goes to its maximum (max) or is shared by its cells (avg)."""
    many = layer.in_shape[2] > 1
    geo = Geometry(layer, grad_text=lambda oh, ow, c: f"dP{ij(oh + 1, ow + 1)}{suffix(c + 1, many)}")
    dx = layer.backward(dy[None], ctx)[0]
    section = "Backward: dL/dX"
    mats = [Matrix("dL/dP" if not many else f"dL/dP[:, :, {c + 1}]", rows_of(dy[:, :, c])) for c in range(geo.c)]
    sol.add(grid("Given gradient dL/dP", mats, section=section))
    how = layer.words.gradient
    for c in range(geo.c):
        for r in range(geo.h):
            for q in range(geo.w):
                name = f"dL/dX{ij(r + 1, q + 1)}{suffix(c + 1, many)}"
                symbols, numbers = pool_grad_text(geo, layer, chosen, dy, r, q, c, writer)
                sol.add(Step(name, f"{name} = {symbols}", numbers, dx[r, q, c], name=name,
                             note=how if numbers else "", section=section))
    output_grid(sol, dx, "dL/dX", "dL/dX", "dL/dX", section)
