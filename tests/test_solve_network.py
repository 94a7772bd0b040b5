"""The network solver's values (exact, from the engine's layers) against PyTorch autograd in
float64: small random dense nets, several activations, every loss, batches and two SGD steps.
The torch side is written out here from the same weight lists, without nncalc."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from calc.solve.registry import SolveOptions

TORCH_ACT = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "linear": lambda z: z,
             "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01),
             "elu": lambda z: torch.nn.functional.elu(z, 1.0)}

# (sizes, hidden activations, last activation, loss, reduction, batch, shared_bias)
CASES = [
    ((2, 3, 2), ("sigmoid",), "sigmoid", "mse", "half_sum", 1, False),
    ((3, 4, 2), ("tanh",), "linear", "mse", "mean", 3, False),
    ((3, 3, 2, 3), ("relu", "sigmoid"), "softmax", "cross_entropy", "mean", 2, False),
    ((2, 3, 3), ("leaky_relu",), "linear", "softmax_ce", "sum", 2, True),
    ((2, 2, 1), ("elu",), "sigmoid", "bce", "mean", 3, False),
    ((3, 2, 2), ("tanh",), "linear", "bce_logits", "sum", 2, False),
    ((2, 3, 2), ("sigmoid",), "sigmoid", "mse", "sum", 2, True),
]


def numbers(rng, shape):
    """Weights with two decimals, as text: exact for nncalc, the same doubles for torch."""
    return [[f"{v:.2f}" for v in row] for row in rng.uniform(-1, 1, size=shape)]


def build_case(case, seed):
    sizes, hidden, last, loss, reduction, batch, shared = case
    rng = np.random.default_rng(seed)
    layers, spec_layers = [], []
    for k in range(len(sizes) - 1):
        W = numbers(rng, (sizes[k + 1], sizes[k]))
        b = numbers(rng, (1, 1 if shared else sizes[k + 1]))[0]
        act = hidden[k] if k < len(hidden) else (last if last != "softmax" else "linear")
        layers.append((W, b, act))
        opts = {"units": sizes[k + 1], "weights": W, "bias": b, "shared_bias": shared}
        if act != "linear":
            opts["activation"] = act
        spec_layers.append({"dense": opts})
    if last == "softmax":
        spec_layers.append("softmax")
    x = numbers(rng, (batch, sizes[0]))
    n_out = sizes[-1]
    if loss in ("cross_entropy", "softmax_ce"):
        classes = rng.integers(n_out, size=batch)
        t = [[1 if j == c else 0 for j in range(n_out)] for c in classes]
    elif loss in ("bce", "bce_logits"):
        t = [[int(rng.integers(2)) for _ in range(n_out)] for _ in range(batch)]
    else:
        t = numbers(rng, (batch, n_out))
    given = {"network": {"input": [sizes[0]], "layers": spec_layers}, "input": x, "target": t,
             "loss": {"name": loss, "reduction": reduction},
             "optimizer": {"name": "sgd", "lr": "0.5", "steps": 2}, "input_gradient": True}
    return given, layers, x, t


def torch_run(case, layers, x, t):
    """Per step: loss, dL/dz per dense layer (batch, units), grads, dL/dx, and the weights after."""
    sizes, hidden, last, loss, reduction, batch, shared = case
    params = [(torch.tensor([[float(v) for v in r] for r in W], dtype=torch.float64, requires_grad=True),
               torch.tensor([float(v) for v in b], dtype=torch.float64, requires_grad=True), act) for W, b, act in layers]
    X = torch.tensor([[float(v) for v in r] for r in x], dtype=torch.float64, requires_grad=True)
    T = torch.tensor([[float(v) for v in r] for r in t], dtype=torch.float64)
    steps = []
    for _ in range(2):
        a, zs = X, []
        for W, b, act in params:
            z = a @ W.T + b
            z.retain_grad()
            zs.append(z)
            a = TORCH_ACT[act](z)
        F = torch.nn.functional
        if last == "softmax":
            p = torch.softmax(a, dim=-1)
            per = -(T * torch.log(p)).sum(dim=1)
            L = per.mean() if reduction == "mean" else per.sum()
        elif loss == "mse":
            total = ((a - T) ** 2).sum()
            L = {"half_sum": total / 2, "sum": total, "mean": total / a.numel()}[reduction]
        elif loss == "softmax_ce":
            L = F.cross_entropy(a, T, reduction=reduction)
        elif loss == "bce":
            L = F.binary_cross_entropy(a, T, reduction=reduction)
        else:
            L = F.binary_cross_entropy_with_logits(a, T, reduction=reduction)
        for W, b, _ in params:
            W.grad = b.grad = None
        X.grad = None
        L.backward()
        record = {"loss": L.item(), "deltas": [z.grad.numpy().copy() for z in zs],
                  "grads": [(W.grad.numpy().copy(), b.grad.numpy().copy()) for W, b, _ in params],
                  "dx": X.grad.numpy().copy()}
        with torch.no_grad():
            for W, b, _ in params:
                W -= 0.5 * W.grad
                b -= 0.5 * b.grad
        record["after"] = [(W.detach().numpy().copy(), b.detach().numpy().copy()) for W, b, _ in params]
        steps.append(record)
    return steps


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{'-'.join(map(str, c[0]))}-{c[2]}-{c[3]}-{c[4]}-n{c[5]}")
def test_network_solver_matches_torch(case):
    from calc.errors import Where
    from calc.solve.network.given import read_network_given
    from calc.solve.network.solver import solve_network

    given, layers, x, t = build_case(case, seed=sum(map(ord, repr(case))))
    sol = solve_network(read_network_given(given, Where("test")), SolveOptions())
    ans = sol.answers
    batch, shared = case[5], case[6]

    def close(name, want):
        assert name in ans, (name, sorted(ans)[:20])
        assert abs(float(ans[name]) - float(want)) <= 1e-10 * max(1.0, abs(float(want))), (name, float(ans[name]), want)

    for step, ref in enumerate(torch_run(case, layers, x, t), 1):
        pre = "" if step == 1 else f"step{step}."
        close(pre + "loss", ref["loss"])
        for lv, (delta, (gW, gb), (W, b)) in enumerate(zip(ref["deltas"], ref["grads"], ref["after"]), 1):
            for s in range(batch):
                sample = f"sample{s + 1}." if batch > 1 else ""
                for i in range(delta.shape[1]):
                    close(f"{pre}{sample}fc{lv}.delta{i + 1}", delta[s, i])
            for i in range(gW.shape[0]):
                for j in range(gW.shape[1]):
                    close(f"{pre}dL/dfc{lv}.w{i + 1}{j + 1}", gW[i, j])
                    close(f"{pre}fc{lv}.w{i + 1}{j + 1}+", W[i, j])
            if shared:
                close(f"{pre}dL/dfc{lv}.b", gb[0])
                close(f"{pre}fc{lv}.b+", b[0])
            else:
                for i in range(gb.shape[0]):
                    close(f"{pre}dL/dfc{lv}.b{i + 1}", gb[i])
                    close(f"{pre}fc{lv}.b{i + 1}+", b[i])
        for s in range(batch):
            sample = f"sample{s + 1}." if batch > 1 else ""
            for j in range(ref["dx"].shape[1]):
                close(f"{pre}{sample}dL/dx{j + 1}", ref["dx"][s, j])


def test_hidden_deltas_updated_matches_manual_torch():
    """'updated' mode: the hidden layer's deltas use the output weights after their update."""
    from calc.problems_io import load_problem, solve_problem

    sol = solve_problem(load_problem("networks/mazur-published-error"))
    W1 = torch.tensor([[0.15, 0.20], [0.25, 0.30]], dtype=torch.float64, requires_grad=True)
    W2 = torch.tensor([[0.40, 0.45], [0.50, 0.55]], dtype=torch.float64, requires_grad=True)
    x = torch.tensor([0.05, 0.10], dtype=torch.float64)
    t = torch.tensor([0.01, 0.99], dtype=torch.float64)
    h = torch.sigmoid(W1 @ x + 0.35)
    o = torch.sigmoid(W2 @ h + 0.60)
    delta_o = ((o - t) * o * (1 - o)).detach()
    W2_new = W2.detach() - 0.5 * torch.outer(delta_o, h.detach())
    delta_h = (W2_new.T @ delta_o) * h.detach() * (1 - h.detach())
    W1_new = W1.detach() - 0.5 * torch.outer(delta_h, x)
    assert abs(float(sol.answers["fc1.delta1"]) - delta_h[0].item()) < 1e-14
    assert abs(float(sol.answers["fc1.w22+"]) - W1_new[1, 1].item()) < 1e-14
