"""Small torch models for the ONNX reader's tests, and a plain-torch ResNet-18 following
torchvision/models/resnet.py (BasicBlock, v0.20) line by line: torchvision is not installed.
Test-time only."""

from __future__ import annotations

import torch
from torch import nn


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet18(nn.Module):
    def __init__(self, classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        widths, cin, stages = (64, 128, 256, 512), 64, []
        for i, w in enumerate(widths):
            stride = 1 if i == 0 else 2
            stages.append(nn.Sequential(BasicBlock(cin, w, stride), BasicBlock(w, w)))
            cin = w
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class SmallCNN(nn.Module):
    """Conv, BN, max and average pooling, a concat and a residual add, and a flatten of a 3 x 3 map
    (NCHW order) into a linear layer: the flatten order matters."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.left = nn.Conv2d(8, 4, 1)
        self.right = nn.Conv2d(8, 4, 3, padding=1, bias=False)
        self.c2 = nn.Conv2d(8, 6, 3, stride=2)
        self.pool = nn.AvgPool2d(3, stride=1, padding=1)
        self.fc = nn.Linear(6 * 3 * 3, 5)

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.bn(self.c1(x))), 2)
        x = x + torch.cat([self.left(x), nn.functional.relu6(self.right(x))], 1)
        x = self.pool(torch.sigmoid(self.c2(x)))
        return torch.softmax(self.fc(torch.flatten(x, 1)), 1)


class SequenceNet(nn.Module):
    """Linear layers on a sequence (exported as MatMul + Add), layer norm, GELU and tanh."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 10)
        self.norm = nn.LayerNorm(10)
        self.fc2 = nn.Linear(10, 3)

    def forward(self, x):
        return torch.tanh(self.fc2(nn.functional.gelu(self.norm(self.fc1(x)))))


def mlp():
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 8), nn.LeakyReLU(0.2),
                         nn.Linear(8, 3))


def randomize_norms(model: nn.Module, seed: int = 0) -> nn.Module:
    """Batch norms with non-trivial statistics and affine values, so that a wrong mapping shows."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm2d, nn.LayerNorm)):
                m.weight.copy_(0.5 + torch.rand(m.weight.shape, generator=gen))
                m.bias.copy_(0.2 * torch.randn(m.bias.shape, generator=gen))
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(0.1 * torch.randn(m.running_mean.shape, generator=gen))
                m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=gen))
    return model.eval()


def export(model: nn.Module, shape: tuple, path, dtype=torch.float32, opset=None) -> str:
    """torch.onnx.export (the TorchScript exporter), batch norms kept (no constant folding), any batch."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.float().eval(), torch.zeros(shape, dtype=dtype), str(path), dynamo=False, do_constant_folding=False,
                          **({"opset_version": opset} if opset else {}),
                          input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
    return str(path)


class Unsupported(nn.Module):
    """Two operators nncalc has no layer for (Sin, Abs) between linear layers."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc2(torch.sin(self.fc1(x)).abs())


def write_examples(folder="examples/onnx") -> None:
    """The docs' example models (python -m tests.onnx_models): small, seeded, a few kB each."""
    from pathlib import Path

    Path(folder).mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    export(randomize_norms(SmallCNN()), (1, 3, 16, 16), Path(folder) / "small-cnn.onnx")
    torch.manual_seed(0)
    export(mlp(), (1, 4), Path(folder) / "mlp.onnx")
    torch.manual_seed(0)
    export(Unsupported(), (1, 4), Path(folder) / "unsupported.onnx")


if __name__ == "__main__":
    write_examples()


class TokenNet(nn.Module):
    """Token ids -> nn.Embedding (exported as Gather) -> layer norm -> linear on every position."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(50, 8)
        self.norm = nn.LayerNorm(8)
        self.head = nn.Linear(8, 4)

    def forward(self, ids):
        return self.head(self.norm(self.embed(ids)))


class SelfAttention(nn.Module):
    """Multi-head self-attention in plain torch (q, k, v, o Linear layers; heads by reshape and
    transpose; scores divided by sqrt(head_dim)), as a small transformer is often written."""

    def __init__(self, d, heads, scale="div"):
        super().__init__()
        self.heads, self.head_dim, self.scale = heads, d // heads, scale
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x):
        n, length, d = x.shape

        def split(t):
            return t.reshape(n, length, self.heads, self.head_dim).transpose(1, 2)

        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        scores = q @ k.transpose(-2, -1)
        if self.scale != "none":  # "none": unscaled scores, which nncalc's attention does not hold
            scores = scores / self.head_dim ** 0.5 if self.scale == "div" else scores * self.head_dim ** -0.5
        out = torch.softmax(scores, dim=-1) @ v
        return self.o(out.transpose(1, 2).reshape(n, length, d))


class TinyTransformer(nn.Module):
    """Token ids -> embedding -> one post-norm encoder layer (self-attention, residual, layer
    norm, Linear-GELU-Linear, residual, layer norm) -> mean over positions -> Linear; the
    activation (gelu | relu), the scale (div | mul | none) and the pooling (mean | first) vary."""

    def __init__(self, vocab=50, d=16, heads=4, ffn=32, classes=3, act="gelu", scale="div", pool="mean"):
        super().__init__()
        self.act, self.pool = act, pool
        self.embed = nn.Embedding(vocab, d)
        self.attn = SelfAttention(d, heads, scale)
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.ff1, self.ff2 = nn.Linear(d, ffn), nn.Linear(ffn, d)
        self.head = nn.Linear(d, classes)

    def forward(self, ids):
        x = self.embed(ids)
        x = self.norm1(x + self.attn(x))
        act = nn.functional.relu if self.act == "relu" else nn.functional.gelu
        x = self.norm2(x + self.ff2(act(self.ff1(x))))
        return self.head(x[:, 0] if self.pool == "first" else x.mean(dim=1))


def tiny_transformer_cls():
    """ReLU, a Mul by 1/sqrt(head_dim), the first position (BERT's [CLS]), 3 heads of 4."""
    return TinyTransformer(d=12, heads=3, act="relu", scale="mul", pool="first")


class MaskedAttention(SelfAttention):
    """A causal mask added to the scaled scores: not the pattern nncalc reads (refused)."""

    def forward(self, x):
        n, length, d = x.shape

        def split(t):
            return t.reshape(n, length, self.heads, self.head_dim).transpose(1, 2)

        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        mask = torch.triu(torch.full((length, length), float("-inf"), dtype=x.dtype), 1)
        scores = q @ k.transpose(-2, -1) / self.head_dim ** 0.5 + mask
        out = torch.softmax(scores, dim=-1) @ v
        return self.o(out.transpose(1, 2).reshape(n, length, d))


class ShapeReadingAttention(SelfAttention):
    """The same attention written another common way: sizes read from the projection (q.shape,
    which exports a Shape of it), view, scores times 1/sqrt(head_dim), Tensor.softmax."""

    def forward(self, x):
        q, k, v = self.q(x), self.k(x), self.v(x)
        n, length, d = q.shape

        def split(t):
            return t.view(n, length, self.heads, self.head_dim).transpose(1, 2)

        q, k, v = split(q), split(k), split(v)
        scores = (q @ k.transpose(-2, -1)) * (1 / self.head_dim ** 0.5)
        return self.o((scores.softmax(-1) @ v).transpose(1, 2).reshape(n, length, d))
