"""Upsampling worked out by hand: nearest (each output copies one input cell) and bilinear (each
output mixes four neighbours with weights from its source coordinate), then optionally the
backward pass (each input collects the gradients of the outputs it fed, times their weights).

    type: upsample
    given:
      input: [[1, 2], [3, 4]]     # a matrix, or one per channel (calc.solve.cnn.given)
      scale: 2                    # or [sh, sw]; or size: [h, w] (the output size)
      mode: bilinear              # nearest (default, as torch) | bilinear
      align_corners: false        # bilinear only (torch's default false: half-pixel centres)
      grad_output: [[...]]        # dL/dY: also the backward pass

Values are calc.layers.upsample's (exact backend), the source coordinates and weights its
``nearest_sources`` / ``bilinear_sources``; this module lays them out. Answer names:
``output_height``, ``output_width``; ``row_source1`` ... and ``col_source1`` ... (the source
coordinate of output row / column 1, 0-based as in the formula); ``Y11`` ... (``Y11_2`` = channel
2) and ``output``; ``dL/dX11`` ... and ``dL/dX``.
"""

from __future__ import annotations

from fractions import Fraction

from calc.errors import SpecError, Where
from calc.solve.cnn.given import _ctx, _options, read_map, read_output_grad, run
from calc.solve.cnn.shared_steps import element_name, output_grid, shape_text
from calc.solve.cnn.sums import ij, suffix
from calc.solve.given import at
from calc.solve.grid import Matrix, grid, rows_of
from calc.solve.registry import SolveOptions, problem_type
from calc.solve.step import Solution, Step, Table
from calc.solve.text import Writer, join_sum

KEYS = ("input", "input_layout", "scale", "size", "mode", "align_corners", "grad_output")
MAX_CELLS = 400  # outputs written one by one; a bigger map is a counting question, not a hand exercise


def upsample_layer(given, where: Where, in_shape):
    """The real calc.layers.upsample.Upsample, built from the given options."""
    from calc.layers.upsample import Upsample
    from calc.spec.options import Options

    layer = Upsample.from_options(Options(_options(given, ("scale", "size", "mode", "align_corners"), {}),
                                          where, "upsample"))
    layer.where = at(given, where, "scale" if "scale" in given else "size")
    layer.build(tuple(in_shape))
    ho, wo, c = layer.out_shape
    if ho * wo * c > MAX_CELLS:
        raise SpecError(f"the output has {ho * wo * c:,} cells; a worked solution writes at most {MAX_CELLS} "
                        "(use `nncalc summary` to count a larger upsampling)", layer.where)
    return layer


def conventions(layer) -> list[str]:
    lines = ["coordinates in the formulas are 0-based (torch): input row a is X(a+1) in the 1-based names "
             "X11, X12, ... and Y11, ... of the grids; each channel is upsampled on its own; no parameters"]
    ratio = ("r = 1/scale per axis (torch with a scale factor)" if layer.scale
             else "r = input size / output size per axis")
    if layer.mode == "nearest":
        lines.append(f"nearest: output i copies input floor(i r), {ratio} (torch's 'nearest')")
    elif layer.align_corners:
        lines.append("bilinear, align_corners true: src = i (n - 1)/(o - 1), corners on corners "
                     "(n input, o output size; src = 0 when o = 1)")
    else:
        lines.append(f"bilinear, align_corners false (torch's and Keras' default, half-pixel centres): "
                     f"src = (i + 0.5) r - 0.5, {ratio}, negative src taken as 0")
    if layer.mode == "bilinear":
        lines.append("a = floor(src), b = a + 1 (the last row/column when a is already the last), "
                     "weights 1 - (src - a) on a and src - a on b; rows and columns separately, "
                     "so each output mixes 4 inputs with weight products (row weight x column weight, "
                     "summing to 1)")
    return lines


def size_steps(sol: Solution, layer) -> None:
    (h, w, _), (ho, wo, _) = layer.in_shape, layer.out_shape
    for axis, n, o, k in (("height", h, ho, 0), ("width", w, wo, 1)):
        if layer.scale:
            step = Step(f"output {axis}", "o = n * scale", f"{n} * {layer.scale[k]}", o)
        else:
            step = Step(f"output {axis}", "o = the given size", "", o)
        step.name, step.section = f"output_{axis}", "Output size"
        sol.add(step)


def _scale(layer, k):
    return layer.scale[k] if layer.scale else None


def source_tables(sol: Solution, layer, writer: Writer) -> dict:
    """One table per axis: output index -> source coordinate, neighbours and weights."""
    from calc.layers.upsample import bilinear_sources, nearest_sources

    (h, w, _), (ho, wo, _) = layer.in_shape, layer.out_shape
    out = {}
    for axis, n, o, k in (("row", h, ho, 0), ("col", w, wo, 1)):
        title = f"Source {'rows' if axis == 'row' else 'columns'}"
        if layer.mode == "nearest":
            rows, answers = [], {}
            srcs = nearest_sources(n, o, _scale(layer, k))
            r = Fraction(1, layer.scale[k]) if layer.scale else Fraction(n, o)
            for i, j in enumerate(srcs):
                rows.append([i, f"floor({i} * {writer.num(r)})", j, f"{'row' if axis == 'row' else 'column'} {j + 1}"])
                answers[f"{axis}_source{i + 1}"] = j
            sol.add(Table(title, ["output i", "floor(i r)", "source", "1-based"], rows, "Source coordinates",
                          answers=answers))
            out[axis] = [(j, j, Fraction(1), Fraction(0)) for j in srcs]
            continue
        srcs = bilinear_sources(n, o, _scale(layer, k), layer.align_corners)
        rows, answers = [], {}
        for i, (src, a, b, w0, w1) in enumerate(srcs):
            rows.append([i, source_formula(layer, i, n, o, k, writer), src, a, b, w0, w1])
            answers[f"{axis}_source{i + 1}"] = src
        sol.add(Table(title, ["output i", "src", "value", "a", "b", "weight on a", "weight on b"], rows,
                      "Source coordinates", answers=answers))
        out[axis] = [(a, b, w0, w1) for _, a, b, w0, w1 in srcs]
    return out


def source_formula(layer, i: int, n: int, o: int, k: int, writer: Writer) -> str:
    if layer.align_corners:
        return f"{i} * {n - 1}/{o - 1}" if o > 1 else "0"
    r = Fraction(1, layer.scale[k]) if layer.scale else Fraction(n, o)
    raw = (i + Fraction(1, 2)) * r - Fraction(1, 2)
    text = f"({i} + 0.5) * {writer.num(r)} - 0.5"
    return text + (f" = {writer.num(raw)} -> 0" if raw < 0 else "")


def element_steps(sol: Solution, layer, writer: Writer, x, y, weights: dict) -> None:
    ho, wo, c = layer.out_shape
    many = c > 1
    for ch in range(c):
        for i in range(ho):
            for j in range(wo):
                name = element_name("Y", i, j, ch, many)
                ra, rb, rw0, rw1 = weights["row"][i]
                ca, cb, cw0, cw1 = weights["col"][j]
                if layer.mode == "nearest":
                    cell = f"X{ij(ra + 1, ca + 1)}{suffix(ch + 1, many)}"
                    sol.add(Step(name, f"{name} = {cell}", writer.num(x[ra, ca, ch]), y[i, j, ch], name=name,
                                 section="Output elements"))
                    continue
                terms = [(rw, cw, r, q) for rw, r in ((rw0, ra), (rw1, rb)) for cw, q in ((cw0, ca), (cw1, cb))]
                symbols = join_sum([f"{writer.num(rw * cw)}*X{ij(r + 1, q + 1)}{suffix(ch + 1, many)}"
                                    for rw, cw, r, q in terms], elide=False)
                numbers = join_sum([f"{writer.num(rw)}*{writer.num(cw)}*{writer.factor(x[r, q, ch])}"
                                    for rw, cw, r, q in terms], elide=False)
                note = "at the edge a and b are the same input" if ra == rb or ca == cb else ""
                sol.add(Step(name, f"{name} = {symbols}", numbers, y[i, j, ch], name=name, note=note,
                             section="Output elements"))


def backward_steps(sol: Solution, layer, ctx, writer: Writer, dy) -> None:
    """dL/dX(a,b) = sum over outputs of (row weight on a)(column weight on b) dL/dY."""
    many = layer.in_shape[2] > 1
    dx = layer.backward(dy[None], ctx)[0]
    a_h, a_w = layer.matrices(ctx)
    section = "Backward: dL/dX"
    mats = [Matrix("dL/dY" if not many else f"dL/dY[:, :, {c + 1}]", rows_of(dy[:, :, c])) for c in range(dy.shape[2])]
    sol.add(grid("Given gradient dL/dY", mats, section=section))
    h, w, c = layer.in_shape
    ho, wo, _ = layer.out_shape
    for ch in range(c):
        for r in range(h):
            for q in range(w):
                name = f"dL/dX{ij(r + 1, q + 1)}{suffix(ch + 1, many)}"
                terms = [(a_h[i, r] * a_w[j, q], i, j) for i in range(ho) for j in range(wo)
                         if a_h[i, r] != 0 and a_w[j, q] != 0]
                symbols = join_sum([(f"{writer.num(wt)}*" if wt != 1 else "") + f"dY{ij(i + 1, j + 1)}"
                                    + suffix(ch + 1, many) for wt, i, j in terms]) or "0"
                numbers = join_sum([(f"{writer.num(wt)}*" if wt != 1 else "") + writer.factor(dy[i, j, ch])
                                    for wt, i, j in terms]) or "0"
                sol.add(Step(name, f"{name} = {symbols}", numbers, dx[r, q, ch], name=name, section=section))
    output_grid(sol, dx, "dL/dX", "dL/dX", "dL/dX", section)


@problem_type("upsample")
def solve_upsample_problem(given, where: Where, options: SolveOptions) -> Solution:
    from calc.solve.given import check_keys
    from calc.solve.loss import _number_convention

    check_keys(given, where, KEYS)
    x = read_map(given, where)
    layer = upsample_layer(given, where, x.shape)
    ctx = _ctx()
    layer.init_params(ctx)
    y = run(layer, ctx, x)
    writer = Writer(options.decimals, options.hand_rounding)
    sol = Solution(f"{layer.mode.capitalize()} upsampling", [_number_convention(options.decimals, False)]
                   + conventions(layer))
    size_steps(sol, layer)
    channels = [Matrix("X" if x.shape[2] == 1 else f"X[:, :, {c + 1}]", rows_of(x[:, :, c])) for c in range(x.shape[2])]
    sol.add(grid("Input", channels, section="Input"))
    weights = source_tables(sol, layer, writer)
    element_steps(sol, layer, writer, x, y, weights)
    output_grid(sol, y, "Upsampled output Y", "output", "Y", "Output")
    sol.summary = f"upsampled output {shape_text(y.shape)}"
    if "grad_output" in given:
        dy = read_output_grad(given, where, "grad_output", y.shape, f"this {shape_text(x.shape)} input's upsampling")
        backward_steps(sol, layer, ctx, writer, dy)
    return sol
