"""A 1-D convolution by hand: the output length, the padded sequence, every output as its sum of
products with the numbers, the output sequence.

    type: conv1d
    given:
      input: [1, 2, 3, 4, 5]         # one channel, or one list per channel: [[...], [...]]
      kernel: [1, 0, -1]             # one filter on one channel; [channels][k]; [filters][channels][k]
      bias: 0                        # a number or one per filter (default: no bias)
      stride: 1
      padding: 0                     # an int, [before, after], same or valid
      dilation: 1

Values come from calc.layers.conv1d.Conv1d on the exact backend; the length from
calc.counting.size_formulas (laid out by calc.solve.size_steps). Answer names: ``output_size``,
``y1`` ... (``y1_2``: filter 2), ``output`` (a list, or one list per filter).
"""

from __future__ import annotations

from fractions import Fraction

from calc.errors import SpecError, Where
from calc.solve import given as g
from calc.solve.registry import SolveOptions, problem_type
from calc.solve.step import Solution, Step
from calc.solve.text import Writer, join_sum

KEYS = ("input", "kernel", "bias", "stride", "padding", "dilation")


def _depth(value) -> int:
    return 1 + _depth(value[0]) if isinstance(value, list) and value else 0


def _sequence(given, where):
    """[C][L] channels of exact numbers from a flat list (one channel) or a list of lists."""
    value = g.raw(given, where, "input")
    if _depth(value) == 2:
        return g.matrix(given, where, "input")
    return [g.vector(given, where, "input")]


def _kernel(given, where, channels: int):
    """[filters][channels][k] from the three written forms."""
    value = g.raw(given, where, "kernel")
    place = g.at(given, where, "kernel")
    depth = _depth(value)
    if depth == 1:
        kernels = [[g.vector(given, where, "kernel")]]
    elif depth == 2:
        kernels = [g.matrix(given, where, "kernel")]
    elif depth == 3:
        kernels = [g.matrix({"f": f}, place.child(i), "f") for i, f in enumerate(value)]
    else:
        raise SpecError("expected a list [k], [channels][k] or [filters][channels][k]", place)
    if any(len(f) != channels for f in kernels):
        raise SpecError(f"each filter needs one kernel row per input channel ({channels})", place)
    if len({len(row) for f in kernels for row in f}) != 1:
        raise SpecError("every kernel row needs the same length", place)
    return kernels


def _layer(given, where, kernels, length: int, channels: int):
    from calc.layers.conv1d import Conv1d
    from calc.spec.options import Options

    opts = {"filters": len(kernels), "kernel": len(kernels[0][0]), "bias": "bias" in given}
    for key in ("stride", "padding", "dilation"):
        if key in given:
            opts[key] = g.raw(given, where, key)
    layer = Conv1d.from_options(Options(opts, where, "conv1d"))
    layer.name = "conv1d"
    layer.build((length, channels))
    return layer


@problem_type("conv1d")
def solve_conv1d_problem(given, where: Where, options: SolveOptions) -> Solution:
    from calc.backend import get_backend
    from calc.engine.context import Ctx

    g.check_keys(given, where, KEYS)
    x = _sequence(given, where)
    channels, length = len(x), len(x[0])
    kernels = _kernel(given, where, channels)
    layer = _layer(given, where, kernels, length, channels)
    filters = len(kernels)
    bias = g.vector(given, where, "bias", [Fraction(0)] * filters)
    if len(bias) == 1:
        bias = bias * filters
    if len(bias) != filters:
        raise SpecError(f"expected one bias per filter ({filters})", g.at(given, where, "bias"))
    be = get_backend("exact")
    layer.params = {"weight": be.asarray(kernels)}
    if layer.use_bias:
        layer.params["bias"] = be.asarray(bias)
    layer.grads, layer.buffers = {}, {}
    y = layer.forward(be.asarray([list(zip(*x))]), Ctx(backend=be))[0]  # (Lo, filters)
    writer = Writer(options.decimals, options.hand_rounding)
    before, after = layer.pad[:2]
    sol = Solution("1-D convolution", [
        "cross-correlation (deep learning's convolution): y_l = sum_j x_pad[l*s + j*d] w[j] (+ b), no kernel flip",
        f"zero padding: {before} before, {after} after" + (" (TensorFlow 'same')" if layer.padding_spec == "same" else ""),
    ] + ([f"{channels} input channels: each output sums over every channel's kernel row"] if channels > 1 else []))
    _length_steps(sol, layer, options.learner.size_rounding)
    xpad = [[Fraction(v) for v in layer.xpad[0, :, 0, c]] for c in range(channels)]
    sol.add(Step("padded input", "x_pad" + (" (one row per channel)" if channels > 1 else ""), "",
                 xpad[0] if channels == 1 else xpad, section="Input"))
    _output_steps(sol, layer, xpad, kernels, bias, y, writer)
    outputs = [[Fraction(v) for v in y[:, o]] for o in range(filters)]
    sol.add(Step("output", "y", "; ".join(writer.vec(o) for o in outputs), outputs[0] if filters == 1 else outputs,
                 name="output", section="Output"))
    sol.summary = f"output length {layer.rows.output}: " + "; ".join(writer.vec(o) for o in outputs)
    return sol


def _length_steps(sol: Solution, layer, rounding) -> None:
    """The output length with the numbers (calc.solve.size_steps), named output_size."""
    from calc.solve.size_steps import window_steps, with_rounding

    tmp = Solution("")
    ((axis, size),) = layer.size_axes()
    window_steps(tmp, with_rounding(size, rounding), axis, "convolution")
    for step in tmp.steps:
        if step.name == "output":
            step.name, step.label = "output_size", "output length"
        step.section = "Output length"
        sol.add(step)
    sol.findings += [f.replace("row or column", "position") for f in tmp.findings]


def _output_steps(sol, layer, xpad, kernels, bias, y, writer) -> None:
    s, d = layer.stride[0], layer.dilation[0]
    for o, kernel in enumerate(kernels):
        for pos in range(layer.rows.output):
            terms = [f"{writer.factor(xpad[c][pos * s + j * d])}*{writer.factor(w)}"
                     for c, row in enumerate(kernel) for j, w in enumerate(row)]
            if layer.use_bias:
                terms.append(writer.factor(bias[o]))
            name = f"y{pos + 1}" + (f"_{o + 1}" if len(kernels) > 1 else "")
            start = pos * s
            sol.add(Step(name, f"x_pad[{start + 1}..{start + d * (len(kernel[0]) - 1) + 1}] . w"
                         + (f"{o + 1}" if len(kernels) > 1 else "") + (" + b" if layer.use_bias else ""),
                         join_sum(terms, elide=False), Fraction(y[pos, o]), name=name, section="Each output"))
