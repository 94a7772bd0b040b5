"""Counting against PyTorch on hundreds of seeded random specs (tests/specgen.py).

For every spec: each leaf's output shape equals the generator's own size rules and the shape a
forward pass of the torch twin produces; every table row's parameters equal sum(p.numel()) of
its torch module (trainable split, batch-norm buffers apart); every row's MACs equal
torch.utils.flop_counter's count / 2, and the total equals tests.torch_ref.torch_macs; the
--include operation counts follow their documented rules, computed from torch's tensors.
Single layers with random options, valid or not, must fail in nncalc exactly when torch fails.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from math import prod

import pytest
import torch
import yaml
from torch import nn

from calc.counting.stats import CountOptions, summarize
from calc.errors import SpecError
from calc.network import network_from_text
from tests.specgen import random_spec
from tests.specgen_layers import ACTIVATIONS as SPEC_ACTIVATIONS
from tests.torch_counting import flop_counter_macs, leaf_output_shapes
from tests.torch_ref import _param_targets, to_torch, torch_macs

SEEDS = range(300)


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Tiny tensors: thread start-up costs more than it saves (3x slower on a busy 2-CPU machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
# one op per output element of every activation but the identity (the random-spec catalogue's kinds)
ACTIVATIONS = {kind for kind, _ in SPEC_ACTIVATIONS} - {"linear"}
NORMS = {"batchnorm", "groupnorm", "instancenorm", "layernorm"}  # their beta is no conv/dense bias


def _paths(node, prefix: str = "", out: dict | None = None) -> dict:
    """{row path: layer}, paths built as calc.counting.stats names its rows."""
    out = {} if out is None else out
    for child in node.children():
        path = f"{prefix}/{child.name}" if prefix else child.name
        out[path] = child
        if child.is_container:
            _paths(child, path, out)
    return out


def _modules(model: nn.Module) -> dict:
    """{id(nncalc layer or container): torch module}."""
    found = {}
    for m in model.modules():
        for attr in ("nncalc_layer", "nncalc_container"):
            if hasattr(m, attr):
                found[id(getattr(m, attr))] = m
    return found


def _extras_from_torch(net, shapes: dict, modules: dict) -> dict:
    """The --include counts by their documented rules, from torch's shapes and modules."""
    extra = Counter()
    for leaf in net.leaves():
        n = prod(shapes[id(leaf)])
        module = modules.get(id(leaf))
        if leaf.kind in ("rnn", "lstm", "gru"):  # every bias vector is added once per time step
            steps = leaf.in_shape[0]
            extra["bias"] += steps * sum(p.numel() for name, p in module.named_parameters() if "bias" in name)
        elif module is not None and leaf.kind not in NORMS and "bias" in _param_targets(module, leaf):
            extra["bias"] += n  # one add per output element of a conv/dense with a bias
        if leaf.kind == "batchnorm":  # eval mode: one multiply-add per element (folded)
            extra["bn"] += n
        if leaf.kind in ACTIVATIONS:
            extra["act"] += n
        if leaf.kind == "add":
            extra["add"] += n * (len(leaf.input_shapes) - 1)  # one add per element per extra input
        if leaf.kind == "multiply":  # a product of branches: one multiply per element (docs/blocks.md)
            extra["add"] += n * (len(leaf.input_shapes) - 1)
        if leaf.kind in ("attention", "swiglu"):  # each biased nn.Linear inside adds once per position
            extra["bias"] += sum(prod(shapes[id(leaf)][:-1]) * lin.out_features for lin in module.modules()
                                 if isinstance(lin, nn.Linear) and lin.bias is not None)
        if leaf.kind == "cross_attention":  # q, o once per query; k, v once per memory position
            queries, keys = shapes[id(leaf)][0], leaf.input_shapes[1][0]
            extra["bias"] += sum((queries if lin in (module.q, module.o) else keys) * lin.out_features
                                 for lin in (module.q, module.k, module.v, module.o) if lin.bias is not None)
            extra["act"] += leaf.heads * queries * keys  # the softmax: one op per score
        if leaf.kind == "swiglu":  # silu and the gating product: one op each per hidden value
            extra["act"] += 2 * leaf.hidden * prod(shapes[id(leaf)][:-1])
        if leaf.kind == "attention":  # the softmax: one op per score, heads x L x L
            extra["act"] += leaf.heads * shapes[id(leaf)][0] ** 2
        if leaf.kind in ("maxpool", "avgpool", "maxpool1d", "avgpool1d"):
            extra["pool"] += n * leaf.kernel[0] * leaf.kernel[1]  # one op per window cell (1-D: k x 1)
        if leaf.kind in NORMS - {"batchnorm"} | {"rmsnorm"}:  # fvcore's 4 per element (rms: 3), +1 with a weight
            extra["norm"] += n * ((3 if leaf.kind == "rmsnorm" else 4) + any(p.dim() for p in module.parameters()))
        if leaf.kind == "sequence_pool" and module is not None and leaf.mode in ("mean", "max"):
            extra["pool"] += prod(leaf.in_shape)  # one add (max: one comparison) per input value
        if leaf.kind in ("global_avgpool", "global_maxpool"):
            extra["pool"] += prod(leaf.in_shape)
        if leaf.kind == "adaptive_avgpool":
            h, w, c = leaf.in_shape
            onehot = torch.eye(h * w, dtype=torch.float64).reshape(h * w, 1, h, w)
            extra["pool"] += c * int((nn.AdaptiveAvgPool2d(leaf.output)(onehot) != 0).sum())  # window cells
    return extra


@pytest.mark.parametrize("seed", SEEDS)
def test_random_spec_counts_match_torch(seed):
    gen = random_spec(seed)
    net = network_from_text(gen.text, f"random{seed}.yaml")
    leaves = net.leaves()
    assert [(leaf.kind, leaf.out_shape) for leaf in leaves] == gen.leaves, gen.text

    model = to_torch(net.root)
    for leaf, module in ((leaf, _modules(model).get(id(leaf))) for leaf in leaves):
        if module is not None and not leaf.trainable:
            module.requires_grad_(False)
    x = torch.randn(1, *gen.input_shape, dtype=torch.float64)  # eval mode: one sample is enough
    shapes = leaf_output_shapes(model, x)
    assert [(leaf.name, shapes.get(id(leaf))) for leaf in leaves] == [(leaf.name, leaf.out_shape) for leaf in leaves]

    summary = summarize(net, CountOptions(include=frozenset({"bias", "bn", "act", "pool", "add", "norm"})))
    modules, flops = _modules(model), flop_counter_macs(model, x)
    paths = _paths(net.root)
    for row in summary.rows:
        node = paths[row.path]
        module = modules.get(id(node))
        params = sum(p.numel() for p in module.parameters()) if module is not None else 0
        assert (row.path, row.params, row.macs) == (row.path, params, flops.get(id(node), 0))
    assert summary.total_params == sum(p.numel() for p in model.parameters())
    assert summary.trainable_params == sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert summary.buffers == sum(b.numel() for name, b in model.named_buffers() if name.endswith(("running_mean", "running_var")))
    assert summary.macs == torch_macs(model, x) == flops[id(net.root)]
    expected_extra = _extras_from_torch(net, shapes, modules)
    assert summary.extra == {k: expected_extra[k] for k in summary.extra}
    assert summary.total_macs == summary.macs + sum(summary.extra.values())


def test_generator_covers_the_whole_spec_format():
    """The random specs above use every layer type and option (guards the generator itself)."""
    used = Counter()
    for seed in SEEDS:
        used.update(random_spec(seed).features)
    wanted = [f"padding.{p}" for p in ("none", "int", "pair", "four", "same", "valid")] + [
        "conv", "conv.groups", "conv.no_bias", "conv_transpose", "conv_transpose.groups",
        "conv_transpose.output_padding", "conv_transpose.same", "conv_transpose.valid", "maxpool",
        "maxpool.ceil_mode", "maxpool.dilation", "avgpool", "avgpool.ceil_mode", "avgpool.count_include_pad",
        "global_avgpool", "global_maxpool", "adaptive_avgpool", "batchnorm.map", "batchnorm.vector", "dropout", "flatten.hwc",
        "flatten.chw", "flatten.None", "dense", "dense.map_input", "dense.no_bias", "dense.shared_bias",
        "option.activation", "residual.identity", "residual.layers", "residual.projection", "concat",
        "concat.empty_branch", "repeat.times0", "repeat.times1", "repeat.times2", "sequential", "block",
        "block.param", "block.expr", "block.defaults", "block.list_param", "entry.name", "entry.trainable",
    ] + [f"act.{a}" for a in ACTIVATIONS | {"linear"}]
    wanted += ["multiply", "split", "se", "channel_shuffle", "skip.add", "skip.multiply", "skip.concat", "skip.from"]
    assert {f: used[f] for f in wanted if used[f] < 3} == {}


# -- invalid layers: nncalc refuses exactly what torch refuses ------------------------------
def _random_layer(rng: random.Random):
    """(kind, options, torch module or the exception torch raised building it, input shape)."""
    h, w, c = rng.randint(1, 9), rng.randint(1, 9), rng.choice([1, 2, 3, 4, 6])
    kind = rng.choice(["conv", "conv_transpose", "maxpool", "avgpool"])
    k, s, p = [(rng.randint(1, 6), rng.randint(1, 6)), (rng.randint(1, 4), rng.randint(1, 4)),
               (rng.randint(0, 4), rng.randint(0, 4))]
    d = (rng.randint(1, 3), rng.randint(1, 3)) if kind != "avgpool" else (1, 1)
    g, f, op = rng.choice([1, 1, 2, 3]), rng.choice([1, 2, 3, 4, 6]), (rng.randint(0, 3), rng.randint(0, 3))
    ceil = rng.random() < 0.5
    opts = {"kernel": list(k), "stride": list(s), "padding": list(p)}
    if kind in ("conv", "conv_transpose"):
        opts.update(filters=f, dilation=list(d), groups=g)
        make = (lambda: nn.Conv2d(c, f, k, s, p, d, g)) if kind == "conv" else \
            (lambda: nn.ConvTranspose2d(c, f, k, s, p, op, g, dilation=d))
        if kind == "conv_transpose":
            opts["output_padding"] = list(op)
    else:
        opts["ceil_mode"] = ceil
        if kind == "maxpool":
            opts["dilation"] = list(d)
        make = (lambda: nn.MaxPool2d(k, s, p, d, ceil_mode=ceil)) if kind == "maxpool" else \
            (lambda: nn.AvgPool2d(k, s, p, ceil_mode=ceil))
    return kind, opts, make, (h, w, c)


@pytest.mark.parametrize("chunk", range(4))
def test_invalid_layers_fail_where_torch_fails(chunk):
    rng = random.Random(1000 + chunk)
    seen = Counter()
    for _ in range(500):
        kind, opts, make, (h, w, c) = _random_layer(rng)
        try:
            y = make()(torch.zeros(1, c, h, w))
            torch_shape = (y.shape[2], y.shape[3], y.shape[1]) if y.numel() else None  # empty = unusable
        except (RuntimeError, ValueError):
            torch_shape = None
        text = yaml.safe_dump({"input": [h, w, c], "layers": [{kind: opts}]}, default_flow_style=None)
        try:
            got = network_from_text(text, "one.yaml").output_shape
        except SpecError as exc:
            got = None
            message = str(exc)
            assert re.fullmatch(rf"one\.yaml:\d+: layers\[0\]\.{kind}[.:][^\n]+", message), message
        assert got == torch_shape, (text, got, torch_shape)
        seen[torch_shape is None] += 1
    assert seen[True] > 50 and seen[False] > 50  # both outcomes are exercised


def test_adaptive_window_cells_closed_form():
    """n + o - gcd(n, o) equals the listed windows' total length and torch's own windows (the
    nonzero weights of AdaptiveAvgPool1d on one-hot inputs), for shrinking and growing sizes."""
    from calc.layers.pool import adaptive_window_cells, adaptive_windows

    for n in range(1, 25):
        onehot = torch.eye(n, dtype=torch.float64).reshape(n, 1, n)
        for o in range(1, 25):
            listed = sum(b - a for a, b in adaptive_windows(n, o))
            torch_cells = int((nn.AdaptiveAvgPool1d(o)(onehot) != 0).sum())
            assert adaptive_window_cells(n, o) == listed == torch_cells, (n, o)
