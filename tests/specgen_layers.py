"""Random leaf layers for tests/specgen.py: each maker takes (gen, shape) and returns a Piece
(YAML entry, output shape, [(kind, shape)] of its leaves) or None when it does not fit the shape.

Output sizes are derived here from the frameworks' documented rules, independently of calc/:
PyTorch Conv2d/MaxPool2d/AvgPool2d (with its ceil_mode rule: a last window starting at or after
i + pad_before is dropped), ConvTranspose2d, and TensorFlow/Keras 'same' and 'valid'.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_SIDE = 24  # keep maps small: hundreds of specs must run through torch in seconds


@dataclass
class Piece:
    entry: object
    shape: tuple
    leaves: list


# -- size rules (per axis) ------------------------------------------------------------------
def window(i, k, s, pb, pa, d=1, ceil=False):
    """PyTorch pooling_output_shape_pad_lr; None when no window fits."""
    span = i + pb + pa - d * (k - 1) - 1
    o = (span + (s - 1 if ceil else 0)) // s + 1  # // floors like torch's div_rtn
    if ceil and o >= 1 and (o - 1) * s >= i + pb:
        o -= 1
    return o if o >= 1 and (span >= 0 or ceil) else None


def tf_window(mode, i, k, s, d=1):
    """TensorFlow: 'same' o = ceil(i/s); 'valid' o = ceil((i - (k-1)d)/s)."""
    if mode == "same":
        return -(-i // s)
    o = -(-(i - (k - 1) * d) // s)
    return o if o >= 1 else None


def transposed(i, k, s, pb, pa, d, op):
    o = (i - 1) * s - pb - pa + d * (k - 1) + op + 1
    return o if o >= 1 else None


def keras_transposed(mode, i, k, s, d):
    """Keras deconv_output_length: 'same' i*s; 'valid' i*s + max(k_dilated - s, 0)."""
    kd = k + (k - 1) * (d - 1)
    return i * s if mode == "same" else i * s + max(kd - s, 0)


# -- random values --------------------------------------------------------------------------
def _pair(gen, lo, hi):
    """(YAML value, (h, w)): mostly one int for both axes, sometimes [h, w]."""
    if gen.chance(0.7):
        v = gen.rng.randint(lo, hi)
        return v, (v, v)
    a, b = gen.rng.randint(lo, hi), gen.rng.randint(lo, hi)
    return [a, b], (a, b)


def _padding(gen, kernel, pool: bool):
    """(YAML value or None, per-axis (before, after) or a mode string)."""
    form = gen.rng.choice(["none", "int", "pair", "four", "same", "valid"])
    gen.features[f"padding.{form}"] += 1
    if form in ("same", "valid"):
        return form, form
    top = [min(kernel) // 2 if pool else 3] * 2
    limit = [k // 2 for k in kernel] if pool else [3, 3]
    if form == "none":
        return None, ((0, 0), (0, 0))
    if form == "int":
        p = gen.rng.randint(0, min(top))
        return p, ((p, p), (p, p))
    if form == "pair":
        ph, pw = (gen.rng.randint(0, m) for m in limit)
        return [ph, pw], ((ph, ph), (pw, pw))
    t, b, left, r = (gen.rng.randint(0, m) for m in (limit[0], limit[0], limit[1], limit[1]))
    return [t, b, left, r], ((t, b), (left, r))


def _alias(gen, *names):
    return names[0] if gen.chance(0.7) else gen.rng.choice(names[1:])


ACTIVATIONS = [
    ("relu", "relu"), ("leaky_relu", {"leaky_relu": {"slope": 0.2}}), ("leaky_relu", "lrelu"),
    ("leaky_relu", {"leakyrelu": {"negative_slope": 0.1}}), ("prelu", "prelu"),
    ("prelu", {"prelu": {"per": "channel"}}), ("prelu", {"prelu": {"per": "element", "init": 0.1}}),
    ("elu", "elu"), ("elu", {"elu": {"alpha": 0.5}}), ("selu", "selu"), ("sigmoid", "sigmoid"),
    ("sigmoid", "logistic"), ("tanh", "tanh"), ("softmax", "softmax"), ("linear", "linear"),
    ("linear", "identity"), ("step", "step"),
    ("gelu", "gelu"), ("gelu", {"gelu": {"approximate": "tanh"}}), ("silu", "silu"), ("silu", "swish"),
    ("relu6", "relu6"), ("hardswish", "hardswish"), ("hardsigmoid", "hardsigmoid"), ("softplus", "softplus"),
    ("softplus", {"softplus": {"beta": 2, "threshold": 10}}), ("mish", "mish"),
]


def activation(gen, shape):
    kind, entry = gen.rng.choice(ACTIVATIONS)
    gen.features[f"act.{kind}"] += 1
    entry = dict(entry) if isinstance(entry, dict) else entry
    return Piece(entry, shape, [(kind, shape)])


def _fused_activation(gen, opts, shape, leaves):
    if gen.chance(0.25):
        act = activation(gen, shape)
        opts["activation"] = act.entry
        leaves += act.leaves
        gen.features["option.activation"] += 1


# -- makers ---------------------------------------------------------------------------------
def conv(gen, shape):
    if len(shape) != 3:
        return None
    h, w, c = shape
    groups = gen.rng.choice([g for g in range(1, c + 1) if c % g == 0]) if gen.chance(0.3) else 1
    opts = {"filters": groups * gen.rng.randint(1, max(1, 8 // groups))}
    opts["kernel"], kernel = _pair(gen, 1, 5)
    stride, dilation = (1, 1), (1, 1)
    if gen.chance(0.4):
        opts["stride"], stride = _pair(gen, 1, 3)
    if gen.chance(0.25):
        opts["dilation"], dilation = _pair(gen, 1, 3)
    value, pad = _padding(gen, kernel, pool=False)
    if value is not None:
        opts["padding"] = value
    if isinstance(pad, str):
        out = [tf_window(pad, i, k, s, d) for i, k, s, d in zip((h, w), kernel, stride, dilation)]
    else:
        out = [window(i, k, s, *p, d) for i, k, s, p, d in zip((h, w), kernel, stride, pad, dilation)]
    if None in out:
        return None
    if groups > 1:
        opts["groups"] = groups
        gen.features["conv.groups"] += 1
    if gen.chance(0.3):
        opts["bias"] = False
        gen.features["conv.no_bias"] += 1
    out_shape = (*out, opts["filters"])
    leaves = [("conv", out_shape)]
    _fused_activation(gen, opts, out_shape, leaves)
    gen.features["conv"] += 1
    return Piece({_alias(gen, "conv", "conv2d", "convolution"): opts}, out_shape, leaves)


def conv_transpose(gen, shape):
    if len(shape) != 3:
        return None
    h, w, c = shape
    groups = gen.rng.choice([g for g in range(1, c + 1) if c % g == 0]) if gen.chance(0.3) else 1
    opts = {"filters": groups * gen.rng.randint(1, max(1, 6 // groups))}
    opts["kernel"], kernel = _pair(gen, 1, 4)
    opts["stride"], stride = _pair(gen, 1, 3)
    dilation = (1, 1)
    if gen.chance(0.25):
        opts["dilation"], dilation = _pair(gen, 1, 2)
    if gen.chance(0.2):
        mode = gen.rng.choice(["same", "valid"])
        opts["padding"] = mode
        gen.features[f"conv_transpose.{mode}"] += 1
        out = [keras_transposed(mode, i, k, s, d) for i, k, s, d in zip((h, w), kernel, stride, dilation)]
    else:
        value, pad = _padding(gen, kernel, pool=False)
        if isinstance(pad, str):
            value, pad = 1, ((1, 1), (1, 1))
        if value is not None:
            opts["padding"] = value
        ops = [gen.rng.randint(0, max(s, d) - 1) for s, d in zip(stride, dilation)]
        if any(ops):
            opts["output_padding"] = ops if ops[0] != ops[1] else ops[0]
            gen.features["conv_transpose.output_padding"] += 1
        out = [transposed(i, k, s, *p, d, op) for i, k, s, p, d, op in zip((h, w), kernel, stride, pad, dilation, ops)]
    if None in out or max(out) > MAX_SIDE:
        return None
    if groups > 1:
        opts["groups"] = groups
        gen.features["conv_transpose.groups"] += 1
    if gen.chance(0.3):
        opts["bias"] = False
    gen.features["conv_transpose"] += 1
    out_shape = (*out, opts["filters"])
    name = _alias(gen, "conv_transpose", "deconv", "transposed_conv", "conv2d_transpose", "convtranspose")
    return Piece({name: opts}, out_shape, [("conv_transpose", out_shape)])


def _pool(gen, shape, kind):
    if len(shape) != 3:
        return None
    h, w, c = shape
    opts = {}
    opts["kernel"], kernel = _pair(gen, 1, 4)
    stride, dilation = kernel, (1, 1)
    if gen.chance(0.5):
        opts["stride"], stride = _pair(gen, 1, 3)
    if kind == "maxpool" and gen.chance(0.25):
        opts["dilation"], dilation = _pair(gen, 1, 2)
        gen.features["maxpool.dilation"] += 1
    value, pad = _padding(gen, kernel, pool=True)
    ceil = gen.chance(0.4)
    if value is not None:
        opts["padding"] = value
    if ceil:
        opts["ceil_mode"] = True
        gen.features[f"{kind}.ceil_mode"] += 1
    if kind == "avgpool" and gen.chance(0.3):
        opts["count_include_pad"] = False
        gen.features["avgpool.count_include_pad"] += 1
    if pad == "valid" and ceil:  # 'valid' is padding 0 (as torch's padding='valid'); ceil_mode still rounds up
        pad = ((0, 0), (0, 0))
    if isinstance(pad, str):  # TF 'same' gives ceil(i/s) whether or not ceil_mode is set
        out = [tf_window(pad, i, k, s, d) for i, k, s, d in zip((h, w), kernel, stride, dilation)]
    else:
        out = [window(i, k, s, *p, d, ceil) for i, k, s, p, d in zip((h, w), kernel, stride, pad, dilation)]
    if None in out:
        return None
    gen.features[kind] += 1
    name = _alias(gen, kind, *(("max_pool", "maxpool2d", "max_pooling") if kind == "maxpool"
                               else ("avg_pool", "avgpool2d", "average_pooling")))
    return Piece({name: opts}, (*out, c), [(kind, (*out, c))])


def maxpool(gen, shape):
    return _pool(gen, shape, "maxpool")


def avgpool(gen, shape):
    return _pool(gen, shape, "avgpool")


def global_avgpool(gen, shape):
    if len(shape) != 3:
        return None
    gen.features["global_avgpool"] += 1
    out = (1, 1, shape[2])
    return Piece(_alias(gen, "global_avgpool", "global_avg_pool", "globalavgpool"), out, [("global_avgpool", out)])


def global_maxpool(gen, shape):
    if len(shape) != 3:
        return None
    gen.features["global_maxpool"] += 1
    out = (1, 1, shape[2])
    return Piece(_alias(gen, "global_maxpool", "global_max_pool", "globalmaxpool", "global_max_pooling"), out,
                 [("global_maxpool", out)])


def adaptive_avgpool(gen, shape):
    if len(shape) != 3:
        return None
    value, out = _pair(gen, 1, max(shape[0], shape[1]) + 2)
    gen.features["adaptive_avgpool"] += 1
    entry = {_alias(gen, "adaptive_avgpool", "adaptive_avg_pool", "adaptiveavgpool2d"): {"output": value}}
    return Piece(entry, (*out, shape[2]), [("adaptive_avgpool", (*out, shape[2]))])


def batchnorm(gen, shape):
    gen.features[f"batchnorm.{'map' if len(shape) == 3 else 'vector'}"] += 1
    entry = gen.rng.choice(["batchnorm", "bn", {"bn": {}}, {"batch_norm": {"eps": 0.001, "momentum": 0.01}},
                            {"batchnorm": {"affine": False}}, "batchnorm2d"])
    return Piece(entry, shape, [("batchnorm", shape)])


def dropout(gen, shape):
    gen.features["dropout"] += 1
    entry = gen.rng.choice(["dropout", {"dropout": {"rate": 0.3}}, {"dropout": {"p": 0.1}}])
    return Piece(entry, shape, [("dropout", shape)])


def flatten(gen, shape):
    n = 1
    for d in shape:
        n *= d
    order = gen.rng.choice([None, "hwc", "chw"])
    gen.features[f"flatten.{order}"] += 1
    return Piece({"flatten": {"order": order}} if order else "flatten", (n,), [("flatten", (n,))])


def dense(gen, shape):
    if len(shape) == 3 and shape[0] * shape[1] != 1:
        return None
    opts = {"units": gen.rng.randint(1, 12)}
    if gen.chance(0.3):
        opts["bias"] = False
        gen.features["dense.no_bias"] += 1
    elif gen.chance(0.1):
        opts["shared_bias"] = True
        gen.features["dense.shared_bias"] += 1
    leaves = [("dense", (opts["units"],))]
    _fused_activation(gen, opts, (opts["units"],), leaves)
    gen.features["dense.map_input" if len(shape) == 3 else "dense"] += 1
    return Piece({_alias(gen, "dense", "fc", "fully_connected"): opts}, (opts["units"],), leaves)


def _recurrent(gen, shape, kind):
    """Sequences only: (L, H*dirs) or, without return_sequences, (H*dirs,) (Keras / torch h_n)."""
    if len(shape) != 2:
        return None
    opts = {"hidden": gen.rng.randint(1, 6)}
    if gen.chance(0.3):
        opts["layers"] = gen.rng.randint(1, 3)
    dirs = 2 if gen.chance(0.3) else 1
    if dirs == 2:
        opts["bidirectional"] = True
    seqs = gen.chance(0.6)
    if not seqs:
        opts["return_sequences"] = False
    if gen.chance(0.2):
        opts["bias"] = False
    if kind == "rnn" and gen.chance(0.3):
        opts["nonlinearity"] = "relu"
    gen.features[kind] += 1
    out = (shape[0], opts["hidden"] * dirs) if seqs else (opts["hidden"] * dirs,)
    return Piece({kind: opts}, out, [(kind, out)])


def _via_sequence(gen, shape, make):
    """A 1-D maker on an (L, F) shape as written; on a map (random specs), inside one `sequential`:
    [to_sequence, the layer, sequence_pool when it still returns a sequence] -> a vector."""
    if len(shape) == 2:
        return make(gen, shape)
    if len(shape) != 3 or _skipped(gen) or shape[0] * shape[1] > 64:
        return None
    seq = (shape[0] * shape[1], shape[2])
    piece = make(gen, seq)
    if piece is None:
        return None
    layers, leaves = ["to_sequence", piece.entry], [("to_sequence", seq), *piece.leaves]
    if len(piece.shape) == 2:
        layers.append({"sequence_pool": {"mode": "mean"}})
        leaves.append(("sequence_pool", (piece.shape[1],)))
    return Piece({"sequential": layers}, leaves[-1][1], leaves)


def rnn(gen, shape):
    return _via_sequence(gen, shape, lambda g, s: _recurrent(g, s, "rnn"))


def lstm(gen, shape):
    return _via_sequence(gen, shape, lambda g, s: _recurrent(g, s, "lstm"))


def gru(gen, shape):
    return _via_sequence(gen, shape, lambda g, s: _recurrent(g, s, "gru"))


def _padding_1d(gen, k, pool: bool):
    """(YAML value or None, (before, after) or a mode string) for a 1-D window."""
    form = gen.rng.choice(["none", "int", "pair", "same", "valid"])
    if form in ("same", "valid"):
        return form, form
    top = k // 2 if pool else 3
    if form == "none":
        return None, (0, 0)
    if form == "int":
        p = gen.rng.randint(0, top)
        return p, (p, p)
    b, a = gen.rng.randint(0, top), gen.rng.randint(0, top)
    return [b, a], (b, a)


def _window_1d(gen, shape, kind):
    """conv1d / maxpool1d / avgpool1d on (L, C): PyTorch's Conv1d/MaxPool1d/AvgPool1d length rule."""
    if len(shape) != 2:
        return None
    length, c = shape
    pool = kind != "conv1d"
    opts = {"kernel": gen.rng.randint(1, 5)}
    k = opts["kernel"]
    s, d = (k if pool else 1), 1
    if gen.chance(0.5):
        opts["stride"] = s = gen.rng.randint(1, 3)
    if kind != "avgpool1d" and gen.chance(0.25):
        opts["dilation"] = d = gen.rng.randint(1, 3)
    value, pad = _padding_1d(gen, k, pool)
    if value is not None:
        opts["padding"] = value
    ceil = pool and gen.chance(0.3)
    if ceil:
        opts["ceil_mode"] = True
        if pad == "valid":
            pad = (0, 0)
    if kind == "conv1d":
        groups = gen.rng.choice([g for g in range(1, c + 1) if c % g == 0])
        opts["filters"] = groups * gen.rng.randint(1, 3)
        if groups > 1:
            opts["groups"] = groups
        if gen.chance(0.3):
            opts["bias"] = False
    out = tf_window(pad, length, k, s, d) if isinstance(pad, str) else window(length, k, s, *pad, d, ceil)
    if out is None:
        return None
    gen.features[kind] += 1
    out_shape = (out, opts.get("filters", c))
    return Piece({kind: opts}, out_shape, [(kind, out_shape)])


def conv1d(gen, shape):
    return _via_sequence(gen, shape, lambda g, s: _window_1d(g, s, "conv1d"))


def maxpool1d(gen, shape):
    return _via_sequence(gen, shape, lambda g, s: _window_1d(g, s, "maxpool1d"))


def avgpool1d(gen, shape):
    return _via_sequence(gen, shape, lambda g, s: _window_1d(g, s, "avgpool1d"))
def upsample(gen, shape):
    """torch.nn.Upsample: out = floor(in * scale) for a scale, the size itself for a size."""
    if len(shape) != 3 or max(shape[:2]) * 3 > MAX_SIDE:
        return None
    h, w, c = shape
    opts = {"mode": gen.rng.choice(["nearest", "bilinear"])}
    if gen.chance(0.7):
        opts["scale"], (sh, sw) = _pair(gen, 1, 3)
        out = (h * sh, w * sw, c)
    else:
        opts["size"], size = _pair(gen, 1, MAX_SIDE)
        out = (*size, c)
    if opts["mode"] == "bilinear" and gen.chance(0.4):
        opts["align_corners"] = gen.chance(0.5)
    gen.features[f"upsample.{opts['mode']}"] += 1
    return Piece({_alias(gen, "upsample", "upsampling", "upsampling2d"): opts}, out, [("upsample", out)])


def groupnorm(gen, shape):
    """torch.nn.GroupNorm keeps the shape; groups divide the channels."""
    if len(shape) == 2:
        return None
    c, n = shape[-1], 1
    for d in shape:
        n *= d
    groups = [g for g in range(1, c + 1) if c % g == 0 and n // g > 1]  # torch: more than 1 value per group
    if not groups:
        return None
    opts = {"groups": gen.rng.choice(groups)}
    if gen.chance(0.3):
        opts["affine"] = False
    if gen.chance(0.3):
        opts["eps"] = 0.001
    gen.features["groupnorm"] += 1
    return Piece({_alias(gen, "groupnorm", "group_norm"): opts}, shape, [("groupnorm", shape)])


def instancenorm(gen, shape):
    """torch.nn.InstanceNorm2d keeps the shape (more than 1 value per channel)."""
    if len(shape) != 3 or shape[0] * shape[1] < 2:
        return None
    entry = gen.rng.choice(["instancenorm", {"instance_norm": {"affine": True}}, {"instancenorm2d": {"eps": 0.01}},
                            {"instancenorm": {"track_running_stats": True, "momentum": 0.2}}])
    gen.features["instancenorm"] += 1
    return Piece(entry, shape, [("instancenorm", shape)])


# weights: the structure-free makers, the map-only ones twice as often (they need a map)
def channel_shuffle(gen, shape):
    """Any divisor of the channels (features) as groups; the shape stays (ShuffleNet)."""
    groups = gen.rng.choice([g for g in range(1, shape[-1] + 1) if shape[-1] % g == 0])
    gen.features["channel_shuffle"] += 1
    return Piece({_alias(gen, "channel_shuffle", "shuffle"): {"groups": groups}}, shape, [("channel_shuffle", shape)])


LEAVES = [conv, conv, conv_transpose, maxpool, avgpool, global_avgpool, adaptive_avgpool, batchnorm,
          dropout, flatten, dense, dense, activation, activation]
LEAVES += [channel_shuffle]
LEAVES += [global_maxpool]


# -- sequences (tests/test_sequence_layers.py checks their values): a map becomes a sequence and is
# pooled back to a vector inside one `sequential`, so the other makers never see an (L, F) shape
def _skipped(gen) -> bool:
    """In random specs, the sequence makers pass most turns so the older kinds keep their share."""
    return getattr(gen, "random_inputs", False) and gen.chance(0.7)


def _on_sequence(gen, shape, kind, entry):
    """[to_sequence, (class_token,) entry, sequence_pool] on a map: (H, W, C) -> (C,)."""
    if len(shape) != 3 or _skipped(gen):
        return None
    h, w, c = shape
    seq = (h * w, c)
    layers, leaves = [_alias(gen, "to_sequence", "patches_to_sequence")], [("to_sequence", seq)]
    if kind == "class_token" or gen.chance(0.3):
        seq = (seq[0] + 1, c)
        layers.append(_alias(gen, "class_token", "cls_token"))
        leaves.append(("class_token", seq))
    if entry is not None:
        layers.append(entry(seq) if callable(entry) else entry)
        leaves.append((kind, seq))
    mode = gen.rng.choice(["first", "mean", "last", "max"])
    gen.features[f"sequence_pool.{mode}"] += 1
    layers.append({"sequence_pool": {"mode": mode}})
    leaves.append(("sequence_pool", (c,)))
    gen.features[kind] += 1
    return Piece({"sequential": layers}, (c,), leaves)


def to_sequence(gen, shape):
    return _on_sequence(gen, shape, "to_sequence", None)


def class_token(gen, shape):
    return _on_sequence(gen, shape, "class_token", None)


def sequence_pool(gen, shape):
    return _on_sequence(gen, shape, "sequence_pool", None)


def positional_embedding(gen, shape):
    return _on_sequence(gen, shape, "positional_embedding",
                        lambda seq: {"positional_embedding": {"max_len": seq[0] + gen.rng.randint(0, 3)}})


def sinusoidal(gen, shape):
    return _on_sequence(gen, shape, "sinusoidal", _alias(gen, "sinusoidal", "positional_encoding"))


def rotary(gen, shape):
    if len(shape) != 3 or shape[2] % 2:
        return None
    head = gen.rng.choice([d for d in range(2, shape[2] + 1, 2) if shape[2] % d == 0])
    opts = {"pairing": gen.rng.choice(["half", "interleaved"]), "head_dim": head}
    return _on_sequence(gen, shape, "rotary", {_alias(gen, "rotary", "rope"): opts})


def _norm(gen, shape, kind):
    if _skipped(gen):
        return None
    opts = gen.rng.choice([{}, {"eps": 0.001}, {"elementwise_affine": False}] + ([{"bias": False}] if kind == "layernorm" else []))
    gen.features[f"{kind}.{'map' if len(shape) == 3 else 'vector'}"] += 1
    return Piece({kind: opts} if opts or gen.chance(0.5) else kind, shape, [(kind, shape)])


def layernorm(gen, shape):
    return _norm(gen, shape, "layernorm")


def rmsnorm(gen, shape):
    return _norm(gen, shape, "rmsnorm")


def embedding(gen, shape):
    """Token ids only where the inputs are ids: not in random specs (their inputs are torch.randn)."""
    if len(shape) != 1 or getattr(gen, "random_inputs", False):
        return None
    opts = {"vocab": gen.rng.randint(1, 20), "dim": gen.rng.randint(1, 8)}
    if gen.chance(0.3):
        opts["padding_idx"] = gen.rng.randrange(opts["vocab"])
    gen.features["embedding"] += 1
    out = (shape[0], opts["dim"])
    return Piece({"embedding": opts}, out, [("embedding", out)])


LEAVES += [to_sequence, class_token, sequence_pool, positional_embedding, sinusoidal, rotary, layernorm, rmsnorm,
           embedding]

LEAVES += [rnn, lstm, gru, conv1d, maxpool1d, avgpool1d]  # on (L, F), or a map made a sequence and pooled back
LEAVES += [upsample, groupnorm, instancenorm]  # issue 13


# -- attention, swiglu, token types (tests/test_attention.py checks their values), on a map made a
# sequence by _on_sequence above
def _attention_entry(gen, seq):
    """Self-attention keeps (L, d); heads divide d, kv_heads divide heads."""
    heads = gen.rng.choice([h for h in (1, 2, 3, 4) if seq[1] % h == 0])
    opts = {"heads": heads}
    if gen.chance(0.3):
        opts["kv_heads"] = gen.rng.choice([k for k in range(1, heads + 1) if heads % k == 0])
    if gen.chance(0.3):
        opts["causal"] = True
    if gen.chance(0.2):
        opts["bias"] = False
    gen.features["attention"] += 1
    return {"attention": opts}


def attention(gen, shape):
    return _on_sequence(gen, shape, "attention", lambda seq: _attention_entry(gen, seq))


def swiglu(gen, shape):
    """Gated feed-forward per position (or on a vector): the shape is kept."""
    if len(shape) == 3:
        return _on_sequence(gen, shape, "swiglu", lambda seq: {"swiglu": {"hidden": gen.rng.randint(1, 12)}})
    if len(shape) != 1 or _skipped(gen):
        return None
    gen.features["swiglu"] += 1
    return Piece({"swiglu": {"hidden": gen.rng.randint(1, 12)}}, shape, [("swiglu", shape)])


def token_type_embedding(gen, shape):
    return _on_sequence(gen, shape, "token_type_embedding",
                        lambda seq: {"token_type_embedding": {"types": gen.rng.randint(1, 3)}})


LEAVES += [attention, swiglu, token_type_embedding]


def cross_attention(gen, shape):
    """[to_sequence named xmemN, cross_attention with: xmemN, sequence_pool] on a map: the memory is
    the sequence itself, so both input paths of the merge are exercised; (H, W, C) -> (C,)."""
    if len(shape) != 3 or _skipped(gen):
        return None
    h, w, c = shape
    seq = (h * w, c)
    heads = gen.rng.choice([n for n in (1, 2, 3) if c % n == 0])
    gen.features["cross_attention"] += 1
    name = f"xmem{gen.features['cross_attention']}"
    layers = [{"to_sequence": None, "name": name}, {"cross_attention": {"heads": heads}, "with": name},
              {"sequence_pool": {"mode": "mean"}}]
    return Piece({"sequential": layers}, (c,), [("to_sequence", seq), ("cross_attention", seq), ("sequence_pool", (c,))])


LEAVES += [cross_attention]
