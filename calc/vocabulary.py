"""One name per concept: the canonical names of losses, reductions and optimizers, with the other
common spellings accepted as aliases everywhere (command options and problem files alike).

Lookups ignore case and treat '-' and '_' alike (``bce-logits`` = ``bce_logits``); an unknown
name gets a did-you-mean that is itself an accepted name. docs/vocabulary.md shows these tables.
This module is imported when the CLI starts (for the --help texts): standard library only.
"""

from __future__ import annotations

from calc.errors import InputError


def normal(name) -> str:
    """The form names are compared in: 'BCE-Logits' -> 'bce_logits'."""
    return str(name).strip().lower().replace("-", "_").replace(" ", "_")


class Vocabulary:
    """Canonical names (in their display order) with their aliases and one-line meanings."""

    def __init__(self, what: str, names: dict[str, tuple[str, ...]], meanings: dict[str, str]):
        self.what = what
        self.names = names
        self.meanings = meanings
        self.lookup = {normal(c): c for c in names}
        for canonical, aliases in names.items():
            for alias in aliases:
                assert normal(alias) not in self.lookup, alias
                self.lookup[normal(alias)] = canonical

    def canonical(self) -> tuple[str, ...]:
        return tuple(self.names)

    def accepted(self) -> list[str]:
        """Every spelling that works (canonical first), in the normal form."""
        return list(self.lookup)

    def get(self, name) -> str | None:
        return self.lookup.get(normal(name))

    def resolve(self, name, option: str | None = None) -> str:
        """The canonical name of `name`; InputError naming the option with a did-you-mean otherwise."""
        found = self.get(name)
        if found is None:
            from calc.errors import did_you_mean

            prefix = f"{option}: " if option else ""
            text = str(name) if len(str(name)) <= 40 else str(name)[:40] + "..."
            raise InputError(f"{prefix}unknown {self.what} '{text}'{did_you_mean(normal(name), self.accepted())}; "
                             f"valid: {', '.join(self.names)}")
        return found

    def choices(self, sep: str = ", ") -> str:
        return sep.join(self.names)


LOSSES = Vocabulary("loss", {
    "mse": ("mean_squared_error", "squared_error", "l2"),
    "bce": ("binary_crossentropy", "binary_cross_entropy"),
    "bce_logits": ("bce_with_logits", "binary_crossentropy_logits", "sigmoid_bce"),
    "cross_entropy": ("ce", "cce", "categorical_crossentropy", "categorical_cross_entropy", "crossentropy"),
    "softmax_ce": ("ce_logits", "cce_logits", "cross_entropy_logits", "softmax_cross_entropy"),
}, {
    "mse": "squared error (PyTorch MSELoss; half_sum is the textbook 1/2 sum)",
    "bce": "binary cross-entropy on probabilities (PyTorch BCELoss)",
    "bce_logits": "binary cross-entropy on scores, sigmoid inside (BCEWithLogitsLoss)",
    "cross_entropy": "-sum t log p on probabilities (Keras categorical_crossentropy)",
    "softmax_ce": "softmax + cross-entropy on scores (PyTorch CrossEntropyLoss)",
})

REDUCTIONS = Vocabulary("reduction", {
    "mean": ("avg", "average"),
    "sum": ("sse",),
    "half_sum": ("half", "half_sse"),
}, {
    "mean": "PyTorch's default: mse/bce over every element, the cross-entropies over the samples",
    "sum": "the sum of the terms",
    "half_sum": "1/2 x the sum (textbook MSE, E = sum 1/2 (t - o)^2)",
})

OPTIMIZERS = Vocabulary("optimizer", {
    "sgd": (),
    "momentum": ("sgd_momentum", "heavy_ball"),
    "nesterov": ("nag", "sgd_nesterov"),
    "adagrad": (),
    "rmsprop": ("rms_prop",),
    "adam": (),
    "adamw": ("adam_w",),
}, {
    "sgd": "w <- w - lr g",
    "momentum": "SGD with momentum (PyTorch SGD(momentum=0.9))",
    "nesterov": "SGD with Nesterov momentum",
    "adagrad": "Adagrad",
    "rmsprop": "RMSprop (PyTorch alpha = Keras rho)",
    "adam": "Adam",
    "adamw": "Adam with decoupled weight decay (PyTorch AdamW)",
})

VOCABULARIES = {"loss": LOSSES, "reduction": REDUCTIONS, "optimizer": OPTIMIZERS}
