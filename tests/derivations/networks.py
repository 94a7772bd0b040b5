"""Dense networks by hand: scalar loops over neurons in Decimal (60 digits), the textbook way.

``mlp`` is a from-scratch forward/backward/SGD written for these derivations only (it shares no
code with nncalc); the batch example is derived with PyTorch autograd instead.
"""

from __future__ import annotations

from decimal import Decimal as D
from decimal import getcontext

from tests.derivations import derivation

getcontext().prec = 60


def d(x) -> D:
    return D(str(x))


def sigmoid(z: D) -> D:
    return 1 / (1 + (-z).exp())


ACT = {
    "sigmoid": (sigmoid, lambda z, a: a * (1 - a)),
    "relu": (lambda z: z if z > 0 else D(0), lambda z, a: D(1) if z > 0 else D(0)),
    "linear": (lambda z: z, lambda z, a: D(1)),
}


def ij(i, j):
    return f"{i}{j}"


def mlp(layers, x, target=None, loss=None, lr=None, update_bias=True, hidden="original", input_gradient=False):
    """layers: [{W, b (list | number = shared | None), act}] with act 'softmax' allowed last.

    loss: 'half_sum' (1/2 SSE), 'cross_entropy' (after softmax), 'output' (dy/dy = 1) or None.
    Returns {nncalc answer name: Decimal}.
    """
    out = {}
    a = [d(v) for v in x]
    acts, zs = [a], []
    for lv, layer in enumerate(layers, 1):
        W = [[d(v) for v in row] for row in layer["W"]]
        b = layer.get("b")
        z = []
        for i, row in enumerate(W, 1):
            bias = D(0) if b is None else (d(b) if not isinstance(b, list) else d(b[i - 1]))
            z.append(sum(w * v for w, v in zip(row, a)) + bias)
            out[f"fc{lv}.z{i}"] = z[-1]
        if layer["act"] == "softmax":
            m = max(z)
            es = [(v - m).exp() for v in z]
            s = sum(es)
            a = [e / s for e in es]
            out[f"fc{lv}.max_z"], out[f"fc{lv}.sum_e"] = m, s
            for i, e in enumerate(es, 1):
                out[f"fc{lv}.e{i}"] = e
        else:
            f = ACT[layer["act"]][0]
            a = [f(v) for v in z]
        for i, v in enumerate(a, 1):
            out[f"fc{lv}.a{i}"] = v
        zs.append(z)
        acts.append(a)
    if loss is None:
        return out
    L = len(layers)
    y = acts[-1]
    t = [d(v) for v in target] if target is not None else None
    if loss == "half_sum":
        terms = [(tj - yj) ** 2 / 2 for yj, tj in zip(y, t)]
        dy = [yj - tj for yj, tj in zip(y, t)]
    elif loss == "cross_entropy":
        terms = [-tj * yj.ln() if tj != 0 else None for yj, tj in zip(y, t)]
        dy = [-tj / yj for yj, tj in zip(y, t)]
    else:  # output
        terms, dy = [], [D(1)] * len(y)
    for j, term in enumerate(terms, 1):
        if term is not None:
            out[f"loss.{j}"] = term
    if terms:
        out["loss"] = sum(v for v in terms if v is not None)
    for j, g in enumerate(dy, 1):
        out[f"dL/dfc{L}.a{j}"] = g
    new_W = {}
    grad_a = dy
    for lv in range(L, 0, -1):
        layer = layers[lv - 1]
        z, a_out, a_in = zs[lv - 1], acts[lv], acts[lv - 1]
        if layer["act"] == "softmax":
            delta = [a_out[i] - t[i] for i in range(len(z))]  # checked against J^T(-t/p) in softmax.py
        else:
            fp = [ACT[layer["act"]][1](zi, ai) for zi, ai in zip(z, a_out)]
            delta = [g * f for g, f in zip(grad_a, fp)]
            for i, f in enumerate(fp, 1):
                out[f"fc{lv}.da{i}/dz{i}"] = f
        for i, v in enumerate(delta, 1):
            out[f"fc{lv}.delta{i}"] = v
        W = [[d(v) for v in row] for row in layer["W"]]
        for i in range(len(W)):
            for j in range(len(a_in)):
                out[f"dL/dfc{lv}.w{ij(i + 1, j + 1)}"] = delta[i] * a_in[j]
        b = layer.get("b")
        if isinstance(b, list):
            for i in range(len(W)):
                out[f"dL/dfc{lv}.b{i + 1}"] = delta[i]
        elif b is not None:
            out[f"dL/dfc{lv}.b"] = sum(delta)
        if lr is not None:
            eta = d(lr)
            new_W[lv] = [[W[i][j] - eta * delta[i] * a_in[j] for j in range(len(a_in))] for i in range(len(W))]
            for i in range(len(W)):
                for j in range(len(a_in)):
                    out[f"fc{lv}.w{ij(i + 1, j + 1)}+"] = new_W[lv][i][j]
                if isinstance(b, list) and update_bias:
                    out[f"fc{lv}.b{i + 1}+"] = d(b[i]) - eta * delta[i]
        use = new_W[lv] if hidden == "updated" and lr is not None else W
        grad_a = [sum(delta[i] * use[i][j] for i in range(len(W))) for j in range(len(a_in))]
        if lv > 1:
            for j, g in enumerate(grad_a, 1):
                out[f"dL/dfc{lv - 1}.a{j}"] = g
        elif input_gradient:
            for j, g in enumerate(grad_a, 1):
                out[f"dL/dx{j}"] = g
    if lr is not None and loss == "half_sum":
        updated = []
        for lv, layer in enumerate(layers, 1):
            b = layer.get("b")
            if isinstance(b, list) and update_bias:
                b = [out[f"fc{lv}.b{i + 1}+"] for i in range(len(b))]
            updated.append({"W": new_W[lv], "b": b, "act": layer["act"]})
        after = mlp(updated, x)
        yy = [after[f"fc{L}.a{j}"] for j in range(1, len(y) + 1)]
        out["loss+"] = sum((tj - yj) ** 2 / 2 for yj, tj in zip(yy, t))
        for j, v in enumerate(yy, 1):
            out[f"fc{L}.a{j}+"] = v
    return out


MAZUR = [{"W": [[0.15, 0.20], [0.25, 0.30]], "b": 0.35, "act": "sigmoid"},
         {"W": [[0.40, 0.45], [0.50, 0.55]], "b": 0.60, "act": "sigmoid"}]


@derivation("networks/mazur")
def mazur():
    return mlp(MAZUR, [0.05, 0.10], [0.01, 0.99], "half_sum", lr=0.5, update_bias=False)


@derivation("networks/mazur-published-error")
def mazur_published_error():
    return mlp(MAZUR, [0.05, 0.10], [0.01, 0.99], "half_sum", lr=0.5, update_bias=False, hidden="updated")


@derivation("networks/dnn-example")
def dnn():
    return mazur()


@derivation("networks/relu-softmax")
def relu_softmax():
    layers = [{"W": [[0.1] * 4] * 3, "act": "relu"}, {"W": [[0.001] * 3] * 2, "act": "relu"},
              {"W": [[0.01] * 2] * 2, "act": "softmax"}]
    return mlp(layers, [-2.4, 1.2, -0.8, 1.1])


@derivation("networks/relu-softmax-2232")
def relu_softmax_2232():
    layers = [{"W": [[0.742, 0.794], [0.561, 1.0]], "act": "relu"},
              {"W": [[0.725, 0.613], [0.416, 0.092], [0.876, 0.590]], "act": "relu"},
              {"W": [[0.882, 0.127, 0.233], [0.112, 0.132, 0.536]], "act": "softmax"}]
    return mlp(layers, [0.5, -1.0])


@derivation("networks/sigmoid-chain")
def sigmoid_chain():
    layers = [{"W": [[0.5]], "act": "sigmoid"}] * 3
    return mlp(layers, [0.5], loss="output", input_gradient=True)


@derivation("networks/sigmoid-neuron")
def sigmoid_neuron():
    layers = [{"W": [[2, -3]], "b": [-3], "act": "sigmoid"}]
    return mlp(layers, [-1, -2], loss="output", input_gradient=True)


@derivation("networks/cnn-mlp-head")
def cnn_mlp_head():
    layers = [{"W": [[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8]], "b": [0.2, 0.2], "act": "relu"},
              {"W": [[0.1, 0.2], [0.3, 0.4]], "b": [0.3, 0.3], "act": "softmax"}]
    return mlp(layers, [1.9, 0.3, 0.3, 1.9], [1, 0], "cross_entropy", lr=0.5, input_gradient=True)


@derivation("networks/batch-two-steps")
def batch_two_steps():
    """2-2-1 tanh/sigmoid net, MSE mean over a batch of 2, two SGD steps: PyTorch autograd, float64."""
    import torch

    torch.set_default_dtype(torch.float64)
    W1 = torch.tensor([[0.5, -0.25], [0.75, 0.125]], requires_grad=True)
    b1 = torch.tensor([0.1, -0.2], requires_grad=True)
    W2 = torch.tensor([[1.5, -0.5]], requires_grad=True)
    b2 = torch.tensor([0.25], requires_grad=True)
    x = torch.tensor([[1.0, 2.0], [-1.0, 0.5]])
    t = torch.tensor([[1.0], [0.0]])
    out = {}
    for step in (1, 2):
        pre = "" if step == 1 else "step2."
        z1 = x @ W1.T + b1
        a1 = torch.tanh(z1)
        z2 = a1 @ W2.T + b2
        a2 = torch.sigmoid(z2)
        loss = torch.nn.functional.mse_loss(a2, t)
        for W, b in ((W1, b1), (W2, b2)):
            W.grad = b.grad = None
        loss.backward()
        out[pre + "loss"] = loss.item()
        for s in range(2):
            out[f"{pre}sample{s + 1}.fc1.z1"] = z1[s, 0].item()
            out[f"{pre}sample{s + 1}.fc2.a1"] = a2[s, 0].item()
        for name, p in (("fc1.w", W1), ("fc2.w", W2)):
            for i in range(p.shape[0]):
                for j in range(p.shape[1]):
                    out[f"{pre}dL/d{name}{i + 1}{j + 1}"] = p.grad[i, j].item()
        out[f"{pre}dL/dfc2.b1"] = b2.grad[0].item()
        with torch.no_grad():
            for p in (W1, b1, W2, b2):
                p -= 0.5 * p.grad
        for i in range(2):
            for j in range(2):
                out[f"{pre}fc1.w{i + 1}{j + 1}+"] = W1[i, j].item()
        out[f"{pre}fc2.b1+"] = b2[0].item()
    return out
