"""Scaled dot-product attention worked out on small Q, K, V: the scores Q K^T, the scaling by
sqrt(d_k), the causal mask, the row-wise softmax and the weighted sum of the values.

    type: attention
    given: {Q: [[1, 0], [0, 1]], K: [[1, 0], [0, 1]], V: [[1, 2], [3, 4]], causal: false}

Exact arithmetic (Fractions; exp and sqrt to 50 digits where irrational); the softmax of each row
is calc.layers.activation.softmax.Softmax's. Answer names: S_ij (scores), scaled_ij, A_ij
(attention weights), out_ij (the output), and the matrices S, scaled, A, out.
"""

from __future__ import annotations

from calc.errors import SpecError, Where
from calc.solve.registry import SolveOptions, problem_type
from calc.solve.step import Solution, Step, Table
from calc.solve.text import Writer

KEYS = ("Q", "K", "V", "causal", "scale")


def _rows(matrix) -> list[list]:
    return [list(row) for row in matrix]


def solve_attention(q, k, v, causal: bool = False, scale: bool = True,
                    options: SolveOptions = SolveOptions()) -> Solution:
    from calc.backend import get_backend
    from calc.layers.activation.softmax import Softmax

    be = get_backend("exact")
    xp, w = be.xp, Writer(options.decimals, options.hand_rounding)
    Q, K, V = be.asarray(q), be.asarray(k), be.asarray(v)
    n, d = Q.shape
    if K.shape[1] != d or K.shape[0] != V.shape[0]:
        raise SpecError(f"Q is {n} x {d}, K {K.shape[0]} x {K.shape[1]}, V {V.shape[0]} x {V.shape[1]}: "
                        "Q and K need the same width d_k, K and V one row per key")
    if causal and K.shape[0] != n:
        raise SpecError("a causal mask needs as many keys as queries (self-attention)")
    root = xp.sqrt(be.scalar(d))
    sol = Solution("Scaled dot-product attention", [
        "Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k) + mask) V (Vaswani et al. 2017), one query per row",
        f"d_k = {d}: scores divided by sqrt({d}) = {w.num(root)}" if scale else "scores not scaled (scale: false)",
        "causal mask: query i sees keys 1..i (the others get -inf, weight 0)" if causal else "no mask",
        "softmax over each row (the keys), computed stably: s - max s; each output row is the weighted "
        "mean of the value rows",
    ])
    S = Q @ K.T
    sol.add(Table("S = Q K^T", ["i"] + [f"j={j + 1}" for j in range(K.shape[0])],
                  [[i + 1] + [w.round(s) for s in row] for i, row in enumerate(S)],
                  answers={f"S{i + 1}{j + 1}": S[i, j] for i in range(n) for j in range(K.shape[0])}))
    for i, j in ((0, 0), (0, K.shape[0] - 1)):
        terms = " + ".join(f"{w.factor(Q[i, t])}*{w.factor(K[j, t])}" for t in range(d))
        sol.add(Step(f"S{i + 1}{j + 1}", "q_i . k_j", terms, S[i, j]))
    scaled = S / root if scale else S
    sol.add(Table("scaled = S / sqrt(d_k)" if scale else "scaled = S", ["i"] + [f"j={j + 1}" for j in range(K.shape[0])],
                  [[i + 1] + [w.round(s) for s in row] for i, row in enumerate(scaled)],
                  answers={f"scaled{i + 1}{j + 1}": scaled[i, j] for i in range(n) for j in range(K.shape[0])}))
    soft = Softmax()
    weights = []
    for i in range(n):
        seen = i + 1 if causal else K.shape[0]
        row = soft.function(scaled[i, :seen], be)
        weights.append(list(row) + [0 * row[0]] * (K.shape[0] - seen))
    A = be.asarray(weights)
    sol.add(Table("A = softmax(rows)",
                  ["i"] + [f"j={j + 1}" for j in range(K.shape[0])],
                  [[i + 1] + [w.round(a) for a in row] for i, row in enumerate(A)],
                  answers={f"A{i + 1}{j + 1}": A[i, j] for i in range(n) for j in range(K.shape[0])}))
    out = A @ V
    sol.add(Table("out = A V", ["i"] + [f"c={c + 1}" for c in range(V.shape[1])],
                  [[i + 1] + [w.round(o) for o in row] for i, row in enumerate(out)],
                  answers={f"out{i + 1}{c + 1}": out[i, c] for i in range(n) for c in range(V.shape[1])}))
    terms = " + ".join(f"{w.factor(A[0, j])}*{w.factor(V[j, 0])}" for j in range(V.shape[0]))
    sol.add(Step("out11", "sum_j A_1j v_j1", terms, out[0, 0]))
    sol.answers.update({"S": _rows(S), "scaled": _rows(scaled), "A": _rows(A), "out": _rows(out)})
    sol.summary = f"out = A V, {n} x {V.shape[1]}; row 1: " + ", ".join(w.num(o) for o in out[0])
    return sol


@problem_type("attention")
def solve_attention_problem(given, where: Where, options: SolveOptions) -> Solution:
    from calc.solve.given import check_keys, flag, matrix

    check_keys(given, where, KEYS)
    return solve_attention(matrix(given, where, "Q"), matrix(given, where, "K"), matrix(given, where, "V"),
                           flag(given, where, "causal", False), flag(given, where, "scale", True), options)
