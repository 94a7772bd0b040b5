"""Matrices in worked solutions: a ``Grid`` step shows one or more matrices side by side.

Convolution and pooling are explained on the matrices themselves: the zero-padded input with the
current window marked, the kernel, the output. A ``Grid`` is a ``Table`` (so solutions, answer
templates and older renderers keep working) whose ``matrices`` the renderers print as aligned
grids (calc.render.grid). Values stay exact (Fractions); a cell may also be text ('', '...').

Maps are H x W x C; a matrix is one channel of one map, rows top to bottom, 1-based in names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from calc.solve.step import Table


@dataclass
class Matrix:
    label: str  # shown above the grid: "X (padded)", "F", "O = X * F"
    values: list[list[Any]]  # rows of numbers (exact) or short text
    marks: frozenset = frozenset()  # (row, col) cells to highlight, 0-based: the current window
    name: str = ""  # answer name when the whole matrix is an answer ("output", "dL/dF")


@dataclass
class Grid(Table):
    """Matrices shown side by side, e.g. ``X (padded)``, ``F`` and ``O`` for one output element.

    ``columns``/``rows`` hold a plain copy (the first matrix) for renderers that know only tables.
    """

    matrices: list[Matrix] = field(default_factory=list)
    between: list[str] = field(default_factory=list)  # text between neighbouring matrices: "*", "="


def grid(title: str, matrices: list[Matrix], section: str = "", note: str = "",
         between: list[str] | None = None) -> Grid:
    """A Grid whose named matrices are answers (name -> nested list of exact values)."""
    first = matrices[0].values if matrices else []
    width = len(first[0]) if first else 0
    answers = {m.name: m.values for m in matrices if m.name}
    return Grid(title, [str(j + 1) for j in range(width)], [list(r) for r in first], section, note, answers,
                list(matrices), list(between or []))


def rows_of(array2d) -> list[list[Any]]:
    """A 2-D backend array (NumPy object array of Fractions) as nested lists."""
    return [list(r) for r in array2d.tolist()]


def channel_slices(hwc) -> list[list[list[Any]]]:
    """An H x W x C array as C matrices (the course's x[:, :, c] slices)."""
    return [rows_of(hwc[:, :, c]) for c in range(hwc.shape[2])]


def map_answer(hwc):
    """The answer value of a map: one matrix for one channel, else channel by channel [C][H][W]."""
    slices = channel_slices(hwc)
    return slices[0] if len(slices) == 1 else slices
