"""The "Conventions used" block and the one-line answer of a network solution.

Every choice the arithmetic depends on is named here: number handling, weight layout, biases,
activation derivatives, softmax stability, the loss convention, how hidden deltas are formed
and the optimizer's update, so a learner can see why their number differs.
"""

from __future__ import annotations

from calc.solve.loss import _number_convention, convention


def _activation_line(layer) -> str:
    return f"{layer.kind}: {layer.formula}; derivative {layer.derivative_text}{layer.remark}"


def conventions(setup, views, options) -> list[str]:
    """Number handling, weights and biases, activations, then (with a loss) the loss, the hidden
    deltas and the update."""
    lines = [_number_convention(options.decimals, options.hand_rounding)]
    lines += _dense_lines(views)
    seen = set()
    for v in views:
        if hasattr(v.layer, "derivative_formula") and v.layer.kind not in seen:
            seen.add(v.layer.kind)
            lines.append(_activation_line(v.layer))
    if setup.loss == "none":
        lines.append("forward pass only (no loss given)")
        return lines
    lines += _loss_lines(setup, views)
    if sum(1 for v in views if v.layer.params) > 1:
        lines.append(_deltas_line(setup))
    if setup.optimizer:
        lines.append(_update_line(setup))
    return lines


def _dense_lines(views) -> list[str]:
    """The weight layout and the biases (shared, absent), when the network has dense layers."""
    from calc.layers.dense import Dense

    dense = [v.layer for v in views if isinstance(v.layer, Dense)]  # the weights and biases lines are theirs
    if not dense:
        return []
    shared = [d.name for d in dense if d.use_bias and d.shared_bias]
    none = [d.name for d in dense if not d.use_bias]
    text = "biases: one per neuron"
    if shared:
        text += f"; {', '.join(shared)}: one bias shared by all neurons of the layer (dL/db = sum of its deltas)"
    if none:
        text += f"; {', '.join(none)}: no bias"
    return ["weights: one row per neuron, w_ij connects input j to neuron i: z = W a + b "
            "(a 'weight_layout: in_out' spec gives Keras' layout, transposed on reading)", text]


def _loss_lines(setup, views) -> list[str]:
    if setup.loss == "output":
        return ["no loss: the derivatives are of the network output y itself (dy/dy = 1)"]
    lines = ["loss: " + convention(setup.loss, setup.reduction, setup.inputs.shape[0])]
    last = views[-1].layer
    if setup.loss == getattr(last, "paired_loss", None) and last.paired_note:
        lines.append(last.paired_note)
    return lines


def _deltas_line(setup) -> str:
    """Which weights a hidden delta uses: before the update (textbook) or after (Mazur's error)."""
    return ("delta = dL/dz; a hidden neuron's delta_i = (sum_j delta_j w_ji) f'(z_i)"
            + (" using the weights BEFORE the update (textbook backpropagation)" if setup.hidden_deltas == "original"
               else " using the layer above's weights AFTER its update: Mazur's published error after the "
                    "update is computed this way; textbook backpropagation uses the weights before the update"))


def _update_line(setup) -> str:
    opt = setup.optimizer
    name, lr = opt["name"], opt["lr"]
    rule = "w+ = w - lr dL/dw" if name == "sgd" and not opt.get("momentum") else f"{name} (calc.engine.optim)"
    text = f"update: {rule}, lr = {_num(lr)}, {setup.steps} step" + ("s" if setup.steps > 1 else "")
    text += "; biases updated too" if setup.update_bias else "; biases NOT updated (as in the exercise)"
    if setup.inputs.shape[0] > 1:
        text += "; one step per batch (the batch gradient)"
    return text


def loss_findings(setup, views) -> list[str]:
    """Warnings when the loss does not fit the last layer (a frequent slip, not an error)."""
    layer = views[-1].layer
    last, fits = layer.kind, getattr(layer, "paired_loss", "")
    if setup.loss in ("softmax_ce", "bce_logits") and getattr(layer, "logits_loss", ""):
        return [f"{setup.loss} expects raw scores (logits), but the network already ends in {last}: "
                f"the loss applies a second {'softmax' if setup.loss == 'softmax_ce' else 'sigmoid'}; "
                f"'{fits}' is the loss on probabilities"]
    if setup.loss == "cross_entropy" and fits != "cross_entropy":
        return ["cross_entropy expects probabilities, but the last layer is not a softmax; "
                "'softmax_ce' applies the softmax inside the loss"]
    if setup.loss == "softmax_ce" and setup.network.output_shape[-1] == 1:
        return ["softmax over a single output is always 1, so this loss is 0: use bce_logits for one output"]
    return []


def _num(value) -> str:
    from calc.numfmt import fmt

    return fmt(value, 6)


def summary(sol, setup, writer, out_slot, n_out: int) -> str:
    """'output [0.5, 0.5]' or 'loss 0.2984; after the update 0.291' (single sample: the outputs too)."""
    answers = sol.answers
    parts = []
    keys = [out_slot.key(j) for j in range(1, n_out + 1)]
    if all(k in answers for k in keys):
        parts.append(f"output {writer.vec([answers[k] for k in keys])}")
    if "loss" in answers:
        parts.append(f"loss {writer.num(answers['loss'])}")
    if "loss+" in answers:
        parts.append(f"after the update {writer.num(answers['loss+'])}")
    if setup.optimizer:
        parts.append(f"{setup.steps} {setup.optimizer['name']} step" + ("s" if setup.steps > 1 else "") + " done")
    return "; ".join(parts)
