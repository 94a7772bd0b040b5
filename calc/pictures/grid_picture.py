"""A sliding window drawn as the conv_arithmetic figures draw it: the input with its padding, the
window at one position (its dilated taps filled, the first position dashed so the stride shows),
and the output cell it makes.

``window_plan`` is the geometry alone (testable without matplotlib); ``draw_window`` paints it with
matplotlib (the optional extra ``nncalc[plot]``, imported only here). A transposed convolution is
drawn as the direct convolution it equals: s - 1 zeros between the input's cells, d(k-1) - p
cells of padding around them (output padding at the end), a stride-1 window.
"""

from __future__ import annotations

from dataclasses import dataclass

from calc.counting.size_formulas import transposed_output, window_output
from calc.errors import InputError
from calc.pictures.plotting import save

CELL = 40  # pixels per cell at DPI (tests probe the cells' centres)
DPI = 100
COLOURS = {"input": "#ffffff", "pad": "#c8c8c8", "zero": "#eeeeee", "tap": "#4c72b0", "out": "#ffffff",
           "made": "#55a868"}


@dataclass
class WindowPlan:
    kind: str  # conv | pool | transposed
    cells: list[list[str]]  # the grid the window slides on: input | pad | zero (transposed)
    out: tuple[int, int]  # output rows, cols
    at: tuple[int, int]  # the output cell drawn
    taps: list[tuple[int, int]]  # grid cells the window reads at ``at``
    step: tuple[int, int]  # the window's stride on the drawn grid
    span: tuple[int, int]  # the dilated window's extent

    def box(self, r: int, c: int) -> tuple[int, int, int, int]:
        """(top, left, height, width) of the window making output (r, c)."""
        return r * self.step[0], c * self.step[1], self.span[0], self.span[1]


def window_plan(kind: str, size, kernel, stride, padding, dilation, output_padding=(0, 0),
                at: tuple[int, int] | None = None, ceil_mode: bool = False) -> WindowPlan:
    """Geometry of one window position; every argument is an (H, W) pair of ints."""
    rows, cols, outs, steps = [], [], [], []
    for axis in range(2):
        i, k, s, p, d = size[axis], kernel[axis], stride[axis], padding[axis], dilation[axis]
        if kind == "transposed":
            o = transposed_output(i, k, s, p, p, d, output_padding[axis]).output
            edge = d * (k - 1) - p
            if edge < 0:
                raise InputError(f"--plot: padding {p} is more than d(k-1) = {d * (k - 1)}; this picture "
                                 "cannot show the cropped border")
            line = ["pad"] * edge + [x for j in range(i) for x in (["input"] + ["zero"] * (s - 1 if j < i - 1 else 0))]
            line += ["pad"] * (edge + output_padding[axis])
            steps.append(1)
        else:
            o = window_output(i, k, s, p, p, d, ceil_mode).output
            line = ["pad"] * p + ["input"] * i + ["pad"] * p
            steps.append(s)
        (rows if axis == 0 else cols).extend(line)
        outs.append(o)
    cells = [[("input" if r == c == "input" else "pad" if "pad" in (r, c) else "zero")
              for c in cols] for r in rows]
    at = at if at is not None else (min(1, outs[0] - 1), min(1, outs[1] - 1))
    if not (0 <= at[0] < outs[0] and 0 <= at[1] < outs[1]):
        raise InputError(f"--at {at[0]},{at[1]}: the output has rows 0..{outs[0] - 1} and columns 0..{outs[1] - 1}")
    taps = [(at[0] * steps[0] + a * dilation[0], at[1] * steps[1] + b * dilation[1])
            for a in range(kernel[0]) for b in range(kernel[1])]
    span = tuple(dilation[x] * (kernel[x] - 1) + 1 for x in range(2))
    return WindowPlan(kind, cells, (outs[0], outs[1]), at, taps, (steps[0], steps[1]), span)


def layout(plan: WindowPlan) -> dict:
    """Where things are, in cells: a margin of 1, the grid, a gap of 2, the output."""
    gh, gw = len(plan.cells), len(plan.cells[0])
    return {"grid": (1, 1), "output": (1, 1 + gw + 2),
            "size": (2 + max(gh, plan.out[0]), 1 + gw + 2 + plan.out[1] + 1)}


def draw_window(plan: WindowPlan, path) -> None:
    """Paint ``plan`` to ``path`` (.png, .svg, .pdf): CELL pixels a cell, the axes filling the figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    where = layout(plan)
    height, width = where["size"]
    fig = plt.figure(figsize=(width * CELL / DPI, height * CELL / DPI), dpi=DPI)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.axis("off")
    top, left = where["grid"]
    taps = set(plan.taps)
    for r, row in enumerate(plan.cells):
        for c, kind in enumerate(row):
            colour = COLOURS["tap"] if (r, c) in taps else COLOURS[kind]
            ax.add_patch(Rectangle((left + c, top + r), 1, 1, facecolor=colour, edgecolor="#555555", linewidth=1))
    for (r, c), style, colour in (((0, 0), "--", "#888888"), (plan.at, "-", COLOURS["tap"])):
        y, x, h, w = plan.box(r, c)
        ax.add_patch(Rectangle((left + x, top + y), w, h, fill=False, edgecolor=colour, linestyle=style, linewidth=3))
    top, left = where["output"]
    for r in range(plan.out[0]):
        for c in range(plan.out[1]):
            colour = COLOURS["made"] if (r, c) == plan.at else COLOURS["out"]
            ax.add_patch(Rectangle((left + c, top + r), 1, 1, facecolor=colour, edgecolor="#555555", linewidth=1))
    save(fig, path, DPI)
