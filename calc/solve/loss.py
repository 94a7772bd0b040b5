"""Losses worked out: MSE (half-SSE, mean, sum), binary and categorical cross-entropy.

Values come from calc.engine.losses (value, per_sample, grad); this module writes them out per
output and per sample. ``loss_steps`` is shared with the network solver; ``solve_loss`` and the
``loss`` problem type answer loss questions on their own:

    type: loss
    given: {loss: mse, reduction: [half_sum, mean], output: [0.7514, 0.7729], target: [0.01, 0.99]}

Answer names: ``loss`` (or ``loss_half_sum``, ``loss_mean`` ... when several conventions are
asked), ``loss.1`` (the first output's term), ``sample2.loss`` (a sample's loss in a batch),
``dL/dy1`` (gradient; ``dL/dz1`` for losses on logits).
"""

from __future__ import annotations

from calc.errors import InputError, SpecError, Where
from calc.solve.carry import NO_LEARNER, Learner
from calc.solve.narrate.base import Narration, Slot
from calc.solve.registry import SolveOptions, problem_type
from calc.solve.step import Solution
from calc.solve.text import Writer, join_sum, join_tex

# Display formulas (@o output, @t target, @n divisor); the values come from calc.engine.losses.
TERMS = {
    ("mse", "half_sum"): ("1/2 (@t - @o)^2", r"\frac{1}{2}(@t - @o)^2"),
    ("mse", "sum"): ("(@o - @t)^2", "(@o - @t)^2"),
    ("mse", "mean"): ("(@o - @t)^2", "(@o - @t)^2"),
    "bce": ("-[@t ln @o + (1 - @t) ln(1 - @o)]", r"-[@t \ln @o + (1 - @t) \ln(1 - @o)]"),
    "bce_logits": ("-[@t ln sigma(@o) + (1 - @t) ln(1 - sigma(@o))]",
                   r"-[@t \ln\sigma(@o) + (1 - @t) \ln(1 - \sigma(@o))]"),
    "cross_entropy": ("-@t ln @o", r"-@t \ln @o"),
}
GRADS = {
    ("mse", "half_sum"): ("@o - @t", "@o - @t"),
    ("mse", "sum"): ("2(@o - @t)", "2(@o - @t)"),
    ("mse", "mean"): ("2(@o - @t)", "2(@o - @t)"),
    "bce": ("(@o - @t) / (@o(1 - @o))", r"\frac{@o - @t}{@o(1 - @o)}"),
    "bce_logits": ("sigma(@o) - @t", r"\sigma(@o) - @t"),
    "cross_entropy": ("-@t / @o", r"-\frac{@t}{@o}"),
    "softmax_ce": ("p - @t", "p - @t"),
}
TOTALS = {"mse": "sum of the terms", "bce": "sum of the terms", "bce_logits": "sum of the terms",
          "cross_entropy": "-sum_i t_i ln p_i", "softmax_ce": "-sum_i t_i ln softmax(z)_i"}
PER_ELEMENT_MEAN = ("mse", "bce", "bce_logits")  # 'mean' divides by all elements; the others by samples
CONVENTIONS = {
    ("mse", "half_sum"): "MSE as half the sum of squared errors (textbook): E = sum 1/2 (t - o)^2, dE/do = o - t",
    ("mse", "mean"): "MSE as the mean over all outputs (PyTorch MSELoss): L = (1/n) sum (o - t)^2, dL/do = 2(o - t)/n",
    ("mse", "sum"): "MSE as the sum of squared errors: L = sum (o - t)^2, dL/do = 2(o - t)",
    "bce": "binary cross-entropy on probabilities p: -[t ln p + (1 - t) ln(1 - p)], dL/dp = (p - t)/(p(1 - p))",
    "bce_logits": "binary cross-entropy on logits z (PyTorch BCEWithLogitsLoss): p = sigma(z), dL/dz = sigma(z) - t",
    "cross_entropy": "categorical cross-entropy on probabilities: -sum_i y_i ln p_i, dL/dp_i = -y_i/p_i",
    "softmax_ce": "softmax cross-entropy on logits (PyTorch CrossEntropyLoss): -sum_i y_i ln softmax(z)_i, dL/dz = p - y",
}


def _key(name: str, reduction: str):
    return (name, reduction) if name == "mse" else name


def convention(name: str, reduction: str, n_samples: int = 1) -> str:
    text = CONVENTIONS[_key(name, reduction)] + "; natural log" * (name != "mse")
    if n_samples > 1 and reduction == "mean":
        over = "all outputs of all samples" if name in PER_ELEMENT_MEAN else "the samples"
        text += f"; batch of {n_samples}: the mean over {over} (PyTorch), so each gradient is divided by that count"
    elif n_samples > 1:
        text += f"; batch of {n_samples}: the per-sample losses are added"
    return text


def divisor(name: str, reduction: str, shape) -> int:
    if reduction != "mean":
        return 1
    n = 1
    for d in (shape if name in PER_ELEMENT_MEAN else shape[:1]):
        n *= d
    return n


def _put(template: str, o: str, t: str) -> str:
    return template.replace("@o", o).replace("@t", t)


def loss_steps(nar: Narration, loss, y, t, slot: Slot, total_key: str = "loss", sample_word: str = "sample"):
    """Steps of one loss over a batch (N, n): per-output terms, per-sample and batch loss.

    Returns (value, grad) from calc.engine.losses, rounded like a student in hand-rounding mode.
    """
    n_samples, base = y.shape[0], nar.prefix
    terms, sample_values = [], []
    for s in range(n_samples):
        nar.prefix = base + (f"{sample_word}{s + 1}." if n_samples > 1 else "")
        terms = _term_steps(nar, loss, y, t, slot, s, total_key)
        if n_samples > 1:
            sample_values.append(_sample_step(nar, loss, y, t, s, terms, total_key, sample_word))
    nar.prefix = base
    if n_samples > 1:
        names, values = [f"{sample_word}{s + 1}.{total_key}" for s in range(n_samples)], sample_values
    else:
        names, values = [k for k, _ in terms], [v for _, v in terms]
    value = _total_step(nar, loss, y, t, names, values, total_key)
    return value, nar.writer.round_array(loss.grad(y, t, nar.backend))


def _term_steps(nar: Narration, loss, y, t, slot: Slot, s: int, total_key: str) -> list[tuple[str, object]]:
    """Sample s's term per output (1/2 (t - o)^2, -t ln p, ...) as [(answer name, value)], the
    learner's own values where nncalc check carries them; none for softmax_ce (not separable)."""
    if loss.name == "softmax_ce":
        return []
    from calc.engine.losses import get_loss

    be, w = nar.backend, nar.writer
    term_loss = get_loss(loss.name, "half_sum" if loss.reduction == "half_sum" else "sum")
    terms = []
    for j in range(y.shape[1]):
        if loss.name == "cross_entropy" and t[s, j] == 0:
            continue  # 0 ln p = 0: only the true class counts
        value = w.round(term_loss.value(y[s:s + 1, j:j + 1], t[s:s + 1, j:j + 1], be))
        text, tex = TERMS[_key(loss.name, loss.reduction)]
        name = f"{total_key}.{j + 1}"
        nar.add(name, f"{name} = " + _put(text, slot.text(j + 1), f"t{j + 1}"),
                _put(text, w.factor(y[s, j]), w.factor(t[s, j])), value,
                latex=rf"L_{{{j + 1}}}" + (f"^{{({s + 1})}}" if y.shape[0] > 1 else "") + " = "
                + _put(tex, slot.tex(j + 1), f"t_{{{j + 1}}}"),
                latex_substituted=_put(tex, w.factor(y[s, j]), w.factor(t[s, j])))
        terms.append((name, nar.take(name, value)))
    return terms


def _sample_step(nar: Narration, loss, y, t, s: int, terms: list, total_key: str, sample_word: str):
    """The loss of sample s: its terms added up (the learner's own terms under nncalc check)."""
    w = nar.writer
    value = w.round(loss.per_sample(y, t, nar.backend)[s])
    if terms and _own(nar, [k for k, _ in terms]):  # the learner's terms added up
        value = w.round(sum(v for _, v in terms))
    several = len(terms) > 1
    nar.add(total_key, f"{total_key} of {sample_word} {s + 1} = " + (join_sum([k for k, _ in terms]) or TOTALS[loss.name]),
            join_sum([w.num(v) for _, v in terms]) if several else "", value, latex=rf"L^{{({s + 1})}}",
            latex_substituted=join_tex([w.num(v) for _, v in terms]) if several else "")
    return nar.take(total_key, value)


def _total_step(nar: Narration, loss, y, t, names: list, values: list, total_key: str):
    """The batch loss: the terms (one sample) or the samples' losses added, / n for a mean."""
    w = nar.writer
    value = w.round(loss.value(y, t, nar.backend))
    n = divisor(loss.name, loss.reduction, y.shape)
    if values and _own(nar, names):  # nncalc check: the total from the learner's own terms, as the formula adds them
        value = w.round(sum(values[1:], values[0]) / n)
    formula, sub = join_sum(names) or TOTALS[loss.name], join_sum([w.num(v) for v in values])
    tex_sub = join_tex([w.num(v) for v in values])
    if n > 1:
        formula, sub, tex_sub = f"(1/{n})({formula})", f"({sub}) / {n}" if sub else "", rf"\frac{{{tex_sub}}}{{{n}}}" if tex_sub else ""
    if len(values) <= 1 and n == 1:
        sub = tex_sub = ""  # one term: nothing to add up
    nar.add(total_key, f"{total_key} = {formula}", sub, value, latex="L", latex_substituted=tex_sub)
    return value


def _own(nar: Narration, names: list[str]) -> bool:
    """Does nncalc check carry the learner's value of any of these answers?"""
    return bool(nar.carry) and nar.carry.any(nar.prefix + k for k in names)


def grad_steps(nar: Narration, loss, y, t, grad, slot: Slot, sample_word: str = "sample") -> None:
    """dL/d(output) per sample and output, with the loss's derivative written out."""
    from calc.layers.activation.softmax import Softmax

    be, w = nar.backend, nar.writer
    base = nar.prefix
    n = divisor(loss.name, loss.reduction, y.shape)
    text, tex = GRADS[_key(loss.name, loss.reduction)]
    shown = Softmax().function(y, be) if loss.name == "softmax_ce" else y
    for s in range(y.shape[0]):
        nar.prefix = base + (f"{sample_word}{s + 1}." if y.shape[0] > 1 else "")
        for j in range(y.shape[1]):
            o_text = f"p{j + 1}" if loss.name == "softmax_ce" else slot.text(j + 1)
            sub = _put(text.replace("p - ", "@o - "), w.factor(shown[s, j]), w.factor(t[s, j]))
            formula = _put(text.replace("p - ", "@o - "), o_text, f"t{j + 1}")
            latex = _put(tex.replace("p - ", "@o - "), slot.tex(j + 1) if loss.name != "softmax_ce" else f"p_{{{j + 1}}}", f"t_{{{j + 1}}}")
            tex_sub = _put(tex.replace("p - ", "@o - "), w.factor(shown[s, j]), w.factor(t[s, j]))
            if n > 1:
                formula, sub = f"({formula}) / {n}", f"({sub}) / {n}"
                latex, tex_sub = rf"\frac{{{latex}}}{{{n}}}", rf"\frac{{{tex_sub}}}{{{n}}}"
            nar.add(slot.grad_key(j + 1), f"{slot.grad_text(j + 1)} = {formula}", sub, grad[s, j],
                    latex=f"{slot.grad_tex(j + 1)} = {latex}", latex_substituted=tex_sub)
    nar.prefix = base


def check_values(name: str, y, t) -> None:
    """Probabilities in [0, 1], targets that fit the loss; an infinite loss is an error, not a crash."""
    for (s, j), p in _items(y):
        target = t[s, j]
        if name in ("bce", "cross_entropy") and not 0 <= p <= 1:
            raise InputError(f"output {p} (sample {s + 1}, output {j + 1}) is not a probability; "
                             "for raw scores use bce_logits or softmax_ce")
        if name == "cross_entropy" and p == 0 and target != 0:
            raise InputError(f"probability 0 for a target of {target}: the loss is infinite")
        if name == "bce" and ((p == 0 and target != 0) or (p == 1 and target != 1)):
            raise InputError(f"probability {p} for a target of {target}: the loss is infinite")
        if name in ("bce", "bce_logits") and not 0 <= target <= 1:
            raise InputError(f"binary targets must lie in [0, 1], got {target}")


def check_distributions(name: str, t) -> None:
    """Categorical targets are distributions: dL/dz = p - t holds only when each row sums to 1."""
    if name not in ("cross_entropy", "softmax_ce"):
        return
    for s in range(t.shape[0]):
        row = [t[s, j] for j in range(t.shape[1])]
        if any(v < 0 for v in row) or sum(row) != 1:
            found = "has a negative value" if any(v < 0 for v in row) else f"adds up to {sum(row)}"
            raise InputError(f"cross-entropy targets must be non-negative and add up to 1 (one-hot or a "
                             f"distribution); sample {s + 1} {found}")


def _items(a):
    for s in range(a.shape[0]):
        for j in range(a.shape[1]):
            yield (s, j), a[s, j]


def solve_loss(name: str, outputs, targets, reductions=("mean",), decimals: int = 4,
               hand_rounding: bool = False, gradient: bool = True, learner: Learner = NO_LEARNER) -> Solution:
    """Loss (and dL/d output) of outputs vs targets, each a list of samples of equal length.
    ``learner``: the learner's terms carried into the totals (nncalc check)."""
    from calc.backend import get_backend
    from calc.engine.losses import get_loss

    be = get_backend("exact")
    y, t = be.asarray(outputs), be.asarray(targets)
    if y.ndim == 1:
        y, t = y.reshape(1, -1), t.reshape(1, -1)
    if y.shape != t.shape:
        raise InputError(f"{y.shape[1] if y.ndim > 1 else len(y)} outputs but the targets have shape {tuple(t.shape)}")
    losses = [get_loss(name, r) for r in reductions]
    check_values(losses[0].name, y, t)
    check_distributions(losses[0].name, t)
    sol = Solution(f"Loss: {losses[0].name}", [convention(ls.name, ls.reduction, y.shape[0]) for ls in losses])
    sol.conventions.append(_number_convention(decimals, hand_rounding))
    nar = Narration(sol, Writer(decimals, hand_rounding), be, carry=learner.carry())
    slot = Slot("", "z" if losses[0].name in ("bce_logits", "softmax_ce") else "y")
    for loss in losses:
        nar.section = f"{loss.name}, {loss.reduction}" if len(losses) > 1 else "Loss"
        key = "loss" if len(losses) == 1 else f"loss_{loss.reduction}"
        _, grad = loss_steps(nar, loss, y, t, slot, key)
        if gradient:
            nar.section = "Gradient" + (f" ({loss.reduction})" if len(losses) > 1 else "")
            if len(losses) > 1:
                nar.prefix = f"{loss.reduction}."
            grad_steps(nar, loss, y, t, grad, slot)
            nar.prefix = ""
    if len(losses) > 1 and losses[0].name == "mse":
        sol.findings.append(f"the conventions differ by constant factors: sum = 2 x half_sum; mean = sum / {y.size}")
    first = "loss" if len(losses) == 1 else f"loss_{losses[0].reduction}"
    sol.summary = ", ".join(f"{k} = {nar.writer.num(v)}" for k, v in sol.answers.items() if k.startswith("loss") and "." not in k)
    assert first in sol.answers
    return sol


def _number_convention(decimals: int, hand: bool) -> str:
    if hand:
        return f"hand rounding: every intermediate value rounded half-up to {decimals} decimals, as by hand"
    return f"exact arithmetic on the numbers as written (0.1 = 1/10); shown to {decimals} decimals"


@problem_type("loss")
def solve_loss_problem(given, where: Where, options: SolveOptions) -> Solution:
    from calc.solve.given import at, check_keys, flag, raw
    from calc.vocabulary import REDUCTIONS

    check_keys(given, where, ("loss", "reduction", "output", "target", "target_class", "gradient"))
    name = str(raw(given, where, "loss"))
    reductions = raw(given, where, "reduction", "mean")
    items = reductions if isinstance(reductions, list) else [reductions]
    try:
        items = [REDUCTIONS.resolve(r) for r in items]
    except InputError as exc:
        raise SpecError(exc.message, at(given, where, "reduction")) from None
    outputs = _rows(given, where, "output")
    if "target_class" in given:
        classes = raw(given, where, "target_class")
        classes = classes if isinstance(classes, list) else [classes]
        if len(classes) != len(outputs) or any(isinstance(c, bool) or not isinstance(c, int) or not 0 <= c < len(outputs[0])
                                                for c in classes):
            raise SpecError(f"expected one class number 0..{len(outputs[0]) - 1} per sample ({len(outputs)})",
                            at(given, where, "target_class"))
        targets = [[1 if j == c else 0 for j in range(len(outputs[0]))] for c in classes]
    else:
        targets = _rows(given, where, "target")
        if [len(r) for r in targets] != [len(r) for r in outputs]:
            raise SpecError(f"expected {len(outputs)} target row(s) of {len(outputs[0])} values, like 'output'",
                            at(given, where, "target"))
    try:
        return solve_loss(name, outputs, targets, tuple(items), options.decimals,
                          options.hand_rounding, flag(given, where, "gradient", True), options.learner)
    except InputError as exc:
        raise SpecError(exc.message, where) from None


def _rows(given, where: Where, key: str) -> list[list]:
    """A list of numbers (one sample) or a list of equal-length lists (a batch), exact."""
    from calc.solve.given import matrix, raw, vector

    value = raw(given, where, key)
    if isinstance(value, list) and value and all(isinstance(r, list) for r in value):
        return matrix(given, where, key)
    return [vector(given, where, key)]
