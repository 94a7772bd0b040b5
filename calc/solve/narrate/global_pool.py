"""Narrator of global max pooling in worked network solutions.

Each channel's output is the largest of its H x W values; the step names the position chosen,
found by the layer's own kernel (the first maximum in row-major order), so the gradient shown is the one the engine computes: dL/dy of the channel
at that position, 0 at every other.
"""

from __future__ import annotations

from calc.solve.narrate.base import Narration, Narrator, View, at, narrates, positions
from calc.solve.narrate.conv import add_conventions

LISTED = 9  # values of a channel written out in the formula; a bigger map is named, not listed


def chosen(x, nar: Narration) -> dict[int, tuple[int, int]]:
    """channel (1-based) -> 1-based (row, col) of the position its gradient goes to, from the
    layer's own kernel (calc.ops.first_max: the first maximum, row-major)."""
    from calc.ops import first_max

    h, w, c = x.shape
    _, where = first_max(x.reshape(1, h * w, c), nar.backend.xp)
    return {k + 1: (int(where[0, k]) // w + 1, int(where[0, k]) % w + 1) for k in range(c)}


@narrates("global_maxpool")
class GlobalMaxNarrator(Narrator):
    """y_c = max over positions of x[:, :, c]; backward: dL/dy_c at that (first) position."""

    def forward(self, nar: Narration, view: View, x, y) -> None:
        layer, (h, w, _) = view.layer, x.shape
        add_conventions(nar, [f"{layer.name}: global max pooling, each channel's largest value; backward sends "
                              "its gradient to that position (on a tie the first, row-major, as torch)"])
        picks = chosen(x, nar)
        for i in positions(y.shape):
            c = i[2]
            cells = [(r, q, c) for r in range(1, h + 1) for q in range(1, w + 1)]
            if len(cells) <= LISTED:
                symbols = "max(" + ", ".join(view.inp.text(p) for p in cells) + ")"
                numbers = "max(" + ", ".join(nar.writer.num(at(x, p)) for p in cells) + ")"
            else:
                symbols, numbers = f"max over the {h}x{w} positions of channel {c}", ""
            nar.add(view.out.key(i), f"{view.out.text(i)} = {symbols}", numbers, at(y, i),
                    latex=view.out.tex(i), note=f"at {view.inp.text((*picks[c], c))}")

    def backward(self, nar: Narration, view: View, x, y, dy, dx, params) -> None:
        if not view.inp.owner and not nar.extra.get("input_gradient"):
            return
        picks = chosen(x, nar)
        for i in positions(dx.shape):
            out = (1, 1, i[2])
            if picks[i[2]] == i[:2]:
                formula, numbers = f"= {view.out.grad_text(out)}", nar.writer.num(at(dy, out))
            else:
                formula, numbers = f"= 0 (not channel {i[2]}'s first maximum)", ""
            nar.add(view.inp.grad_key(i), f"{view.inp.grad_text(i)} {formula}", numbers, at(dx, i),
                    latex=view.inp.grad_tex(i))
