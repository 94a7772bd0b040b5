"""Softmax worked out: the max shift, the exponentials, the probabilities, the Jacobian
J_ij = p_i(delta_ij - p_j), cross-entropy with a target, and p - y = J^T(-y/p).

Probabilities, Jacobian and backward come from calc.layers.activation.softmax.Softmax, the loss and its
gradients from calc.engine.losses; the exponentials written out are the backend's exact exp.
The same forward/backward steps narrate a softmax layer inside a network (calc.solve.narrate.dense).

    type: softmax
    given: {z: [2.0, 1.0, 0.1], target: [1, 0, 0], jacobian: true, stable: true}

Answer names: max_z, e1.. (e^(z_i - max z)), sum_e, p1.., J11.., loss, dL/dp1.., dL/dz1.. .
"""

from __future__ import annotations

from calc.errors import InputError, SpecError, Where, short
from calc.solve.carry import NO_LEARNER, Learner
from calc.solve.narrate.base import Narration, Slot
from calc.solve.registry import SolveOptions, problem_type
from calc.solve.step import Solution, Step, Table
from calc.solve.text import Writer, join_sum, join_tex

JACOBIAN_MAX = 32  # scores whose n x n Jacobian is worked out entry by entry
SUM_TERMS = 8  # terms of a sum written out; longer sums show the first ones, "...", the last


def shown_terms(n: int) -> list[int]:
    """Which terms of a sum of n are written: all up to SUM_TERMS, else the first SUM_TERMS - 1
    and the last (every dL/dz_j of n scores would otherwise be n terms, n^2 text in all)."""
    return list(range(n)) if n <= SUM_TERMS else list(range(SUM_TERMS - 1)) + [n - 1]


def sum_terms(values, jac, j: int, w) -> list[str]:
    """'dy_i(J_ij)' for the shown i (``jac``: the Jacobian rows of shown_terms), '...' between."""
    shown = shown_terms(len(values))
    terms = [f"{w.num(values[i])}({w.num(jac[k, j])})" for k, i in enumerate(shown)]
    if len(shown) < len(values):
        terms.insert(-1, f"... ({len(values) - len(shown)} more)")
    return terms


def _pre(slot: Slot) -> str:
    return f"{slot.owner}." if slot.owner else ""


def softmax_forward_steps(nar: Narration, z, p, inp: Slot, out: Slot, stable: bool = True) -> list:
    """One sample: max z, e_i, their sum and p_i (p from the Softmax layer). Returns the p_i
    carried on: the layer's, or e_i / sum_e of the learner's own e_i and sum_e (nncalc check)."""
    xp, w, pre = nar.backend.xp, nar.writer, _pre(out)
    n = z.shape[-1]
    zs = [f"{w.num(v)}" for v in z]
    shift = 0 * z[0]
    if stable:
        shift = max(z)
        names = ", ".join(inp.text(i) for i in range(1, n + 1))
        nar.add(f"{pre}max_z", f"max_z = max({names})", f"max({', '.join(zs)})", shift,
                latex=r"\max_i " + inp.tex("i"), latex_substituted=rf"\max({', '.join(zs)})")
        shift = nar.take(f"{pre}max_z", shift)
    es = []
    for i in range(1, n + 1):
        e = w.round(xp.exp(z[i - 1] - shift))
        if stable:
            nar.add(f"{pre}e{i}", f"e{i} = e^({inp.text(i)} - max_z)", f"e^({w.num(z[i - 1])} - {w.num(shift)})", e,
                    latex=rf"e^{{{inp.tex(i)} - \max z}}", latex_substituted=f"e^{{{w.num(z[i - 1] - shift)}}}")
        else:
            nar.add(f"{pre}e{i}", f"e{i} = e^{inp.text(i)}", f"e^{w.factor(z[i - 1])}", e,
                    latex=f"e^{{{inp.tex(i)}}}", latex_substituted=f"e^{{{w.num(z[i - 1])}}}")
        es.append(nar.take(f"{pre}e{i}", e))
    total = w.round(sum(es[1:], es[0]))
    nar.add(f"{pre}sum_e", "sum_e = " + join_sum([f"e{i}" for i in range(1, n + 1)]), join_sum([w.num(e) for e in es]),
            total, latex=r"\sum_j e_j", latex_substituted=join_tex([w.num(e) for e in es]))
    total = nar.take(f"{pre}sum_e", total)
    upstream = [f"{pre}max_z", f"{pre}sum_e"] + [f"{pre}e{i}" for i in range(1, n + 1)]
    own = nar.carry is not None and nar.carry.any(nar.prefix + k for k in upstream)
    carried = []
    for i in range(1, n + 1):
        pi = w.round(es[i - 1] / total) if own else p[i - 1]  # the layer's p unless e or sum_e are the learner's
        nar.add(out.key(i), f"{out.text(i)} = e{i} / sum_e", f"{w.num(es[i - 1])} / {w.num(total)}", pi,
                latex=rf"{out.tex(i)} = \frac{{e_{{{i}}}}}{{\sum_j e_j}}",
                latex_substituted=rf"\frac{{{w.num(es[i - 1])}}}{{{w.num(total)}}}")
        carried.append(nar.take(out.key(i), pi))
    return carried


def jacobian_steps(nar: Narration, p, out: Slot, inp: Slot) -> list[list]:
    """J_ij = dp_i/dz_j = p_i(delta_ij - p_j), from Softmax.jacobian, one step per entry and a table."""
    from calc.layers.activation.softmax import Softmax

    w, pre = nar.writer, _pre(out)
    jac = w.round_array(Softmax.jacobian(p, nar.backend))
    n = p.shape[-1]
    for i in range(1, n + 1):
        for j in range(1, n + 1):
            pi, pj = w.num(p[i - 1]), w.num(p[j - 1])
            if i == j:
                formula, sub, tex_sub = f"p{i}(1 - p{i})", f"{pi}(1 - {pi})", f"{pi}(1 - {pi})"
            else:
                formula, sub, tex_sub = f"-p{i} p{j}", f"-{pi}({pj})", f"-{pi}({pj})"
            nar.add(f"{pre}J{i}{j}", f"J{i}{j} = d{out.text(i)}/d{inp.text(j)} = {formula}", sub, jac[i - 1, j - 1],
                    latex=rf"J_{{{i}{j}}} = \frac{{\partial {out.tex(i)}}}{{\partial {inp.tex(j)}}}",
                    latex_substituted=tex_sub)
    rows = [[f"p{i}"] + [jac[i - 1, j - 1] for j in range(1, n + 1)] for i in range(1, n + 1)]
    matrix = [[jac[i, j] for j in range(n)] for i in range(n)]
    nar.solution.add(Table("Jacobian J_ij = dp_i/dz_j", [""] + [f"z{j}" for j in range(1, n + 1)], rows,
                           section=nar.section, note="rows sum to 0: the probabilities always add up to 1",
                           answers={f"{pre}jacobian": matrix}))
    return rows


def softmax_backward_steps(nar: Narration, p, dy, dx, inp: Slot, out: Slot) -> None:
    """dL/dz_j = sum_i dL/dp_i J_ij; after cross-entropy this is p_j - y_j (the shortcut)."""
    w = nar.writer
    n = p.shape[-1]
    target, scale = nar.extra.get("target_row"), nar.extra.get("grad_divisor", 1)
    jac = None
    for j in range(1, n + 1):
        if nar.extra.get("loss") == "cross_entropy" and target is not None:
            sub, shortcut, tex_short = f"{w.num(p[j - 1])} - {w.num(target[j - 1])}", f"{out.text(j)} - t{j}", f"{out.tex(j)} - t_{{{j}}}"
            if scale != 1:  # the batch mean divides every gradient by N
                sub, shortcut, tex_short = f"({sub}) / {scale}", f"({shortcut}) / {scale}", rf"\frac{{{tex_short}}}{{{scale}}}"
            nar.add(inp.grad_key(j), f"{inp.grad_text(j)} = sum_i {out.grad_text('i')} J_i{j} = {shortcut}", sub, dx[j - 1],
                    latex=rf"{inp.grad_tex(j)} = \sum_i \frac{{\partial L}}{{\partial p_i}} J_{{i{j}}} = {tex_short}",
                    latex_substituted=sub if scale == 1 else rf"\frac{{{w.num(p[j - 1])} - {w.num(target[j - 1])}}}{{{scale}}}",
                    note="softmax + cross-entropy: J^T(-t/p) = p - t")
            continue
        if jac is None:  # once for every j (it was rebuilt per j), and only the rows shown
            from calc.layers.activation.softmax import Softmax

            jac = Softmax.jacobian(p, nar.backend, shown_terms(n))
        terms = sum_terms(dy, jac, j - 1, w)
        nar.add(inp.grad_key(j), f"{inp.grad_text(j)} = sum_i {out.grad_text('i')} J_i{j}", join_sum(terms), dx[j - 1],
                latex=rf"{inp.grad_tex(j)} = \sum_i \frac{{\partial L}}{{\partial {out.tex('i')}}} J_{{i{j}}}",
                latex_substituted=join_tex(terms))


LN_FLOAT_MAX = 709.782712893384  # ln(1.7976931348623157e308): e^z overflows float64 above it
LN_FLOAT_TINY = -745.1332191019412  # ln(4.9e-324): e^z underflows to 0 below it


def float_overflow_findings(z: list, w: Writer) -> list[str]:
    """What float64 would make of e^z_i without the max shift (the classroom demo): inf / inf = nan
    on overflow, 0 / 0 = nan when every e^z_i underflows. The exact values shown are the true ones."""
    high = [v for v in z if v > LN_FLOAT_MAX]
    if high:
        top = max(high)
        return [f"overflow: e^{w.num(top)} is beyond float64's largest number (1.798e+308, e^709.78); without the "
                "max shift a float64 program gets e = inf and p = inf/inf = nan. The values here are exact "
                f"(computed to 50 digits); subtracting max z = {w.num(max(z))} first avoids the overflow"]
    if z and all(v < LN_FLOAT_TINY for v in z):
        return [f"underflow: every e^z_i is below float64's smallest number (4.9e-324, e^-745.13); without the "
                "max shift a float64 program gets sum_e = 0 and p = 0/0 = nan. The values here are exact "
                f"(computed to 50 digits); subtracting max z = {w.num(max(z))} first avoids it"]
    return []


def solve_softmax(z, target=None, jacobian: bool = True, stable: bool = True, decimals: int = 4,
                  hand_rounding: bool = False, learner: Learner = NO_LEARNER) -> Solution:
    """Softmax of one score vector; with a target also cross-entropy and the p - y identity.
    ``learner``: the learner's values carried on instead of the computed ones (nncalc check)."""
    from calc.backend import get_backend
    from calc.engine.context import Ctx
    from calc.layers.activation.softmax import Softmax

    be = get_backend("exact")
    zs = be.asarray([list(z)])
    w = Writer(decimals, hand_rounding)
    layer = Softmax()
    ctx = Ctx(backend=be)
    p = w.round_array(layer.forward(zs, ctx))
    sol = Solution("Softmax", _conventions(stable, decimals, hand_rounding))
    nar = Narration(sol, w, be, section="Softmax", carry=learner.carry())
    inp, out = Slot("", "z"), Slot("", "p")
    p = be.asarray([softmax_forward_steps(nar, zs[0], p[0], inp, out, stable)])
    if not stable:
        sol.findings.extend(float_overflow_findings(list(zs[0]), w))
    if jacobian:
        _jacobian_part(nar, p, out, inp)
    sol.summary = "p = " + w.vec(p[0])
    if target is None:
        return sol
    t, value, g = _cross_entropy(nar, zs, p, target, out)
    dz = _chain_rule_steps(nar, layer, ctx, p, g)
    shortcut = _shortcut_steps(nar, zs, p, t, dz)
    sol.summary += f"; loss = {w.num(value)}; dL/dz = p - t = {w.vec(shortcut[0])}"
    return sol


def _conventions(stable: bool, decimals: int, hand_rounding: bool) -> list[str]:
    from calc.solve.loss import _number_convention

    return ["softmax p_i = e^(z_i) / sum_j e^(z_j), computed " + ("stably: every z_i - max z first (same result, "
                                                                "no overflow)" if stable else "without the max shift, as written by hand"),
            "Jacobian J_ij = dp_i/dz_j = p_i(delta_ij - p_j): p_i(1 - p_i) on the diagonal, -p_i p_j elsewhere",
            _number_convention(decimals, hand_rounding)]


def _jacobian_part(nar: Narration, p, out: Slot, inp: Slot) -> None:
    """The Jacobian entry by entry, up to JACOBIAN_MAX scores (a finding says why not beyond)."""
    n = p.shape[1]
    if n > JACOBIAN_MAX:
        nar.solution.findings.append(f"the Jacobian of {n:,} scores has {n * n:,} entries: it is worked out for up "
                                     f"to {JACOBIAN_MAX} scores (J_ij = p_i(delta_ij - p_j) gives any entry)")
        return
    nar.section = "Jacobian"
    jacobian_steps(nar, p[0], out, inp)


def _cross_entropy(nar: Narration, zs, p, target, out: Slot) -> tuple:
    """(t, loss, dL/dp): cross-entropy against the target with its steps, dL/dp the learner's own
    where nncalc check carries it."""
    from calc.engine.losses import get_loss
    from calc.solve.loss import check_distributions, check_values, grad_steps, loss_steps

    t = nar.backend.asarray([list(target)])
    if t.shape != zs.shape:
        raise InputError(f"{zs.shape[1]} scores but {t.shape[1]} target values")
    nar.solution.conventions.append("cross-entropy L = -sum_i t_i ln p_i (natural log); for softmax outputs "
                                    "dL/dz = p - t")
    nar.section = "Cross-entropy"
    ce = get_loss("cross_entropy", "sum")
    check_distributions("cross_entropy", t)
    check_values("cross_entropy", p, t)
    value, g = loss_steps(nar, ce, p, t, out)
    grad_steps(nar, ce, p, t, g, out)
    return t, value, nar.carry.array(g, lambda idx: out.grad_key(idx[1] + 1))


def _chain_rule_steps(nar: Narration, layer, ctx, p, g):
    """dL/dz_j = (J^T dL/dp)_j by the backward of the very layer that computed p (J^T g without
    forming J), each written as its sum over the Jacobian's shown rows."""
    w = nar.writer
    n = p.shape[1]
    layer.a = p
    dz = w.round_array(layer.backward(g, ctx))
    jac = layer.jacobian(p[0], nar.backend, shown_terms(n))  # once (it was rebuilt per term), rows shown
    for j in range(1, n + 1):
        terms = sum_terms(g[0], jac, j - 1, w)
        nar.add(f"dL/dz{j}", f"dL/dz{j} = (J^T dL/dp)_{j} = sum_i dL/dp_i J_i{j}", join_sum(terms), dz[0, j - 1],
                latex=rf"\frac{{\partial L}}{{\partial z_{{{j}}}}} = \sum_i \frac{{\partial L}}{{\partial p_i}} J_{{i{j}}}",
                latex_substituted=join_tex(terms))
    return dz


def _shortcut_steps(nar: Narration, zs, p, t, dz):
    """p - t (the softmax + cross-entropy shortcut) per score, and whether the chain rule met it."""
    from calc.engine.losses import get_loss

    sol, w, n = nar.solution, nar.writer, zs.shape[1]
    shortcut = w.round_array(get_loss("softmax_ce", "sum").grad(zs, t, nar.backend))
    for j in range(1, n + 1):
        sol.add(Step(f"p{j} - t{j}", "p - t (the softmax + cross-entropy shortcut)",
                     f"{w.num(p[0, j - 1])} - {w.num(t[0, j - 1])}", shortcut[0, j - 1], section=nar.section,
                     latex=f"p_{{{j}}} - t_{{{j}}}"))
    same = all(dz[0, j] == shortcut[0, j] for j in range(n))
    sol.findings.append("J^T(-t/p) equals p - t " + ("exactly" if same else "up to rounding")
                        + ": the Jacobian's -p_i p_j terms add up to p_j sum_i t_i = p_j (targets sum to 1)")
    return shortcut


@problem_type("softmax")
def solve_softmax_problem(given, where: Where, options: SolveOptions) -> Solution:
    from calc.solve.given import at, check_keys, flag, vector

    check_keys(given, where, ("z", "target", "target_class", "jacobian", "stable"))
    z = vector(given, where, "z")
    target = None
    if "target_class" in given:
        c = given["target_class"]
        if isinstance(c, bool) or not isinstance(c, int) or not 0 <= c < len(z):
            raise SpecError(f"expected a class number 0..{len(z) - 1}, got {short(c)}", at(given, where, "target_class"))
        target = [1 if j == c else 0 for j in range(len(z))]
    elif "target" in given:
        target = vector(given, where, "target", length=len(z))
    try:
        return solve_softmax(z, target, flag(given, where, "jacobian", True), flag(given, where, "stable", True),
                             options.decimals, options.hand_rounding, options.learner)
    except InputError as exc:
        raise SpecError(exc.message, where) from None
