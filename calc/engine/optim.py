"""Optimizer update rules (conventions.md, "Optimizers"), written once for every backend.

``update(w, g, state)`` returns the new value of one parameter and keeps its running state
(velocity, squared-gradient sums, moments, step count) in ``state``. The same code drives
training (float arrays) and the step-by-step optimizer tables (exact Fractions). Defaults are
PyTorch's; ``style='keras'`` selects Keras' forms where they differ (momentum/Nesterov sign
convention, Adagrad's initial accumulator 0.1, RMSprop rho 0.9, eps inside the square root for
Adagrad and RMSprop, Adam's eps as the paper's eps-hat), as keras/src/optimizers/*.py compute them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from calc.errors import InputError


def ewma(average, x, beta):
    """Exponentially weighted moving average: beta * average + (1 - beta) * x (V_0 = 0)."""
    return beta * average + (1 - beta) * x


def debias(average, beta, t: int):
    """Bias correction of an EWMA started at 0: average / (1 - beta^t), t from 1."""
    return average / (1 - beta ** t)


@dataclass
class Optimizer:
    name: str
    lr: float = 0.01
    momentum: float = 0.0
    nesterov: bool = False
    beta1: float = 0.9
    beta2: float = 0.999
    alpha: float = 0.99  # RMSprop smoothing (PyTorch 'alpha'; Keras 'rho' 0.9)
    eps: float = 1e-8
    weight_decay: float = 0.0  # L2 added to the gradient (SGD/Adam) or decoupled (AdamW)
    bias_correction: bool = True  # Adam / AdamW
    initial_accumulator: float = 0.0  # Adagrad (Keras: 0.1)
    style: str = "pytorch"  # pytorch | keras

    def update(self, w, g, state: dict, be):
        """The parameter after one step; ``state`` carries what the rule remembers."""
        s = be.scalar
        lr = s(self.lr)
        if self.weight_decay and self.name != "adamw":
            g = g + s(self.weight_decay) * w
        state["t"] = state.get("t", 0) + 1
        t = state["t"]
        rule = getattr(self, f"_{self.name}")
        return rule(w, g, state, t, lr, be)

    def describe(self) -> str:
        """The update rule in words and symbols with this optimizer's numbers, for 'Conventions'."""
        key = (self.name, self.style if self.name in ("sgd", "adam", "adamw") else "pytorch")
        if self.name == "sgd":
            key = ("sgd" if not self.momentum else "nesterov" if self.nesterov else "momentum", key[1])
        if self.name in ("adam", "adamw") and not self.bias_correction:
            key = ("adam_raw", "pytorch")
        text = RULE_TEXT.get(key) or RULE_TEXT[(key[0], "pytorch")]
        numbers = {"sgd": ["lr"], "momentum": ["lr", "momentum"], "nesterov": ["lr", "momentum"],
                   "adagrad": ["lr", "eps", "initial_accumulator"], "rmsprop": ["lr", "alpha", "eps"]}
        names = numbers.get(key[0], ["lr", "beta1", "beta2", "eps"])
        if self.name == "adamw":
            names = names + ["weight_decay"]
        elif self.weight_decay:
            text += "; L2: g <- g + weight_decay w"
            names = names + ["weight_decay"]
        settings = ", ".join(f"{n} {getattr(self, n):g}" for n in names)
        label = self.name if self.name in ("adam", "adamw") else key[0]
        return f"{label} ({self.style}): {text}; {settings}"

    # -- rules ----------------------------------------------------------------------------
    def _sgd(self, w, g, state, t, lr, be):
        s = be.scalar
        if not self.momentum:
            return w - lr * g
        mu = s(self.momentum)
        if self.style == "keras":  # v = mu v - lr g; w += v (Nesterov: w += mu v - lr g)
            v = mu * state.get("v", 0 * w) - lr * g
            state["v"] = v
            return w + (mu * v - lr * g if self.nesterov else v)
        b = g if "b" not in state else mu * state["b"] + g  # PyTorch: b1 = g1
        state["b"] = b
        return w - lr * (g + mu * b if self.nesterov else b)

    def _root(self, acc, be):
        """sqrt(acc) + eps (PyTorch), or sqrt(acc + eps) (Keras' Adagrad and RMSprop)."""
        eps = be.scalar(self.eps)
        return be.xp.sqrt(acc + eps) if self.style == "keras" else be.xp.sqrt(acc) + eps

    def _adagrad(self, w, g, state, t, lr, be):
        acc = state.get("sum", 0 * w + be.scalar(self.initial_accumulator)) + g * g  # Keras starts at 0.1
        state["sum"] = acc
        return w - lr * _ratio(g, self._root(acc, be), be, state)

    def _rmsprop(self, w, g, state, t, lr, be):
        v = ewma(state.get("v", 0 * w), g * g, be.scalar(self.alpha))
        state["v"] = v
        return w - lr * _ratio(g, self._root(v, be), be, state)

    def _adam(self, w, g, state, t, lr, be):
        s = be.scalar
        b1, b2 = s(self.beta1), s(self.beta2)
        m = ewma(state.get("m", 0 * w), g, b1)
        v = ewma(state.get("v", 0 * w), g * g, b2)
        state["m"], state["v"] = m, v
        if self.bias_correction:
            m_hat, v_hat = debias(m, b1, t), debias(v, b2, t)
        else:
            m_hat, v_hat = m, v
        state["m_hat"], state["v_hat"] = m_hat, v_hat
        if self.style == "keras" and self.bias_correction:
            # Keras: eps is the paper's "epsilon hat", added to sqrt(v) before bias correction:
            # w -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
            lr_t = lr * be.xp.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            return w - lr_t * _ratio(m, be.xp.sqrt(v) + s(self.eps), be, state)
        return w - lr * _ratio(m_hat, be.xp.sqrt(v_hat) + s(self.eps), be, state)

    def _adamw(self, w, g, state, t, lr, be):
        decayed = w - lr * be.scalar(self.weight_decay) * w  # decoupled decay first (PyTorch)
        state["w_decayed"] = decayed  # shown by the worked optimizer table
        return self._adam(decayed, g, state, t, lr, be)


RULE_TEXT = {  # (rule, style) -> the update as conventions.md writes it
    ("sgd", "pytorch"): "w <- w - lr g",
    ("momentum", "pytorch"): "b <- momentum b + g (b1 = g1), w <- w - lr b",
    ("momentum", "keras"): "v <- momentum v - lr g, w <- w + v",
    ("nesterov", "pytorch"): "b <- momentum b + g, w <- w - lr (g + momentum b)",
    ("nesterov", "keras"): "v <- momentum v - lr g, w <- w + momentum v - lr g",
    ("adagrad", "pytorch"): "s <- s + g^2, w <- w - lr g / (sqrt(s) + eps)",
    ("rmsprop", "pytorch"): "v <- alpha v + (1 - alpha) g^2, w <- w - lr g / (sqrt(v) + eps)",
    ("adam", "pytorch"): "m <- b1 m + (1-b1) g, v <- b2 v + (1-b2) g^2, "
                         "w <- w - lr m/(1-b1^t) / (sqrt(v/(1-b2^t)) + eps)",
    ("adam", "keras"): "m <- b1 m + (1-b1) g, v <- b2 v + (1-b2) g^2, "
                       "w <- w - lr sqrt(1-b2^t)/(1-b1^t) m / (sqrt(v) + eps) (eps-hat)",
    ("adam_raw", "pytorch"): "m <- b1 m + (1-b1) g, v <- b2 v + (1-b2) g^2, w <- w - lr m / (sqrt(v) + eps) "
                             "(no bias correction)",
    ("adamw", "pytorch"): "w <- w - lr weight_decay w (decoupled), then the Adam step",
}
RULE_TEXT[("adamw", "keras")] = RULE_TEXT[("adamw", "pytorch")]

DEFAULTS = {  # PyTorch defaults; keras overrides below
    "sgd": {"lr": 0.01},
    "momentum": {"lr": 0.01, "momentum": 0.9},
    "nesterov": {"lr": 0.01, "momentum": 0.9, "nesterov": True},
    "adagrad": {"lr": 0.01, "eps": 1e-10},
    "rmsprop": {"lr": 0.01, "alpha": 0.99, "eps": 1e-8},
    "adam": {"lr": 0.001},
    "adamw": {"lr": 0.001, "weight_decay": 0.01},
}
KERAS = {"adagrad": {"initial_accumulator": 0.1, "eps": 1e-7, "lr": 0.001}, "rmsprop": {"alpha": 0.9, "eps": 1e-7, "lr": 0.001},
         "adam": {"eps": 1e-7}, "adamw": {"eps": 1e-7, "weight_decay": 0.004}}


def _ratio(num, den, be, state):
    """num / den, with 0 where den = 0. A zero denominator means eps = 0 and a zero accumulator,
    i.e. every gradient so far was 0, so num is 0 too: 0/0, whose limit as eps -> 0+ is 0 (no
    step). ``state["undefined"]`` records it for the worked solution's findings."""
    zero = den == 0
    if not bool(zero.any()):
        return num / den
    state["undefined"] = True
    return be.xp.where(zero, 0 * num, num / be.xp.where(zero, be.scalar(1), den))


def make_optimizer(name: str, style: str = "pytorch", **settings) -> Optimizer:
    """An optimizer by name (sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw)."""
    from calc.vocabulary import OPTIMIZERS

    key = OPTIMIZERS.resolve(name)  # aliases as calc.vocabulary lists them (nag = nesterov, ...)
    if style not in ("pytorch", "keras"):
        raise InputError(f"optimizer style must be pytorch or keras, got '{style}'")
    values = {**DEFAULTS[key], **(KERAS.get(key, {}) if style == "keras" else {})}
    known = set(Optimizer.__dataclass_fields__) - {"name", "style"}
    for k, v in settings.items():
        if k not in known:
            from calc.errors import did_you_mean

            raise InputError(f"optimizer {key}: unknown setting '{k}'{did_you_mean(k, known)}; "
                             f"valid: {', '.join(sorted(known))}")
        if v is not None:
            values[k] = v
    rule = "sgd" if key in ("momentum", "nesterov") else key
    _check_ranges(key, values)
    return Optimizer(rule, style=style, **values)


def _finite(value) -> bool:
    """False for inf and nan; an exact Fraction is always finite (math.isfinite(10**9999) overflows)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return True


def _check_ranges(key: str, values: dict) -> None:
    """lr, eps, weight decay finite and >= 0 (lr = inf makes every weight nan); momentum, betas and
    alpha in [0, 1)."""
    for k in ("lr", "eps", "weight_decay", "initial_accumulator"):
        if k in values and not _finite(values[k]):
            raise InputError(f"optimizer {key}: {k} must be a finite number, got {values[k]}")
        if k in values and not values[k] >= 0:
            raise InputError(f"optimizer {key}: {k} must be >= 0, got {values[k]}")
    for k in ("momentum", "beta1", "beta2", "alpha"):
        if k in values and not 0 <= values[k] < 1:
            raise InputError(f"optimizer {key}: {k} must be in [0, 1), got {values[k]}")
    if values.get("nesterov") and not values.get("momentum"):
        raise InputError(f"optimizer {key}: Nesterov needs a momentum > 0")
