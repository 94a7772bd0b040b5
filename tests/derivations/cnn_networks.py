"""The two whole-CNN problems recomputed with PyTorch autograd (float64): the Unit 7 slides' small CNN
(forward, backward, one SGD step) and the TF-CNN-CONV notebook's Q1 forward pass. Values are
returned under the solution's canonical names (the problem files' aliases point at them)."""

from __future__ import annotations

from tests.derivations import derivation
from tests.derivations.cnn import TF_FILTER, TF_INPUT


@derivation("cnn/cnn-forward-backward")
def course_cnn():
    import torch
    import torch.nn.functional as F

    torch.set_default_dtype(torch.float64)
    x = torch.tensor([[1.0, 0, 1], [0, 1, 0], [1, 0, 1]], requires_grad=True)
    f = torch.tensor([[0.9, 0.1], [0.1, 0.9]], requires_grad=True)
    b = torch.tensor([0.1], requires_grad=True)
    wh = torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8]], requires_grad=True)
    bh = torch.tensor([0.2, 0.2], requires_grad=True)
    wo = torch.tensor([[0.1, 0.2], [0.3, 0.4]], requires_grad=True)
    bo = torch.tensor([0.3, 0.3], requires_grad=True)
    c = F.relu(F.conv2d(x[None, None], f[None, None], b)[0, 0])
    flat = c.reshape(-1)
    flat.retain_grad()
    h = wh @ flat + bh
    o = wo @ F.relu(h) + bo
    p = torch.softmax(o, 0)
    loss = -torch.log(p[0])  # targets 1, 0
    loss.backward()
    out = {"loss": loss.item()}
    for i in range(2):
        for j in range(2):
            out[f"conv.a{i + 1},{j + 1},1"] = c[i, j].item()
            out[f"dL/dconv.F{i + 1}{j + 1}"] = f.grad[i, j].item()
            out[f"conv.F{i + 1}{j + 1}+"] = (f - 0.5 * f.grad)[i, j].item()
            out[f"out.w{i + 1}{j + 1}+"] = (wo - 0.5 * wo.grad)[i, j].item()
            out[f"dL/dout.w{i + 1}{j + 1}"] = wo.grad[i, j].item()
    for n in range(2):
        out[f"hidden.z{n + 1}"], out[f"out.z{n + 1}"], out[f"out.a{n + 1}"] = h[n].item(), o[n].item(), p[n].item()
        out[f"hidden.b{n + 1}+"] = (bh - 0.5 * bh.grad)[n].item()
        out[f"out.b{n + 1}+"] = (bo - 0.5 * bo.grad)[n].item()
        for j in range(4):
            out[f"hidden.w{n + 1}{j + 1}+"] = (wh - 0.5 * wh.grad)[n, j].item()
    for j in range(4):
        out[f"dL/dflatten1.x{j + 1}"] = flat.grad[j].item()
    out["dL/dconv.b"] = b.grad.item()
    out["conv.b+"] = (b - 0.5 * b.grad).item()
    out["dL/dconv.F"] = f.grad.tolist()
    out["dL/dconv.input"] = x.grad.tolist()
    return out


@derivation("cnn/tf-cnn-conv-q1")
def tf_q1():
    import torch
    import torch.nn.functional as F

    torch.set_default_dtype(torch.float64)
    x = torch.tensor(TF_INPUT, dtype=torch.float64).permute(2, 0, 1)[None]
    qa = F.conv2d(x, torch.tensor(TF_FILTER, dtype=torch.float64).permute(3, 2, 0, 1),
                  torch.tensor([1.0, 0.0]), stride=2)[0]
    qb = F.relu(qa)
    qc = F.max_pool2d(qb[None], 2, 1)[0]
    qd = qc.reshape(-1)  # channel by channel, as the course lists it
    p = torch.softmax(qd, 0)
    out = {"conv1.output": qa.tolist(), "pool1.output": qc.tolist(), "flatten1.x": qd.tolist()}
    out.update({f"conv1.a1,1,{c + 1}": qb[c, 0, 0].item() for c in range(2)})
    out.update({f"softmax1.a{n + 1}": p[n].item() for n in range(8)})
    return out
