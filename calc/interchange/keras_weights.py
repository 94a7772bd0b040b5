"""The weights inside a .keras file (its model.weights.h5), read with h5py when it is installed
(optional: without it the spec is written all the same and one line says why the weights were not).

Keras 3 stores each layer's variables under ``layers/<name>/vars/<i>``, where the name is the
layer's class in snake case made unique in the order of the model's layers (``dense``,
``dense_1``), not the layer's own name; the variables keep their creation order (kernel, bias).
Keras' layouts become the PyTorch layouts nncalc's layers hold (calc/engine/weights.py): a dense
kernel (in, out) is transposed, a conv kernel (kh, kw, in, out) becomes (out, in, kh, kw).
"""

from __future__ import annotations

import re

from calc.errors import InputError, Where
from calc.files import DATA_LIMIT
from calc.interchange.keras_config import is_archive

MEMBER = "model.weights.h5"


def snake_case(name: str) -> str:
    """keras.src.utils.naming.to_snake_case: the key a layer's variables are saved under."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _dense(v: list, c: dict) -> dict:
    return {"weight": v[0].T, **({"bias": v[1]} if len(v) > 1 else {})}


def _conv(v: list, c: dict) -> dict:
    """(kh, kw, in, out) -> (out, in, kh, kw); a transposed conv's (kh, kw, out, in) -> PyTorch's
    (in, out, kh, kw) by the same transpose."""
    return {"weight": v[0].transpose(3, 2, 0, 1), **({"bias": v[1]} if len(v) > 1 else {})}


def _depthwise_kernel(kernel):
    """(kh, kw, cin, multiplier) -> (cin * multiplier, 1, kh, kw): Keras' output channel c * m + j
    is the grouped conv's filter of that index."""
    kh, kw = kernel.shape[:2]
    return kernel.reshape(kh, kw, -1).transpose(2, 0, 1)[:, None]


def _depthwise(v: list, c: dict) -> dict:
    return {"weight": _depthwise_kernel(v[0]), **({"bias": v[1]} if len(v) > 1 else {})}


def _separable(v: list, c: dict) -> list:
    """The depthwise entry (no bias) and the 1 x 1 entry holding the layer's bias."""
    pointwise = {"weight": v[1].transpose(3, 2, 0, 1), **({"bias": v[2]} if len(v) > 2 else {})}
    return [{"weight": _depthwise_kernel(v[0])}, pointwise]


def _conv1d(v: list, c: dict) -> dict:
    return {"weight": v[0].transpose(2, 1, 0), **({"bias": v[1]} if len(v) > 1 else {})}


def _attention(v: list, c: dict) -> dict:
    """MultiHeadAttention's four EinsumDense kernels, read in h5py's name order (key_dense,
    output_dense, query_dense, value_dense): (d, heads, key_dim) -> (heads * key_dim, d), the
    output's (heads, key_dim, d) -> (d, heads * key_dim), per-head biases flattened head-major."""
    step = 2 if len(v) == 8 else 1
    k, o, q, val = (v[i * step: (i + 1) * step] for i in range(4))
    out = {}
    for name, group in (("q", q), ("k", k), ("v", val)):
        out[f"{name}_weight"] = group[0].reshape(group[0].shape[0], -1).T
        if step == 2:
            out[f"{name}_bias"] = group[1].reshape(-1)
    out["o_weight"] = o[0].reshape(-1, o[0].shape[-1]).T
    return {**out, **({"o_bias": o[1]} if step == 2 else {})}


def _cell(v: list, c: dict, kind: str, sfx: str) -> dict:
    """One direction of a Keras LSTM / GRU / SimpleRNN: kernel (in, G*H), recurrent kernel (H, G*H)
    and bias as nncalc's PyTorch-shaped (G*H, in), (G*H, H). LSTM gates are i, f, c, o in both;
    Keras' GRU stacks z, r, h where PyTorch stacks r, z, n, and with reset_after its bias is
    (2, 3H): the input bias, then the recurrent one."""
    import numpy as np

    order = np.arange(v[0].shape[1])
    if kind == "GRU":
        order = np.concatenate(np.split(order, 3)[1::-1] + [np.split(order, 3)[2]])
    out = {f"weight_ih{sfx}": v[0][:, order].T, f"weight_hh{sfx}": v[1][:, order].T}
    if len(v) > 2 and v[2].ndim == 2:
        out.update({f"bias_ih{sfx}": v[2][0][order], f"bias_hh{sfx}": v[2][1][order]})
    elif len(v) > 2:
        out[f"bias{sfx}"] = v[2][order]
    return out


def _recurrent(kind: str):
    return lambda v, c: _cell(v, c, kind, "_l0")


def _bidirectional(v: list, c: dict) -> dict:
    """The two directions, read in h5py's name order: backward_layer, then forward_layer."""
    kind = (c.get("layer") or {}).get("class_name")
    half = len(v) // 2
    return {**_cell(v[half:], c, kind, "_l0"), **_cell(v[:half], c, kind, "_l0_reverse")}


def _batchnorm(v: list, c: dict) -> dict:
    stats = {"running_mean": v[-2], "running_var": v[-1]}
    return {"weight": v[0], "bias": v[1], **stats} if len(v) == 4 else stats


def _prelu(alpha):
    """Keras' alpha is the input's shape with 1 on the shared axes: nncalc's per-channel (C,)
    when only the channels are left, else the per-element shape as it is."""
    return alpha.reshape(-1) if all(d == 1 for d in alpha.shape[:-1]) and alpha.ndim > 1 else alpha


def _layernorm(v: list, c: dict) -> dict:
    return {"weight": v[0], "bias": v[1]}


RULES = {"Dense": _dense, "TimeDistributed": _dense, "Conv2D": _conv, "Conv2DTranspose": _conv, "DepthwiseConv2D": _depthwise,
         "SeparableConv2D": _separable, "Conv1D": _conv1d, "BatchNormalization": _batchnorm,
         "LayerNormalization": _layernorm, "GroupNormalization": _layernorm, "MultiHeadAttention": _attention,
         "LSTM": _recurrent("LSTM"), "GRU": _recurrent("GRU"), "SimpleRNN": _recurrent("SimpleRNN"),
         "Bidirectional": _bidirectional, "PReLU": lambda v, c: {"weight": _prelu(v[0])}, "Embedding": lambda v, c: {"weight": v[0]}}


def read_variables(path: str) -> tuple[dict | None, str]:
    """({layer key: [arrays]}, "") from a .keras archive, or (None, why the weights were not read)."""
    import zipfile

    if not is_archive(path):
        return None, "weights: none read (a Keras config .json holds no weights)"
    try:
        import h5py
    except ImportError:
        return None, "weights: not read (reading model.weights.h5 needs h5py: pip install h5py)"
    with zipfile.ZipFile(path) as archive:
        if MEMBER not in archive.namelist():
            return None, f"weights: none read (the archive has no {MEMBER})"
        info = archive.getinfo(MEMBER)
        if info.file_size > DATA_LIMIT:
            raise InputError(f"{MEMBER} in the archive is over the size limit for weights", Where(path))
        data = archive.read(info)
    return _groups(h5py, data, path), ""


def _groups(h5py, data: bytes, path: str) -> dict:
    import io

    import numpy as np

    def arrays(group) -> list:
        """The layer's own vars in order; else any held deeper (an LSTM's cell/vars), so that a
        layer whose variables are not mapped here is never passed over as having none."""
        own = group.get("vars", {})
        if len(own):
            return [np.asarray(own[str(i)][()], dtype=np.float64) for i in range(len(own))]
        deeper = []
        group.visititems(lambda name, item: deeper.append(np.asarray(item[()])) if isinstance(item, h5py.Dataset)
                         else None)
        return deeper

    try:
        with h5py.File(io.BytesIO(data), "r") as f:
            layers = f.get("layers", {})
            return {key: arrays(layers[key]) for key in layers}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{MEMBER} cannot be read: {str(exc)[:80]}", Where(path)) from None


def keras_arrays(layers: list, variables: dict) -> tuple[dict, str]:
    """The arrays keyed 'entry.param' of every mapped layer with variables, from ``layers`` (Keras
    class, config, the entries it became, the first holding its weights; every layer of the model in order); or ({}, why
    not) when a layer's variables have no mapping here."""
    used: dict[str, int] = {}
    out = {}
    for kind, config, entries in layers:
        key = snake_case(kind)
        used[key] = used.get(key, -1) + 1
        key = f"{key}_{used[key]}" if used[key] else key
        found = variables.get(key) or []
        if not found:
            continue
        rule = RULES.get(kind)
        if rule is None or not entries:
            name = str(config.get("name", kind))[:40]
            return {}, f"weights: not read (the variables of '{name}' ({kind}) are not mapped to nncalc's)"
        try:
            held = rule(found, config)
            for entry, params in zip(entries, held if isinstance(held, list) else [held]):
                out.update({f"{entry}.{param}": array for param, array in params.items()})
        except (IndexError, ValueError):  # fewer variables than the layer's options imply
            name = str(config.get("name", kind))[:40]
            return {}, f"weights: not read (the variables of '{name}' ({kind}) do not fit its config)"
    return out, ""
