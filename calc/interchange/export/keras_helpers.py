"""The weight loader written into a Keras export: ``load_nncalc_weights(model, weights)`` copies
nncalc's weights (PyTorch layouts: an .npz from `nncalc train --save` or {layer: {param: array}})
into the model with ``set_weights``, converting each layout to Keras' (kernels transposed, GRU
gates reordered, attention projections split by head). ``weight_table`` is the per-layer table
it reads: nncalc layer -> (how to convert, nncalc parameter names)."""

from __future__ import annotations

RECIPES = {"conv": "conv", "conv1d": "conv1d", "dense": "dense", "batchnorm": "norm", "groupnorm": "norm",
           "layernorm": "norm", "embedding": "embedding", "lstm": "recurrent", "rnn": "recurrent",
           "gru": "gru", "attention": "attention"}


def weight_table(network) -> list[str]:
    """The NNCALC_WEIGHTS lines: one entry per leaf holding weights, in nncalc's order."""
    lines = ["# nncalc layer -> (how its weights become Keras', nncalc's names)", "NNCALC_WEIGHTS = {"]
    for leaf in network.leaves():
        names = [*leaf.param_shapes(), *leaf.buffer_shapes()]
        if names:
            lines.append(f"    {leaf.name!r}: ({RECIPES[leaf.kind]!r}, {tuple(names)!r}),")
    return [*lines, "}"]


LOADER = '''

def _gru_gates(a):
    """PyTorch's GRU gates (r, z, n) in Keras' order (z, r, h)."""
    r, z, n = np.split(a, 3, axis=0)
    return np.concatenate([z, r, n], axis=0)


def _recurrent(p, gru):
    """kernel (in, gates*H), recurrent kernel (H, gates*H), bias; a
    Bidirectional layer holds the forward weights, then the backward ones."""
    fix = _gru_gates if gru else (lambda a: a)
    out = []
    reverse = any(k.endswith("_reverse") for k in p)
    for sfx in ("_l0", "_l0_reverse") if reverse else ("_l0",):
        out += [fix(p["weight_ih" + sfx]).T, fix(p["weight_hh" + sfx]).T]
        if "bias" + sfx in p:
            out.append(fix(p["bias" + sfx]))
        elif "bias_ih" + sfx in p:  # GRU reset_after: input, recurrent
            out.append(np.stack([fix(p["bias_ih" + sfx]),
                                 fix(p["bias_hh" + sfx])]))
    return out


def _attention(p, layer):
    """MultiHeadAttention: q/k/v kernels (d, heads, head_dim), biases
    (heads, head_dim), output kernel (heads, head_dim, d), bias (d,)."""
    heads, dim = layer.num_heads, layer.key_dim
    out = []
    for name in ("q", "k", "v", "o"):
        w = p[name + "_weight"]
        if name == "o":
            out.append(w.T.reshape(heads, dim, w.shape[0]))
        else:
            out.append(w.T.reshape(w.shape[1], heads, dim))
        if name + "_bias" in p:
            b = p[name + "_bias"]
            out.append(b if name == "o" else b.reshape(heads, dim))
    return out


def _keras_arrays(recipe, p, layer):
    bias = [p["bias"]] if "bias" in p else []
    if recipe == "conv":  # O, I/groups, kh, kw -> kh, kw, I/groups, O
        return [p["weight"].transpose(2, 3, 1, 0), *bias]
    if recipe == "conv1d":
        return [p["weight"].transpose(2, 1, 0), *bias]
    if recipe == "dense":
        return [p["weight"].T, *bias]
    if recipe == "norm":  # gamma, beta, then moving mean and variance
        names = ("weight", "bias", "running_mean", "running_var")
        return [p[k] for k in names if k in p]
    if recipe == "embedding":
        return [p["weight"]]
    if recipe == "attention":
        return _attention(p, layer)
    return _recurrent(p, recipe == "gru")


def load_nncalc_weights(model, weights):
    """Copy nncalc's weights (PyTorch layouts) into the model: an .npz
    path from `nncalc train --save` (keys 'layer.param') or a dict
    {layer: {param: array}}."""
    if isinstance(weights, str):
        weights = dict(np.load(weights))
    flat = {}
    for key, value in weights.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{name}": v for name, v in value.items()})
        else:
            flat[key] = value
    wanted = [f"{layer}.{name}" for layer, (_, names)
              in NNCALC_WEIGHTS.items() for name in names]
    missing = [key for key in wanted if key not in flat]
    if missing:
        raise KeyError(f"no nncalc weights for {', '.join(missing)}")
    for name, (recipe, names) in NNCALC_WEIGHTS.items():
        layer = model.get_layer(name)
        p = {k: np.asarray(flat[f"{name}.{k}"]) for k in names}
        arrays = _keras_arrays(recipe, p, layer)
        layer.set_weights([np.asarray(a, dtype="float32") for a in arrays])
'''
