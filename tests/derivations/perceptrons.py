"""Truth tables by hand: z = w.x + b per row, then step (1 if z > 0) or ReLU."""

from __future__ import annotations

from tests.derivations import derivation

ROWS = [(0, 0), (0, 1), (1, 0), (1, 1)]


def step(z):
    return 1 if z > 0 else 0


def relu(z):
    return max(0, z)


def table(layers, targets, mse=False):
    out, correct = {}, True
    for r, x in enumerate(ROWS, 1):
        a = list(x)
        for lv, (W, b, f) in enumerate(layers, 1):
            z = [sum(w * v for w, v in zip(row, a)) + bi for row, bi in zip(W, b)]
            a = [f(v) for v in z]
            for i in range(len(z)):
                out[f"row{r}.fc{lv}.z{i + 1}"] = z[i]
                out[f"row{r}.fc{lv}.a{i + 1}"] = a[i]
        out[f"row{r}.y"] = a[0]
        correct &= a[0] == targets[r - 1]
        if mse:
            out[f"row{r}.loss"] = (a[0] - targets[r - 1]) ** 2
    out["all_correct"] = correct
    if mse:
        out["loss"] = sum(out[f"row{r}.loss"] for r in range(1, 5)) / 4
    return out


@derivation("perceptrons/and")
def and_gate():
    return table([([[1, 1]], [-1], step)], [0, 0, 0, 1])


@derivation("perceptrons/or")
def or_gate():
    return table([([[1, 1]], [0], step)], [0, 1, 1, 1])


@derivation("perceptrons/xor-relu")
def xor_relu():
    return table([([[1, 1], [1, 1]], [0, -1], relu), ([[1, -2]], [0], relu)], [0, 1, 1, 0])


@derivation("perceptrons/xor-table")
def xor_step():
    return table([([[1, 1], [1, 1]], [0, -1], step), ([[1, -2]], [0], step)], [0, 1, 1, 0], mse=True)
