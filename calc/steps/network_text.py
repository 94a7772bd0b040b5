"""The "Conventions used" block and the one-line answer of a network solution.

Every choice the arithmetic depends on is named here: number handling, weight layout, biases,
activation derivatives, softmax stability, the loss convention, how hidden deltas are formed
and the optimizer's update, so a learner can see why their number differs.
"""

from __future__ import annotations

from calc.steps.loss import _number_convention, convention

ACTIVATION_NOTES = {
    "sigmoid": "sigmoid(z) = 1/(1 + e^(-z)); derivative a(1 - a) of the activation a (not z(1 - z))",
    "tanh": "tanh'(z) = 1 - a^2 of the activation a",
    "relu": "ReLU(z) = max(0, z); ReLU'(0) = 0 (PyTorch)",
    "leaky_relu": "LeakyReLU: slope for z <= 0 as given (default 0.01, PyTorch)",
    "step": "step(z) = 1 if z > 0 else 0 (z = 0 gives 0); no gradient flows through it",
    "softmax": "softmax computed stably: e^(z_i - max z) / sum_j e^(z_j - max z)",
}


def conventions(setup, views, options) -> list[str]:
    lines = [_number_convention(options.decimals, options.hand_rounding)]
    dense = [v.layer for v in views if v.layer.kind == "dense"]
    if dense:
        lines.append("weights: one row per neuron, w_ij connects input j to neuron i: z = W a + b "
                     "(a 'weight_layout: in_out' spec gives Keras' layout, transposed on reading)")
        shared = [d.name for d in dense if d.use_bias and d.shared_bias]
        none = [d.name for d in dense if not d.use_bias]
        text = "biases: one per neuron"
        if shared:
            text += f"; {', '.join(shared)}: one bias shared by all neurons of the layer (dL/db = sum of its deltas)"
        if none:
            text += f"; {', '.join(none)}: no bias"
        lines.append(text)
    kinds = []
    for v in views:
        if v.layer.kind in ACTIVATION_NOTES and v.layer.kind not in kinds:
            kinds.append(v.layer.kind)
    lines += [ACTIVATION_NOTES[k] for k in kinds]
    n = setup.inputs.shape[0]
    if setup.loss == "output":
        lines.append("no loss: the derivatives are of the network output y itself (dy/dy = 1)")
    else:
        lines.append("loss: " + convention(setup.loss, setup.reduction, n))
        if setup.loss == "cross_entropy" and views[-1].layer.kind == "softmax":
            lines.append("softmax + cross-entropy: dL/dz = p - t, the same as J^T(-t/p) through the softmax Jacobian")
    lines.append("delta = dL/dz; a hidden neuron's delta_i = (sum_j delta_j w_ji) f'(z_i)"
                 + (" using the weights BEFORE the update (textbook backpropagation)" if setup.hidden_deltas == "original"
                    else " using the layer above's weights AFTER its update: Mazur's published error after the update "
                         "is computed this way; textbook backpropagation uses the weights before the update"))
    if setup.optimizer:
        opt = setup.optimizer
        name, lr = opt["name"], opt["lr"]
        rule = "w+ = w - lr dL/dw" if name == "sgd" and not opt.get("momentum") else f"{name} (calc.engine.optim)"
        text = f"update: {rule}, lr = {_num(lr)}, {setup.steps} step" + ("s" if setup.steps > 1 else "")
        text += "; biases updated too" if setup.update_bias else "; biases NOT updated (as in the exercise)"
        if n > 1:
            text += "; one step per batch (the batch gradient)"
        lines.append(text)
    return lines


def _num(value) -> str:
    from calc.render.numbers import fmt

    return fmt(value, 6)


def summary(sol, setup, writer) -> str:
    answers = sol.answers
    parts = []
    out = [k for k in answers if k.count(".") == 1 and k.split(".")[1][:1] in "az" and not k.startswith(("step", "sample"))]
    if "loss" in answers:
        parts.append(f"loss {writer.num(answers['loss'])}")
    elif out:
        last_owner = out[-1].split(".")[0]
        values = [answers[k] for k in out if k.startswith(last_owner + ".") and k.split(".")[1][0] == out[-1].split(".")[1][0]]
        parts.append(f"output {writer.vec(values)}")
    if "loss+" in answers:
        parts.append(f"after the update {writer.num(answers['loss+'])}")
    if setup.optimizer:
        parts.append(f"{setup.steps} {setup.optimizer['name']} step" + ("s" if setup.steps > 1 else "") + " done")
    return "; ".join(parts)
