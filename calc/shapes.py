"""Per-sample tensor shapes as the user sees them: (H, W, C) for maps, (L, F) for sequences (length,
features per position) and (F,) for vectors (or L token ids before an embedding)."""

from __future__ import annotations

Shape = tuple[int, ...]


def fmt_shape(shape: Shape | None) -> str:
    """'55 x 55 x 96' (H x W x C) or '4096'."""
    if shape is None:
        return "?"
    return " x ".join(_dim(n) for n in shape)


def compact_shape(shape: Shape | None) -> str:
    """'55x55x96' for narrow tables."""
    return "x".join(_dim(n) for n in shape) if shape else "?"


def _dim(n) -> str:
    """A size as digits; an absurd one (a spec with 10^400 units) as 1.00e+400."""
    if isinstance(n, int) and abs(n) >= 10 ** 15:
        from calc.numfmt import sci

        return sci(n, 2)
    return str(n)


def is_map(shape: Shape) -> bool:
    return len(shape) == 3


def is_sequence(shape: Shape) -> bool:
    """(L, F): a sequence of L positions with F features each."""
    return len(shape) == 2
