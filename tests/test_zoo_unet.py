"""The bundled U-Net (calc/zoo/unet.yaml) against a plain PyTorch U-Net written here as
milesial/Pytorch-UNet writes UNet(n_channels=3, n_classes=2, bilinear=False): parameters as
sum(p.numel()), batch-norm buffers, and MACs as torch.utils.flop_counter's FLOPs / 2 (on the meta
device: shapes only, nothing is computed)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from calc.counting.stats import summarize
from calc.network import load_network, override_input


class DoubleConv(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Up(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.up = nn.ConvTranspose2d(cin, cin // 2, kernel_size=2, stride=2)
        self.conv = DoubleConv(cin, cout)

    def forward(self, x1, x2):
        return self.conv(torch.cat([x2, self.up(x1)], dim=1))  # the skip first, as milesial


class UNet(nn.Module):
    def __init__(self, n_channels=3, n_classes=2):
        super().__init__()
        self.inc = DoubleConv(n_channels, 64)
        self.downs = nn.ModuleList(nn.Sequential(nn.MaxPool2d(2), DoubleConv(c, 2 * c)) for c in (64, 128, 256, 512))
        self.ups = nn.ModuleList(Up(c, c // 2) for c in (1024, 512, 256, 128))
        self.outc = nn.Conv2d(64, n_classes, kernel_size=1)

    def forward(self, x):
        skips = [self.inc(x)]
        for down in self.downs:
            skips.append(down(skips[-1]))
        x = skips.pop()
        for up in self.ups:
            x = up(x, skips.pop())
        return self.outc(x)


def _torch_counts(size: int):
    from torch.utils.flop_counter import FlopCounterMode

    model = UNet().to("meta").eval()
    x = torch.empty(1, 3, size, size, device="meta")
    with FlopCounterMode(display=False) as counter:
        y = model(x)
    params = sum(p.numel() for p in model.parameters())
    buffers = sum(b.numel() for n, b in model.named_buffers() if n.endswith(("running_mean", "running_var")))
    return params, buffers, counter.get_total_flops() // 2, tuple(y.shape)


@pytest.mark.parametrize("size", [256, 64])
def test_unet_counts_match_plain_torch(size):
    params, buffers, macs, out = _torch_counts(size)
    net = load_network("unet")
    if size != 256:
        net = override_input(net, (size, size, 3))
    s = summarize(net)
    assert (s.total_params, s.buffers, s.macs) == (params, buffers, macs)
    assert net.output_shape == (out[2], out[3], out[1])


def test_unet_reference_figures_are_torchs():
    """The spec's reference block (what `nncalc zoo` compares with) holds the torch figures."""
    import yaml

    from calc import zoo

    params, _, macs, _ = _torch_counts(256)
    ref = yaml.safe_load(zoo.read_bundled("unet")[0])["reference"]
    assert (ref["params"], ref["macs"]) == (params, macs)
