"""Softmax: the one activation whose outputs depend on every input (a Jacobian, not an element-wise
derivative), paired with cross-entropy as a network's last layer.
"""

from __future__ import annotations

from calc.layers.activation.base import Activation
from calc.layers.base import register


@register
class Softmax(Activation):
    """e^z_i / sum_j e^z_j over the last axis (classes, or channels of a map), computed stably."""

    kind, prefix = "softmax", "softmax"
    elementwise = False
    summary = "softmax over the last axis (computed stably: z - max z)"
    formula = "e^(z_i - max z) / sum_j e^(z_j - max z)"
    derivative_formula = "J_ij = p_i (delta_ij - p_j)"
    tex_name = r"\mathrm{softmax}"
    remark = " (computed stably: z - max z first)"
    paired_loss, logits_loss = "cross_entropy", "softmax_ce"
    paired_note = "softmax + cross-entropy: dL/dz = p - t, the same as J^T(-t/p) through the softmax Jacobian"
    class_probabilities = True
    convention = ("softmax computed stably, p_i = e^(z_i - max z) / sum_j e^(z_j - max z); Jacobian dp_i/dz_j = "
                  "p_i (delta_ij - p_j)")

    def function(self, z, be):
        xp = be.xp
        shifted = z - xp.max(z, axis=-1, keepdims=True)
        e = xp.exp(shifted)
        return e / e.sum(axis=-1, keepdims=True)

    @staticmethod
    def jacobian(p, be, rows=None):
        """dp_i/dz_j = p_i (delta_ij - p_j) for one vector p; ``rows``: only those i (a long
        vector's worked sums show a few terms, and the full n x n matrix is n^2 values)."""
        xp = be.xp
        n = p.shape[-1]
        rows = list(range(n)) if rows is None else list(rows)
        eye = (xp.asarray([[1 if i == j else 0 for j in range(n)] for i in rows]) if be.exact
               else xp.eye(n, dtype=p.dtype)[rows])
        pr = p[rows][:, None]
        return pr * eye - pr * p[None, :]

    def backward(self, dy, ctx):
        a = self.a
        return a * (dy - (dy * a).sum(axis=-1, keepdims=True))  # J^T dy without forming J
