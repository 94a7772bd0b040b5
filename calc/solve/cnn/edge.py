"""Edge detection worked out: an image convolved with edge kernels, the raw values, and what an
8-bit display would show.

    type: edge
    given:
      image: [[10, 10, 10, 0, 0, 0], ...]      # one channel (a matrix)
      kernels:                                  # name -> kernel, or the course's named kernels
        vertical: [[1, 0, -1], [1, 0, -1], [1, 0, -1]]
        horizontal: standard                    # 'standard' = the course's kernel of that name
      padding: 0                                # stride, dilation as the conv layer

The raw outputs are calc.layers.conv.Conv's (exact). An image viewer shows 0..255, so negative
edges (dark-to-bright the other way) appear black and large responses saturate at 255: the
display map is given next to the raw one, and every clipped value is listed, never shown
clipped silently. Answer names (k = the kernel's name): ``output_k`` (raw), ``display_k``
(clipped to 0..255), ``k.O11`` ... (raw elements).
"""

from __future__ import annotations

from calc.errors import SpecError, Where
from calc.solve.cnn.given import conv_layer, read_kernel, read_map, run
from calc.solve.cnn.shared_steps import forward_steps, output_grid, padded_grid, shape_text, size_steps
from calc.solve.given import at, raw
from calc.solve.grid import Matrix, grid, rows_of
from calc.solve.registry import SolveOptions, problem_type
from calc.solve.step import Solution
from calc.solve.text import Writer

KEYS = ("image", "kernels", "padding", "stride", "dilation", "display", "windows")
STANDARD = {  # the course's kernels (the handwritten solution sheet): a column of +1, 0, -1 finds vertical edges
    "vertical": [[1, 0, -1], [1, 0, -1], [1, 0, -1]],
    "horizontal": [[1, 1, 1], [0, 0, 0], [-1, -1, -1]],
}
LOW, HIGH = 0, 255


@problem_type("edge")
def solve_edge_problem(given, where: Where, options: SolveOptions) -> Solution:
    from calc.solve.given import check_keys
    from calc.solve.loss import _number_convention

    check_keys(given, where, KEYS)
    x = read_map(given, where, "image")
    if x.shape[2] != 1:
        raise SpecError("expected a grey-scale image: one matrix of pixel values", at(given, where, "image"))
    kernels = _kernels(given, where)
    writer = Writer(options.decimals, options.hand_rounding)
    sol = Solution("Edge detection", [
        _number_convention(options.decimals, False),
        "convolution as in deep learning = cross-correlation (the kernel is not flipped); no bias",
        "a kernel with +1 on one side and -1 on the other answers with large values where the image changes "
        "across it, 0 on flat regions; the sign says which side is brighter",
        f"display: a viewer shows 8-bit grey levels {LOW}..{HIGH}; values below {LOW} appear as {LOW}, above {HIGH} "
        f"as {HIGH}: the raw values are the answer, the clipped map is only what the screen shows",
    ])
    first = True
    for name, (spec_map, place) in kernels.items():
        kernel = read_kernel(spec_map, place, 1, key=name)
        layer, ctx = conv_layer(given, where, kernel, x.shape)
        y = run(layer, ctx, x)
        if first:
            size_steps(sol, layer, rounding=options.learner.size_rounding)
            padded_grid(sol, layer, layer.xpad[0], "Image", "Image")
            first = False
        section = f"Kernel '{name}'"
        sol.add(grid(f"Kernel '{name}'", [Matrix("F", rows_of(layer.params["weight"][0, 0]))], section=section))
        forward_steps(sol, layer, writer, y, raw(given, where, "windows", "none"), section=section, prefix=f"{name}.")
        output_grid(sol, y, f"Raw output ({name})", f"output_{name}", "O", section)
        display_steps(sol, y, name, section, writer)
    sol.summary = f"output {shape_text(y.shape)} per kernel; raw values and the 0..255 display shown"
    return sol


def _kernels(given, where: Where) -> dict:
    """name -> (a mapping holding the kernel under that name, its place)."""
    from calc.spec.yamlio import LocMap

    value = raw(given, where, "kernels")
    place = at(given, where, "kernels")
    if not isinstance(value, dict) or not value:
        raise SpecError("expected kernels by name, e.g. {vertical: [[1, 0, -1], [1, 0, -1], [1, 0, -1]]} "
                        f"or {{vertical: standard}} ({', '.join(STANDARD)})", place)
    out = {}
    for name, kernel in value.items():
        if kernel == "standard":
            if name not in STANDARD:
                raise SpecError(f"no standard kernel named '{name}'; standard: {', '.join(STANDARD)}",
                                at(value, place, name))
            holder = LocMap({name: STANDARD[name]})
            holder.line, holder.lines = place.line, {name: at(value, place, name).line}
            out[str(name)] = (holder, place)
        else:
            out[str(name)] = (value, place)
    return out


def display_steps(sol: Solution, y, name: str, section: str, writer) -> None:
    """The 8-bit view of the raw map, with every clipped value named."""
    raw_rows = rows_of(y[:, :, 0])
    shown = [[min(max(v, LOW), HIGH) for v in row] for row in raw_rows]
    clipped = [(r, c, v) for r, row in enumerate(raw_rows) for c, v in enumerate(row) if v < LOW or v > HIGH]
    note = "no value outside 0..255: the display shows the raw values" if not clipped else (
        "clipped for display: " + ", ".join(f"O{r + 1}{c + 1} = {writer.num(v)} shown as "
                                            f"{LOW if v < LOW else HIGH}" for r, c, v in clipped[:12])
        + (f" and {len(clipped) - 12} more" if len(clipped) > 12 else ""))
    sol.add(grid(f"What a 0..255 display shows ({name})", [Matrix("raw O", raw_rows), Matrix("shown", shown,
                 name=f"display_{name}")], section=section, note=note, between=["->"]))
    if clipped:
        sol.findings.append(f"kernel '{name}': {len(clipped)} raw value(s) outside 0..255; a picture of the output "
                            f"shows them clipped (the raw values are the convolution's answer)")
