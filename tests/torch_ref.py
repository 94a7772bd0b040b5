"""An equivalent PyTorch model of a built nncalc Network: the independent reference in tests.

``to_torch(network)`` mirrors every leaf with the matching torch module. The torch model takes
and returns nncalc's batch-first H x W x C layout (it permutes to NCHW inside), so outputs and
input gradients compare directly. With ``copy_params=True`` the parameters (and batch-norm
buffers) initialised on the nncalc layers are copied in, so forward/backward must agree exactly.
Test-time only: nncalc never imports torch.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from calc.layers import Concat, Residual, Sequential
from calc.layers.containers import Branches, Split


class NHWC(nn.Module):
    """Run an NCHW module on NHWC maps (vectors pass through unchanged)."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        if x.dim() == 4:
            return self.inner(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        return self.inner(x)


class NLC(NHWC):
    """Run an NCL module (Conv1d, MaxPool1d) on (N, L, C) sequences."""

    def forward(self, x):
        return self.inner(x.permute(0, 2, 1)).permute(0, 2, 1)


class SequenceAsMap(nn.Module):
    """An (N, L, C) sequence as an (N, L, 1, C) map through an NHWC module, and back."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x[:, :, None, :])[:, :, 0, :]


def _pool1d_module(layer) -> nn.Module:
    """A 1-D pool as the 2-D one on an L x 1 map (its pads, kernel and stride are (k, 1) pairs)."""
    from types import SimpleNamespace

    (k, _), (st, _), (d, _) = layer.kernel, layer.stride, layer.dilation
    before, after = layer.pad[:2]
    if before == after <= k // 2:  # torch's own 1-D pools
        if layer.pool_reduce == "max":
            return NLC(nn.MaxPool1d(k, st, before, d, ceil_mode=layer.ceil_mode))
        return NLC(nn.AvgPool1d(k, st, before, ceil_mode=layer.ceil_mode, count_include_pad=layer.count_include_pad))
    kind = "maxpool" if layer.pool_reduce == "max" else "avgpool"
    view = SimpleNamespace(kind=kind, pad=layer.pad, kernel=layer.kernel, stride=layer.stride,
                           dilation=layer.dilation, ceil_mode=layer.ceil_mode,
                           count_include_pad=getattr(layer, "count_include_pad", True))
    return SequenceAsMap(_pool_module(view))


class FlattenOrder(nn.Module):
    def __init__(self, order: str):
        super().__init__()
        self.order = order

    def forward(self, x):  # x is NHWC here
        if x.dim() == 4 and self.order == "chw":
            x = x.permute(0, 3, 1, 2)
        return x.reshape(x.shape[0], -1)


class Lambda(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


class ConcatT(nn.Module):
    def __init__(self, branches):
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x):
        return torch.cat([b(x) for b in self.branches], dim=-1)


class ResidualT(nn.Module):
    def __init__(self, body, shortcut):
        super().__init__()
        self.body, self.shortcut = body, shortcut

    def forward(self, x):
        return self.body(x) + self.shortcut(x)


class BranchesT(nn.Module):
    """Branches joined by cat / sum / product (torch broadcasting); a split hands out channel
    slices (torch.split on the last axis)."""

    def __init__(self, branches, join: str, sizes=None):
        super().__init__()
        self.branches = nn.ModuleList(branches)
        self.join, self.sizes = join, sizes

    def forward(self, x):
        parts = torch.split(x, self.sizes, dim=-1) if self.sizes else [x] * len(self.branches)
        outs = [b(p) for b, p in zip(self.branches, parts)]
        return merge_t(self.join, outs)


def merge_t(join: str, outs):
    if join == "concat":
        return torch.cat(outs, dim=-1)
    y = outs[0]
    for o in outs[1:]:
        y = y + o if join == "add" else y * o
    return y


class GraphT(nn.Module):
    """A layer list whose entries may take named outputs (``from:`` / ``with:``): every output
    a later entry names is kept in ``store`` (shared by the whole network), autograd adds the
    gradients of every use."""

    def __init__(self, node, children, store: dict):
        super().__init__()
        self.node, self.store = node, store
        self.items = nn.ModuleList(children)

    def forward(self, x):
        if self.node.input_ref is not None:
            self.store[id(self.node.input_ref)] = x
        for layer, module in zip(self.node.layers, self.items):
            if layer.sources is not None:
                ins = ([x] if layer.chained else []) + [self.store[id(s)] for s in layer.sources]
                x = module(ins) if getattr(layer, "is_merge", False) else module(ins[0])
            else:
                x = module(x)
            if layer.referenced:
                self.store[id(layer)] = x
        return x


class MergeT(nn.Module):
    def __init__(self, join: str):
        super().__init__()
        self.join = join

    def forward(self, inputs):
        return merge_t(self.join, inputs)


class DenseT(nn.Module):
    """Linear on vectors, or on 1 x 1 x C maps (nncalc allows that without a flatten)."""

    def __init__(self, layer):
        super().__init__()
        shared = getattr(layer, "shared_bias", False)
        self.linear = nn.Linear(layer.inputs, layer.units, bias=layer.use_bias and not shared)
        self.shared = nn.Parameter(torch.zeros(1, dtype=torch.float64)) if shared else None
        self.per_position = len(layer.in_shape or ()) == 2  # a sequence: Linear on the last axis

    def forward(self, x):
        y = self.linear(x if self.per_position else x.reshape(x.shape[0], -1))
        return y + self.shared if self.shared is not None else y


def _pad_module(pad):
    top, bottom, left, right = pad
    return nn.ZeroPad2d((left, right, top, bottom))


def _pool_module(layer) -> nn.Module:
    """Torch's own pool when it can take the padding (equal sides, at most kernel // 2), else
    AsymmetricPool ('same' pads can be uneven, or larger than kernel // 2 with dilation)."""
    top, bottom, left, right = layer.pad
    (kh, kw), k = layer.kernel, layer.kind
    if top == bottom <= kh // 2 and left == right <= kw // 2:
        if k == "maxpool":
            return NHWC(nn.MaxPool2d(layer.kernel, layer.stride, (top, left), layer.dilation, ceil_mode=layer.ceil_mode))
        return NHWC(nn.AvgPool2d(layer.kernel, layer.stride, (top, left), ceil_mode=layer.ceil_mode,
                                 count_include_pad=layer.count_include_pad))
    return NHWC(AsymmetricPool(layer))


def pool_size_pad_lr(i: int, k: int, s: int, pad_l: int, pad_r: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling_output_shape_pad_lr (aten/src/ATen/native/Pool.h), transcribed: with
    ceil_mode, a last window starting at or after i + pad_l (in the right padding) is dropped."""
    o = (i + pad_l + pad_r - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (o - 1) * s >= i + pad_l:
        o -= 1
    return o


def leaf_module(layer) -> nn.Module:
    """The torch module computing what ``layer`` computes (NHWC in, NHWC out)."""
    k = layer.kind
    if k == "conv":
        top, bottom, left, right = layer.pad
        conv = nn.Conv2d(layer.in_shape[2], layer.filters, layer.kernel, layer.stride, 0, layer.dilation,
                         layer.groups, bias=layer.use_bias)
        return NHWC(nn.Sequential(_pad_module(layer.pad), conv)) if any(layer.pad) else NHWC(conv)
    if k == "conv_transpose":
        top, bottom, left, right = layer.pad
        conv = nn.ConvTranspose2d(layer.in_shape[2], layer.filters, layer.kernel, layer.stride, 0,
                                  layer.output_padding, layer.groups, bias=layer.use_bias, dilation=layer.dilation)
        crop = Lambda(lambda y: y[:, :, top:y.shape[2] - bottom, left:y.shape[3] - right])
        return NHWC(nn.Sequential(conv, crop))
    if k in ("maxpool", "avgpool"):
        return _pool_module(layer)
    if k == "global_avgpool":
        return NHWC(nn.AdaptiveAvgPool2d(1))
    if k == "adaptive_avgpool":
        return NHWC(nn.AdaptiveAvgPool2d(layer.output))
    if k == "global_maxpool":  # ties: its first index takes the gradient, as nncalc's
        return NHWC(nn.AdaptiveMaxPool2d(1))
    if k == "dense":
        return DenseT(layer)
    if k == "flatten":
        return FlattenOrder(layer.order)
    if k == "batchnorm":
        c = layer.channels
        if len(layer.in_shape) == 3:
            return NHWC(nn.BatchNorm2d(c, eps=layer.eps, momentum=layer.momentum, affine=layer.affine))
        return nn.BatchNorm1d(c, eps=layer.eps, momentum=layer.momentum, affine=layer.affine)
    if k == "dropout":
        return nn.Dropout(layer.rate)
    if k in ("upsample", "groupnorm", "instancenorm"):
        return _issue13_module(layer)
    simple = {"relu": nn.ReLU(), "sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(), "selu": nn.SELU(),
              "linear": nn.Identity(), "softmax": nn.Softmax(dim=-1)}
    if k in simple:
        return simple[k]
    if k == "leaky_relu":
        return nn.LeakyReLU(layer.slope)
    if k == "elu":
        return nn.ELU(layer.alpha)
    if k == "prelu":
        n = {"single": 1, "channel": layer.in_shape[-1]}.get(layer.per)
        if n is not None:
            return NHWC(nn.PReLU(n, init=layer.init_value)) if n > 1 else nn.PReLU(1, init=layer.init_value)
        return ElementPReLU(layer)
    if k == "step":
        return Lambda(lambda x: (x > 0).to(x.dtype))
    if k in ("rnn", "lstm", "gru"):
        return RecurrentT(layer)
    if k == "conv1d":
        conv = nn.Conv1d(layer.in_shape[1], layer.filters, layer.kernel[0], layer.stride[0], 0, layer.dilation[0],
                         layer.groups, bias=layer.use_bias)
        return NLC(nn.Sequential(nn.ConstantPad1d(layer.pad[:2], 0.0), conv))
    if k in ("maxpool1d", "avgpool1d"):
        return _pool1d_module(layer)
    if k == "channel_shuffle":  # torchvision's shufflenetv2.channel_shuffle, on NCHW
        g = layer.groups
        return NHWC(Lambda(lambda x: x.view(x.shape[0], g, x.shape[1] // g, *x.shape[2:]).transpose(1, 2)
                           .reshape(x.shape)))
    if k in ("concat", "add", "multiply") and getattr(layer, "is_merge", False):
        return MergeT(k)
    if k in SEQUENCE_MODULES:
        return SEQUENCE_MODULES[k](layer)
    if k == "gelu":
        return nn.GELU(approximate=layer.approximate)
    if k == "softplus":
        return nn.Softplus(beta=layer.beta, threshold=layer.threshold)
    if k == "hardsigmoid":  # nn.Hardsigmoid's float64 backward uses 1/6 rounded to float32 (tests check it apart)
        return Lambda(lambda x: F.hardtanh(x + 3, 0.0, 6.0) / 6)
    more = {"silu": nn.SiLU, "relu6": nn.ReLU6, "hardswish": nn.Hardswish, "mish": nn.Mish}
    if k in more:
        return more[k]()
    from tests.torch_transformer import MODULES as TRANSFORMER_MODULES

    if k in TRANSFORMER_MODULES:
        return TRANSFORMER_MODULES[k](layer)
    raise NotImplementedError(k)


def _issue13_module(layer) -> nn.Module:
    """Upsampling and the per-sample norms (issue 13) as their torch modules."""
    if layer.kind == "upsample":
        ac = layer.align_corners if layer.mode == "bilinear" else None
        if layer.size is not None:
            return NHWC(nn.Upsample(size=tuple(layer.size), mode=layer.mode, align_corners=ac))
        return NHWC(nn.Upsample(scale_factor=tuple(float(s) for s in layer.scale), mode=layer.mode, align_corners=ac))
    if layer.kind == "groupnorm":
        return NHWC(nn.GroupNorm(layer.groups, layer.channels, eps=layer.eps, affine=layer.affine))
    return NHWC(nn.InstanceNorm2d(layer.channels, eps=layer.eps, momentum=layer.momentum, affine=layer.affine,
                                  track_running_stats=layer.track))


class AsymmetricPool(nn.Module):
    """Pooling with (top, bottom, left, right) pads, which PyTorch's pools do not take: the pads
    are written into the input (-inf for max; zeros for average, divided by the pooled count of
    cells, pads included or not) and the output cut to PyTorch's own size rule for uneven pads
    (with the pads written in, its ceil_mode check would keep a window starting in the right padding)."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x):
        layer = self.layer
        top, bottom, left, right = layer.pad
        sides, (h, w) = (left, right, top, bottom), x.shape[2:]
        k, s, ceil = layer.kernel, layer.stride, layer.ceil_mode
        ho = pool_size_pad_lr(h, k[0], s[0], top, bottom, layer.dilation[0], ceil)
        wo = pool_size_pad_lr(w, k[1], s[1], left, right, layer.dilation[1], ceil)
        if layer.kind == "maxpool":
            y = F.max_pool2d(F.pad(x, sides, value=float("-inf")), k, s, 0, layer.dilation, ceil)
        else:
            def sums(t):
                return F.avg_pool2d(t, k, s, 0, ceil, True, divisor_override=1)
            ones = torch.ones_like(x[:1, :1])
            count = sums(F.pad(ones, sides, value=1.0 if layer.count_include_pad else 0.0))
            y = sums(F.pad(x, sides)) / count
        return y[:, :, :ho, :wo]


class ElementPReLU(nn.Module):
    def __init__(self, layer):
        super().__init__()
        self.weight = nn.Parameter(torch.full(tuple(layer.in_shape), layer.init_value, dtype=torch.float64))

    def forward(self, x):
        return torch.where(x > 0, x, self.weight * x)


class RecurrentT(nn.Module):
    """torch.nn.RNN / LSTM / GRU (batch_first) with the layer's output choice: every step, or
    h_n of the last layer (both directions), as Keras' return_sequences=False. Keras' one-bias
    convention has no torch module: KerasCell writes its formula with torch operations."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer
        if layer.convention == "pytorch" or (layer.kind == "gru" and layer.reset_after and layer.use_bias):
            cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[layer.kind]
            extra = {"nonlinearity": layer.nonlinearity} if layer.kind == "rnn" else {}
            self.net = cls(layer.features, layer.hidden, layer.layers, bias=layer.use_bias, batch_first=True,
                           bidirectional=layer.bidirectional, **extra)
        else:
            self.net = KerasRecurrent(layer)

    def nncalc_targets(self) -> dict:
        return dict(self.net.named_parameters())

    def forward(self, x):
        out, state = self.net(x)
        if self.layer.return_sequences:
            return out
        h_n = state[0] if isinstance(state, tuple) else state
        return torch.cat(list(h_n[-self.layer.dirs:]), dim=1)


class KerasRecurrent(nn.Module):
    """Keras SimpleRNN / LSTM / GRU(reset_after=False) with one bias per gate, from their
    documented formulas (GRU: n = tanh(W_in x + b_n + W_hn (r * h)), h = (1 - z) n + z h)."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer
        for name, shape in layer.param_shapes().items():
            self.register_parameter(name, nn.Parameter(torch.zeros(shape, dtype=torch.float64)))

    def step(self, x, h, c, sfx):
        p, hs, kind = dict(self.named_parameters()), self.layer.hidden, self.layer.kind
        b = p.get("bias" + sfx, 0)
        wi, wh = p["weight_ih" + sfx], p["weight_hh" + sfx]
        if kind == "gru":
            a = x @ wi.T + b
            r = torch.sigmoid(a[:, :hs] + h @ wh[:hs].T)
            z = torch.sigmoid(a[:, hs:2 * hs] + h @ wh[hs:2 * hs].T)
            n = torch.tanh(a[:, 2 * hs:] + (r * h) @ wh[2 * hs:].T)
            return (1 - z) * n + z * h, c
        a = x @ wi.T + h @ wh.T + b
        if kind == "rnn":
            return (torch.tanh(a) if self.layer.nonlinearity == "tanh" else torch.relu(a)), c
        i, f, g, o = a.split(hs, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c

    def forward(self, x):
        lay, finals = self.layer, []
        for depth in range(lay.layers):
            outs = []
            for d in range(lay.dirs):
                sfx = f"_l{depth}" + ("_reverse" if d else "")
                h = c = torch.zeros(x.shape[0], lay.hidden, dtype=x.dtype)
                hs = [None] * x.shape[1]
                for t in (range(x.shape[1] - 1, -1, -1) if d else range(x.shape[1])):
                    h, c = self.step(x[:, t], h, c, sfx)
                    hs[t] = h
                outs.append(torch.stack(hs, dim=1))
                finals.append(h)
            x = torch.cat(outs, dim=2)
        return x, torch.stack(finals)


def to_torch(node, dtype=torch.float64, store=None) -> nn.Module:
    """A torch module for a layer or container (pass network.root for the whole network)."""
    store = {} if store is None else store
    if isinstance(node, (Sequential, Branches, Residual)):
        if isinstance(node, Sequential) and any(c.sources is not None or c.referenced for c in node.layers):
            module = GraphT(node, [to_torch(child, dtype, store) for child in node.layers], store)
        elif isinstance(node, Sequential):
            module = nn.Sequential(*[to_torch(child, dtype, store) for child in node.layers]) if node.layers \
                else nn.Identity()
        elif isinstance(node, Branches) and not isinstance(node, Concat):
            module = BranchesT([to_torch(b, dtype, store) for b in node.branches], node.merge.kind,
                               node.parts if isinstance(node, Split) else None)
            module.nncalc_merge = node.merge
        elif isinstance(node, Concat):
            module = ConcatT([to_torch(b, dtype, store) for b in node.branches])
            module.nncalc_merge = node.merge  # its output is the concat leaf's output
        else:
            module = ResidualT(to_torch(node.body, dtype, store), to_torch(node.shortcut, dtype, store))
            module.nncalc_merge = node.add
        module.nncalc_container = node
        return module
    module = leaf_module(node)
    module.nncalc_layer = node
    return module.to(dtype)


def torch_leaves(module: nn.Module):
    """(nncalc layer, torch module) pairs in order."""
    for m in module.modules():
        if hasattr(m, "nncalc_layer"):
            yield m.nncalc_layer, m


def _param_targets(module: nn.Module, layer):
    """Map nncalc parameter names to the torch tensors holding them (same layouts)."""
    inner = module.inner if isinstance(module, NHWC) else module
    if hasattr(inner, "nncalc_targets"):
        return inner.nncalc_targets()
    if isinstance(inner, nn.Sequential):
        inner = next((m for m in inner if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Conv1d))), inner)
    if isinstance(inner, DenseT):
        out = {"weight": inner.linear.weight}
        if inner.shared is not None:
            out["bias"] = inner.shared
        elif inner.linear.bias is not None:
            out["bias"] = inner.linear.bias
        return out
    out = {}
    for name in ("weight", "bias", "running_mean", "running_var"):
        t = getattr(inner, name, None)
        if t is not None:
            out[name] = t
    return out


def copy_params(model_torch: nn.Module, backend=None) -> None:
    """Copy every nncalc layer's params/buffers into the torch twin."""
    with torch.no_grad():
        for layer, module in torch_leaves(model_torch):
            values = {**getattr(layer, "params", {}), **getattr(layer, "buffers", {})}
            for name, target in _param_targets(module, layer).items():
                if name in values:
                    arr = np.asarray(backend.to_numpy(values[name]) if backend else values[name], dtype=np.float64)
                    target.copy_(torch.from_numpy(arr.reshape(target.shape)).to(target.dtype))


def torch_grads(model_torch: nn.Module) -> dict:
    """Gradients by nncalc name: {'fc1.weight': ndarray, ...}."""
    out = {}
    for layer, module in torch_leaves(model_torch):
        for name, t in _param_targets(module, layer).items():
            if isinstance(t, nn.Parameter) and t.grad is not None:
                out[f"{layer.name}.{name}"] = t.grad.detach().cpu().numpy().reshape(t.shape)
    return out


def torch_macs(model_torch: nn.Module, x: torch.Tensor) -> int:
    """Conv + linear multiply-accumulates per sample, counted from torch's own tensors."""
    total = 0

    def conv_hook(m, inp, out):
        nonlocal total
        k = m.kernel_size[0] * m.kernel_size[1]
        if isinstance(m, nn.ConvTranspose2d):
            total += inp[0][0].numel() * (m.out_channels // m.groups) * k
        else:
            total += out[0].numel() * (m.in_channels // m.groups) * k

    def linear_hook(m, inp, out):
        nonlocal total
        total += inp[0][0].numel() // m.in_features * m.in_features * m.out_features  # once per position

    def scores_hook(m, inp, out):  # Q K^T and A V: L x L x head_dim products per head, twice
        nonlocal total
        total += 2 * out.shape[1] ** 2 * m.layer.heads * m.layer.head_dim

    def conv1d_hook(m, inp, out):
        nonlocal total
        total += out[0].numel() * (m.in_channels // m.groups) * m.kernel_size[0]

    def rnn_hook(m, inp, out):
        """G*H*(in + H) per step, layer and direction (the two matrix products), G from the mode."""
        nonlocal total
        gates = {"LSTM": 4, "GRU": 3}.get(m.mode, 1)
        dirs = 2 if m.bidirectional else 1
        widths = [m.input_size] + [m.hidden_size * dirs] * (m.num_layers - 1)
        total += inp[0].shape[1] * dirs * sum(gates * m.hidden_size * (w + m.hidden_size) for w in widths)

    def hook_of(m):
        if isinstance(m, nn.RNNBase):
            return rnn_hook
        if isinstance(m, nn.Conv1d):
            return conv1d_hook
        return conv_hook if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) else linear_hook

    hooks = [m.register_forward_hook(hook_of(m)) for m in model_torch.modules()
             if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Conv1d, nn.RNNBase))]
    hooks += [m.register_forward_hook(scores_hook) for m in model_torch.modules() if hasattr(m, "layer")
              and hasattr(m.layer, "score_macs")]
    model_torch.eval()
    with torch.no_grad():
        model_torch(x[:1])
    for h in hooks:
        h.remove()
    return total


# -- sequences: (N, L, F) in and out; hand-written where torch has no module ------------------
def sinusoidal_pe(length: int, dim: int, base: float = 10000.0) -> torch.Tensor:
    """PE(p, 2i) = sin(p / base^(2i/dim)), PE(p, 2i+1) = cos(...), "Attention Is All You Need" 3.5."""
    p = torch.arange(length, dtype=torch.float64)[:, None]
    i = torch.arange(dim, dtype=torch.float64)[None, :]
    angle = p / base ** ((2 * torch.div(i, 2, rounding_mode="floor")) / dim)
    return torch.where(i % 2 == 0, torch.sin(angle), torch.cos(angle))


def _inv_freq(dim: int, base: float) -> torch.Tensor:
    return 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))


def rope_half(x: torch.Tensor, base: float = 10000.0) -> torch.Tensor:
    """Hugging Face Llama: x cos + rotate_half(x) sin, cos/sin of cat(freqs, freqs); x (..., L, D)."""
    length, dim = x.shape[-2], x.shape[-1]
    emb = torch.outer(torch.arange(length, dtype=torch.float64), _inv_freq(dim, base)).repeat(1, 2)
    rotated = torch.cat((-x[..., dim // 2:], x[..., : dim // 2]), dim=-1)
    return x * emb.cos() + rotated * emb.sin()


def rope_interleaved(x: torch.Tensor, base: float = 10000.0) -> torch.Tensor:
    """Meta's original Llama code: adjacent feature pairs as complex numbers times e^(i p theta_k)."""
    length, dim = x.shape[-2], x.shape[-1]
    angles = torch.outer(torch.arange(length, dtype=torch.float64), _inv_freq(dim, base))
    cis = torch.polar(torch.ones_like(angles), angles)
    pairs = torch.view_as_complex(x.reshape(*x.shape[:-1], dim // 2, 2).contiguous())
    return torch.view_as_real(pairs * cis).flatten(-2)


class EmbeddingT(nn.Embedding):
    """torch.nn.Embedding reading the ids nncalc passes as numbers."""

    def forward(self, x):
        return super().forward(x.long())


class PositionalEmbeddingT(nn.Module):
    def __init__(self, layer):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(layer.max_len, layer.features, dtype=torch.float64))

    def forward(self, x):
        return x + self.weight[: x.shape[1]]


class ClassTokenT(nn.Module):
    """torchvision VisionTransformer: torch.cat([class_token.expand(n, -1, -1), x], dim=1)."""

    def __init__(self, layer):
        super().__init__()
        self.class_token = nn.Parameter(torch.zeros(1, 1, layer.features, dtype=torch.float64))

    def forward(self, x):
        return torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1)

    def nncalc_targets(self):
        return {"token": self.class_token}


def _rotary_module(layer) -> nn.Module:
    rope = rope_half if layer.pairing == "half" else rope_interleaved

    def rotate(x):
        n, length, features = x.shape
        heads = x.reshape(n, length, features // layer.size, layer.size).transpose(1, 2)
        return rope(heads, layer.base).transpose(1, 2).reshape(n, length, features)

    return Lambda(rotate)


def _pool_sequence(layer) -> nn.Module:
    return Lambda({"first": lambda x: x[:, 0], "last": lambda x: x[:, -1], "mean": lambda x: x.mean(dim=1),
                   "max": lambda x: x.max(dim=1).values}[layer.mode])  # max: its index's (first) gets the gradient


SEQUENCE_MODULES = {
    "embedding": lambda layer: EmbeddingT(layer.vocab, layer.dim, padding_idx=layer.padding_idx),
    "positional_embedding": PositionalEmbeddingT,
    "sinusoidal": lambda layer: Lambda(lambda x: x + sinusoidal_pe(x.shape[1], x.shape[2], layer.base).to(x.dtype)),
    "rotary": _rotary_module,
    "layernorm": lambda layer: nn.LayerNorm(layer.features, layer.eps, layer.affine, layer.use_bias),
    "rmsnorm": lambda layer: nn.RMSNorm(layer.features, layer.eps, layer.affine),
    "sequence_pool": _pool_sequence,
    "to_sequence": lambda layer: Lambda(lambda x: x.reshape(x.shape[0], -1, x.shape[-1])),
    "class_token": ClassTokenT,
}
