"""How the optimizer solutions write each update: per rule and style, the quantities one step
computes (state key, formula, template with the numbers) and the conventions lines.

Display only: the numbers come from calc.engine.optim (calc.solve.optimizer fills the templates).
"""

from __future__ import annotations


def update_rules(opt) -> list[tuple[str, str, str]]:
    """(state key, formula, template with the numbers) of each quantity one step computes."""
    keras = opt.style == "keras"
    if opt.name == "sgd" and opt.momentum:
        return _momentum_updates(opt, keras)
    if opt.name in ("adagrad", "rmsprop"):
        return _accumulator_updates(opt, keras)
    if opt.name == "adamw":
        return _adamw_updates(opt)
    if opt.name == "adam":
        return _adam_updates(opt, keras)
    return [("w", "w_t = w_(t-1) - lr g_t", "{w_prev} - {lr} * {g}")]


def _momentum_updates(opt, keras: bool) -> list[tuple[str, str, str]]:
    """Keras keeps the velocity v (lr inside it); PyTorch keeps the buffer b and applies lr last."""
    if keras:
        v = ("v", "v_t = mu v_(t-1) - lr g_t", "{mu} * {v_prev} - {lr} * {g}")
        if opt.nesterov:
            return [v, ("w", "w_t = w_(t-1) + mu v_t - lr g_t", "{w_prev} + {mu} * {v} - {lr} * {g}")]
        return [v, ("w", "w_t = w_(t-1) + v_t", "{w_prev} + {v}")]
    b = ("b", "b_t = mu b_(t-1) + g_t (b_1 = g_1)", "{mu} * {b_prev} + {g}")
    if opt.nesterov:
        return [b, ("w", "w_t = w_(t-1) - lr (g_t + mu b_t)", "{w_prev} - {lr} * ({g} + {mu} * {b})")]
    return [b, ("w", "w_t = w_(t-1) - lr b_t", "{w_prev} - {lr} * {b}")]


def _accumulator_updates(opt, keras: bool) -> list[tuple[str, str, str]]:
    """Adagrad (s, a running sum) and RMSprop (v, a running mean) of g^2; Keras puts eps inside the root."""
    root = ("sqrt({acc} + {eps})", "sqrt(ACC + eps)") if keras else ("(sqrt({acc}) + {eps})", "(sqrt(ACC) + eps)")
    if opt.name == "adagrad":
        return [("s", "s_t = s_(t-1) + g_t^2", "{s_prev} + {g}^2"),
                ("w", "w_t = w_(t-1) - lr g_t / " + root[1].replace("ACC", "s_t"),
                 "{w_prev} - {lr} * {g} / " + root[0].replace("{acc}", "{s}"))]
    return [("v", "v_t = alpha v_(t-1) + (1 - alpha) g_t^2", "{alpha} * {v_prev} + (1 - {alpha}) * {g}^2"),
            ("w", "w_t = w_(t-1) - lr g_t / " + root[1].replace("ACC", "v_t"),
             "{w_prev} - {lr} * {g} / " + root[0].replace("{acc}", "{v}"))]


def _adamw_updates(opt) -> list[tuple[str, str, str]]:
    """PyTorch AdamW: decoupled decay, then Adam's step from the decayed weight."""
    decay = ("wd", "w'_t = w_(t-1) - lr lambda w_(t-1)", "{w_prev} - {lr} * {lambda} * {w_prev}")
    adam = update_rules(_as_adam(opt))
    return [decay] + [(k, f.replace("w_(t-1)", "w'_t"), tpl.replace("{w_prev}", "{wd}"))
                      if k == "w" else (k, f, tpl) for k, f, tpl in adam]


def _adam_updates(opt, keras: bool) -> list[tuple[str, str, str]]:
    """m and v, then the step: uncorrected, Keras' folded correction, or PyTorch's m-hat and v-hat."""
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


def _as_adam(opt):
    """The same settings under Adam's rule (AdamW shows Adam's quantities after its decay)."""
    from dataclasses import replace

    return replace(opt, name="adam")


def rule_conventions(opt, key: str, show) -> list[str]:
    """The conventions lines: the rule in this style, where the states start, how the frameworks differ."""
    from calc.exact import to_fraction

    lines = [f"{key}, {opt.style} form: " + "; ".join(f for _, f, _ in update_rules(opt)),
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
