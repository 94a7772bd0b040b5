"""Convolution backward worked out from a given dL/dO: dL/dF, dL/db, dL/dX and an SGD step.

    type: conv_backward
    given:
      input: [[1, 0, -1], [1, 0, 1], [0, 1, 1]]   # maps and kernels as calc.solve.cnn.given
      kernel: [[-1, 2], [3, 1]]
      grad_output: [[-0.2, 0.2], [0.1, -0.1]]     # dL/dO, shaped like the output
      bias: 0                                      # optional: dL/db and b_new are shown with it
      lr: 0.5                                      # optional: F_new = F - lr dL/dF, b_new

The gradients are calc.layers.conv.Conv.backward's on the exact backend; the update is
calc.engine.optim's SGD. This module writes each element's sum (which input or kernel number
meets which dL/dO) and the course's pictures: dL/dF = X (cross-correlated with) dL/dO, and
dL/dX = dL/dO zero-padded (full) cross-correlated with the kernel rotated by 180 degrees.
Answer names: ``output``, ``dL/dF`` and ``dL/dF11`` ..., ``dL/db`` (``dL/db1`` per filter),
``dL/dX`` and ``dL/dX11`` ..., ``F_new`` and ``F11_new`` ..., ``b_new``.
"""

from __future__ import annotations

from itertools import product

from calc.errors import Where
from calc.solve.cnn.given import backend, conv_layer, read_kernel, read_map, read_output_grad, run
from calc.solve.cnn.shared_steps import conv_conventions, kernel_grids, output_grid, padded_grid, shape_text, size_steps
from calc.solve.cnn.sums import Geometry, ij, input_grad_terms, products, suffix, tex, weight_grad_terms, weight_symbol
from calc.solve.grid import Matrix, grid, rows_of
from calc.solve.registry import SolveOptions, problem_type
from calc.solve.step import Solution, Step
from calc.solve.text import Writer

KEYS = ("input", "input_layout", "kernel", "weight_layout", "bias", "stride", "padding", "dilation", "groups",
        "grad_output", "lr")

BACKWARD_RULES = [
    "dL/dF = cross-correlation of the (padded) input X with dL/dO: dL/dF[u,v] = sum_i,j X[(i-1)s + u, (j-1)s + v] "
    "dL/dO[i,j]",
    "dL/dX = 'full' convolution of dL/dO with the kernel rotated 180 degrees: each dL/dX is the sum of dL/dO * F "
    "over every window that covered that input cell (padding rows/columns of the input get none)",
    "dL/db = sum of all dL/dO of the filter: one bias is shared by every output position, so its gradients add",
]


@problem_type("conv_backward")
def solve_conv_backward_problem(given, where: Where, options: SolveOptions) -> Solution:
    from calc.solve.given import check_keys, number
    from calc.solve.loss import _number_convention

    check_keys(given, where, KEYS)
    x = read_map(given, where)
    kernel = read_kernel(given, where, x.shape[2])
    layer, ctx = conv_layer(given, where, kernel, x.shape)
    y = run(layer, ctx, x)
    dy = read_output_grad(given, where, "grad_output", y.shape,
                          f"this {shape_text(x.shape)} input and {kernel.size[0]}x{kernel.size[1]} kernel")
    dx = layer.backward(dy[None], ctx)[0]
    lr = number(given, where, "lr", None)
    writer = Writer(options.decimals, options.hand_rounding)
    rules = BACKWARD_RULES[:2] + (BACKWARD_RULES[2:] if layer.use_bias else []) + ([f"update: F_new = F - lr dL/dF, b_new = b - lr dL/db (SGD, lr {writer.num(lr)})"]
                              if lr is not None else [])
    sol = Solution("Convolution backward", [_number_convention(options.decimals, False)]
                   + conv_conventions(layer, False, x.shape[2], (given.get("input_layout", "chw"), kernel.layout))
                   + rules)
    size_steps(sol, layer, rounding=options.learner.size_rounding)
    padded_grid(sol, layer, layer.xpad[0], "Input", "Forward")
    kernel_grids(sol, layer.params["weight"], "Forward")
    output_grid(sol, y, "Output O (for reference)", "output", "O", "Forward")
    output_grid(sol, dy, "Given gradient dL/dO", "grad_output", "dL/dO", "Given")
    weight_steps(sol, layer, writer, dy)
    input_steps(sol, layer, writer, dy, dx)
    if lr is not None:
        update_steps(sol, layer, ctx, writer, lr)
    sol.summary = "dL/dF, dL/db and dL/dX" + (" and the updated kernel" if lr is not None else "")
    return sol


def weight_steps(sol: Solution, layer, writer, dy) -> None:
    geo = Geometry(layer)
    xpad, grads = layer.xpad[0], layer.grads
    section = "dL/dF: X cross-correlated with dL/dO"
    dw = grads["weight"]
    cout, cg, kh, kw = dw.shape
    for idx in product(*map(range, dw.shape)):
        sym = weight_symbol(geo, *idx)
        terms = weight_grad_terms(geo, xpad, dy, *idx)
        symbols = products(terms, writer, symbols=True)
        sol.add(Step("dL/d" + sym, f"dL/d{sym} = {symbols}", products(terms, writer), dw[idx], name="dL/d" + sym,
                     section=section, latex=rf"\frac{{\partial L}}{{\partial {tex(sym)}}} = {tex(symbols)}",
                     latex_substituted=products(terms, writer, sep=r" \cdot ")))
    single = cout == 1 and cg == 1
    if single and geo.c == 1:
        mats = [Matrix("X" + (" (padded)" if any(layer.pad) else ""), rows_of(xpad[:, :, 0])),
                Matrix("dL/dO", rows_of(dy[:, :, 0])), Matrix("dL/dF", rows_of(dw[0, 0]), name="dL/dF")]
        sol.add(grid("dL/dF = X cross-correlated with dL/dO (dL/dO slides over X like a kernel)", mats,
                     section=section, between=["*", "="]))
    else:
        sol.answers["dL/dF"] = [[rows_of(dw[o, k]) for k in range(cg)] for o in range(cout)]
    if "bias" in grads:
        for o in range(cout):
            name = "dL/db" + (str(o + 1) if cout > 1 else "")
            values = [dy[a, b, o] for a in range(geo.ho) for b in range(geo.wo)]
            sol.add(Step(name, f"{name} = sum of dL/dO" + (f" of filter {o + 1}" if cout > 1 else ""),
                         " + ".join(writer.factor(v) for v in values), grads["bias"][o], name=name,
                         note="the bias is shared by all output positions", section="dL/db"))


def input_steps(sol: Solution, layer, writer, dy, dx) -> None:
    geo = Geometry(layer)
    weight = layer.params["weight"]
    section = "dL/dX: full convolution with the rotated kernel"
    for c in range(geo.c):
        for r in range(geo.h):
            for q in range(geo.w):
                name = f"dL/dX{ij(r + 1, q + 1)}{suffix(c + 1, geo.c > 1)}"
                terms = input_grad_terms(geo, dy, weight, r, q, c)
                sym = products(terms, writer, symbols=True) if terms else "0 (no window covers it)"
                sol.add(Step(name, f"{name} = {sym}", products(terms, writer) if terms else "", dx[r, q, c],
                             name=name, section=section,
                             latex=rf"\frac{{\partial L}}{{\partial {tex(name[4:])}}}" + (f" = {tex(sym)}" if terms else ""),
                             latex_substituted=products(terms, writer, sep=r" \cdot ") if terms else ""))
    if layer.stride == (1, 1) and layer.dilation == (1, 1) and weight.shape[:2] == (1, 1) and geo.c == 1:
        full_convolution_grid(sol, layer, dy, dx, section)
    else:
        output_grid(sol, dx, "dL/dX", "dL/dX", "dL/dX", section)


def full_convolution_grid(sol: Solution, layer, dy, dx, section: str) -> None:
    """The course's picture: dL/dO with kh-1 / kw-1 rings of zeros, and the kernel rotated 180
    degrees sliding over it, give dL/dX (of the padded input; the padding's part is dropped)."""
    from calc.ops.windows import pad

    kh, kw = layer.kernel
    padded = pad(dy[None], (kh - 1, kh - 1, kw - 1, kw - 1), 0 * dy[0, 0, 0], backend().xp)[0]
    rotated = layer.params["weight"][0, 0, ::-1, ::-1]
    note = "" if not any(layer.pad) else "the full convolution gives dL/d(padded X); its padding rows and columns are dropped"
    sol.add(grid("dL/dX = dL/dO (zero-padded) cross-correlated with F rotated 180 degrees",
                 [Matrix("dL/dO padded", rows_of(padded[:, :, 0])), Matrix("F'", rows_of(rotated)),
                  Matrix("dL/dX", rows_of(dx[:, :, 0]), name="dL/dX")], section=section,
                 note="F' = F rotated 180 degrees" + ("; " + note if note else ""), between=["*", "="]))


def update_steps(sol: Solution, layer, ctx, writer, lr) -> None:
    """F_new = F - lr dL/dF and b_new = b - lr dL/db with calc.engine.optim's SGD."""
    from calc.engine.optim import make_optimizer

    sgd = make_optimizer("sgd", lr=lr)
    geo = Geometry(layer)
    section = f"Update (SGD, lr {writer.num(lr)})"
    new = {p: sgd.update(layer.params[p], layer.grads[p], {}, ctx.backend) for p in layer.params}
    w, g, nw = layer.params["weight"], layer.grads["weight"], new["weight"]
    cout, cg, kh, kw = w.shape
    for idx in product(*map(range, w.shape)):
        sym = weight_symbol(geo, *idx)
        sol.add(Step(f"{sym}_new", f"{sym}_new = {sym} - lr dL/d{sym}",
                     f"{writer.num(w[idx])} - {writer.num(lr)}*{writer.factor(g[idx])}", nw[idx], name=f"{sym}_new",
                     section=section))
    if cout == 1 and cg == 1:
        sol.add(grid("Updated kernel", [Matrix("F_new", rows_of(nw[0, 0]), name="F_new")], section=section))
    else:
        sol.answers["F_new"] = [[rows_of(nw[o, k]) for k in range(cg)] for o in range(cout)]
    if "bias" in new:
        for o in range(cout):
            name = "b" + (str(o + 1) if cout > 1 else "")
            sol.add(Step(f"{name}_new", f"{name}_new = {name} - lr dL/d{name}",
                         f"{writer.num(layer.params['bias'][o])} - {writer.num(lr)}*{writer.factor(layer.grads['bias'][o])}",
                         new["bias"][o], name=f"{name}_new", section=section))
