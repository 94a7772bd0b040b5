"""Steps shared by the convolution and pooling solvers: conventions, the output-size formula,
the padded input and kernel as grids, one step per output element, the output grid.

The size arithmetic is calc.counting.size_formulas (as the layer resolved it, laid out by calc.solve.size_steps); the
values are the layer's; the sums are written by calc.solve.cnn.sums.
"""

from __future__ import annotations

from dataclasses import dataclass

from calc.solve.cnn.sums import Geometry, forward_terms, ij, products, suffix, tex
from calc.solve.grid import Matrix, grid, map_answer, rows_of
from calc.solve.narrate.base import Slot
from calc.solve.step import Solution, Step


@dataclass(frozen=True)
class MapSlot(Slot):
    """Names of map elements as the course writes them: 'A12' (row 1, column 2), 'A12_3' with
    channel 3 when the map has several channels."""

    channels: int = 1

    def _name(self, i) -> str:
        h, w, c = i
        return f"{self.symbol}{ij(h, w)}{suffix(c, self.channels > 1)}"

    def key(self, i) -> str:
        return f"{self.owner}.{self._name(i)}" if self.owner else self._name(i)

    def text(self, i) -> str:
        return self._name(i)

    def tex(self, i) -> str:
        h, w, c = i
        return f"{self.symbol}_{{{ij(h, w)}}}" + (f"^{{({c})}}" if self.channels > 1 else "")


def padding_text(layer) -> str:
    top, bottom, left, right = layer.pad
    if not any(layer.pad):
        return "no padding ('valid')"
    if top == bottom == left == right:
        return f"padding {top}: {top} ring{'s' if top > 1 else ''} of zeros around the input (shown)"
    return f"padding {top} above, {bottom} below, {left} left, {right} right (shown)"


def conv_conventions(layer, flip: bool, x_channels: int, layouts: tuple[str, str] = ("chw", "oihw")) -> list[str]:
    """What the arithmetic of a conv layer depends on, stated before any number."""
    lines = []
    if flip:
        lines.append("true convolution: the kernel is rotated 180 degrees (F'[u,v] = F[kh+1-u, kw+1-v]) and then "
                     "slid over the input as below; PyTorch and TensorFlow 'convolution' does not flip")
    else:
        lines.append("convolution as in deep learning = cross-correlation, the kernel is NOT flipped: "
                     "O[i,j] = sum_u,v X[(i-1)s + u, (j-1)s + v] F[u,v] + b over the padded input "
                     "(flip: true / --flip for true convolution)")
    stride = layer.stride[0] if layer.stride[0] == layer.stride[1] else "x".join(map(str, layer.stride))
    text = f"{padding_text(layer)}; stride {stride}"
    if layer.dilation != (1, 1):
        text += f"; dilation {layer.dilation[0]}: kernel taps {layer.dilation[0]} cells apart"
    lines.append(text)
    if x_channels > 1:
        lines.append(f"each output value sums over all {x_channels} input channels (one kh x kw slice of the "
                     "filter per channel) plus the filter's bias")
    lines.append("bias: one per filter, added at every output position of that filter" if layer.use_bias
                 else "no bias")
    if layouts[0] == "hwc":
        lines.append("input written as [rows][columns][channels] (TensorFlow NHWC); shown channel by channel")
    if layouts[1] == "hwio":
        lines.append("kernel written as TensorFlow's [kh][kw][channels][filters] (HWIO); shown per filter and "
                     "channel")
    lines.append("names: X23 = input row 2, column 3 (1-based); F = filter, O = output; '_k' = filter or channel k; "
                 "matrix answers of several channels are listed channel by channel")
    return lines


def size_steps(sol: Solution, layer, what: str = "convolution", rounding: str | None = None) -> None:
    """The output-size formula with the numbers (calc.solve.size_steps), named output_size or
    output_height / output_width; ``rounding``: SolveOptions.learner.size_rounding (nncalc check)."""
    from calc.solve.size_steps import window_steps, with_rounding

    tmp = Solution("")
    axes = layer.size_axes()
    for axis, size in axes:
        window_steps(tmp, with_rounding(size, rounding), axis, what)
    for step in tmp.steps:
        if step.name == "output":
            step.name = "output_size"
            step.label = f"{what} output size"
        step.section = "Output size"
        sol.add(step)
    sol.findings += tmp.findings


def channel_label(symbol: str, c: int, many: bool) -> str:
    return f"{symbol}[:, :, {c + 1}]" if many else symbol


def padded_grid(sol: Solution, layer, xpad, title: str, section: str, symbol: str = "X") -> None:
    """The input (zero-padded when the layer pads), one matrix per channel."""
    c = xpad.shape[2]
    label = " (padded)" if any(layer.pad) else ""
    mats = [Matrix(channel_label(symbol, k, c > 1) + label, shown_rows(xpad[:, :, k])) for k in range(c)]
    sol.add(grid(title, mats, section=section))


def shown_rows(array2d) -> list[list]:
    """Rows for display; -inf (max-pool padding) as text."""
    return [[v if v != float("-inf") else "-inf" for v in row] for row in rows_of(array2d)]


def kernel_grids(sol: Solution, weight, section: str, symbol: str = "F", title: str = "Kernel") -> None:
    """Each filter's kh x kw slices (weight in PyTorch order (Cout, Cin/g, kh, kw))."""
    cout, cg = weight.shape[:2]
    for o in range(cout):
        mats = [Matrix(f"{symbol}{o + 1 if cout > 1 else ''}" + (f"[:, :, {k + 1}]" if cg > 1 else ""),
                       rows_of(weight[o, k])) for k in range(cg)]
        sol.add(grid(title + (f" {o + 1}" if cout > 1 else ""), mats, section=section))


def element_name(symbol: str, oh: int, ow: int, o: int, many: bool) -> str:
    return f"{symbol}{ij(oh + 1, ow + 1)}{suffix(o + 1, many)}"


def forward_steps(sol: Solution, layer, writer, y, windows: str = "first", kernel_index=None,
                  section: str = "Output elements", prefix: str = "") -> None:
    """One step per output element, its sum of products written out (and the window grid)."""
    geo = Geometry(layer)
    xpad, weight = layer.xpad[0], layer.params["weight"]
    bias = layer.params.get("bias")
    many = geo.cout > 1
    shown = 0
    for o in range(geo.cout):
        for oh in range(geo.ho):
            for ow in range(geo.wo):
                name = prefix + element_name("O", oh, ow, o, many)
                terms = forward_terms(geo, xpad, weight, oh, ow, o, kernel_index)
                sums = products(terms, writer)
                numbers = products(terms, writer, sep=r" \cdot ")
                symbols = products(terms, writer, symbols=True) if len(terms) <= 9 else "sum of window x filter"
                if bias is not None:
                    b = f"b{o + 1}" if many else "b"
                    sums, numbers, symbols = (f"{sums} + {writer.factor(bias[o])}",
                                              f"{numbers} + {writer.factor(bias[o])}", f"{symbols} + {b}")
                head = f"O_{{{ij(oh + 1, ow + 1)}}}" + (f"^{{({o + 1})}}" if many else "")
                sol.add(Step(name, f"{name} = {symbols}", sums, y[oh, ow, o], name=name,
                             latex=head + (f" = {tex(symbols)}" if len(terms) <= 9 else ""),
                             latex_substituted=numbers, note=geo.window_text(oh, ow), section=section))
                if windows == "all" or (windows == "first" and shown == 0):
                    window_grid(sol, layer, geo, oh, ow, o, y, name, section)
                    shown += 1


def window_grid(sol: Solution, layer, geo: Geometry, oh: int, ow: int, o: int, y, name: str, section: str) -> None:
    marks = geo.window_cells(oh, ow)
    xpad, weight = layer.xpad[0], layer.params["weight"]
    channels = geo.channels_of(o)
    mats = [Matrix(channel_label("X", c, geo.c > 1), shown_rows(xpad[:, :, c]), marks) for c in channels]
    mats += [Matrix(channel_label(f"F{o + 1}" if geo.cout > 1 else "F", k, len(channels) > 1), rows_of(weight[o, k]))
             for k in range(len(channels))]
    mats.append(Matrix(name, [[y[oh, ow, o]]]))
    between = [""] * (len(channels) - 1) + ["*"] + [""] * (len(channels) - 1) + ["="]
    sol.add(grid(f"{name}: the window (in brackets) times the kernel", mats, section=section,
                 note=geo.window_text(oh, ow), between=between))


def output_grid(sol: Solution, y, title: str, name: str, symbol: str, section: str) -> None:
    """The output map as matrices; the answer ``name`` is the whole map (channel by channel)."""
    c = y.shape[2]
    mats = [Matrix(channel_label(symbol, k, c > 1), rows_of(y[:, :, k]), name=f"{name}_{k + 1}" if c > 1 else name)
            for k in range(c)]
    step = grid(title, mats, section=section)
    step.answers[name] = map_answer(y)
    sol.add(step)


def shape_text(shape) -> str:
    h, w, c = shape
    return f"{h} x {w}" + (f" x {c}" if c > 1 else "")
