"""Worked solutions for optimizers: k steps as a table of every state variable, and each step's
update with the numbers put in.

The updates are calc.engine.optim's (Optimizer.update on one-element exact arrays, the same
code that trains networks); on a function such as f(w) = w^2 the gradients come from the exact
graph engine (calc.graph). The formula texts below are for display only.
"""

from __future__ import annotations

from fractions import Fraction

from calc.errors import InputError
from calc.solve import given as g
from calc.solve.registry import SolveOptions, problem_type
from calc.solve.step import Solution, Step, Table

STATE = {"s": "sum", "wd": "w_decayed"}  # column name -> key of Optimizer.update's state


def _updates(opt) -> list[tuple[str, str, str]]:
    """(state key, formula, template with the numbers) of each quantity one step computes."""
    keras = opt.style == "keras"
    w = ("w", "w_t = w_(t-1) - lr g_t", "{w_prev} - {lr} * {g}")
    if opt.name == "sgd" and opt.momentum:
        if keras:
            v = ("v", "v_t = mu v_(t-1) - lr g_t", "{mu} * {v_prev} - {lr} * {g}")
            if opt.nesterov:
                return [v, ("w", "w_t = w_(t-1) + mu v_t - lr g_t", "{w_prev} + {mu} * {v} - {lr} * {g}")]
            return [v, ("w", "w_t = w_(t-1) + v_t", "{w_prev} + {v}")]
        b = ("b", "b_t = mu b_(t-1) + g_t (b_1 = g_1)", "{mu} * {b_prev} + {g}")
        if opt.nesterov:
            return [b, ("w", "w_t = w_(t-1) - lr (g_t + mu b_t)", "{w_prev} - {lr} * ({g} + {mu} * {b})")]
        return [b, ("w", "w_t = w_(t-1) - lr b_t", "{w_prev} - {lr} * {b}")]
    root = ("sqrt({acc} + {eps})", "sqrt(ACC + eps)") if keras else ("(sqrt({acc}) + {eps})", "(sqrt(ACC) + eps)")
    if opt.name == "adagrad":
        return [("s", "s_t = s_(t-1) + g_t^2", "{s_prev} + {g}^2"),
                ("w", "w_t = w_(t-1) - lr g_t / " + root[1].replace("ACC", "s_t"),
                 "{w_prev} - {lr} * {g} / " + root[0].replace("{acc}", "{s}"))]
    if opt.name == "rmsprop":
        return [("v", "v_t = alpha v_(t-1) + (1 - alpha) g_t^2", "{alpha} * {v_prev} + (1 - {alpha}) * {g}^2"),
                ("w", "w_t = w_(t-1) - lr g_t / " + root[1].replace("ACC", "v_t"),
                 "{w_prev} - {lr} * {g} / " + root[0].replace("{acc}", "{v}"))]
    if opt.name == "adamw":  # PyTorch AdamW: decoupled decay, then Adam's step from the decayed weight
        decay = ("wd", "w'_t = w_(t-1) - lr lambda w_(t-1)", "{w_prev} - {lr} * {lambda} * {w_prev}")
        adam = _updates(_as_adam(opt))
        return [decay] + [(k, f.replace("w_(t-1)", "w'_t"), tpl.replace("{w_prev}", "{wd}"))
                          if k == "w" else (k, f, tpl) for k, f, tpl in adam]
    if opt.name == "adam":
        rows = [("m", "m_t = b1 m_(t-1) + (1 - b1) g_t", "{b1} * {m_prev} + (1 - {b1}) * {g}"),
                ("v", "v_t = b2 v_(t-1) + (1 - b2) g_t^2", "{b2} * {v_prev} + (1 - {b2}) * {g}^2")]
        if not opt.bias_correction:
            return rows + [("w", "w_t = w_(t-1) - lr m_t / (sqrt(v_t) + eps)", "{w_prev} - {lr} * {m} / (sqrt({v}) + {eps})")]
        if keras:
            return rows + [("w", "w_t = w_(t-1) - lr sqrt(1 - b2^t) / (1 - b1^t) * m_t / (sqrt(v_t) + eps)",
                            "{w_prev} - {lr} * sqrt(1 - {b2}^{t}) / (1 - {b1}^{t}) * {m} / (sqrt({v}) + {eps})")]
        return rows + [("m_hat", "m^_t = m_t / (1 - b1^t)", "{m} / (1 - {b1}^{t})"),
                       ("v_hat", "v^_t = v_t / (1 - b2^t)", "{v} / (1 - {b2}^{t})"),
                       ("w", "w_t = w_(t-1) - lr m^_t / (sqrt(v^_t) + eps)",
                        "{w_prev} - {lr} * {m_hat} / (sqrt({v_hat}) + {eps})")]
    return [w]


def _within_step(updates, values: dict, env: dict, carry, t: int, rnd) -> dict:
    """nncalc check: each quantity of step t again from the learner's own earlier quantities of
    the same step (w_t from their m^_t and v^_t, m^_t from their m_t), by the very formulas the
    solution shows (``updates``' templates, evaluated exactly); unchanged where none is carried."""
    import re

    from calc import graph as cg
    from calc.expr import parse

    out = dict(values)
    for k, _, template in updates:
        names = re.findall(r"{(\w+)}", template)
        if any(n in values and n != k and carry.any((n, f"{n}{t}")) for n in names):
            expression = template.format(**{n: n for n in names})
            out[k] = rnd(cg.gradient(parse(expression), {n: env[n] for n in names})[0])
        env[k] = carry.element(k, t - 1, out[k], f"{k}{t}")
    return out


def _as_adam(opt):
    from dataclasses import replace

    return replace(opt, name="adam")


def _conventions(opt, key: str, show) -> list[str]:
    from calc.exact import to_fraction

    lines = [f"{key}, {opt.style} form: " + "; ".join(f for _, f, _ in _updates(opt)),
             "t counts steps from 1; every state starts at 0" + (
                 f" (Keras starts Adagrad's s at {show(to_fraction(opt.initial_accumulator))})"
                 if opt.name == "adagrad" and opt.style == "keras" else "")]
    if opt.name == "sgd" and opt.momentum:
        lines.append("PyTorch (b = mu b + g, w -= lr b), Keras (v = mu v - lr g, w += v) and the lecture form "
                     "(v = beta v + lr g, w -= v) give the same weights for a constant learning rate")
    if opt.name == "adamw":
        lines.append(f"decoupled weight decay lambda = {show(to_fraction(opt.weight_decay))} (PyTorch AdamW; "
                     "Keras 0.004): w' = w - lr lambda w, then Adam's step from w'")
    if opt.name in ("adam", "adamw"):
        lines.append("bias correction " + ("on: m^ = m/(1 - b1^t), v^ = v/(1 - b2^t)" if opt.bias_correction
                                          else "off: m and v are used as they are"))
    if opt.name in ("adagrad", "rmsprop", "adam", "adamw"):
        lines.append("PyTorch adds eps after the square root; Keras puts it inside for Adagrad/RMSprop and "
                     "uses it as eps-hat in Adam (--style keras)")
    return lines


MAX_STEPS = 1000  # as `nncalc optimizer --steps`: a problem file's steps: is bounded the same way


def solve_optimizer(name: str, steps: int, start: Fraction | None = None, grads: list | None = None,
                    function: str | None = None, style: str = "pytorch", options: SolveOptions = SolveOptions(),
                    **settings) -> Solution:
    """k steps of an optimizer on given gradients or on a function of one variable."""
    from calc import graph as cg
    from calc.backend import get_backend
    from calc.engine.optim import make_optimizer
    from calc.exact import round_half_up
    from calc.expr import parse
    from calc.expr_tree import variables
    from calc.numfmt import fmt
    from calc.vocabulary import OPTIMIZERS

    key = OPTIMIZERS.resolve(name)
    if (grads is None) == (function is None):
        raise InputError("give either the gradients (--grads) or a function (--function)"
                         + (", not both" if grads is not None else ""))
    if not 1 <= steps <= MAX_STEPS:
        shown = steps if abs(steps) < 10**9 else "far more"  # never a thousand digits in a message
        raise InputError(f"steps: expected 1 to {MAX_STEPS}, got {shown}")
    opt = make_optimizer(key, style, **settings)
    be = get_backend("exact")
    rnd = (lambda v: round_half_up(v, options.decimals)) if options.hand_rounding else (lambda v: v)

    def show(v) -> str:
        text = fmt(v, options.decimals)
        return f"({text})" if isinstance(v, (int, Fraction)) and v < 0 else text

    statements, var = None, "w"
    if function is not None:
        statements = parse(function)
        names = variables(statements)
        if len(names) != 1:
            raise InputError(f"--function: expected a function of one variable, got {', '.join(names) or 'none'}")
        var = names[0]
        if start is None:
            raise InputError("--start: a function needs the starting value of its variable")
    else:
        if len(grads) < steps:
            raise InputError(f"--grads: {steps} steps need {steps} gradients, got {len(grads)}")
        start = Fraction(0) if start is None else start
    updates = _updates(opt)
    sol = Solution(f"{key} for {steps} step{'s' if steps > 1 else ''}", _conventions(opt, key, show))
    if function is not None:
        sol.conventions.append(f"gradients g_t = df/d{var} at w_(t-1), f = {function.strip()} (exact graph engine)")

    numbers = {"lr": opt.lr, "mu": opt.momentum, "alpha": opt.alpha, "b1": opt.beta1, "b2": opt.beta2, "eps": opt.eps,
               "lambda": opt.weight_decay}
    numbers = {k: be.scalar(v) for k, v in numbers.items()}
    carry = options.learner.carry()  # nncalc check: the learner's w, g and states carried into the next step
    state: dict = {}
    w = rnd(start)
    table, answers = [], {"w": [], "g": []}
    for t in range(1, steps + 1):
        prev = {f"{k}_prev": Fraction(state[STATE.get(k, k)][0]) if STATE.get(k, k) in state else Fraction(0)
                for k, _, _ in updates}
        if opt.name == "adagrad" and "sum" not in state:
            prev["s_prev"] = be.scalar(opt.initial_accumulator)
        f_value = None
        if function is not None:
            f_value, grad = cg.gradient(statements, {var: w})
            gt = rnd(grad[var])
            sol.add(Step(f"g{t}", f"df/d{var} at {var} = w{t - 1}", f"f'({fmt(w, options.decimals)})", gt,
                         name=f"g{t}", section=f"Step {t}"))
        else:
            gt = grads[t - 1]
        answers["g"].append(gt)
        gt = carry.element("g", t - 1, gt, f"g{t}")
        new = opt.update(be.asarray([w]), be.asarray([gt]), state, be)
        if state.pop("undefined", False):
            sol.findings.append(f"step {t}: the update is 0/0 (every gradient so far is 0 and eps = 0); convention "
                                "used: no step, the limit as eps -> 0+ (PyTorch computes nan)")
        for k in list(state):
            if k != "t":
                state[k] = be.asarray([rnd(Fraction(state[k][0]))])
        w_new = rnd(Fraction(new[0]))
        values = {k: Fraction(state[STATE.get(k, k)][0]) if k != "w" else w_new for k, _, _ in updates}
        if carry:
            values = _within_step(updates, values, {**numbers, **prev, "w_prev": w, "g": gt, "t": Fraction(t)},
                                  carry, t, rnd)
        shown = {**{k: show(v) for k, v in {**numbers, **prev, **values}.items()},
                 "w_prev": show(w), "g": show(gt), "t": str(t)}
        for k, formula, template in updates:
            text = template.format(**shown) if not (k == "b" and t == 1) else f"{show(gt)} (b_1 = g_1)"
            sol.add(Step(f"{k}{t}", formula, text, values[k], name=f"{k}{t}", section=f"Step {t}"))
            answers.setdefault(k, []).append(values[k])
        state_cols = [values[k] for k, _, _ in updates if k != "w"]
        table.append([t, w] + ([f_value] if function is not None else []) + [gt] + state_cols + [w_new])
        for k, _, _ in updates:
            if k in ("m", "v", "b", "s") and carry.any((k, f"{k}{t}")):
                state[STATE.get(k, k)] = be.asarray([carry.element(k, t - 1, values[k], f"{k}{t}")])
        w = carry.element("w", t - 1, w_new, f"w{t}")
    columns = (["t", "w_(t-1)"] + (["f(w_(t-1))"] if function is not None else []) + ["g_t"]
               + [{"wd": "w'"}.get(k, k.replace("_hat", "^")) + "_t" for k, _, _ in updates if k != "w"] + ["w_t"])
    sol.add(Table(f"{key}: every state per step", columns, table, section="Summary"))
    sol.answers.update({k: v for k, v in answers.items()})
    sol.answers["w_final"] = w
    sol.aliases["w_final"] = f"w{steps}"  # the last step's w: either name answers it
    if function is not None:
        sol.answers["f_final"] = cg.gradient(statements, {var: w})[0]
    sol.summary = f"w after {steps} step{'s' if steps > 1 else ''}: {fmt(w, options.decimals)}"
    return sol


@problem_type("optimizer")
def solve_optimizer_problem(given, where, options: SolveOptions) -> Solution:
    """given: optimizer, lr, steps, grads [..] or function + start, and optional momentum, beta1,
    beta2, alpha (RMSprop), eps, bias_correction, initial_accumulator, style (pytorch | keras)."""
    from calc.errors import SpecError

    settings = {k: g.number(given, where, k) for k in ("lr", "momentum", "beta1", "beta2", "alpha", "eps",
                                                        "initial_accumulator", "weight_decay") if k in given}
    if "bias_correction" in given:
        settings["bias_correction"] = bool(g.raw(given, where, "bias_correction"))
    grads = g.vector(given, where, "grads") if "grads" in given else None
    function = str(g.raw(given, where, "function")) if "function" in given else None
    start = g.number(given, where, "start") if "start" in given else None
    steps = int(g.number(given, where, "steps", len(grads) if grads else 1))
    try:
        return solve_optimizer(str(g.raw(given, where, "optimizer")), steps, start, grads, function,
                               str(g.raw(given, where, "style", "pytorch")), options, **settings)
    except InputError as exc:
        raise SpecError(exc.message, where) from None
