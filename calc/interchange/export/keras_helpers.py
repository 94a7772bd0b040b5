"""The weight loader written into a Keras export: ``load_nncalc_weights(model, weights)`` copies
nncalc's weights (PyTorch layouts: an .npz from `nncalc train --save` or {layer: {param: array}})
into the model with ``set_weights``, converting each layout to Keras' (kernels transposed, GRU
gates reordered, then reshaped to the Keras weight: attention projections split by head). ``weight_table`` is the per-layer table
it reads: nncalc layer -> (how to convert, nncalc parameter names)."""

from __future__ import annotations

RECIPES = {"conv": "conv", "conv1d": "conv1d", "conv_transpose": "deconv", "dense": "dense", "batchnorm": "plain",
           "groupnorm": "plain", "instancenorm": "plain", "layernorm": "plain", "rmsnorm": "plain", "prelu": "plain",
           "embedding": "plain", "positional_embedding": "plain", "token_type_embedding": "plain",
           "class_token": "plain", "lstm": "recurrent", "rnn": "recurrent", "gru": "gru", "attention": "linears",
           "cross_attention": "linears", "swiglu": "linears"}


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


def _recurrent(p, gru, k):
    """Stacked layer k: kernel (in, gates*H), recurrent kernel (H, gates*H),
    bias; a Bidirectional layer holds the forward weights, then the backward
    ones. PyTorch's two biases: stacked (2, gates*H) for a Keras GRU
    (reset_after), one after the other for the file's TorchCell."""
    fix = _gru_gates if gru else (lambda a: a)
    out = []
    for sfx in (f"_l{k}", f"_l{k}_reverse"):
        if "weight_ih" + sfx not in p:
            continue
        out += [fix(p["weight_ih" + sfx]).T, fix(p["weight_hh" + sfx]).T]
        if "bias" + sfx in p:
            out.append(fix(p["bias" + sfx]))
        elif "bias_ih" + sfx in p:
            biases = [fix(p["bias_ih" + sfx]), fix(p["bias_hh" + sfx])]
            out += [np.stack(biases)] if gru else biases
    return out


def _deconv(p, groups):
    """(I, O/g, kh, kw) -> (kh, kw, O/g, I); a GroupedConvTranspose holds
    each group's kernel (kh, kw, O/g, I/g), then its bias."""
    kernels = np.split(p["weight"].transpose(2, 3, 1, 0), groups, axis=3)
    biases = np.split(p["bias"], groups) if "bias" in p else [None] * groups
    pairs = zip(kernels, biases)
    return [a for k, b in pairs for a in (k, b) if a is not None]


def _keras_arrays(recipe, p, layer):
    """nncalc's arrays of one layer in the Keras layer's order of weights."""
    bias = [p["bias"]] if "bias" in p else []
    if recipe == "conv":  # (O, I/g, kh, kw) -> (kh, kw, I/g, O)
        return [p["weight"].transpose(2, 3, 1, 0), *bias]
    if recipe == "deconv":
        return _deconv(p, getattr(layer, "groups", 1))
    if recipe == "conv1d":
        return [p["weight"].transpose(2, 1, 0), *bias]
    if recipe == "dense":
        return [p["weight"].T, *bias]
    if recipe == "linears":  # q, k, v, o (gate, up, down): Linear weights
        return [a.T if key.endswith("weight") else a for key, a in p.items()]
    return list(p.values())  # norms (gamma, beta, moving mean, var), tables


def _set(layer, arrays):
    """Each array reshaped to the Keras weight it fills (attention's q
    kernel (d, heads * head_dim) -> (d, heads, head_dim), PReLU's slopes)."""
    have = layer.get_weights()
    if len(have) != len(arrays):
        raise ValueError(f"{layer.name}: {len(arrays)} arrays for "
                         f"{len(have)} Keras weights")
    layer.set_weights([np.asarray(a, dtype="float32").reshape(w.shape)
                       for a, w in zip(arrays, have)])


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
        p = {k: np.asarray(flat[f"{name}.{k}"]) for k in names}
        if recipe not in ("recurrent", "gru"):
            layer = model.get_layer(name.replace("/", "_"))
            _set(layer, _keras_arrays(recipe, p, layer))
            continue
        count = sum(k.startswith("weight_ih_l") and "_reverse" not in k
                    for k in p)  # stacked layers: NAME_l0, NAME_l1, ...
        for k in range(count):
            target = (name if count == 1 else f"{name}_l{k}").replace("/", "_")
            _set(model.get_layer(target), _recurrent(p, recipe == "gru", k))
'''
