"""Torch models for the ONNX operators beyond the first reader (tests/test_onnx_ops.py): a 1-D
audio net, a small U-Net, a net with every mapped activation; the three ways torch 2.13 exports
them; hand-written ONNX graphs for what torch never writes (auto_pad). Test-time only."""

from __future__ import annotations

import torch
from torch import nn

EXPORTERS = ("legacy", "folded", "dynamo")  # TorchScript without / with constant folding; torch.export


class AudioNet(nn.Module):
    """Conv1d (stride, padding, dilation, groups), BatchNorm1d, 1-D max and average pooling, a
    residual add, a global average pool and a linear head, on (N, 2, 32)."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(2, 8, 5, stride=2, padding=2)
        self.bn = nn.BatchNorm1d(8)
        self.c2 = nn.Conv1d(8, 8, 3, padding=2, dilation=2, groups=2)
        self.c3 = nn.Conv1d(8, 6, 4, padding=1, bias=False)
        self.pool = nn.AvgPool1d(3, stride=1, padding=1)
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        x = nn.functional.max_pool1d(torch.relu(self.bn(self.c1(x))), 2)
        x = x + nn.functional.elu(self.c2(x))
        x = self.pool(torch.sigmoid(self.c3(x)))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool1d(x, 1), 1))


class UNet(nn.Module):
    """A two-level U-Net: instance and group norms, PReLU per channel, a zero pad before a conv,
    a strided transposed conv with padding and output_padding, a skip concatenation, nearest and
    bilinear upsampling (align_corners False and True), on (N, 3, 16, 16)."""

    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(3, 8, 3, padding=1)
        self.inorm = nn.InstanceNorm2d(8, affine=True)
        self.act = nn.PReLU(8)
        self.pad = nn.ZeroPad2d((0, 1, 0, 1))
        self.mid = nn.Conv2d(8, 16, 3, stride=2)
        self.gnorm = nn.GroupNorm(4, 16)
        self.up = nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1)
        self.fuse = nn.Conv2d(16, 8, 3, padding=1)
        self.plain = nn.InstanceNorm2d(8)
        self.head = nn.Conv2d(8, 2, 1)

    def forward(self, x):
        skip = self.act(self.inorm(self.down(x)))
        y = torch.relu(self.gnorm(self.mid(self.pad(skip))))
        y = self.plain(self.fuse(torch.cat([self.up(y), skip], 1)))
        y = nn.functional.interpolate(y, scale_factor=2, mode="nearest")
        y = nn.functional.interpolate(y, scale_factor=2, mode="bilinear", align_corners=False)
        y = nn.functional.max_pool2d(y, 2)
        y = nn.functional.interpolate(y, scale_factor=2, mode="bilinear", align_corners=True)
        return self.head(y)


class Shuffle(nn.Module):
    """A grouped conv, ShuffleNet's channel shuffle written as torch code, a grouped conv."""

    def __init__(self):
        super().__init__()
        self.g1, self.g2 = nn.Conv2d(6, 12, 1, groups=3), nn.Conv2d(12, 6, 3, padding=1, groups=3)

    def forward(self, x):
        x = self.g1(x)
        n, c, h, w = x.shape
        x = x.view(n, 3, c // 3, h, w).transpose(1, 2).reshape(n, c, h, w)
        return self.g2(torch.relu(x))


class Activations(nn.Module):
    """Linear layers between every activation the reader maps, on a vector."""

    def __init__(self):
        super().__init__()
        acts = [nn.PReLU(), nn.ELU(0.5), nn.SELU(), nn.LeakyReLU(0.1), nn.Hardsigmoid(), nn.Hardswish(),
                nn.Softplus(), nn.Mish(), nn.GELU(), nn.GELU("tanh"), nn.ReLU6(), nn.Sigmoid(), nn.Tanh(),
                nn.SiLU()]
        layers = [nn.Linear(5, 12)]
        for act in acts:
            layers += [act, nn.Linear(12, 12)]
        self.body = nn.Sequential(*layers, nn.Softmax(-1))

    def forward(self, x):
        return self.body(x)


class Tagger(nn.Module):
    """A recurrent layer on (N, L, 4) and a linear layer on every step (a sequence tagger)."""

    def __init__(self, kind="lstm"):
        super().__init__()
        self.rnn = {"lstm": lambda: nn.LSTM(4, 6, num_layers=2, batch_first=True, bidirectional=True),
                    "gru": lambda: nn.GRU(4, 5, batch_first=True),
                    "rnn": lambda: nn.RNN(4, 5, nonlinearity="relu", batch_first=True, bidirectional=True)}[kind]()
        self.fc = nn.Linear(self.rnn.hidden_size * (2 if self.rnn.bidirectional else 1), 3)

    def forward(self, x):
        return self.fc(self.rnn(x)[0])


def randomize(model: nn.Module, seed: int = 0) -> nn.Module:
    """Norms with non-trivial statistics and affine values, PReLU slopes of both signs."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.GroupNorm)) or \
                    isinstance(m, nn.InstanceNorm2d) and m.affine:
                m.weight.copy_(0.5 + torch.rand(m.weight.shape, generator=gen))
                m.bias.copy_(0.2 * torch.randn(m.bias.shape, generator=gen))
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.running_mean.copy_(0.1 * torch.randn(m.running_mean.shape, generator=gen))
                m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=gen))
            if isinstance(m, nn.PReLU):
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * 0.5)
    return model.eval()


def export(model: nn.Module, shape: tuple, path, exporter: str) -> str:
    """``legacy``: TorchScript, constant folding off (batch norms kept); ``folded``: TorchScript
    with its default constant folding (batch norms folded into the convs); ``dynamo``: torch 2.13's
    default ``torch.onnx.export(model, args, path)`` (weights in path.data beside it)."""
    import logging
    import warnings

    x, default = torch.zeros(shape, dtype=torch.float32), torch.get_default_dtype()
    torch.set_default_dtype(torch.float32)  # another test sets float64: traced constants would be doubles
    logging.disable(logging.WARNING)  # the dynamo exporter's torchvision-missing notices
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if exporter == "dynamo":
                torch.onnx.export(model.float().eval(), (x,), str(path), input_names=["x"], output_names=["y"])
            else:
                torch.onnx.export(model.float().eval(), x, str(path), dynamo=False,
                                  do_constant_folding=exporter == "folded", input_names=["x"], output_names=["y"],
                                  dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
    finally:
        torch.set_default_dtype(default)
        logging.disable(logging.NOTSET)
    return str(path)


def write_example(folder="examples/onnx") -> str:
    """examples/onnx/audio1d.onnx for docs/models-in.md (a few kB, batch norms kept)."""
    torch.manual_seed(0)
    return export(randomize(AudioNet()), (1, 2, 32), f"{folder}/audio1d.onnx", "legacy")
