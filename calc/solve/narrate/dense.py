"""Narrators of dense networks: dense layers, element-wise activations and softmax.

Values come from the layers (their forward output, cached z/a, derivative, backward output and
grads); this module only writes them out per neuron:

    fc1.z1 = w11 x1 + w12 x2 + b1 = 0.15(0.05) + 0.2(0.1) + 0.35 = 0.3775
    fc1.a1 = sigmoid(z1[1]) = 1 / (1 + e^(-0.3775)) = 0.5933
    fc2.delta1 = dL/da1[2] da1/dz1 = 0.7414(0.1868) = 0.1385
"""

from __future__ import annotations

from calc.layers.activation.base import Activation
from calc.solve.narrate.base import Narration, Narrator, Slot, View, _index, at, narrates, positions
from calc.solve.text import join_sum, join_tex


def _ij(i, j) -> str:
    return f"{i}{j}" if i < 10 and j < 10 else f"{i}_{j}"


@narrates("dense")
class DenseNarrator(Narrator):
    """z_i = sum_j w_ij a_j + b_i per neuron; dL/da_j = sum_i delta_i w_ij; dL/dw_ij = delta_i a_j."""

    def slot(self, layer, previous: Slot, level: int):
        return Slot(layer.name, "z", level + 1), True

    def title(self, layer) -> str:
        return f"{layer.name} (dense {layer.describe()})"

    def _b(self, view: View, i) -> tuple[str, str]:
        layer, lv = view.layer, view.out.level
        if layer.shared_bias:
            return "b", f"b^{{[{lv}]}}"
        return f"b{i}", f"b_{{{i}}}^{{[{lv}]}}"

    def forward(self, nar: Narration, view: View, x, y) -> None:
        layer, w, lv = view.layer, nar.writer, view.out.level
        weight = layer.params["weight"]
        bias = layer.params.get("bias")
        inputs = positions(x.shape)
        for i in positions(y.shape):
            text = [f"w{_ij(i, j)} {view.inp.text(j)}" for j in inputs]
            tex = [f"w_{{{_ij(i, j)}}}^{{[{lv}]}} {view.inp.tex(j)}" for j in inputs]
            nums = [f"{w.num(weight[i - 1, j - 1])}({w.num(at(x, j))})" for j in inputs]
            if bias is not None:
                b_text, b_tex = self._b(view, i)
                text.append(b_text)
                tex.append(b_tex)
                nums.append(w.num(bias[0 if layer.shared_bias else i - 1]))
            nar.add(view.out.key(i), f"{view.out.text(i)} = {join_sum(text)}", join_sum(nums), at(y, i),
                    latex=f"{view.out.tex(i)} = {join_tex(tex)}", latex_substituted=join_tex(nums))

    def backward(self, nar: Narration, view: View, x, y, dy, dx, params) -> None:
        if not view.inp.owner and not nar.extra.get("input_gradient"):
            return  # dL/dx of the network input only when asked
        w, weight = nar.writer, params["weight"]
        outs = positions(dy.shape)
        note = nar.extra.get("dx_note", "") if params is not view.layer.params else ""
        for j in positions(dx.shape):
            text = [f"{view.out.grad_text(i)} w{_ij(i, j)}" for i in outs]
            tex = [f"{view.out.grad_tex(i)} w_{{{_ij(i, j)}}}^{{[{view.out.level}]}}" for i in outs]
            nums = [f"{w.num(at(dy, i))}({w.num(weight[i - 1, j - 1])})" for i in outs]
            nar.add(view.inp.grad_key(j), f"{view.inp.grad_text(j)} = {join_sum(text)}", join_sum(nums),
                    at(dx, j), latex=f"{view.inp.grad_tex(j)} = {join_tex(tex)}",
                    latex_substituted=join_tex(nums), note=note)

    def gradients(self, nar: Narration, view: View, xs, dys, grads: dict) -> None:
        w, layer = nar.writer, view.layer
        n = xs.shape[0]
        over = " (summed over the batch)" if n > 1 else ""
        for (i, j) in positions(grads["weight"].shape):
            key, text, tex = self.param_key(view, "weight", (i, j))
            nums = [f"{w.num(dys[s, i - 1])}({w.num(at(xs[s], j))})" for s in range(n)]
            nar.add(f"dL/d{layer.name}.w{_ij(i, j)}", f"dL/d{text} = {view.out.grad_text(i)} {view.inp.text(j)}{over}",
                    join_sum(nums), grads["weight"][i - 1, j - 1],
                    latex=rf"\frac{{\partial L}}{{\partial {tex}}} = " + (r"\sum_n " if n > 1 else "")
                    + f"{view.out.grad_tex(i)} {view.inp.tex(j)}", latex_substituted=join_tex(nums))
        if "bias" not in grads:
            return
        if layer.shared_bias:
            nums = [w.num(dys[s, i]) for s in range(n) for i in range(dys.shape[1])]
            key, text, tex = self.param_key(view, "bias", 1)
            nar.add(f"dL/d{key}", f"dL/d{text} = sum_i delta_i{over} (one bias shared by the layer's neurons)",
                    join_sum(nums), grads["bias"][0],
                    latex=rf"\frac{{\partial L}}{{\partial {tex}}} = \sum_i \delta_i^{{[{view.out.level}]}}",
                    latex_substituted=join_tex(nums))
            return
        for i in positions(grads["bias"].shape):
            key, text, tex = self.param_key(view, "bias", i)
            nums = [w.num(dys[s, i - 1]) for s in range(n)]
            nar.add(f"dL/d{key}", f"dL/d{text} = {view.out.grad_text(i)}{over}", join_sum(nums),
                    grads["bias"][i - 1], latex=rf"\frac{{\partial L}}{{\partial {tex}}} = {view.out.grad_tex(i)}",
                    latex_substituted=join_tex(nums) if n > 1 else "")

    def param_key(self, view: View, pname: str, idx):
        name, lv = view.layer.name, view.out.level
        if pname == "weight":
            i, j = idx
            return f"{name}.w{_ij(i, j)}", f"w{_ij(i, j)}[{lv}]", f"w_{{{_ij(i, j)}}}^{{[{lv}]}}"
        if view.layer.shared_bias:
            return f"{name}.b", f"b[{lv}]", f"b^{{[{lv}]}}"
        return f"{name}.b{idx}", f"b{idx}[{lv}]", f"b_{{{idx}}}^{{[{lv}]}}"


@narrates(family=Activation)
class ActivationNarrator(Narrator):
    """a_i = f(z_i) per neuron; delta_i = dL/da_i f'(z_i) with the derivative of calc.layers.activation,
    whose class also gives every text (formula, derivative, LaTeX, and ``narrated()``: the branch
    taken and the numbers put in, from the class's one text method ``pieces()``)."""

    def slot(self, layer, previous: Slot, level: int):
        if previous.symbol == "z" and previous.owner:  # the activation of a dense layer: fc1.a1
            return Slot(previous.owner, "a", previous.level), False
        return Slot(layer.name, "a", None), False

    def forward(self, nar: Narration, view: View, x, y) -> None:
        layer, w = view.layer, nar.writer
        for i in positions(y.shape):
            z = at(x, i)
            pieces = layer.narrated(z, at(y, i), w)
            formula = f"{view.out.text(i)} = {layer.kind}({view.inp.text(i)}) = {layer.formula}"
            latex = rf"{view.out.tex(i)} = {layer.tex_name}({view.inp.tex(i)})"
            nar.add(view.out.key(i), formula, _taken(pieces.f_branch, pieces.f_text, z, w), at(y, i),
                    latex=latex, latex_substituted=pieces.f_tex)

    def backward(self, nar: Narration, view: View, x, y, dy, dx, params) -> None:
        layer, w = view.layer, nar.writer
        derivative = layer.derivative(x, y, nar.backend)
        tex_d = layer.tex_derivative
        for i in positions(y.shape):
            z, a = at(x, i), at(y, i)
            d = w.round(at(derivative, i))
            pieces = layer.narrated(z, a, w)
            dkey = derivative_key(view, i)
            dtex = rf"\frac{{\partial {view.out.tex(i)}}}{{\partial {view.inp.tex(i)}}}"
            nar.add(dkey, f"d{view.out.text(i)}/d{view.inp.text(i)} = {layer.derivative_text}",
                    _taken(pieces.d_branch, pieces.d_text, z, w), d, latex=dtex
                    + (" = " + tex_d % ((view.out.tex(i),) * tex_d.count("%s")) if tex_d else ""),
                    latex_substituted=pieces.d_tex)
            nar.add(view.inp.grad_key(i), f"{view.inp.grad_text(i)} = {view.out.grad_text(i)} d{view.out.text(i)}/d{view.inp.text(i)}",
                    f"{w.num(at(dy, i))}({w.num(d)})", at(dx, i),
                    latex=f"{view.inp.grad_tex(i)} = {view.out.grad_tex(i)} {dtex}",
                    latex_substituted=f"{w.num(at(dy, i))}({w.num(d)})")


def _taken(condition: str, text: str, z, writer) -> str:
    """The substituted text after the branch taken: '-0.5 <= 0, so 0.01*(-0.5)'; the text alone
    for a one-piece formula."""
    return f"{condition.replace('z', writer.num(z), 1)}, so {text}" if condition else text


def derivative_key(view: View, i) -> str:
    """The answer name of da/dz at position ``i`` (1-based): fc2.da1/dz1, or a1/dz1 style."""
    if view.inp.symbol == "z":
        return f"{view.out.owner}.da{_index(i)}/dz{_index(i)}"
    return f"{view.out.key(i)}/d{view.inp.key(i)}"


@narrates("softmax")
class SoftmaxNarrator(Narrator):
    """p_i = e^(z_i - max z) / sum_j e^(z_j - max z); backward J^T dL/dp, which is p - y after CE."""

    def slot(self, layer, previous: Slot, level: int):
        return ActivationNarrator.slot(self, layer, previous, level)

    def forward(self, nar: Narration, view: View, x, y) -> None:
        from calc.solve.softmax import softmax_forward_steps

        softmax_forward_steps(nar, x, y, view.inp, view.out)

    def backward(self, nar: Narration, view: View, x, y, dy, dx, params) -> None:
        from calc.solve.softmax import softmax_backward_steps

        softmax_backward_steps(nar, y, dy, dx, view.inp, view.out)
