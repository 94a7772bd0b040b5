"""Plain-torch copies of torchvision's architectures (torchvision itself is not installed): the
independent reference of the bundled CNN zoo specs. Each builder follows torchvision's source
(torchvision/models/<name>.py, v0.20) line by line for what counts: conv shapes, groups, biases,
batch norms and linear layers. Activations are included as in torchvision, though they count
nothing. Test-time only.
"""

from __future__ import annotations

import torch
from torch import nn


def make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """torchvision.models._utils._make_divisible."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def cna(cin, cout, k=3, stride=1, groups=1, act=nn.ReLU, bias=False):
    """torchvision.ops.Conv2dNormActivation: conv (padding (k-1)//2, no bias) + BN + activation."""
    layers = [nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=bias), nn.BatchNorm2d(cout)]
    if act is not None:
        layers.append(act(inplace=True) if act in (nn.ReLU, nn.ReLU6, nn.Hardswish, nn.SiLU) else act())
    return nn.Sequential(*layers)


class SqueezeExcitation(nn.Module):
    """torchvision.ops.SqueezeExcitation: avgpool -> fc1 (1x1 conv, bias) -> act -> fc2 -> gate -> x * gate."""

    def __init__(self, cin, squeeze, act=nn.ReLU, gate=nn.Sigmoid):
        super().__init__()
        self.fc1, self.fc2 = nn.Conv2d(cin, squeeze, 1), nn.Conv2d(squeeze, cin, 1)
        self.act, self.gate = act(), gate()

    def forward(self, x):
        s = nn.functional.adaptive_avg_pool2d(x, 1)
        return x * self.gate(self.fc2(self.act(self.fc1(s))))


# -- SqueezeNet 1.1 ------------------------------------------------------------------------------
class Fire(nn.Module):
    def __init__(self, cin, squeeze, e1, e3):
        super().__init__()
        self.squeeze = nn.Sequential(nn.Conv2d(cin, squeeze, 1), nn.ReLU(inplace=True))
        self.e1 = nn.Sequential(nn.Conv2d(squeeze, e1, 1), nn.ReLU(inplace=True))
        self.e3 = nn.Sequential(nn.Conv2d(squeeze, e3, 3, padding=1), nn.ReLU(inplace=True))

    def forward(self, x):
        x = self.squeeze(x)
        return torch.cat([self.e1(x), self.e3(x)], 1)


def squeezenet1_1():
    pool = nn.MaxPool2d(3, 2, ceil_mode=True)
    return nn.Sequential(
        nn.Conv2d(3, 64, 3, 2), nn.ReLU(inplace=True), pool,
        Fire(64, 16, 64, 64), Fire(128, 16, 64, 64), nn.MaxPool2d(3, 2, ceil_mode=True),
        Fire(128, 32, 128, 128), Fire(256, 32, 128, 128), nn.MaxPool2d(3, 2, ceil_mode=True),
        Fire(256, 48, 192, 192), Fire(384, 48, 192, 192), Fire(384, 64, 256, 256), Fire(512, 64, 256, 256),
        nn.Dropout(0.5), nn.Conv2d(512, 1000, 1), nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1), nn.Flatten())


# -- DenseNet-121 --------------------------------------------------------------------------------
class DenseLayer(nn.Module):
    def __init__(self, cin, growth=32, bn_size=4):
        super().__init__()
        self.body = nn.Sequential(nn.BatchNorm2d(cin), nn.ReLU(inplace=True), nn.Conv2d(cin, bn_size * growth, 1, bias=False),
                                  nn.BatchNorm2d(bn_size * growth), nn.ReLU(inplace=True),
                                  nn.Conv2d(bn_size * growth, growth, 3, padding=1, bias=False))

    def forward(self, x):
        return torch.cat([x, self.body(x)], 1)


def densenet121(growth=32, blocks=(6, 12, 24, 16), init=64):
    layers = [nn.Conv2d(3, init, 7, 2, 3, bias=False), nn.BatchNorm2d(init), nn.ReLU(inplace=True),
              nn.MaxPool2d(3, 2, 1)]
    c = init
    for i, n in enumerate(blocks):
        for _ in range(n):
            layers.append(DenseLayer(c, growth))
            c += growth
        if i != len(blocks) - 1:
            layers += [nn.BatchNorm2d(c), nn.ReLU(inplace=True), nn.Conv2d(c, c // 2, 1, bias=False), nn.AvgPool2d(2, 2)]
            c //= 2
    layers += [nn.BatchNorm2d(c), nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 1000)]
    return nn.Sequential(*layers)


# -- ShuffleNetV2 x1.0 ---------------------------------------------------------------------------
def channel_shuffle(x, groups):
    n, c, h, w = x.shape
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).contiguous().view(n, c, h, w)


class ShuffleUnit(nn.Module):
    def __init__(self, inp, oup, stride):
        super().__init__()
        self.stride = stride
        bf = oup // 2
        if stride > 1:
            self.branch1 = nn.Sequential(nn.Conv2d(inp, inp, 3, stride, 1, groups=inp, bias=False), nn.BatchNorm2d(inp),
                                         nn.Conv2d(inp, bf, 1, bias=False), nn.BatchNorm2d(bf), nn.ReLU(inplace=True))
        self.branch2 = nn.Sequential(
            nn.Conv2d(inp if stride > 1 else bf, bf, 1, bias=False), nn.BatchNorm2d(bf), nn.ReLU(inplace=True),
            nn.Conv2d(bf, bf, 3, stride, 1, groups=bf, bias=False), nn.BatchNorm2d(bf),
            nn.Conv2d(bf, bf, 1, bias=False), nn.BatchNorm2d(bf), nn.ReLU(inplace=True))

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


def shufflenet_v2_x1_0(repeats=(4, 8, 4), channels=(24, 116, 232, 464, 1024)):
    layers = [nn.Conv2d(3, channels[0], 3, 2, 1, bias=False), nn.BatchNorm2d(channels[0]), nn.ReLU(inplace=True),
              nn.MaxPool2d(3, 2, 1)]
    c = channels[0]
    for n, out in zip(repeats, channels[1:4]):
        layers.append(ShuffleUnit(c, out, 2))
        layers += [ShuffleUnit(out, out, 1) for _ in range(n - 1)]
        c = out
    layers += [nn.Conv2d(c, channels[4], 1, bias=False), nn.BatchNorm2d(channels[4]), nn.ReLU(inplace=True),
               nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels[4], 1000)]
    return nn.Sequential(*layers)


# -- MobileNetV2 ---------------------------------------------------------------------------------
class InvertedResidualV2(nn.Module):
    def __init__(self, inp, oup, stride, t):
        super().__init__()
        hidden = int(round(inp * t))
        self.use_res = stride == 1 and inp == oup
        layers = [cna(inp, hidden, 1, act=nn.ReLU6)] if t != 1 else []
        layers += [cna(hidden, hidden, 3, stride, groups=hidden, act=nn.ReLU6),
                   nn.Conv2d(hidden, oup, 1, bias=False), nn.BatchNorm2d(oup)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


def mobilenet_v2():
    setting = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
               (6, 320, 1, 1)]
    layers = [cna(3, 32, 3, 2, act=nn.ReLU6)]
    c = 32
    for t, out, n, s in setting:
        for i in range(n):
            layers.append(InvertedResidualV2(c, out, s if i == 0 else 1, t))
            c = out
    layers += [cna(c, 1280, 1, act=nn.ReLU6), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2),
               nn.Linear(1280, 1000)]
    return nn.Sequential(*layers)


# -- MobileNetV3-Large ---------------------------------------------------------------------------
class InvertedResidualV3(nn.Module):
    def __init__(self, cin, k, exp, cout, se, act, stride):
        super().__init__()
        self.use_res = stride == 1 and cin == cout
        layers = [cna(cin, exp, 1, act=act)] if exp != cin else []
        layers.append(cna(exp, exp, k, stride, groups=exp, act=act))
        if se:
            layers.append(SqueezeExcitation(exp, make_divisible(exp // 4, 8), gate=nn.Hardsigmoid))
        layers.append(cna(exp, cout, 1, act=None))
        self.block = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.block(x) if self.use_res else self.block(x)


def mobilenet_v3_large():
    re, hs = nn.ReLU, nn.Hardswish
    setting = [(16, 3, 16, 16, False, re, 1), (16, 3, 64, 24, False, re, 2), (24, 3, 72, 24, False, re, 1),
               (24, 5, 72, 40, True, re, 2), (40, 5, 120, 40, True, re, 1), (40, 5, 120, 40, True, re, 1),
               (40, 3, 240, 80, False, hs, 2), (80, 3, 200, 80, False, hs, 1), (80, 3, 184, 80, False, hs, 1),
               (80, 3, 184, 80, False, hs, 1), (80, 3, 480, 112, True, hs, 1), (112, 3, 672, 112, True, hs, 1),
               (112, 5, 672, 160, True, hs, 2), (160, 5, 960, 160, True, hs, 1), (160, 5, 960, 160, True, hs, 1)]
    layers = [cna(3, 16, 3, 2, act=hs)]
    layers += [InvertedResidualV3(*row) for row in setting]
    layers += [cna(160, 960, 1, act=hs), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(960, 1280), nn.Hardswish(),
               nn.Dropout(0.2), nn.Linear(1280, 1000)]
    return nn.Sequential(*layers)


# -- EfficientNet-B0 -----------------------------------------------------------------------------
class MBConv(nn.Module):
    def __init__(self, cin, cout, k, stride, t):
        super().__init__()
        self.use_res = stride == 1 and cin == cout
        exp = make_divisible(cin * t, 8)
        layers = [cna(cin, exp, 1, act=nn.SiLU)] if exp != cin else []
        layers += [cna(exp, exp, k, stride, groups=exp, act=nn.SiLU),
                   SqueezeExcitation(exp, max(1, cin // 4), act=nn.SiLU), cna(exp, cout, 1, act=None)]
        self.block = nn.Sequential(*layers)

    def forward(self, x):  # stochastic depth is the identity in eval mode and counts nothing
        return x + self.block(x) if self.use_res else self.block(x)


def efficientnet_b0():
    setting = [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
               (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1)]
    layers = [cna(3, 32, 3, 2, act=nn.SiLU)]
    for t, k, s, cin, cout, n in setting:
        for i in range(n):
            layers.append(MBConv(cin if i == 0 else cout, cout, k, s if i == 0 else 1, t))
    layers += [cna(320, 1280, 1, act=nn.SiLU), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2),
               nn.Linear(1280, 1000)]
    return nn.Sequential(*layers)


BUILDERS = {"squeezenet1.1": squeezenet1_1, "densenet121": densenet121, "shufflenet-v2-x1.0": shufflenet_v2_x1_0,
            "mobilenet-v2": mobilenet_v2, "mobilenet-v3-large": mobilenet_v3_large, "efficientnet-b0": efficientnet_b0}


def counts(name: str, side: int = 224) -> tuple[int, int]:
    """(parameters, FlopCounterMode total / 2) of the torch model at side x side x 3."""
    from torch.utils.flop_counter import FlopCounterMode

    model = BUILDERS[name]().eval()
    params = sum(p.numel() for p in model.parameters())
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.zeros(1, 3, side, side))
    return params, counter.get_total_flops() // 2
