"""Softmax, its Jacobian and cross-entropy by hand (Decimal, 60 digits)."""

from __future__ import annotations

from tests.derivations import derivation
from tests.derivations.networks import d


def softmax(z, stable=True, target=None):
    z = [d(v) for v in z]
    m = max(z) if stable else d(0)
    es = [(v - m).exp() for v in z]
    s = sum(es)
    p = [e / s for e in es]
    out = {"sum_e": s}
    if stable:
        out["max_z"] = m
    n = len(z)
    for i in range(n):
        out[f"e{i + 1}"] = es[i]
        out[f"p{i + 1}"] = p[i]
        for j in range(n):
            out[f"J{i + 1}{j + 1}"] = p[i] * ((1 if i == j else 0) - p[j])
    if target is not None:
        t = [d(v) for v in target]
        out["loss"] = -sum(ti * pi.ln() for ti, pi in zip(t, p) if ti != 0)
        for i in range(n):
            if t[i] != 0:
                out[f"loss.{i + 1}"] = -t[i] * p[i].ln()
            out[f"dL/dp{i + 1}"] = -t[i] / p[i]
            # J^T(-t/p), summed by hand; equals p - t
            out[f"dL/dz{i + 1}"] = sum(out[f"J{k + 1}{i + 1}"] * (-t[k] / p[k]) for k in range(n))
    return out


@derivation("softmax/softmax-jacobian")
def sheet_jacobian():
    return softmax([2.0, 1.0, 0.1])


@derivation("softmax/softmax-worksheet")
def worksheet():
    return softmax([2.0, 1.0, 0.1], stable=False)


@derivation("softmax/cs231n-scores")
def scores():
    return softmax([3.2, 5.1, -1.7], stable=False, target=[1, 0, 0])


@derivation("softmax/flattened-softmax")
def flat():
    return softmax([9, 9, 9, 9, 7, 1, 6, 0])
