"""`nncalc export` on the real architectures: every bundled network (but Llama-2-7B, 27 GB in float64)
exported to PyTorch, built in float64, given the engine's weights through the file's own
``load_nncalc_weights``, computes what nncalc's engine computes (relative 1e-9) in eval mode; a
subset does the same in real Keras 3 (float32, relative 1e-4). tests/test_export_torch.py checks the
parameter counts of the full-size networks; here the CNNs run at a reduced input (32 x 32, U-Net
64 x 64, AlexNet 67 x 67, its smallest) and the transformers on 16 tokens or a 32 x 32 image, which
keeps every layer and weight shape but the input-dependent ones, so each case takes seconds. Seven
CNNs are also run in their plain-torch twins (torchvision's and milesial's architectures, written
independently in tests/zoo_torch.py and tests/test_zoo_unet.py), and BERT and GPT-2 in
nn.TransformerEncoderLayer (tests/test_zoo_transformers.py), with the same weights.

The weights are not the engine's initialiser's: drawing 110 M values twice (engine, then torch) costs
minutes on a small machine. The engine starts from zeros and ``fill`` writes a window of one
random pool into every parameter and buffer (batch-norm statistics included, variances positive),
scaled by 1/sqrt(fan-in) so that 150 layers neither vanish nor overflow. The pool's length is
prime, so its repeats line up with no weight's axes: a transposed or misassigned weight still shows.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from calc.interchange.export import export_code  # noqa: E402
from calc.network import load_network, override_input  # noqa: E402
from tests.export_util import module_from  # noqa: E402

POOL = 1_000_003  # a prime: a weight's rows never start at the same place in the pool
CNN32 = (32, 32, 3)
# zoo name -> the input it runs on here (None: its own)
INPUTS = {
    "alexnet": (67, 67, 3),  # the smallest input its three 3 x 3 / 2 max pools accept
    "bert-base": (16,), "gpt2": (16,), "vit-b-16": CNN32,
    "densenet121": CNN32, "efficientnet-b0": CNN32, "googlenet": CNN32,
    "inception-bottleneck": None, "inception-naive": None, "lenet5": None,
    "lstm-classifier": None, "mnist-cnn": None, "mnist-mlp": None,
    "mobilenet-v2": CNN32, "mobilenet-v3-large": CNN32,
    "resnet18": CNN32, "resnet34": CNN32, "resnet50": CNN32, "resnet101": CNN32, "resnet152": CNN32,
    "shufflenet-v2-x1.0": CNN32, "squeezenet1.1": CNN32, "unet": (64, 64, 3),
    "vgg11": CNN32, "vgg16": CNN32, "vgg19": CNN32,
}


def case_id(name: str) -> str:
    shape = INPUTS[name]
    return name if shape is None else f"{name}@{'x'.join(map(str, shape))}"


def network(name: str):
    net = load_network(name)
    return net if INPUTS[name] is None else override_input(net, INPUTS[name])


def sample(net, batch: int = 2, seed: int = 5):
    """A random input: token ids below the vocabulary for a network that starts with an embedding."""
    rng = np.random.default_rng(seed)
    first = net.leaves()[0]
    if first.kind == "embedding":
        return rng.integers(0, first.vocab, size=(batch, *net.input_shape)).astype(np.float64)
    return rng.normal(size=(batch, *net.input_shape))


def fill_value(name: str, shape: tuple, pool: np.ndarray, start: int) -> np.ndarray:
    """One tensor's values: a window of the pool, cyclic; gamma near 1, variances in [0.5, 1.5],
    other vectors small, matrices and kernels scaled by 1/sqrt(fan-in)."""
    values = np.resize(np.roll(pool, -start), math.prod(shape)).reshape(shape)
    if "var" in name:
        return 0.5 + np.abs(values) * 0.5
    if len(shape) <= 1:
        return (1.0 if name == "weight" else 0.0) + 0.1 * values
    return values / math.sqrt(max(math.prod(shape[1:]), 1))


def engine(net, seed: int = 0):
    """nncalc's float64 model with every parameter and buffer filled from one random pool."""
    from calc.backend import get_backend
    from calc.engine.context import Ctx
    from calc.engine.model import Model

    model = Model(net, Ctx(get_backend("cpu", "float64"), seed=seed, init="zeros"))
    rng = np.random.default_rng(seed)
    pool = rng.normal(size=POOL)
    for layer in net.leaves():
        for store in (getattr(layer, "params", {}), getattr(layer, "buffers", {})):
            for key, value in store.items():
                store[key] = fill_value(key, tuple(value.shape), pool, int(rng.integers(POOL)))
    return model


def weights_of(net) -> dict:
    return {leaf.name: {**getattr(leaf, "params", {}), **getattr(leaf, "buffers", {})}
            for leaf in net.leaves() if getattr(leaf, "params", None) or getattr(leaf, "buffers", None)}


def engine_output(model, x) -> np.ndarray:
    return np.asarray(model.forward(model.backend.asarray(x), training=False), dtype=np.float64)


def rel_err(got, want) -> float:
    assert got.shape == want.shape, (got.shape, want.shape)
    return float(np.max(np.abs(got - want)) / max(float(np.max(np.abs(want))), 1e-3))


def on_meta(build):
    """``build()`` in float64 without drawing weights: on the meta device, then empty CPU memory."""
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        with torch.device("meta"):
            module = build()
    finally:
        torch.set_default_dtype(default)
    return module.to_empty(device="cpu").eval()


def plain_torch_twins() -> dict:
    """Zoo name -> a builder of the same network written in plain torch from its source
    (torchvision's CNNs in tests/zoo_torch.py, milesial's U-Net in tests/test_zoo_unet.py)."""
    from tests.test_zoo_unet import UNet
    from tests.zoo_torch import BUILDERS

    return {**BUILDERS, "unet": UNet}


def twin_output(name: str, exported, x) -> np.ndarray:
    """The plain-torch twin's output with the exported module's tensors copied in, in order: both
    declare their layers in the source's order, so the shapes must agree one by one."""
    twin = on_meta(plain_torch_twins()[name])
    ours = [t for t in exported.state_dict().values() if t.is_floating_point()]
    theirs = [t for t in twin.state_dict().values() if t.is_floating_point()]
    assert [t.shape for t in ours] == [t.shape for t in theirs]
    with torch.no_grad():
        for mine, other in zip(ours, theirs, strict=True):
            other.copy_(mine)
    return torch_output(twin, x)


def torch_module(net):
    """The exported module in float64, built without drawing its own weights (meta device, then
    empty memory): every tensor it computes with must come from nncalc's weights, and the test
    checks that the file's NNCALC_WEIGHTS names all of them."""
    cls = module_from(export_code(net, "pytorch"), net.name)
    module = on_meta(cls)
    loaded = {path for names in cls.NNCALC_WEIGHTS.values() for path in names.values()}
    tensors = [n for n, _ in module.named_parameters()]
    tensors += [n for n, b in module.named_buffers() if b.is_floating_point()]
    assert sorted(set(tensors) - loaded) == [], "module tensors that nncalc's weights do not fill"
    return module


def torch_output(module, x) -> np.ndarray:
    xt = torch.from_numpy(x)
    if x.ndim == 4:  # nncalc's maps are N, H, W, C; the module takes NCHW
        xt = xt.permute(0, 3, 1, 2)
    with torch.no_grad():
        got = module(xt)
    if got.dim() == 4:
        got = got.permute(0, 2, 3, 1)
    return got.numpy()


TORCH_ZOO = sorted(INPUTS)


def keras_model(net):
    """The exported Keras functional model and the file's own weight loader."""
    namespace = {"__name__": "exported"}
    exec(compile(export_code(net, "keras"), f"<{net.name}>", "exec"), namespace)  # noqa: S102 - the code under test
    build = next(v for k, v in namespace.items() if k.startswith("build_"))
    return build(), namespace["load_nncalc_weights"]


# tests/test_export_keras_real.py runs resnet18 and mobilenet-v2 (32 x 32) in Keras already; GPT-2
# (25 s here, passes) is left out to keep the file short: BERT and ViT cover its layers, a causal
# attention runs in Keras in tests/test_export_keras_seq.py
KERAS_ZOO = ["alexnet", "bert-base", "densenet121", "efficientnet-b0", "googlenet", "inception-bottleneck",
             "inception-naive", "lenet5", "lstm-classifier", "mnist-cnn", "mnist-mlp", "mobilenet-v3-large",
             "resnet50", "shufflenet-v2-x1.0", "squeezenet1.1", "unet", "vit-b-16"]


@pytest.mark.parametrize("name", KERAS_ZOO, ids=[case_id(n) for n in KERAS_ZOO])
def test_keras_export_computes_the_engine_outputs(name):
    os.environ["KERAS_BACKEND"] = "torch"
    keras = pytest.importorskip("keras")
    net = network(name)
    model = engine(net)
    x = sample(net)
    want = engine_output(model, x)
    exported, load = keras_model(net)
    load(exported, weights_of(net))
    got = keras.ops.convert_to_numpy(exported(x.astype(np.float32), training=False)).astype(np.float64)
    assert rel_err(got, want) <= 1e-4


def kind_of(key: str) -> str:
    """Which queue a tensor goes in, from its name in either module: the two declare attention,
    norms, linear layers and embeddings in the same order, but interleave them differently."""
    if key.startswith("attn") or "self_attn" in key:
        return "attention"
    if key.startswith("ln") or "norm" in key:
        return "norm"
    if key.startswith("fc") or any(word in key for word in ("linear", "pooler", "head")):
        return "linear"
    return "embedding"


def exported_queues(exported) -> dict:
    """The exported tensors by kind; each attention's q, k, v packed as nn.MultiheadAttention's
    in_proj (q rows, then k, then v), then its output projection."""
    state = exported.state_dict()
    queues = {"attention": [], "norm": [], "linear": [], "embedding": []}
    for key, value in state.items():
        if not key.startswith("attn"):
            queues[kind_of(key)].append(value)
        elif key.endswith(".q.weight"):
            layer = key[: -len(".q.weight")]
            queues["attention"] += [torch.cat([state[f"{layer}.{p}.{w}"] for p in "qkv"]) for w in ("weight", "bias")]
            queues["attention"] += [state[f"{layer}.o.weight"], state[f"{layer}.o.bias"]]
    return queues


def transformer_twin_output(name: str, exported, ids) -> np.ndarray:
    """tests/test_zoo_transformers.py's BERT / GPT-2 (nn.TransformerEncoderLayer blocks) with the
    exported module's tensors copied in, kind by kind in order."""
    from tests import test_zoo_transformers as twins

    twin = on_meta({"bert-base": twins.Bert, "gpt2": twins.GPT2}[name])
    queues = exported_queues(exported)
    with torch.no_grad():
        for key, target in twin.state_dict().items():
            value = queues[kind_of(key)].pop(0)
            assert value.shape == target.shape, key
            target.copy_(value)
        assert not any(queues.values()), "exported tensors the twin has no place for"
        return twin(torch.from_numpy(ids).long()).numpy()


TWINS = {**{name: twin_output for name in ("densenet121", "efficientnet-b0", "mobilenet-v2", "mobilenet-v3-large",
                                           "shufflenet-v2-x1.0", "squeezenet1.1", "unet")},
         "bert-base": transformer_twin_output, "gpt2": transformer_twin_output}


@pytest.mark.parametrize("name", TORCH_ZOO, ids=[case_id(n) for n in TORCH_ZOO])
def test_pytorch_export_computes_the_engine_outputs(name):
    """The file's module with the engine's weights computes the engine's outputs; where the zoo
    network has a plain-torch twin, so does the twin with the same weights, so that strides,
    paddings, activations and branch order are the source architecture's."""
    net = network(name)
    model = engine(net)
    x = sample(net)
    want = engine_output(model, x)
    module = torch_module(net)
    module.load_nncalc_weights(weights_of(net))
    assert rel_err(torch_output(module, x), want) <= 1e-9
    if name in TWINS:  # the same weights in the architecture written from its source
        assert rel_err(TWINS[name](name, module, x), want) <= 1e-9, "the plain-torch twin"


def test_every_bundled_network_is_run_here():
    """A network added to the zoo needs its input here (Llama-2-7B is too big to run)."""
    from calc import zoo

    assert sorted(set(zoo.bundled_names()) - set(INPUTS)) == ["llama-2-7b"]
    assert set(TWINS) <= set(INPUTS) and set(KERAS_ZOO) <= set(INPUTS)
