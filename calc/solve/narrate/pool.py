"""Narrators of pooling and flatten layers in worked network solutions (see narrate/conv.py).

Max pooling shows each window with the element it chose; which one is read from the layer's own
backward pass (calc.solve.cnn.pool.chosen_cells), so the tie rule shown is the engine's. Backward
routes each window's gradient to that element (max) or shares it (average). Flatten states its
order and which map element becomes which vector element (read by flattening the positions
with the layer itself); for other inputs, or big maps, the vector alone.
"""

from __future__ import annotations

from calc.solve.cnn.shared_steps import padding_text
from calc.solve.cnn.sums import Geometry, pool_grad_text, pool_text
from calc.solve.narrate.base import Narration, Narrator, Slot, View, at, narrates, positions
from calc.solve.narrate.conv import _map_grid, add_conventions

FLATTEN_ORDER = {
    "hwc": "flatten order hwc: row by row, the channels of each pixel together (Keras/TensorFlow reshape of an "
           "H x W x C map)",
    "chw": "flatten order chw: channel by channel, each channel row by row (PyTorch's NCHW flatten)",
}


def _ctx(nar: Narration):
    from calc.engine.context import Ctx

    return Ctx(backend=nar.backend)


def _geometry(view: View) -> Geometry:
    return Geometry(view.layer, in_text=lambda r, q, c: view.inp.text((r + 1, q + 1, c + 1)),
                    grad_text=lambda oh, ow, c: view.out.grad_text((oh + 1, ow + 1, c + 1)))


@narrates("maxpool", "avgpool")
class PoolNarrator(Narrator):
    """y = max (or mean) of each window; backward routes (or shares) each window's gradient."""

    def conventions(self, layer) -> list[str]:
        k, s = layer.kernel, layer.stride
        text = (f"{layer.name}: {layer.words.name} {k[0]}x{k[1]}, stride "
                f"{s[0]}, {padding_text(layer).split(':')[0]}")
        return [text, layer.words.backward]

    def forward(self, nar: Narration, view: View, x, y) -> None:
        from calc.solve.cnn.pool import chosen_cells

        layer = view.layer
        add_conventions(nar, self.conventions(layer))
        geo = _geometry(view)
        chosen = chosen_cells(layer, _ctx(nar), x) if layer.pool_reduce == "max" else {}
        xpad = _pad_max(layer, x, nar) if layer.pool_reduce == "max" else None
        for i in positions(y.shape):
            symbols, numbers, note = pool_text(geo, layer, x, xpad, chosen, *(k - 1 for k in i), nar.writer)
            nar.add(view.out.key(i), f"{view.out.text(i)} = {symbols}", numbers, at(y, i), latex=view.out.tex(i),
                    note=note)
        _map_grid(nar, y, f"{layer.name} output", f"{layer.name}.output", "y")

    def backward(self, nar: Narration, view: View, x, y, dy, dx, params) -> None:
        if not view.inp.owner and not nar.extra.get("input_gradient"):
            return
        from calc.solve.cnn.pool import chosen_cells

        layer, geo = view.layer, _geometry(view)
        chosen = chosen_cells(layer, _ctx(nar), x) if layer.pool_reduce == "max" else {}
        for i in positions(dx.shape):
            symbols, numbers = pool_grad_text(geo, layer, chosen, dy, *(k - 1 for k in i), nar.writer)
            nar.add(view.inp.grad_key(i), f"{view.inp.grad_text(i)} = {symbols}", numbers, at(dx, i),
                    latex=view.inp.grad_tex(i))


def _pad_max(layer, x, nar: Narration):
    from calc.ops.windows import pad

    return pad(x[None], layer.pad, float("-inf"), nar.backend.xp)[0]


@narrates("flatten")
class FlattenNarrator(Narrator):
    """Flatten reorders values without changing them: the vector, its order stated, and each
    element's source in the map; backward, one step reshaping the gradient."""

    def slot(self, layer, previous: Slot, level: int):
        return Slot(layer.name, "x", None), False

    def forward(self, nar: Narration, view: View, x, y) -> None:
        layer = view.layer
        add_conventions(nar, [FLATTEN_ORDER[layer.order]])
        nar.add(f"{layer.name}.x", f"x = flatten (order {layer.order})", "", y.reshape(-1),
                latex=r"x = \mathrm{flatten}")
        if x.ndim != 3 or x.size > 64:
            return
        order = self._order(layer, x, nar)
        for n, pos in enumerate(order, start=1):
            nar.add(view.out.key(n), f"{view.out.text(n)} = {view.inp.text(pos)}", "", y[n - 1],
                    latex=view.out.tex(n))

    @staticmethod
    def _order(layer, x, nar: Narration) -> list[tuple[int, int, int]]:
        """1-based (row, col, channel) of each vector element: the layer flattens the positions."""
        import copy

        h, w, c = x.shape
        codes = nar.backend.xp.asarray([[[[r * w * c + q * c + k for k in range(c)] for q in range(w)]
                                         for r in range(h)]])  # (1, H, W, C): each position's number
        flat = copy.copy(layer).forward(codes, _ctx(nar))[0]
        return [(int(v) // (w * c) + 1, int(v) % (w * c) // c + 1, int(v) % c + 1) for v in flat]

    def backward(self, nar: Narration, view: View, x, y, dy, dx, params) -> None:
        if view.inp.owner or nar.extra.get("input_gradient"):
            nar.add(f"dL/d{view.layer.name}.input", "dL/d(input) = dL/dx reshaped to the input's shape", "", dx,
                    latex=r"\frac{\partial L}{\partial \text{input}}")
