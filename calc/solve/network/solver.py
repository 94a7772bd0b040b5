"""Dense networks worked out: forward per neuron, loss, deltas, dL/dw and dL/db, SGD updates.

The math is the engine's: the spec's layers run through calc.engine.model.Model on the exact
backend (Fractions), the loss is calc.engine.losses, updates are calc.engine.optim. This module
orders the work (forward, loss, backward, update, repeat) and hands each layer's values to its
narrator (calc.solve.narrate.base) for the per-neuron steps. Answer names: calc/solve/narrate/base.py.

Hand rounding rounds every value a layer passes on (calc.solve.observer, which the engine calls),
every gradient and every updated weight, as a student carrying 4 decimals would.
"""

from __future__ import annotations

from calc.engine.context import Ctx
from calc.errors import SpecError, Where, did_you_mean
from calc.solve.narrate.base import Narration, Slot, View, at, narrator_for, positions
from calc.solve.network.carry import CarriedValues, derivative_at_input
from calc.solve.network.given import NetworkSetup, read_network_given
from calc.solve.network.text import conventions, loss_findings, summary
from calc.solve.observer import SolutionObserver
from calc.solve.registry import SolveOptions, problem_type
from calc.solve.step import Solution
from calc.solve.text import Writer


class GivenOnly(Ctx):
    """A context that refuses to invent parameters: a worked solution needs every weight written."""

    def init_param(self, layer, name, shape):
        own = layer.default_param(name, shape) if hasattr(layer, "default_param") else None
        if own is not None:
            return self.backend.asarray(own)
        what = {"weight": "weights: [[...], ...] (one row per neuron)", "bias": "bias: a number, a list, or false"}
        raise SpecError(f"{layer.kind} '{layer.name}': no values for its {name}; a worked solution needs them "
                        f"written in the spec ({what.get(name, name)})", layer.where)


def views_of(layers) -> list[View]:
    """Names of every leaf's input and output values, and the block (section) each belongs to:
    a dense layer and the activation right after it share one block, 'fc1 (dense 2 -> 2) + sigmoid'."""
    views, slot, level, title = [], Slot("", "x"), 0, ""
    for layer in layers:
        narrator = narrator_for(layer)
        out, new_level = narrator.slot(layer, slot, level)
        if not new_level and slot.owner and out.owner == slot.owner:
            title += f" + {layer.kind}"
            for v in views:
                if v.out.owner == out.owner:
                    v.title = title
        else:
            level += new_level
            title = narrator.title(layer)
        views.append(View(layer, slot, out, title))
        slot = out
    return views


def check_sequential(network) -> None:
    from calc.layers.containers import Sequential

    for _, layer in network.walk():
        if layer.is_container and not isinstance(layer, Sequential):
            raise SpecError(f"worked network solutions handle layers in sequence; '{layer.name}' ({layer.kind}) "
                            "has branches", layer.where)
        if layer.sources is not None:
            raise SpecError(f"worked network solutions handle layers in sequence; '{layer.name}' takes "
                            "from: a named layer", layer.where)


class NetworkSolver(CarriedValues):
    def __init__(self, setup: NetworkSetup, options: SolveOptions):
        from calc.backend import get_backend
        from calc.engine.model import Model

        self.setup, self.options = setup, options
        self.be = get_backend("exact")
        self.writer = Writer(options.decimals, options.hand_rounding)
        check_sequential(setup.network)
        self.carry = options.learner.carry()
        self.step_prefix = ""
        self.observer = SolutionObserver(rounding=self.writer.round_array if options.hand_rounding else None,
                                         substitute=self.substitute if self.carry else None)
        self.ctx = GivenOnly(backend=self.be, observer=self.observer)
        self.model = Model(setup.network, self.ctx)
        self.views = views_of(self.model.layers)
        self.view_of = {v.layer.name: v for v in self.views}
        self.sol = Solution(f"Worked solution: {setup.network.name}", conventions(setup, self.views, options))
        self.sol.findings += loss_findings(setup, self.views)
        aliases: dict[str, list[str]] = {}
        for alias, canonical in setup.aliases.items():
            aliases.setdefault(canonical, []).append(alias)
        self.nar = Narration(self.sol, self.writer, self.be, aliases=aliases,
                             extra={"input_gradient": setup.input_gradient, "loss": setup.loss,
                                    "dx_note": "with this layer's weights already updated (Mazur's variant)"},
                               carry=self.carry if self.carry else None)
        self.optimizer, self.opt_state = None, {}
        if setup.optimizer:
            from calc.engine.optim import make_optimizer

            settings = dict(setup.optimizer)
            self.optimizer = make_optimizer(settings.pop("name"), **settings)

    # -- one SGD step --------------------------------------------------------------------
    def solve(self) -> Solution:
        x = self.writer.round_array(self.setup.inputs)
        for step in range(1, self.setup.steps + 1):
            prefix = "" if step == 1 else f"step{step}."
            label = "" if self.setup.steps == 1 else f"Step {step}, "
            self.one_step(x, prefix, label)
        if self.setup.loss_after_update:
            self.after_update(x)
        for alias, canonical in self.setup.aliases.items():
            if canonical not in self.sol.answers:
                raise SpecError(f"no answer named '{canonical}'{did_you_mean(canonical, self.sol.answers)}; "
                                "see the names in the solution (nncalc solve --template)", self.setup.alias_where[alias])
            self.sol.answers[alias] = self.sol.answers[canonical]
            self.sol.aliases[alias] = canonical
        self.sol.summary = summary(self.sol, self.setup, self.writer, self.views[-1].out,
                                   self.setup.network.output_shape[-1])
        return self.sol

    def one_step(self, x, prefix: str, label: str) -> None:
        self.step_prefix = prefix
        self.observer.outputs, self.observer.passed = {}, {}
        y = self.model.forward(x)
        record = self.observer.outputs
        # nncalc check: the backward narration works from the outputs passed on (the learner's a
        # where given), so da/dz = a(1 - a) and dL/dw = delta a_prev follow from them
        passed = self.observer.passed
        if self.options.learner.derivative_of == "input":  # the sigma'(z) slip: a(1 - a) evaluated at z
            for layer in self.model.layers:
                if derivative_at_input(layer):
                    layer.a = layer.z
        self.narrate_forward(x, record, prefix, label)
        if self.setup.loss == "none":
            return
        grad = self.narrate_loss(y, prefix, label)
        records, dx, self.grads, used = self.backward(grad)
        self.narrate_backward(x, passed, records, dx, self.grads, used, prefix, label)

    def narrate_forward(self, x, record, prefix, label) -> None:
        n = x.shape[0]
        for s in range(n):
            self.nar.prefix = prefix + (f"sample{s + 1}." if n > 1 else "")
            inp = x
            for view in self.views:
                out = record[view.layer.name]
                self.nar.section = f"{label}Forward: " + (f"sample {s + 1}: " if n > 1 else "") + view.title
                narrator_for(view.layer).forward(self.nar, view, inp[s], out[s])
                inp = out
        self.nar.prefix = prefix
        for view in self.views[:-1]:
            dead = getattr(view.layer, "dead_note", "")
            if dead and all(v == 0 for v in record[view.layer.name].ravel()):
                text = dead.format(owner=view.out.owner or view.layer.name)
                if text not in self.sol.findings:
                    self.sol.findings.append(text)

    def narrate_loss(self, y, prefix, label):
        from calc.engine.losses import get_loss
        from calc.solve.loss import grad_steps, loss_steps

        if self.setup.loss == "output":  # derivatives of the output itself: dy/dy = 1
            return self.be.xp.ones(y.shape)
        loss = get_loss(self.setup.loss, self.setup.reduction)
        self.nar.section = f"{label}Loss"
        value, grad = loss_steps(self.nar, loss, y, self.setup.targets, self.views[-1].out)
        grad_steps(self.nar, loss, y, self.setup.targets, grad, self.views[-1].out)
        return grad

    # -- backward ----------------------------------------------------------------------
    def trainable(self, layer) -> list[str]:
        if self.optimizer is None or not layer.trainable:
            return []
        return [p for p in layer.params if p != "bias" or self.setup.update_bias]

    def new_values(self, layer, grads) -> dict:
        """Updated parameters of one layer by calc.engine.optim (rounded in hand mode), from the
        learner's own gradients where nncalc check carries them."""
        out = {}
        for pname in self.trainable(layer):
            state = self.opt_state.setdefault(f"{layer.name}.{pname}", {})
            g = self.carried(layer, pname, grads[pname], "dL/d{}")
            out[pname] = self.writer.round_array(self.optimizer.update(layer.params[pname], g, state, self.be))
        return out

    def backward(self, grad):
        """Back-propagate; in 'updated' mode once more after each layer's update (top down), so the
        layer below sees updated weights. Returns dL/d(output) per leaf, dL/dx, grads and the
        parameters each layer's backward used."""
        layers = self.model.layers
        param_layers = [v.layer for v in reversed(self.views) if v.layer.params]
        passes = 1 if self.setup.hidden_deltas == "original" or self.optimizer is None else len(param_layers) + 1
        self.old = {layer.name: dict(layer.params) for layer in param_layers}
        self.new, grads, runs = {}, {}, []
        rounded = self.writer.round_array
        for k in range(passes):
            self.observer.grads = {}
            runs.append((self.observer.grads, rounded(self.model.backward(grad))))
            if passes > 1 and k < len(param_layers):  # 'updated': this layer's grads are final; update it now
                layer = param_layers[k]
                grads[layer.name] = {p: rounded(g) for p, g in layer.grads.items()}
                self.new[layer.name] = self.new_values(layer, grads[layer.name])
                layer.params.update(self.passed_on(layer))
        if passes == 1:
            for layer in param_layers:
                grads[layer.name] = {p: rounded(g) for p, g in layer.grads.items()}
                self.new[layer.name] = self.new_values(layer, grads[layer.name])
        above = {}  # leaf -> number of parametric layers after it (which pass holds its gradient)
        count = 0
        for layer in reversed(layers):
            above[layer.name] = count
            count += bool(layer.params)
        records = {layer.name: runs[min(above[layer.name], passes - 1)][0][layer.name] for layer in layers}
        first = layers[0]
        dx = runs[min(above[first.name] + bool(first.params), passes - 1)][1]
        used = {layer.name: (self.new_params(layer) if passes > 1 else layer.params) for layer in param_layers}
        return records, dx, grads, used

    def new_params(self, layer) -> dict:
        return {**self.old[layer.name], **self.new.get(layer.name, {})}

    def narrate_backward(self, x, record, records, dx_input, grads, used, prefix, label) -> None:
        n = x.shape[0]
        views = self.views
        for k in range(len(views) - 1, -1, -1):
            view = views[k]
            layer = view.layer
            narrator = narrator_for(layer)
            inp = record[views[k - 1].layer.name] if k else x
            if layer.params:
                self.nar.prefix, self.nar.section = prefix, f"{label}Backward: {view.title}"
                params = self.old[layer.name]
                saved, layer.params = layer.params, params  # narrate with the weights of this step
                narrator.gradients(self.nar, view, inp, records[layer.name], grads[layer.name])
                layer.params = saved
            dx = records[views[k - 1].layer.name] if k else dx_input
            self.nar.section = f"{label}Backward: " + (views[k - 1].title if k else "network input")
            at_input = self.options.learner.derivative_of == "input" and derivative_at_input(layer)
            for s in range(n):
                self.nar.prefix = prefix + (f"sample{s + 1}." if n > 1 else "")
                self.nar.extra["target_row"] = None if self.setup.targets is None else self.setup.targets[s]
                self.nar.extra["grad_divisor"] = n if self.setup.reduction == "mean" else 1
                params = used.get(layer.name, layer.params)
                y = inp[s] if at_input else record[layer.name][s]
                narrator.backward(self.nar, view, inp[s], y, records[layer.name][s], dx[s], params)
        self.nar.prefix = prefix
        self.narrate_update(prefix, label)

    def narrate_update(self, prefix, label) -> None:
        if self.optimizer is None:
            return
        w, lr = self.writer, self.optimizer.lr
        self.nar.section = f"{label}Update ({self.optimizer.name}, lr {w.num(lr)})"
        for view in self.views:
            layer = view.layer
            narrator = narrator_for(layer)
            for pname in self.trainable(layer):
                old, new = self.old[layer.name][pname], self.new[layer.name][pname]
                g = self.grads[layer.name][pname]
                for idx in positions(old.shape):
                    key, text, tex = narrator.param_key(view, pname, idx)
                    plain = self.optimizer.name == "sgd" and not self.optimizer.momentum
                    self.nar.add(f"{key}+", f"{text}+ = {text} - lr dL/d{text}" if plain else f"{text}+ ({self.optimizer.name})",
                                 f"{w.num(at(old, idx))} - {w.num(lr)}({w.num(at(g, idx))})" if plain else "",
                                 at(new, idx), latex=f"{{{tex}}}^+ = {tex} - \\eta \\frac{{\\partial L}}{{\\partial {tex}}}"
                                 if plain else f"{{{tex}}}^+", latex_substituted=f"{w.num(at(old, idx))} - {w.num(lr)}({w.num(at(g, idx))})"
                                 if plain else "")
            layer.params.update(self.passed_on(layer))

    def after_update(self, x) -> None:
        from calc.engine.losses import get_loss

        substitute, self.observer.substitute = self.observer.substitute, None  # the learner's values: the pass before
        y = self.model.forward(x)
        self.observer.substitute = substitute
        self.nar.prefix, self.nar.section = "", "After the update"
        out = self.views[-1].out
        for j in range(y.shape[1]):
            self.nar.add(f"{out.key(j + 1)}+", f"{out.text(j + 1)} with the updated weights", "", y[0, j] if y.shape[0] == 1 else y[:, j])
        if self.setup.loss in ("output", "none"):
            return
        loss = get_loss(self.setup.loss, self.setup.reduction)
        self.nar.add("loss+", "loss with the updated weights", "", self.writer.round(loss.value(y, self.setup.targets, self.be)),
                     latex="L^+")


@problem_type("network")
def solve_network_problem(given, where: Where, options: SolveOptions) -> Solution:
    return solve_network(read_network_given(given, where), options)


def solve_network(setup: NetworkSetup, options: SolveOptions | None = None) -> Solution:
    solution = NetworkSolver(setup, options or SolveOptions()).solve()
    solution.diagram = network_chart(setup.network)
    return solution


def network_chart(network) -> str:
    """The network as a Mermaid flowchart (layers, shapes, parameters): Markdown shows it, GitHub
    and Jupyter draw it without any tool."""
    from calc.pictures.diagram import mermaid
    from calc.pictures.network_picture import network_diagram

    return mermaid(network_diagram(network))
