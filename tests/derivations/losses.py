"""Losses by hand (Decimal, 60 digits): MSE in its three conventions, BCE, categorical CE."""

from __future__ import annotations

from tests.derivations import derivation
from tests.derivations.networks import d, sigmoid


@derivation("losses/mazur-errors")
def mazur_errors():
    o = [d("0.7513650695475076"), d("0.772928465316421")]  # the seed's printed outputs
    t = [d("0.01"), d("0.99")]
    sq = [(oi - ti) ** 2 for oi, ti in zip(o, t)]
    out = {"loss_half_sum.1": sq[0] / 2, "loss_half_sum.2": sq[1] / 2, "loss_half_sum": sum(sq) / 2,
           "loss_mean": sum(sq) / 2, "loss_sum": sum(sq)}
    for j in range(2):
        out[f"half_sum.dL/dy{j + 1}"] = o[j] - t[j]
        out[f"mean.dL/dy{j + 1}"] = 2 * (o[j] - t[j]) / 2
        out[f"sum.dL/dy{j + 1}"] = 2 * (o[j] - t[j])
    return out


CLASSES = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
PREDICTIONS = [  # the LAPENNA Unit 7 slides, "Third Dense Layer Output (batch)"
    [0.1, 0.0, 0.0, 0.7, 0.0, 0.2, 0.0, 0.0, 0.0, 0.0],
    [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, 0.0, 0.7, 0.0, 0.0, 0.0, 0.0, 0.2],
    [0.0, 0.9, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1],
    [0.0, 0.0, 0.0, 0.0, 0.1, 0.0, 0.0, 0.0, 0.0, 0.9],
    [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [0.0, 0.9, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
]


@derivation("losses/categorical-ce-batch")
def categorical_batch():
    out = {}
    for s, (row, c) in enumerate(zip(PREDICTIONS, CLASSES), 1):
        out[f"sample{s}.loss"] = -d(row[c]).ln()
    out["loss"] = sum(out.values()) / len(CLASSES)
    return out


@derivation("losses/bce-batch")
def bce_batch():
    p, t = [d("0.9"), d("0.2"), d("0.6")], [1, 0, 1]
    out = {}
    for s in range(3):
        out[f"sample{s + 1}.loss"] = -(t[s] * p[s].ln() + (1 - t[s]) * (1 - p[s]).ln())
        out[f"sample{s + 1}.dL/dy1"] = (p[s] - t[s]) / (p[s] * (1 - p[s])) / 3
    out["loss"] = sum(out[f"sample{s + 1}.loss"] for s in range(3)) / 3
    return out


@derivation("losses/bce-logits-batch")
def bce_logits_batch():
    z, t = [d("2.0"), d("-1.0"), d("0.5")], [1, 0, 1]
    out = {}
    for s in range(3):
        p = sigmoid(z[s])
        out[f"sample{s + 1}.loss"] = -(t[s] * p.ln() + (1 - t[s]) * (1 - p).ln())
        out[f"sample{s + 1}.dL/dz1"] = (p - t[s]) / 3
    out["loss"] = sum(out[f"sample{s + 1}.loss"] for s in range(3)) / 3
    return out
