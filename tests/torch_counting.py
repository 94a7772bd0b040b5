"""What a forward pass of the torch twin (tests/torch_ref.py) says about shapes and work: the
independent side of the counting tests. Test-time only."""

from __future__ import annotations

import torch
from torch import nn


def leaf_output_shapes(model_torch: nn.Module, x: torch.Tensor) -> dict:
    """{id(nncalc leaf): per-sample output shape} from one eval-mode forward pass of the twin,
    merges (concat, add) included; shapes are NHWC / (F,) like nncalc's."""
    shapes: dict = {}

    def hook(layer):
        def record(m, inp, out):
            assert id(layer) not in shapes, f"{layer.name} ran twice"
            shapes[id(layer)] = tuple(out.shape[1:])
        return record

    hooks = [m.register_forward_hook(hook(getattr(m, attr))) for m in model_torch.modules()
             for attr in ("nncalc_layer", "nncalc_merge") if hasattr(m, attr)]
    model_torch.eval()
    with torch.no_grad():
        model_torch(x)
    for h in hooks:
        h.remove()
    return shapes


def flop_counter_macs(model_torch: nn.Module, x: torch.Tensor) -> dict:
    """{id(nncalc layer or container): MACs per sample} from torch.utils.flop_counter, which
    counts 2 FLOPs per multiply-accumulate of convolutions and matrix products (no bias)."""
    from torch.utils.flop_counter import FlopCounterMode

    model_torch.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model_torch(x[:1])
    flops = {name: sum(ops.values()) for name, ops in counter.get_flop_counts().items()}
    root = type(model_torch).__name__
    out = {}
    for name, m in model_torch.named_modules():
        node = getattr(m, "nncalc_layer", None) or getattr(m, "nncalc_container", None)
        if node is not None:
            total = flops.get(f"{root}.{name}" if name else root, 0)
            assert total % 2 == 0, (name, total)
            out[id(node)] = total // 2
    return out
