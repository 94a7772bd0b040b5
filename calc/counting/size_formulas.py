"""Output sizes along one spatial axis: convolution, pooling, transposed convolution, padding.

The one place for these formulas (conventions.md, "Sizes"); layers and ``nncalc size`` both call
them. All arithmetic is on Python ints, so any size stays exact. A stride that does not divide
the span evenly is reported (``AxisSize.uncovered``), never rounded away silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from calc.errors import InputError, short


class SizeProblem(InputError):
    """A size question with no valid answer (kernel larger than the padded input, ...)."""


@dataclass(frozen=True)
class AxisSize:
    """One axis of a sliding window: o = floor((i + pb + pa - d(k-1) - 1)/s) + 1 (or ceil)."""

    input: int
    kernel: int
    stride: int
    pad_before: int
    pad_after: int
    dilation: int
    ceil_mode: bool
    output: int
    span: int  # i + pb + pa - d(k-1) - 1: the distance the window can travel
    uncovered: int  # trailing rows/cols of the padded input no window reaches (floor mode)
    uncovered_input: int  # ... of which real input, not padding
    ceil_overhang: int  # ceil mode: cells the last window reaches past the padded input
    ceil_dropped: bool  # ceil mode: a last window that would start in the right padding was dropped

    @property
    def effective_kernel(self) -> int:
        return self.dilation * (self.kernel - 1) + 1


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise SizeProblem(f"{name} must be an integer, got {short(value)}")
        if value < 1:
            raise SizeProblem(f"{name} must be >= 1, got {value}")


def _check_padding(pad_before: int, pad_after: int) -> None:
    for value in (pad_before, pad_after):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise SizeProblem(f"padding must be an integer >= 0, got {short(value)}")


def window_output(i: int, k: int, s: int = 1, pad_before: int = 0, pad_after: int | None = None,
                  d: int = 1, ceil_mode: bool = False) -> AxisSize:
    """Output length of a conv or pooling window sliding over one axis (PyTorch rules)."""
    if pad_after is None:
        pad_after = pad_before
    _check_positive(input=i, kernel=k, stride=s, dilation=d)
    _check_padding(pad_before, pad_after)
    eff = d * (k - 1) + 1
    padded = i + pad_before + pad_after
    span = padded - eff
    # ceil mode rounds a negative span up too: PyTorch pools a window that overhangs by < s cells
    if span < 0 and (not ceil_mode or span <= -s):
        what = f"kernel {k}" if d == 1 else f"dilated kernel {eff} (kernel {k}, dilation {d})"
        hint = f"; ceil_mode lets a window overhang by at most stride - 1 = {s - 1}" if ceil_mode else ""
        raise SizeProblem(f"{what} is larger than the padded input {padded} "
                          f"(input {i} + padding {pad_before}+{pad_after}){hint}")
    uncovered = span % s
    if not ceil_mode:
        out = span // s + 1
        return AxisSize(i, k, s, pad_before, pad_after, d, False, out, span, uncovered,
                        max(0, uncovered - pad_after), 0, False)
    out = -(-span // s) + 1
    dropped = False
    if (out - 1) * s >= i + pad_before:  # PyTorch: the last window must start inside input or left pad
        out -= 1
        dropped = True
    overhang = max(0, (out - 1) * s + eff - padded)
    return AxisSize(i, k, s, pad_before, pad_after, d, True, out, span, 0, 0, overhang, dropped)


def check_pool_padding(kernel: int, pad: int) -> None:
    """PyTorch refuses pooling pads larger than half the kernel (pad <= kernel // 2)."""
    if pad > kernel // 2:
        raise SizeProblem(f"padding {pad} is more than half the kernel size {kernel} "
                          "(PyTorch rule for pooling: pad <= kernel // 2)")


def tf_same_padding(i: int, k: int, s: int = 1, d: int = 1) -> tuple[int, int]:
    """TensorFlow 'SAME': o = ceil(i/s); the odd extra pixel goes after (bottom/right)."""
    _check_positive(input=i, kernel=k, stride=s, dilation=d)
    out = -(-i // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - i, 0)
    return total // 2, total - total // 2


def resolve_padding(spec, size: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
                    dilation: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """(before, after) per axis for padding 'same' (TensorFlow), 'valid' or explicit pairs."""
    if spec == "same":
        return tuple(tf_same_padding(i, k, s, d) for i, k, s, d in zip(size, kernel, stride, dilation))
    if spec == "valid":
        return ((0, 0),) * len(size)
    return tuple(spec)


@dataclass(frozen=True)
class TransposedSize:
    """o = (i-1)s - pb - pa + d(k-1) + output_padding + 1."""

    input: int
    kernel: int
    stride: int
    pad_before: int
    pad_after: int
    dilation: int
    output_padding: int
    output: int


def transposed_output(i: int, k: int, s: int = 1, pad_before: int = 0, pad_after: int | None = None,
                      d: int = 1, output_padding: int = 0) -> TransposedSize:
    """Output length of a transposed convolution (PyTorch ConvTranspose2d)."""
    if pad_after is None:
        pad_after = pad_before
    _check_positive(input=i, kernel=k, stride=s, dilation=d)
    _check_padding(pad_before, pad_after)
    if isinstance(output_padding, bool) or not isinstance(output_padding, int) or output_padding < 0:
        raise SizeProblem(f"output_padding must be an integer >= 0, got {short(output_padding)}")
    if output_padding >= max(s, d):
        raise SizeProblem(f"output_padding {output_padding} must be smaller than the stride ({s}) "
                          f"or the dilation ({d})")
    out = (i - 1) * s - pad_before - pad_after + d * (k - 1) + output_padding + 1
    if out < 1:
        raise SizeProblem(f"padding {pad_before}+{pad_after} crops the whole output "
                          f"(it would be {out})")
    return TransposedSize(i, k, s, pad_before, pad_after, d, output_padding, out)


def transposed_keras_padding(mode: str, i: int, k: int, s: int, d: int = 1) -> tuple[int, int, int]:
    """(pad_before, pad_after, output_padding) giving Keras' Conv2DTranspose 'same' (o = i*s)
    or 'valid' (o = (i-1)s + max(d(k-1)+1, s)) output lengths."""
    eff = d * (k - 1) + 1
    if mode == "same":
        crop = eff - s
        if crop >= 0:
            return crop // 2, crop - crop // 2, 0
        return 0, 0, -crop
    return 0, 0, max(s - eff, 0)


@dataclass(frozen=True)
class PaddingSolution:
    """Which padding makes a window of size k with stride s map i to o."""

    input: int
    output: int
    kernel: int
    stride: int
    dilation: int
    exact: Fraction  # p from the formula p = ((o-1)s - i + d(k-1) + 1) / 2
    total_min: int  # smallest total padding (before + after) that gives o
    total_max: int  # largest total padding that still gives o (stride > 1 leaves slack)
    symmetric: int | None  # smallest symmetric p that gives o, if any
    split: tuple[int, int] | None  # (before, after) for total_min, extra after like TF 'SAME'
    possible: bool


def solve_padding(i: int, o: int, k: int, s: int = 1, d: int = 1) -> PaddingSolution:
    """Solve o = floor((i + P - d(k-1) - 1)/s) + 1 for the total padding P and its split."""
    _check_positive(input=i, output=o, kernel=k, stride=s, dilation=d)
    total_min = (o - 1) * s + d * (k - 1) + 1 - i
    total_max = total_min + s - 1
    exact = Fraction(total_min, 2)
    possible = total_max >= 0
    lo = max(total_min, 0)
    symmetric = next((t // 2 for t in range(lo, total_max + 1) if t % 2 == 0), None) if possible else None
    split = (lo // 2, lo - lo // 2) if possible else None
    return PaddingSolution(i, o, k, s, d, exact, lo if possible else total_min, total_max,
                           symmetric, split, possible)
