"""One small generator per problem type: seeded numbers that are fair by hand.

A generator takes a ``random.Random``, the difficulty (1 easy, 2 medium, 3 hard) and the
``Knobs`` and returns (title, question, given). Inputs are integers or one-decimal numbers,
sizes divide unless ``uneven`` asks otherwise; calc/teach/generate_filters.py then refuses the
degenerate draws (dead ReLUs, zero gradients, pooling ties), and the generator draws again.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random


@dataclass(frozen=True)
class Knobs:
    difficulty: int = 1  # 1 easy, 2 medium, 3 hard
    uneven: bool = False  # sizes that do not divide (a floor to notice)
    ties: bool = False  # max-pooling windows with a tie on purpose


GENERATORS: dict = {}


def generator(name: str):
    def register(fn):
        GENERATORS[name] = fn
        return fn
    return register


def _tenths(rng: Random, low: int, high: int, nonzero: bool = True) -> float:
    """A one-decimal number low/10 .. high/10 (never 0 when ``nonzero``)."""
    while True:
        k = rng.randint(low, high)
        if k or not nonzero:
            return k // 10 if k % 10 == 0 else round(k / 10, 1)  # 1, not 1.0


def _ints(rng: Random, n: int, low: int, high: int) -> list[int]:
    return [rng.randint(low, high) for _ in range(n)]


def _matrix(rng: Random, rows: int, cols: int, low: int, high: int) -> list[list[int]]:
    return [_ints(rng, cols, low, high) for _ in range(rows)]


def _fmt(values) -> str:
    return ", ".join(str(v) for v in values)


@generator("size")
def size(rng: Random, knobs: Knobs):
    kind = rng.choice(["conv", "conv", "pool", "padding"] if knobs.difficulty > 1 else ["conv", "pool"])
    if kind == "padding":
        k = rng.choice([3, 5, 7])
        i = rng.randint(8, 64)
        given = {"kind": "padding", "input": i, "kernel": k}
        return (f"'Same' padding for a {k}x{k} kernel on {i}x{i}",
                f"A {i}x{i} input is convolved with a {k}x{k} kernel, stride 1. Which padding keeps "
                f"the output {i}x{i}?", given)
    if kind == "pool":
        k, s = rng.choice([(2, 2), (3, 2), (3, 3)] if knobs.difficulty > 1 else [(2, 2)]), None
        k, s = k
        o = rng.randint(3, 28)
        i = (o - 1) * s + k + (rng.randint(1, s - 1) if knobs.uneven and s > 1 else 0)
        given = {"kind": "pool", "input": i, "kernel": k, "stride": s}
        return (f"Pooling {k}x{k}, stride {s} on {i}x{i}",
                f"A {k}x{k} max pool with stride {s} on a {i}x{i} feature map. What is the output size?",
                given)
    k = rng.choice([1, 3, 5] if knobs.difficulty == 1 else [3, 5, 7, 11])
    s = rng.choice([1, 2] if knobs.difficulty < 3 else [2, 3, 4])
    if knobs.uneven and s == 1:
        s = 2
    p = rng.randint(0, (k - 1) // 2) if knobs.difficulty > 1 else 0
    o = rng.randint(max(3, (k + 2 * p) // s), 30)  # an input at least as large as the kernel
    i = (o - 1) * s + k - 2 * p + (rng.randint(1, s - 1) if knobs.uneven else 0)
    given = {"kind": "conv", "input": i, "kernel": k, "stride": s, "padding": p}
    return (f"Conv {k}x{k}, stride {s}, padding {p} on {i}x{i}",
            f"A {i}x{i} input, {k}x{k} kernel, stride {s}, padding {p}. What is the output size?", given)


@generator("cnn_count")
def cnn_count(rng: Random, knobs: Knobs):
    size, channels = rng.choice([8, 16, 32]), rng.choice([1, 3])
    layers, text = [], []
    for _ in range(knobs.difficulty):
        filters, kernel = rng.choice([4, 8, 16]), rng.choice([3, 5] if knobs.difficulty > 1 else [3])
        conv = {"filters": filters, "kernel": kernel, "padding": "same"}
        layers.append({"conv": conv})
        text.append(f"a conv layer of {filters} filters {kernel}x{kernel} ('same' padding)")
        layers.append({"maxpool": {"kernel": 2}})
        text.append("a 2x2 max pool (stride 2)")
    units = rng.choice([10, 5, 2])
    layers += [{"flatten": {}}, {"dense": {"units": units}}]
    text.append(f"a dense layer of {units} units after flattening")
    given = {"network": {"name": "generated", "input": [size, size, channels], "layers": layers}}
    question = (f"A {size}x{size}x{channels} input goes through " + ", ".join(text) + ". How many parameters "
                "does each layer have, how many in all, and how many multiplications (MACs)?")
    convs = knobs.difficulty
    return f"Parameters and MACs of a CNN with {convs} conv layer{'s' if convs > 1 else ''}", question, given


@generator("network")
def network(rng: Random, knobs: Knobs):
    n_in, hidden, n_out = 2, 2, 1 if knobs.difficulty == 1 else 2
    act = "sigmoid" if knobs.difficulty == 1 else rng.choice(["sigmoid", "relu"])
    w1 = [[_tenths(rng, -5, 9) for _ in range(n_in)] for _ in range(hidden)]
    b1 = [_tenths(rng, -3, 5, nonzero=False) for _ in range(hidden)]
    w2 = [[_tenths(rng, -5, 9) for _ in range(hidden)] for _ in range(n_out)]
    b2 = [_tenths(rng, -3, 5, nonzero=False) for _ in range(n_out)]
    x = [_tenths(rng, 1, 10) for _ in range(n_in)]
    target = [rng.choice([0, 1]) for _ in range(n_out)]
    lr = rng.choice([0.1, 0.5, 1])
    given = {"network": {"input": [n_in], "layers": [
        {"dense": {"units": hidden, "weights": w1, "bias": b1, "activation": act}},
        {"dense": {"units": n_out, "weights": w2, "bias": b2, "activation": "sigmoid"}}]},
        "input": x, "target": target, "loss": {"name": "mse", "reduction": "half_sum"},
        "optimizer": {"name": "sgd", "lr": lr}}
    question = (f"A {n_in}-{hidden}-{n_out} network ({act} hidden layer, sigmoid output; weights below, one "
                f"row per neuron) reads x = ({_fmt(x)}) with target ({_fmt(target)}) and the loss "
                f"E = 1/2 sum (y - t)^2. Compute the forward pass, the loss, the deltas, the weight "
                f"gradients and the weights after one SGD step with learning rate {lr}.")
    return f"Forward and backward pass of a {n_in}-{hidden}-{n_out} MLP", question, given


@generator("softmax")
def softmax(rng: Random, knobs: Knobs):
    n = 2 + knobs.difficulty
    z = [_tenths(rng, -20, 30, nonzero=False) for _ in range(n)]
    given = {"z": z}
    question = f"Compute the softmax of z = ({_fmt(z)})"
    if knobs.difficulty >= 2:
        given["target_class"] = rng.randint(0, n - 1)
        question += (f", the cross-entropy loss for the true class {given['target_class']} (classes count from 0) "
                     "and its gradient")
    if knobs.difficulty >= 3 or rng.random() < 0.3:
        given["jacobian"] = True
        question += " and the Jacobian ds_i/dz_j"
    return f"Softmax of ({_fmt(z)})", question + ".", given


@generator("batchnorm")
def batchnorm(rng: Random, knobs: Knobs):
    n = 4 if knobs.difficulty < 3 else 5
    x = _ints(rng, n, 0, 12)
    if knobs.difficulty == 1:
        x[-1] += (-sum(x)) % n  # an integer mean
    given = {"x": x, "variance": "n", "eps": 0}
    question = f"Batch-normalise x = ({_fmt(x)}) (biased variance, eps = 0): mean, variance, std, x-hat"
    if knobs.difficulty >= 2:
        given["gamma"], given["beta"] = rng.choice([2, 0.5, 1.5]), rng.choice([1, -1, 0.5])
        question += f" and y = gamma x-hat + beta with gamma = {given['gamma']}, beta = {given['beta']}"
    return f"Batch norm of ({_fmt(x)})", question + ".", given


@generator("conv")
def conv(rng: Random, knobs: Knobs):
    k = 2 if knobs.difficulty == 1 else 3
    s = 2 if knobs.difficulty == 3 or knobs.uneven else 1
    o = rng.randint(2, 3)
    n = (o - 1) * s + k + (1 if knobs.uneven and s > 1 else 0)
    image = _matrix(rng, n, n, 0, 9)
    kernel = _matrix(rng, k, k, -2, 2)
    given = {"input": image, "kernel": kernel, "stride": s}
    question = (f"Convolve the {n}x{n} input with the {k}x{k} kernel below (cross-correlation, stride {s}, "
                "no padding). What is the size of the feature map, and what are its values?")
    if knobs.difficulty >= 2:
        given["bias"] = rng.randint(-2, 2)
        question += f" The bias is {given['bias']}."
    return f"Convolution of a {n}x{n} input with a {k}x{k} kernel", question, given


@generator("pool")
def pool(rng: Random, knobs: Knobs):
    kind = "max" if knobs.difficulty == 1 or knobs.ties else rng.choice(["max", "avg"])
    k, s = (2, 2) if knobs.difficulty < 3 else rng.choice([(2, 2), (3, 3), (3, 2)])
    o = 2 if knobs.difficulty == 1 else 3
    n = (o - 1) * s + k + (1 if knobs.uneven else 0)
    if knobs.ties or kind == "avg":
        image = _matrix(rng, n, n, 0, 9)  # small digits: ties come by themselves
    else:  # distinct values: no window has two maxima, so no draw is refused for a tie
        cells = rng.sample(range(max(20, 2 * n * n)), n * n)
        image = [cells[r * n:(r + 1) * n] for r in range(n)]
    given = {"input": image, "type": kind, "kernel": k, "stride": s}
    question = f"{'Max' if kind == 'max' else 'Average'}-pool the {n}x{n} input with {k}x{k} windows and stride {s}."
    if knobs.difficulty >= 2 and kind == "max":
        given["grad_output"] = _matrix(rng, o, o, -3, 3)
        question += " Then route the upstream gradient dL/dP below back to the input."
    return f"{kind.capitalize()} pooling {k}x{k}, stride {s} on {n}x{n}", question, given


OPTIMIZERS = {1: ["sgd", "momentum"], 2: ["momentum", "nesterov", "rmsprop"], 3: ["adam", "rmsprop", "nesterov"]}


@generator("optimizer")
def optimizer(rng: Random, knobs: Knobs):
    name = rng.choice(OPTIMIZERS[knobs.difficulty])
    a = rng.choice([1, 2, 3]) if knobs.difficulty > 1 else 1
    function = "w^2" if a == 1 else f"{a}*w^2"
    start, lr = rng.choice([1, 2, -1, -2, 3]), rng.choice([0.1, 0.05, 0.2])
    steps = 2 if knobs.difficulty < 3 else 3
    given = {"optimizer": name, "lr": lr, "function": function, "start": start, "steps": steps}
    extra = ""
    if name in ("momentum", "nesterov"):
        given["momentum"] = rng.choice([0.9, 0.5])
        extra = f", momentum {given['momentum']}"
    elif name == "rmsprop":
        given["alpha"] = rng.choice([0.9, 0.99])
        extra = f", alpha {given['alpha']}"
    elif name == "adam":
        given["beta1"], given["beta2"] = 0.9, rng.choice([0.99, 0.999])
        extra = f", beta1 0.9, beta2 {given['beta2']}"
    question = (f"{steps} steps of {name} (learning rate {lr}{extra}, PyTorch's form) on f(w) = {function} "
                f"from w_0 = {start}: the gradient and the state at each step.")
    return f"{name.capitalize()} on f(w) = {function}", question, given


@generator("ewma")
def ewma(rng: Random, knobs: Knobs):
    values = _ints(rng, 3 + knobs.difficulty, 5, 40)
    beta = rng.choice([0.5, 0.9, 0.8])
    given = {"values": values, "beta": beta}
    question = f"The moving average V_t = beta V_(t-1) + (1 - beta) theta_t with V_0 = 0, beta = {beta}, of ({_fmt(values)})"
    if knobs.difficulty >= 2:
        given["bias_correction"] = True
        question += ", and the bias-corrected V_t / (1 - beta^t)"
    return f"EWMA of ({_fmt(values)}), beta = {beta}", question + ".", given


INITS = {1: ["he_normal", "glorot_uniform"], 2: ["he_uniform", "glorot_normal", "lecun_normal"],
         3: ["he_uniform", "glorot_uniform", "glorot_normal", "lecun_uniform"]}


@generator("init")
def init(rng: Random, knobs: Knobs):
    name = rng.choice(INITS[knobs.difficulty])
    fan_in, fan_out = rng.choice([2, 6, 8, 18, 50, 72, 128, 200, 288]), rng.choice([2, 4, 10, 64, 100])
    given = {"initializer": name, "fan_in": fan_in}
    question = f"{name} initialisation for a layer with fan_in = {fan_in}"
    if name.startswith("glorot"):
        given["fan_out"] = fan_out
        question += f" and fan_out = {fan_out}"
    return f"{name} for fan_in = {fan_in}", question + ": its std, variance and (uniform) limit.", given


@generator("dropout")
def dropout(rng: Random, knobs: Knobs):
    n = 3 + knobs.difficulty
    values = _ints(rng, n, 1, 20)
    rate = rng.choice([0.5, 0.2, 0.25] if knobs.difficulty > 1 else [0.5])
    mask = [rng.choice([0, 1]) for _ in range(n)]
    given = {"values": values, "rate": rate, "mask": mask}
    question = (f"Activations ({_fmt(values)}) go through inverted dropout with p = {rate} (probability of "
                f"dropping) and the mask ({_fmt(mask)}). Give the training outputs, the test-time outputs and "
                "the sums.")
    return f"Dropout p = {rate} on ({_fmt(values)})", question, given


ACTIVATIONS = {1: ["sigmoid", "tanh", "relu"], 2: ["leaky_relu", "elu", "softplus", "tanh"],
               3: ["gelu", "swish", "selu", "elu"]}


@generator("activation")
def activation(rng: Random, knobs: Knobs):
    name = rng.choice(ACTIVATIONS[knobs.difficulty])
    at = sorted(rng.sample([-3, -2, -1, -0.5, 0.5, 1, 2, 3], 3))
    given = {"function": name, "at": at}
    return (f"{name} at ({_fmt(at)})", f"The activation {name} and its derivative at z = {_fmt(at)}.", given)


@generator("attention")
def attention(rng: Random, knobs: Knobs):
    n, d = 2 if knobs.difficulty == 1 else 3, 2
    q, k, v = (_matrix(rng, n, d, -1, 2) for _ in range(3))
    given = {"Q": q, "K": k, "V": v}
    question = (f"{n} tokens with queries, keys and values of width d_k = {d} (below). Compute the scores "
                "Q K^T, scale them by sqrt(d_k), take the softmax of each row and the output A V")
    if knobs.difficulty >= 3 or (knobs.difficulty == 2 and rng.random() < 0.5):
        given["causal"] = True
        question += ", with a causal mask (token i sees tokens 1..i)"
    return f"Scaled dot-product attention on {n} tokens", question + ".", given


@generator("lstm_step")
def lstm_step(rng: Random, knobs: Knobs):
    gates = ("i", "f", "g", "o")
    x = [_tenths(rng, -10, 20) for _ in range(2)]
    h, c = _tenths(rng, -5, 5), _tenths(rng, -5, 5)
    given = {"x": x, "h_prev": [h], "c_prev": [c],
             "W": {g: [[_tenths(rng, -5, 5) for _ in range(2)]] for g in gates},
             "U": {g: [[_tenths(rng, -5, 5)]] for g in gates},
             "b": {g: [_tenths(rng, -3, 5, nonzero=False)] for g in gates}}
    question = (f"An LSTM with one hidden unit reads x_t = ({_fmt(x)}) with h_(t-1) = {h} and c_(t-1) = {c}. "
                "With the gate weights below (W input, U recurrent, b bias; PyTorch's gate order i, f, g, o) "
                "compute the pre-activations, the gates, the new cell state c_t and hidden state h_t.")
    return "One LSTM cell step", question, given


@generator("conv_backward")
def conv_backward(rng: Random, knobs: Knobs):
    n = 3 if knobs.difficulty == 1 else 4
    k = 2 if knobs.difficulty < 3 else 3
    o = n - k + 1
    image, kernel = _matrix(rng, n, n, -2, 3), _matrix(rng, k, k, -2, 3)
    grad = [[_tenths(rng, -5, 5) for _ in range(o)] for _ in range(o)]
    given = {"input": image, "kernel": kernel, "grad_output": grad}
    question = (f"A {n}x{n} input is convolved with a {k}x{k} kernel (cross-correlation, stride 1, no padding). "
                "With the upstream gradient dL/dO below, compute dL/dF, dL/db and dL/dX.")
    if knobs.difficulty >= 2:
        given["lr"] = rng.choice([0.1, 0.5, 1])
        question += f" Then take one SGD step on the kernel with learning rate {given['lr']}."
    return f"Backward pass of a {k}x{k} convolution on {n}x{n}", question, given


@generator("loss")
def loss(rng: Random, knobs: Knobs):
    name = rng.choice(["mse", "bce"] if knobs.difficulty == 1 else ["mse", "bce", "cross_entropy"])
    rows = 2 + knobs.difficulty
    if name == "cross_entropy":
        classes = 3
        output = []
        for _ in range(rows):  # probabilities in tenths that sum to 1, none 0
            a = rng.randint(1, 8)
            b = rng.randint(1, 9 - a)
            output.append([a / 10, b / 10, round((10 - a - b) / 10, 1)])
        target = [[int(c == true) for c in range(classes)] for true in (rng.randrange(classes) for _ in range(rows))]
    else:
        output = [[_tenths(rng, 1, 9)] for _ in range(rows)]
        target = [[rng.choice([0, 1])] for _ in range(rows)]
    reduction = rng.choice(["mean", "sum"])
    given = {"loss": name, "reduction": reduction, "output": output, "target": target, "gradient": True}
    question = (f"The {name} loss of the batch below ({rows} samples, one row each; reduction: {reduction}), "
                "per sample and for the batch, and its gradient with respect to the outputs.")
    return f"{name} loss of a batch of {rows}", question, given


@generator("layernorm")
def layernorm(rng: Random, knobs: Knobs):
    rows, cols = 2, 2 + knobs.difficulty
    x = _matrix(rng, rows, cols, 0, 9)
    given = {"x": x}
    question = (f"Layer-normalise each row of the {rows}x{cols} matrix below (biased variance, eps = 1e-5): "
                "the mean and variance of each row and the normalised values")
    if knobs.difficulty >= 2:
        given["compare_batchnorm"] = True
        question += ", then batch-normalise each column of the same matrix for comparison"
    return f"Layer norm of a {rows}x{cols} matrix", question + ".", given


@generator("gru_step")
def gru_step(rng: Random, knobs: Knobs):
    gates = ("r", "z", "n")
    x = [_tenths(rng, -10, 20) for _ in range(2)]
    h = [_tenths(rng, -5, 5)]
    given = {"x": x, "h_prev": h,
             "W": {g: [[_tenths(rng, -5, 5) for _ in range(2)]] for g in gates},
             "U": {g: [[_tenths(rng, -5, 5)]] for g in gates},
             "b": {g: [_tenths(rng, -3, 5, nonzero=False)] for g in gates}}
    question = (f"A GRU with one hidden unit reads x_t = ({_fmt(x)}) with h_(t-1) = {h[0]}. With the weights "
                "below (W input, U recurrent, b bias; PyTorch's gates r, z, n) compute the reset and update "
                "gates, the candidate n and the new hidden state h_t.")
    return "One GRU cell step", question, given
from calc.teach import generate_types_more  # noqa: E402,F401  (registers the generators of the other solver types)
