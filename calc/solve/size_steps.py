"""Worked solutions for size questions: conv / pool / transposed output sizes and padding.

The arithmetic is calc.counting.size_formulas; this module only lays it out as steps with the numbers substituted
and says what a remainder means (which rows/columns are never used).
"""

from __future__ import annotations

from fractions import Fraction

from calc.counting import size_formulas
from calc.solve.step import Solution, Step

CONV_FORMULA = "o = floor((i + 2p - d(k-1) - 1) / s) + 1"
CONV_LATEX = r"o = \left\lfloor \frac{i + 2p - d(k-1) - 1}{s} \right\rfloor + 1"
CEIL_LATEX = r"o = \left\lceil \frac{i + 2p - d(k-1) - 1}{s} \right\rceil + 1"
AXES = ("height", "width")


def with_rounding(a: size_formulas.AxisSize, rounding: str | None) -> size_formulas.AxisSize:
    """The same window rounded up ('ceil') or down ('floor'): nncalc check's floor/ceil slip
    (SolveOptions.learner.size_rounding); ``None`` keeps the layer's own."""
    if rounding is None or (rounding == "ceil") == a.ceil_mode:
        return a
    return size_formulas.window_output(a.input, a.kernel, a.stride, a.pad_before, a.pad_after, a.dilation, rounding == "ceil")


def _pad_text(a: size_formulas.AxisSize) -> tuple[str, str]:
    """('2p', '2*1') for symmetric padding, ('p_b + p_a', '1 + 2') otherwise."""
    if a.pad_before == a.pad_after:
        return "2p", f"2*{a.pad_before}"
    return "p_before + p_after", f"{a.pad_before} + {a.pad_after}"


def _count(n: int, noun: str) -> str:
    """'1 row', '2 rows', '2 rows or columns'."""
    if n == 1:
        return f"1 {noun}"
    return f"{n} " + " or ".join(word + "s" for word in noun.split(" or "))


def _g(q: Fraction) -> str:
    """'3.5' (as %g writes it), or scientific notation past float64 (a 400-digit size)."""
    try:
        return f"{float(q):g}"
    except OverflowError:
        from calc.numfmt import sci

        return sci(q, 5)


def window_steps(sol: Solution, a: size_formulas.AxisSize, axis: str, what: str) -> None:
    """Steps for one axis of a conv or pooling window."""
    pad_sym, pad_num = _pad_text(a)
    rounding = "ceil" if a.ceil_mode else "floor"
    formula = CONV_FORMULA.replace("2p", pad_sym).replace("floor", rounding)
    sub = f"{rounding}(({a.input} + {pad_num} - {a.dilation}*({a.kernel}-1) - 1) / {a.stride}) + 1"
    frac = Fraction(a.span, a.stride)
    shown = f"{rounding}({a.span}/{a.stride}) + 1" + ("" if frac.denominator == 1 else f" = {rounding}({_g(frac)}) + 1")
    label = f"{what} output {axis}" if axis else f"{what} output size"
    sol.add(Step(label, formula, f"{sub} = {shown}", a.output, name=f"output_{axis}" if axis else "output",
                 latex=(CEIL_LATEX if a.ceil_mode else CONV_LATEX).replace("2p", pad_sym.replace("_", r"\_")),
                 section=axis))
    where = "" if not axis else ""  # the axis is named by the noun (row / column)
    if not a.ceil_mode and a.uncovered:
        lines = "row" if axis == "height" else "column" if axis == "width" else "row or column"
        gap = a.stride - a.effective_kernel
        text = (f"{a.span} is not divisible by the stride {a.stride} (remainder {a.uncovered}): the last "
                f"{_count(a.uncovered, lines)} of the padded {where}input "
                f"{'is' if a.uncovered == 1 else 'are'} never covered by a window")
        if a.uncovered_input:
            text += f"; {a.uncovered_input} of them real input (not padding), which is ignored"
        else:
            text += "; they are all padding, so no input is lost"
        sol.findings.append(text)
        if gap > 0:
            sol.findings.append(f"the kernel ({a.effective_kernel}) is smaller than the stride ({a.stride}): "
                                f"{_count(gap, lines)} between neighbouring windows "
                                f"{'is' if gap == 1 else 'are'} skipped too")
    elif a.ceil_mode and a.ceil_overhang:
        sol.findings.append(f"ceil_mode: the last window reaches {a.ceil_overhang} cell(s) past the padded "
                            f"{where}input; those cells are not part of the input ("
                            + ("max ignores them)" if what == "pooling" else "they count as missing)"))
    if a.ceil_mode and a.ceil_dropped:
        sol.findings.append("ceil_mode: a last window that would start inside the right padding was dropped "
                            "(PyTorch rule), so the output is one smaller than the plain ceil formula")


def _convention_lines(kind: str, padding_mode: str | None) -> list[str]:
    lines = ["output size rule of PyTorch / Dumoulin & Visin: o = floor((i + 2p - d(k-1) - 1)/s) + 1; "
             "padding p is added on both sides"]
    if kind == "pool":
        lines.append("pooling: stride defaults to the kernel size; ceil_mode rounds up but never starts a "
                     "window in the right padding (PyTorch)")
    if padding_mode == "same":
        lines.append("padding 'same' as TensorFlow: o = ceil(i/s); total padding "
                     "max((o-1)s + d(k-1) + 1 - i, 0), the odd pixel at the bottom/right")
    if padding_mode == "valid":
        lines.append("padding 'valid' = no padding")
    return lines


def solve_window(kind: str, inputs, kernels, strides, pads, dilations, ceil_mode=False,
                 padding_mode: str | None = None, rounding: str | None = None) -> Solution:
    """Output size of a conv (``kind='conv'``) or pooling window for 1 or 2 axes.

    Each of inputs, kernels, strides, dilations is a tuple with one value per axis; pads is a
    tuple of (before, after) per axis (resolve 'same' with calc.counting.size_formulas.tf_same_padding first).
    """
    what = "convolution" if kind == "conv" else "pooling"
    sol = Solution(f"{what.capitalize()} output size", _convention_lines(kind, padding_mode))
    square = len(set(zip(inputs, kernels, strides, pads, dilations))) == 1
    axes = [""] if square else list(AXES[: len(inputs)])
    results = []
    for n, axis in enumerate(axes):
        if kind == "pool" and padding_mode is None:
            size_formulas.check_pool_padding(kernels[n], max(pads[n]))
        a = size_formulas.window_output(inputs[n], kernels[n], strides[n], pads[n][0], pads[n][1], dilations[n], ceil_mode)
        a = with_rounding(a, rounding)
        if padding_mode == "same":
            sol.add(Step(f"'same' padding {axis}".strip(), "total = max((ceil(i/s) - 1)s + d(k-1) + 1 - i, 0)",
                         f"{a.pad_before} + {a.pad_after} = {a.pad_before + a.pad_after}",
                         [a.pad_before, a.pad_after], section=axis))
        window_steps(sol, a, axis, what)
        results.append(a.output)
    sol.answers["output"] = results[0] if square else tuple(results)
    sol.summary = f"output {' x '.join(map(str, results if not square else [results[0]] * len(inputs)))}"
    return sol


def solve_transposed(inputs, kernels, strides, pads, dilations, output_paddings) -> Solution:
    sol = Solution("Transposed convolution output size", [
        "o = (i-1)s - 2p + d(k-1) + output_padding + 1 (PyTorch ConvTranspose2d); output_padding < "
        "max(stride, dilation) picks one of the sizes a strided conv maps to the same input size"])
    square = len(set(zip(inputs, kernels, strides, pads, dilations, output_paddings))) == 1
    axes = [""] if square else list(AXES[: len(inputs)])
    results = []
    for n, axis in enumerate(axes):
        t = size_formulas.transposed_output(inputs[n], kernels[n], strides[n], pads[n][0], pads[n][1],
                                    dilations[n], output_paddings[n])
        pad_num = f"2*{t.pad_before}" if t.pad_before == t.pad_after else f"({t.pad_before} + {t.pad_after})"
        sol.add(Step(f"transposed output {axis}".strip(), "o = (i-1)s - 2p + d(k-1) + output_padding + 1",
                     f"({t.input}-1)*{t.stride} - {pad_num} + {t.dilation}*({t.kernel}-1) + {t.output_padding} + 1",
                     t.output, name=f"output_{axis}" if axis else "output",
                     latex=r"o = (i-1)s - 2p + d(k-1) + \text{output\_padding} + 1", section=axis))
        results.append(t.output)
        if t.stride > 1 and t.output_padding == 0:
            sol.findings.append(f"a stride-{t.stride} conv maps sizes {t.output}..{t.output + t.stride - 1} "
                                f"to the same {t.input}; output_padding 1..{max(t.stride, t.dilation) - 1} "
                                "selects the larger ones")
    sol.answers["output"] = results[0] if square else tuple(results)
    sol.summary = f"output {' x '.join(map(str, results if not square else [results[0]] * len(inputs)))}"
    return sol


def solve_padding(i: int, o: int, k: int, s: int = 1, d: int = 1) -> Solution:
    """Which padding keeps/gives output ``o``; non-integer answers are reported as such."""
    p = size_formulas.solve_padding(i, o, k, s, d)
    sol = Solution("Padding for a wanted output size", [
        "solve o = floor((i + 2p - d(k-1) - 1)/s) + 1 for p (PyTorch rule, p on both sides); "
        "an odd total is split with the extra pixel after (bottom/right), as TensorFlow 'SAME'"])
    exact = p.exact
    shown = str(exact.numerator) if exact.denominator == 1 else f"{exact.numerator}/{exact.denominator} = {_g(exact)}"
    usual = p.symmetric is not None and Fraction(p.symmetric) != exact  # the floor absorbs a half (stride > 1)
    if usual:  # the padding people use first, the exact equation below it
        sol.add(Step("padding", "smallest whole p (both sides) with floor((i + 2p - d(k-1) - 1)/s) + 1 = o",
                     f"floor(({i} + 2*{p.symmetric} - {d}*({k}-1) - 1)/{s}) + 1 = {o}", p.symmetric, name="padding"))
    sol.add(Step("exact p" if usual else "padding", "p = ((o-1)s - i + d(k-1) + 1) / 2",
                 f"(({o}-1)*{s} - {i} + {d}*({k}-1) + 1) / 2 = {shown}", exact,
                 name="exact_padding" if usual else "padding", latex=r"p = \frac{(o-1)s - i + d(k-1) + 1}{2}"))
    if not p.possible:
        sol.findings.append(f"no padding works: even with p = 0 the output is larger than {o}; "
                            "a larger stride or kernel (or cropping) is needed")
        sol.summary = "impossible with padding"
        return sol
    if p.total_min < 0 or exact < 0:
        sol.findings.append(f"the formula gives a negative padding; with stride {s}, p = 0 already gives {o}")
    if exact.denominator != 1 and exact >= 0 and not usual:
        sol.findings.append(f"p = {_g(exact)} is not an integer: no symmetric padding gives exactly {o} "
                            + ("with stride 1" if s == 1 else "from the formula"))
    sol.answers["total_padding"] = p.total_min
    sol.add(Step("total padding", "P = p_before + p_after", f"{p.split[0]} + {p.split[1]}", p.total_min,
                 name="total_padding"))
    sol.answers["split"] = p.split
    if p.split[0] != p.split[1]:
        sol.findings.append(f"asymmetric padding works: {p.split[0]} before (top/left) and {p.split[1]} after "
                            "(bottom/right), as TensorFlow 'SAME' pads")
    if p.symmetric is not None:
        sol.answers["symmetric_padding"] = p.symmetric
        if usual:
            sol.findings.append(f"with stride {s}, symmetric p = {p.symmetric} gives {o}: the floor absorbs the "
                                f"difference from the exact p = {_g(exact)}")
    if s > 1 and p.total_max > p.total_min:
        sol.findings.append(f"any total padding from {p.total_min} to {p.total_max} gives {o} with stride {s}")
    sol.summary = (f"p = {p.symmetric}" if p.symmetric is not None and not usual
                   else f"p = {p.symmetric} (the equation gives {_g(exact)}; stride {s}'s floor absorbs the "
                   "difference)" if usual
                   else f"p = {_g(exact)} (not an integer): pad {p.split[0]} + {p.split[1]}"
                   if exact.denominator != 1 else f"p = {exact}")
    return sol
