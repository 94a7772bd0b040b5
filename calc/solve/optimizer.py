"""Worked solutions for optimizers: k steps as a table of every state variable, and each step's
update with the numbers put in.

The updates are calc.engine.optim's (Optimizer.update on one-element exact arrays, the same
code that trains networks); on a function such as f(w) = w^2 the gradients come from the exact
graph engine (calc.graph). The formula texts (calc.solve.optimizer_forms) are for display only.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from calc.errors import InputError
from calc.solve import given as g
from calc.solve.optimizer_forms import rule_conventions, update_rules
from calc.solve.registry import SolveOptions, problem_type
from calc.solve.step import Solution, Step, Table

STATE = {"s": "sum", "wd": "w_decayed"}  # column name -> key of Optimizer.update's state


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


MAX_STEPS = 1000  # as `nncalc optimizer --steps`: a problem file's steps: is bounded the same way


def solve_optimizer(name: str, steps: int, start: Fraction | None = None, grads: list | None = None,
                    function: str | None = None, style: str = "pytorch", options: SolveOptions = SolveOptions(),
                    **settings) -> Solution:
    """k steps of an optimizer on given gradients or on a function of one variable."""
    from calc.engine.optim import make_optimizer
    from calc.vocabulary import OPTIMIZERS

    key = OPTIMIZERS.resolve(name)
    _check_request(steps, grads, function)
    opt = make_optimizer(key, style, **settings)
    statements, var, start = _objective(function, start, grads, steps)
    run = _new_run(opt, options, grads, statements, var)
    sol = Solution(f"{key} for {steps} step{'s' if steps > 1 else ''}", rule_conventions(opt, key, run.show))
    if function is not None:
        sol.conventions.append(f"gradients g_t = df/d{var} at w_(t-1), f = {function.strip()} (exact graph engine)")
    w, table, answers = _run_steps(run, sol, steps, start)
    _finish(sol, run, key, steps, w, table, answers)
    return sol


@dataclass
class _Run:
    """What every step of one solution shares: the optimizer, the exact backend, the rounding and
    display rules, the hyperparameters as exact scalars, the learner's carry, where g_t comes from."""

    opt: Any
    be: Any
    options: SolveOptions
    updates: list  # update_rules(opt)
    numbers: dict  # template name -> exact hyperparameter
    carry: Any  # nncalc check: the learner's w, g and states carried into the next step
    grads: list | None = None  # the given gradients, or None with a function
    statements: Any = None  # the parsed function, or None with given gradients
    var: str = "w"

    def rnd(self, v):
        """Half up to --decimals under hand rounding (as a student carries values), else exact."""
        if not self.options.hand_rounding:
            return v
        from calc.exact import round_half_up

        return round_half_up(v, self.options.decimals)

    def show(self, v) -> str:
        """A number as the steps write it: negative exact values in parentheses."""
        from calc.numfmt import fmt

        text = fmt(v, self.options.decimals)
        return f"({text})" if isinstance(v, (int, Fraction)) and v < 0 else text


def _check_request(steps: int, grads: list | None, function: str | None) -> None:
    if (grads is None) == (function is None):
        raise InputError("give either the gradients (--grads) or a function (--function)"
                         + (", not both" if grads is not None else ""))
    if not 1 <= steps <= MAX_STEPS:
        shown = steps if abs(steps) < 10**9 else "far more"  # never a thousand digits in a message
        raise InputError(f"steps: expected 1 to {MAX_STEPS}, got {shown}")


def _objective(function: str | None, start, grads: list | None, steps: int):
    """(parsed function or None, its variable, w_0): a function needs one variable and a start;
    given gradients need one per step and start at 0 unless told."""
    if function is None:
        if len(grads) < steps:
            raise InputError(f"--grads: {steps} steps need {steps} gradients, got {len(grads)}")
        return None, "w", Fraction(0) if start is None else start
    from calc.expr import parse
    from calc.expr_tree import variables

    statements = parse(function)
    names = variables(statements)
    if len(names) != 1:
        raise InputError(f"--function: expected a function of one variable, got {', '.join(names) or 'none'}")
    if start is None:
        raise InputError("--start: a function needs the starting value of its variable")
    return statements, names[0], start


def _new_run(opt, options: SolveOptions, grads, statements, var: str) -> _Run:
    from calc.backend import get_backend

    be = get_backend("exact")
    numbers = {"lr": opt.lr, "mu": opt.momentum, "alpha": opt.alpha, "b1": opt.beta1, "b2": opt.beta2, "eps": opt.eps,
               "lambda": opt.weight_decay}
    return _Run(opt, be, options, update_rules(opt), {k: be.scalar(v) for k, v in numbers.items()},
                options.learner.carry(), grads, statements, var)


def _run_steps(run: _Run, sol: Solution, steps: int, start) -> tuple:
    """Every step in turn, each adding its own steps to ``sol``; returns the final w, the summary
    table's rows and the answers (a list per quantity)."""
    state: dict = {}  # Optimizer.update's state, carried from step to step
    w = run.rnd(start)
    table, answers = [], {"w": [], "g": []}
    for t in range(1, steps + 1):
        prev = _previous(run, state)
        f_value, gt = _gradient(run, sol, t, w)
        answers["g"].append(gt)
        gt = run.carry.element("g", t - 1, gt, f"g{t}")
        values, w_new = _update(run, sol, t, w, gt, state, prev)
        _add_update_steps(run, sol, t, w, gt, prev, values, answers)
        state_cols = [values[k] for k, _, _ in run.updates if k != "w"]
        table.append([t, w] + ([f_value] if run.statements is not None else []) + [gt] + state_cols + [w_new])
        _carry_states(run, state, values, t)
        w = run.carry.element("w", t - 1, w_new, f"w{t}")
    return w, table, answers


def _previous(run: _Run, state: dict) -> dict:
    """Each quantity's value from the step before ({k}_prev): 0 at the start (Keras' Adagrad s_0)."""
    prev = {f"{k}_prev": Fraction(state[STATE.get(k, k)][0]) if STATE.get(k, k) in state else Fraction(0)
            for k, _, _ in run.updates}
    if run.opt.name == "adagrad" and "sum" not in state:
        prev["s_prev"] = run.be.scalar(run.opt.initial_accumulator)
    return prev


def _gradient(run: _Run, sol: Solution, t: int, w) -> tuple:
    """(f(w_(t-1)) or None, g_t): the given gradient, or df/dw from the exact graph engine (a step)."""
    if run.statements is None:
        return None, run.grads[t - 1]
    from calc import graph as cg
    from calc.numfmt import fmt

    f_value, grad = cg.gradient(run.statements, {run.var: w})
    gt = run.rnd(grad[run.var])
    sol.add(Step(f"g{t}", f"df/d{run.var} at {run.var} = w{t - 1}", f"f'({fmt(w, run.options.decimals)})", gt,
                 name=f"g{t}", section=f"Step {t}"))
    return f_value, gt


def _update(run: _Run, sol: Solution, t: int, w, gt, state: dict, prev: dict) -> tuple[dict, Fraction]:
    """One Optimizer.update (the engine's code) with its states rounded as by hand; returns each
    quantity's value (recomputed from the learner's own under nncalc check) and the new w."""
    be = run.be
    new = run.opt.update(be.asarray([w]), be.asarray([gt]), state, be)
    if state.pop("undefined", False):
        sol.findings.append(f"step {t}: the update is 0/0 (every gradient so far is 0 and eps = 0); convention "
                            "used: no step, the limit as eps -> 0+ (PyTorch computes nan)")
    for k in list(state):
        if k != "t":
            state[k] = be.asarray([run.rnd(Fraction(state[k][0]))])
    w_new = run.rnd(Fraction(new[0]))
    values = {k: Fraction(state[STATE.get(k, k)][0]) if k != "w" else w_new for k, _, _ in run.updates}
    if run.carry:
        env = {**run.numbers, **prev, "w_prev": w, "g": gt, "t": Fraction(t)}
        values = _within_step(run.updates, values, env, run.carry, t, run.rnd)
    return values, w_new


def _add_update_steps(run: _Run, sol: Solution, t: int, w, gt, prev: dict, values: dict, answers: dict) -> None:
    """One step per quantity of step t, its template filled with the numbers."""
    show = run.show
    shown = {**{k: show(v) for k, v in {**run.numbers, **prev, **values}.items()},
             "w_prev": show(w), "g": show(gt), "t": str(t)}
    for k, formula, template in run.updates:
        text = template.format(**shown) if not (k == "b" and t == 1) else f"{show(gt)} (b_1 = g_1)"
        sol.add(Step(f"{k}{t}", formula, text, values[k], name=f"{k}{t}", section=f"Step {t}"))
        answers.setdefault(k, []).append(values[k])


def _carry_states(run: _Run, state: dict, values: dict, t: int) -> None:
    """nncalc check: the learner's own m, v, b or s of step t go into step t + 1."""
    for k, _, _ in run.updates:
        if k in ("m", "v", "b", "s") and run.carry.any((k, f"{k}{t}")):
            state[STATE.get(k, k)] = run.be.asarray([run.carry.element(k, t - 1, values[k], f"{k}{t}")])


def _finish(sol: Solution, run: _Run, key: str, steps: int, w, table: list, answers: dict) -> None:
    """The summary table, the answers (w_final answers to w{steps} too) and the one-line summary."""
    from calc.numfmt import fmt

    function = run.statements is not None
    columns = (["t", "w_(t-1)"] + (["f(w_(t-1))"] if function else []) + ["g_t"]
               + [{"wd": "w'"}.get(k, k.replace("_hat", "^")) + "_t" for k, _, _ in run.updates if k != "w"] + ["w_t"])
    sol.add(Table(f"{key}: every state per step", columns, table, section="Summary"))
    sol.answers.update({k: v for k, v in answers.items()})
    sol.answers["w_final"] = w
    sol.aliases["w_final"] = f"w{steps}"  # the last step's w: either name answers it
    if function:
        from calc import graph as cg

        sol.answers["f_final"] = cg.gradient(run.statements, {run.var: w})[0]
    sol.summary = f"w after {steps} step{'s' if steps > 1 else ''}: {fmt(w, run.options.decimals)}"


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
