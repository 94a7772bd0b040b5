"""Narrators of convolutional networks (the ``network`` problem type): conv, pooling, flatten.

Values are the layers' (forward outputs, backward results, grads, calc.engine.optim updates);
the sums are written by calc.solve.cnn.sums with the network's own value names:

    conv.z1,1,1 = x1,1,1 F11 + x1,2,1 F12 + x2,1,1 F21 + x2,2,1 F22 + b = 1(0.9) + ... = 1.9
    dL/dconv.F11 = x1,1,1 delta1,1,1 + ...   (cross-correlation of the input with the deltas)
    dL/dconv.b = delta1,1,1 + delta1,2,1 + ... (one bias shared by every position)
    pool1.y1,1,1 = max(relu1.a1,1,1, ...)    chosen: the element the gradient is routed to

Map elements are named by (row, column, channel), 1-based: ``conv.z1,2,1``; the kernel by
``conv.F12`` (``conv.F12_2,3``: filter 2, input channel 3) and the bias ``conv.b`` (``conv.b2``).
Matrix answers: ``conv.output``, ``pool1.output``, ``dL/dconv.F``, ``dL/dconv.input``. Each
narrator also adds the conventions its layer depends on (cross-correlation, padding, the
shared bias, the max-pool tie rule, the flatten order) to the solution's list.
"""

from __future__ import annotations

from calc.solve.cnn.shared_steps import padding_text
from calc.solve.cnn.sums import (
    Geometry,
    forward_terms,
    ij,
    input_grad_terms,
    join_plus,
    products,
    weight_grad_terms,
    weight_symbol,
)
from calc.solve.grid import Matrix, grid, map_answer, rows_of
from calc.solve.narrate.base import Narration, Narrator, Slot, View, at, narrates, positions


def add_conventions(nar: Narration, lines: list[str]) -> None:
    for line in lines:
        if line not in nar.solution.conventions:
            nar.solution.conventions.append(line)


def _geometry(view: View) -> Geometry:
    return Geometry(view.layer, in_text=lambda r, q, c: view.inp.text((r + 1, q + 1, c + 1)),
                    grad_text=lambda oh, ow, o: view.out.grad_text((oh + 1, ow + 1, o + 1)))


def _padded(layer, x, fill, backend):
    """One sample or a batch, padded as the layer pads (for showing which numbers meet)."""
    from calc.ops.windows import pad

    batch = x if x.ndim == 4 else x[None]
    out = pad(batch, layer.pad, fill, backend.xp)
    return out if x.ndim == 4 else out[0]


def _map_grid(nar: Narration, array, title: str, name: str, symbol: str) -> None:
    c = array.shape[2]
    mats = [Matrix(symbol if c == 1 else f"{symbol}[:, :, {k + 1}]", rows_of(array[:, :, k])) for k in range(c)]
    step = grid(title, mats, section=nar.section)
    step.answers[nar.prefix + name] = map_answer(array)
    nar.solution.add(step)
    step.matrices[0].name = nar.prefix + name


@narrates("conv")
class ConvNarrator(Narrator):
    """Each output element as its sum of products; dL/dF, dL/db and dL/dX written out."""

    def slot(self, layer, previous: Slot, level: int):
        return Slot(layer.name, "z", level + 1), True

    def title(self, layer) -> str:
        return f"{layer.name} (conv {layer.describe()})"

    def conventions(self, layer) -> list[str]:
        return ["conv = cross-correlation (the kernel is not flipped): z[i,j] = sum_u,v x[(i-1)s + u, (j-1)s + v] "
                "F[u,v] + b over the padded input",
                f"{layer.name}: {padding_text(layer)}; stride {layer.stride[0]}",
                "conv bias: one per filter, shared by all its output positions, so dL/db = sum of the deltas of all "
                "positions; dL/dF = cross-correlation of the input with the deltas; dL/dx = full convolution of "
                "the deltas with the kernel rotated 180 degrees"]

    def forward(self, nar: Narration, view: View, x, y) -> None:
        add_conventions(nar, self.conventions(view.layer))
        layer, w = view.layer, nar.writer
        geo = _geometry(view)
        xpad = _padded(layer, x, 0 * x.flat[0], nar.backend)
        weight, bias = layer.params["weight"], layer.params.get("bias")
        for i in positions(y.shape):
            oh, ow, o = (k - 1 for k in i)
            terms = forward_terms(geo, xpad, weight, oh, ow, o)
            symbols = products(terms, w, symbols=True) if len(terms) <= 9 else "sum of window x filter"
            sums, tex = _paren(terms, w), products(terms, w, sep=r" \cdot ")
            if bias is not None:
                b = "b" if geo.cout == 1 else f"b{o + 1}"
                symbols, sums, tex = f"{symbols} + {b}", f"{sums} + {w.num(bias[o])}", f"{tex} + {w.num(bias[o])}"
            nar.add(view.out.key(i), f"{view.out.text(i)} = {symbols}", sums, at(y, i), latex=view.out.tex(i),
                    latex_substituted=tex, note=geo.window_text(oh, ow))
        _map_grid(nar, y, f"{layer.name} output", f"{layer.name}.output", "z")

    def gradients(self, nar: Narration, view: View, xs, dys, grads: dict) -> None:
        layer, w = view.layer, nar.writer
        geo = _geometry(view)
        xpads = _padded(layer, xs, 0 * xs.flat[0], nar.backend)
        dw = grads["weight"]
        for idx in positions(dw.shape):
            o, k, i, j = (v - 1 for v in idx)
            terms = [t for s in range(xs.shape[0]) for t in weight_grad_terms(geo, xpads[s], dys[s], o, k, i, j)]
            key, text, tex = self.param_key(view, "weight", idx)
            nar.add(f"dL/d{key}", f"dL/d{text} = {products(terms, w, symbols=True)}", _paren(terms, w), at(dw, idx),
                    latex=rf"\frac{{\partial L}}{{\partial {tex}}}", latex_substituted=products(terms, w, sep=r" \cdot "))
        if dw.shape[:2] == (1, 1) and xs.shape[0] == 1:
            mats = [Matrix("x" + (" (padded)" if any(layer.pad) else ""), rows_of(xpads[0, :, :, 0])),
                    Matrix("dL/dz", rows_of(dys[0, :, :, 0])),
                    Matrix("dL/dF", rows_of(dw[0, 0]), name=f"{nar.prefix}dL/d{layer.name}.F")]
            nar.solution.add(grid(f"dL/dF of {layer.name} = input cross-correlated with dL/dz", mats,
                                  section=nar.section, between=["*", "="]))
        if "bias" not in grads:
            return
        for o in range(geo.cout):
            key, text, tex = self.param_key(view, "bias", o + 1)
            values = [dys[s, a, b, o] for s in range(dys.shape[0]) for a in range(geo.ho) for b in range(geo.wo)]
            nar.add(f"dL/d{key}", f"dL/d{text} = sum of dL/dz over every output position" + (" and sample"
                    if dys.shape[0] > 1 else ""), join_plus([w.num(v) for v in values]), grads["bias"][o],
                    latex=rf"\frac{{\partial L}}{{\partial {tex}}}", note="the bias is shared by all positions")

    def backward(self, nar: Narration, view: View, x, y, dy, dx, params) -> None:
        if not view.inp.owner and not nar.extra.get("input_gradient"):
            return  # dL/dx of the network input only when asked
        geo, w = _geometry(view), nar.writer
        for i in positions(dx.shape):
            r, q, c = (v - 1 for v in i)
            terms = input_grad_terms(geo, dy, params["weight"], r, q, c)
            nar.add(view.inp.grad_key(i), f"{view.inp.grad_text(i)} = " + (products(terms, w, symbols=True) if terms
                    else "0 (no window covers it)"), _paren(terms, w) if terms else "", at(dx, i),
                    latex=view.inp.grad_tex(i), latex_substituted=products(terms, w, sep=r" \cdot ") if terms else "")
        _map_grid(nar, dx, f"dL/d(input of {view.layer.name})", f"dL/d{view.layer.name}.input", "dL/dx")

    def param_key(self, view: View, pname: str, idx):
        layer = view.layer
        if pname == "weight":
            sym = weight_symbol(Geometry(layer), *(v - 1 for v in idx))
            return f"{layer.name}.{sym}", sym, f"F_{{{ij(idx[2], idx[3])}}}"
        if layer.filters == 1:
            return f"{layer.name}.b", "b", "b"
        return f"{layer.name}.b{idx}", f"b{idx}", f"b_{{{idx}}}"


def _paren(terms, writer) -> str:
    """'1(0.9) + 0(0.1) - 0.2(0.5)': products written as the dense narrator writes them."""
    return products(terms, writer, sep="()")
