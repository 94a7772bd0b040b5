"""More generators (issue 15): the solver types generate_types.py does not cover.

Same contract as calc/teach/generate_types.py: ``(rng, knobs) -> (title, question, given)`` with
integers or one-decimal numbers a student can work by hand; calc/teach/generate_filters.py
refuses the degenerate draws (a zero output, a zero gradient) and the generator draws again.
"""

from __future__ import annotations

from random import Random

from calc.teach.generate_types import GENERATORS, Knobs, _fmt, _ints, _matrix, _tenths, generator


@generator("conv1d")
def conv1d(rng: Random, knobs: Knobs):
    k = 2 if knobs.difficulty == 1 else 3
    s = 1 if knobs.difficulty == 1 else rng.choice([1, 2])
    p = 0 if knobs.difficulty == 1 else rng.choice([0, 1])
    d = 2 if knobs.difficulty == 3 else 1
    o = rng.randint(3, 4)
    n = (o - 1) * s + d * (k - 1) + 1 - 2 * p + (1 if knobs.uneven and s > 1 else 0)
    x, kernel = _ints(rng, n, 0, 9), _ints(rng, k, -2, 2)
    given = {"input": x, "kernel": kernel, "stride": s, "padding": p}
    how = f"stride {s}, zero padding {p} on each side"
    if d > 1:
        given["dilation"] = d
        how = f"dilation {d}, " + how
    question = (f"Convolve the sequence x = ({_fmt(x)}) with the kernel w = ({_fmt(kernel)}) "
                f"(cross-correlation, {how}). What is the output length, and what are its values?")
    if knobs.difficulty >= 2:
        given["bias"] = rng.choice([-1, 1, 0.5, 2])
        question += f" The bias is {given['bias']}."
    return f"1-D convolution of {n} values with a kernel of {k}", question, given


@generator("upsample")
def upsample(rng: Random, knobs: Knobs):
    n = 2
    mode = "nearest" if knobs.difficulty == 1 else "bilinear"
    image = _matrix(rng, n, n, 0, 9)
    given = {"input": image, "scale": 2, "mode": mode}
    question = f"Upsample the {n}x{n} map below by a factor 2 with {mode} interpolation"
    if mode == "bilinear":
        corners = knobs.difficulty == 3 and rng.random() < 0.5
        given["align_corners"] = corners
        question += (" (align_corners=True: the corner pixels line up)" if corners else
                     " (PyTorch's default align_corners=False: half-pixel centres, edges clamped)")
    if knobs.difficulty >= 2 or rng.random() < 0.5:
        given["grad_output"] = _matrix(rng, 2 * n, 2 * n, -2, 2)
        question += ", then send the upstream gradient dL/dY below back to the input"
    return f"{mode.capitalize()} upsampling of a {n}x{n} map by 2", question + ".", given


@generator("rnn_bptt")
def rnn_bptt(rng: Random, knobs: Knobs):
    steps = 1 + knobs.difficulty
    x = [rng.choice([-2, -1, 1, 2]) for _ in range(steps)]
    w_xh, w_hh = _tenths(rng, -8, 8), _tenths(rng, -8, 8)
    b, target = _tenths(rng, -3, 3, nonzero=False), _tenths(rng, -9, 9, nonzero=False)
    act = "relu" if knobs.difficulty == 2 and rng.random() < 0.5 else "tanh"
    given = {"x": x, "W_xh": w_xh, "W_hh": w_hh, "b": b, "target": target, "nonlinearity": act}
    question = (f"A vanilla RNN with one unit, h_t = {act}(W_xh x_t + W_hh h_(t-1) + b), h_0 = 0, W_xh = {w_xh}, "
                f"W_hh = {w_hh}, b = {b}, reads x = ({_fmt(x)}). The loss is E = 1/2 (h_{steps} - y)^2 with "
                f"y = {target}. Compute the forward pass, then backpropagate through time: dL/da_t at each "
                "step and the gradients of the shared W_hh, W_xh and b.")
    return f"Backpropagation through time over {steps} steps", question, given


GATES = {1: ["and", "or"], 2: ["and", "or", "nand", "nor"], 3: ["nand", "nor"]}
TRUTH = {"and": [0, 0, 0, 1], "or": [0, 1, 1, 1], "nand": [1, 1, 1, 0], "nor": [1, 0, 0, 0]}


@generator("perceptron")
def perceptron(rng: Random, knobs: Knobs):
    gate = rng.choice(GATES[knobs.difficulty])
    w = [rng.choice([1, 2, -1, -2, 0.5, -0.5] if knobs.difficulty > 1 else [1, 2]) for _ in range(2)]
    bias = rng.choice([-3, -2, -1.5, -1, -0.5, 0.5, 1, 1.5, 2])
    given = {"gate": gate, "weights": w, "bias": bias, "activation": "step", "targets": TRUTH[gate]}
    question = (f"A perceptron y = step(w1 x1 + w2 x2 + b) with w = ({_fmt(w)}) and b = {bias} "
                "(step(z) = 1 for z > 0, else 0). Compute z and y for the four binary inputs and say whether "
                f"it implements {gate.upper()}.")
    return f"Does w = ({_fmt(w)}), b = {bias} compute {gate.upper()}?", question, given


@generator("positional_encoding")
def positional_encoding(rng: Random, knobs: Knobs):
    length = rng.randint(2, 3) + knobs.difficulty
    dim = rng.choice({1: [4], 2: [4, 6], 3: [6, 8]}[knobs.difficulty])
    base = rng.choice([10, 100, 10000] if knobs.difficulty == 1 else [10, 100, 1000, 10000])
    given = {"length": length, "dim": dim, "base": base}
    question = (f"The sinusoidal positional encoding PE(p, 2i) = sin(p / {base}^(2i/{dim})), "
                f"PE(p, 2i+1) = cos(p / {base}^(2i/{dim})) for positions p = 0 .. {length - 1} and "
                f"d_model = {dim}: the frequencies and the table.")
    return f"Sinusoidal PE: {length} positions, d = {dim}, base {base}", question, given



@generator("edge")
def edge(rng: Random, knobs: Knobs):
    """A step edge (difficulty 1: vertical), a horizontal one too (2), or a bright square whose four
    sides answer both kernels with both signs, at 0..255 so the display clips (3)."""
    n = 6 if knobs.difficulty < 3 else 5
    high, low = (rng.choice([10, 20, 50, 90]), 0) if knobs.difficulty < 3 else (rng.choice([100, 150, 200, 250]), 0)
    if rng.random() < 0.5:
        high, low = low, high
    cut = rng.randint(2, n - 2)
    if knobs.difficulty == 3:
        top, left = rng.randint(1, 2), rng.randint(1, 2)
        image = [[high if top <= r < top + 2 and left <= c < left + 2 else low for c in range(n)] for r in range(n)]
        image = [[max(high, low) if v == high else min(high, low) for v in row] for row in image]
        shape = "a bright 2x2 square"
    elif knobs.difficulty == 2 and rng.random() < 0.5:
        image = [[high if r < cut else low for _ in range(n)] for r in range(n)]
        shape = "a horizontal step"
    else:
        image = [[high if c < cut else low for c in range(n)] for _ in range(n)]
        shape = "a vertical step"
    kernels = {"vertical": "standard"} if knobs.difficulty == 1 else {"vertical": "standard", "horizontal": "standard"}
    given = {"image": image, "kernels": kernels}
    names = " and ".join(f"the {k} edge kernel" for k in kernels)
    question = (f"Convolve the {n}x{n} grey-scale image below ({shape}) with {names} of the course "
                "(vertical: columns 1, 0, -1; horizontal: rows 1, 0, -1; no padding, stride 1). What are the "
                "raw outputs, and what would a 0..255 display show?")
    return f"Edge detection on a {n}x{n} image ({shape})", question, given


@generator("squeeze_excitation")
def squeeze_excitation(rng: Random, knobs: Knobs):
    channels, squeeze = (2, 1) if knobs.difficulty == 1 else ((3, 2) if knobs.difficulty == 2 else (4, 2))
    x = [_matrix(rng, 2, 2, -4, 8) for _ in range(channels)]
    w1 = [[rng.choice([-1, -0.5, 0.5, 1, 2]) for _ in range(channels)] for _ in range(squeeze)]
    w2 = [[rng.choice([-2, -1, 1, 2, 0.5]) for _ in range(squeeze)] for _ in range(channels)]
    given = {"x": x, "w1": w1, "b1": _ints(rng, squeeze, -1, 1), "w2": w2, "b2": _ints(rng, channels, -1, 1),
             "activation": "relu", "gate": "sigmoid"}
    question = (f"A squeeze-and-excitation block on {channels} channels of 2x2 (below, one matrix per channel) "
                f"with a squeeze to {squeeze}: average each channel (s), z = W1 s + b1, a = ReLU(z), "
                "e = W2 a + b2, the gates g = sigmoid(e), and every channel scaled by its gate. Give every "
                "intermediate value, the outputs and the number of parameters.")
    return f"Squeeze-and-excitation: {channels} channels, squeeze {squeeze}", question, given


GRAPHS = {  # (expression, its inputs): the course's staged graphs (cs231n's add-multiply, a max gate, a neuron)
    1: [("q = x + y; f = q * z", "xyz"), ("q = x * y; f = q + z", "xyz")],
    2: [("f1 = x*y; f2 = max(z, w); f3 = f1 + f2; f = f3 * 2", "xyzw"), ("q = x + y; r = y * z; f = q * r", "xyz")],
    3: [("Y = sigmoid(x1*w1 + x2*w2 + b)", ("x1", "w1", "x2", "w2", "b")),
        ("f0 = w0*x0; f1 = w1*x1; f2 = f0 + f1; f3 = f2 + w2; f4 = -f3; f5 = exp(f4); f6 = 1 + f5; f = 1/f6",
         ("w0", "x0", "w1", "x1", "w2"))],
}


@generator("graph")
def graph(rng: Random, knobs: Knobs):
    expression, names = rng.choice(GRAPHS[knobs.difficulty])
    low, high = (-5, 5) if knobs.difficulty < 3 else (-3, 3)
    values = {}
    for name in names:
        values[name] = rng.choice([v for v in range(low, high + 1) if v])
    given = {"expression": expression, "values": values}
    shown = ", ".join(f"{k} = {v}" for k, v in values.items())
    question = (f"Draw the computational graph of {expression} and run it at {shown}: the value of every "
                "node forward, then every gradient of the output backward (local gradient times upstream).")
    return f"Computational graph of {expression.split(';')[-1].strip()}", question, given


MODELS = {1: ["gpt2"], 2: ["gpt2", "llama-2-7b"], 3: ["llama-2-7b"]}


@generator("memory")
def memory(rng: Random, knobs: Knobs):
    model = rng.choice(MODELS[knobs.difficulty])
    dtype = rng.choice(["fp32", "fp16"] if knobs.difficulty == 1 else ["fp32", "bf16", "fp16", "int8", "int4"])
    given = {"network": model, "dtype": dtype, "context": rng.choice([512, 1024, 2048, 4096]),
             "batch": rng.choice([1, 2, 4, 8] if knobs.difficulty > 1 else [1]),
             "gpu": rng.choice(["8GB", "16GB", "24GB", "40GB", "80GB"])}
    question = (f"The bundled model {model} in {dtype}, a batch of {given['batch']} sequences of "
                f"{given['context']} tokens, on a {given['gpu']} card: the memory of the weights, the key/value "
                "cache, and whether inference fits")
    if knobs.difficulty == 3 and dtype in ("fp32", "bf16", "fp16"):
        given["training"] = True
        given["optimizer"] = rng.choice(["adam", "momentum", "sgd"])
        question += f"; then training with {given['optimizer']}: bytes per parameter and whether it fits"
    return f"Memory of {model} in {dtype}", question + ".", given

_plain_cnn_count = GENERATORS["cnn_count"]


@generator("cnn_count")
def cnn_count(rng: Random, knobs: Knobs):
    """Difficulty 1 and 2: the plain conv + pool stack; 3: a residual block (identity or projection
    shortcut) or an Inception-style concat of branches, where the counts must add over paths."""
    if knobs.difficulty < 3:
        return _plain_cnn_count(rng, knobs)
    return rng.choice([_residual_identity, _residual_projection, _inception])(rng)


def _head(size: int, channels: int, first: dict, block: dict, units: int) -> dict:
    layers = [{"conv": first}, block, {"global_avgpool": {}}, {"flatten": {}}, {"dense": {"units": units}}]
    return {"network": {"name": "generated", "input": [size, size, channels], "layers": layers}}


def _residual_identity(rng: Random):
    size, channels, f, units = rng.choice([8, 16, 32]), rng.choice([1, 3]), rng.choice([4, 8, 16]), rng.choice([2, 5, 10])
    first = {"filters": f, "kernel": 3, "padding": "same"}
    body = [{"conv": {"filters": f, "kernel": 3, "padding": "same"}}, {"relu": {}},
            {"conv": {"filters": f, "kernel": 3, "padding": "same"}}]
    given = {**_head(size, channels, first, {"residual": {"body": body}}, units), "layer": "conv3"}
    question = (f"A {size}x{size}x{channels} input goes through a conv layer of {f} filters 3x3 ('same' padding), "
                f"then a residual block whose body is conv {f} 3x3 'same', ReLU, conv {f} 3x3 'same' and whose "
                f"shortcut is the identity (out = body(x) + x), then global average pooling and a dense layer of "
                f"{units} units. How many parameters does each layer have, how many in all, and how many "
                "multiplications (MACs)? What does the shortcut cost, and what is the receptive field of the body's "
                "last conv (conv3)?")
    return "Params and MACs: residual block, identity shortcut", question, given


def _residual_projection(rng: Random):
    size, channels, f, units = rng.choice([8, 16, 32]), rng.choice([1, 3]), rng.choice([4, 8]), rng.choice([2, 5, 10])
    g = 2 * f
    first = {"filters": f, "kernel": 3, "padding": "same"}
    body = [{"conv": {"filters": g, "kernel": 3, "stride": 2, "padding": 1}}, {"relu": {}},
            {"conv": {"filters": g, "kernel": 3, "padding": "same"}}]
    shortcut = [{"conv": {"filters": g, "kernel": 1, "stride": 2}}]
    given = {**_head(size, channels, first, {"residual": {"body": body, "shortcut": shortcut}}, units), "layer": "conv3"}
    question = (f"A {size}x{size}x{channels} input goes through a conv layer of {f} filters 3x3 ('same' padding), "
                f"then a residual block that halves the size and doubles the channels: its body is conv {g} 3x3 "
                f"stride 2 padding 1, ReLU, conv {g} 3x3 'same'; its shortcut is a 1x1 conv of {g} filters with "
                f"stride 2 (a projection, so the two paths can be added). Then global average pooling and a "
                f"dense layer of {units} units. How many parameters does each layer have, how many in all, and "
                "how many multiplications (MACs)? What is the receptive field of the body's last conv (conv3)?")
    return "Params and MACs: residual block, projection shortcut", question, given


def _inception(rng: Random):
    size, channels, units = rng.choice([8, 16, 28]), rng.choice([8, 16, 32]), rng.choice([2, 5, 10])
    a, b, c, r = rng.choice([4, 8, 16]), rng.choice([8, 16]), rng.choice([4, 8]), rng.choice([2, 4])
    branches = [[{"conv": {"filters": a, "kernel": 1}}],
                [{"conv": {"filters": r, "kernel": 1}}, {"conv": {"filters": b, "kernel": 3, "padding": 1}}],
                [{"conv": {"filters": r, "kernel": 1}}, {"conv": {"filters": c, "kernel": 5, "padding": 2}}],
                [{"maxpool": {"kernel": 3, "stride": 1, "padding": 1}}]]
    layers = [{"concat": branches}, {"global_avgpool": {}}, {"flatten": {}}, {"dense": {"units": units}}]
    given = {"network": {"name": "generated", "input": [size, size, channels], "layers": layers}, "layer": "conv5"}
    question = (f"An Inception-style module on a {size}x{size}x{channels} input concatenates four branches on the "
                f"channels: a 1x1 conv of {a} filters; a 1x1 conv of {r} (a bottleneck) then a 3x3 conv of {b} "
                f"(padding 1); a 1x1 conv of {r} then a 5x5 conv of {c} (padding 2); a 3x3 max pool (stride 1, "
                f"padding 1). Then global average pooling and a dense layer of {units} units. What is the output "
                "shape of the module, how many parameters does each layer have, how many in all, and how many "
                "multiplications (MACs)? What is the receptive field of the 5x5 conv (conv5)?")
    return "Params and MACs: an Inception-style module", question, given
