"""Per-sample tensor shapes as the user sees them: (H, W, C) for maps, (F,) for vectors."""

from __future__ import annotations

Shape = tuple[int, ...]


def fmt_shape(shape: Shape | None) -> str:
    """'55 x 55 x 96' (H x W x C) or '4096'."""
    if shape is None:
        return "?"
    return " x ".join(str(n) for n in shape)


def compact_shape(shape: Shape | None) -> str:
    """'55x55x96' for narrow tables."""
    return "x".join(str(n) for n in shape) if shape else "?"


def is_map(shape: Shape) -> bool:
    return len(shape) == 3
