"""ONNX LSTM, GRU and RNN as nncalc's lstm, gru and rnn layers, and the transposes around them.

torch exports nn.LSTM(batch_first=True) as Transpose (N, L, F) -> (L, N, F), one LSTM node per
stacked layer (output Y of shape (L, dirs, N, H)), a Transpose and Reshape (or a Squeeze) back to
(L, N, dirs*H), and a last Transpose to (N, L, ...). nncalc holds every one of these as the same
(L, features) sequence, so they are aliases; the set each tensor is in (time_major,
recurrent_y) says which layout ONNX has it in.

ONNX stacks the gates i, o, f, c (LSTM) and z, r, h (GRU); PyTorch and nncalc i, f, g, o and
r, z, n: the weight rows are reordered here. B holds Wb then Rb: nncalc's bias_ih and bias_hh.
"""

from __future__ import annotations

from calc.interchange.onnx_graph import Graph, Unmappable, attrs
from calc.interchange.onnx_ops_conv import _data

KINDS = {  # operator -> (nncalc kind, gates, ONNX gate blocks in PyTorch's order, default activations)
    "LSTM": ("lstm", 4, (0, 2, 3, 1), ["Sigmoid", "Tanh", "Tanh"]),
    "GRU": ("gru", 3, (1, 0, 2), ["Sigmoid", "Tanh"]),
    "RNN": ("rnn", 1, (0,), ["Tanh"]),
}
ZERO_PATH = ("Slice", "Expand", "Reshape", "Unsqueeze", "Squeeze", "Identity", "Cast")


def _producers(g: Graph) -> dict:
    if not hasattr(g, "_producers"):
        nodes = {id(n): n for users in g.consumers.values() for n in users}
        g._producers = {out: n for n in nodes.values() for out in n.output}
    return g._producers


def _zeros(g: Graph, tensor: str) -> bool:
    """Whether ``tensor`` is all zeros: stored, or torch's ConstantOfShape(0) of the batch's size
    (a shape read from the data, so not folded) through slices and reshapes."""
    import numpy as np

    if tensor in g.consts:
        return not np.any(g.consts[tensor])
    node = _producers(g).get(tensor)
    if node is None:
        return False
    if node.op_type in ZERO_PATH:
        return _zeros(g, node.input[0])
    value = attrs(node).get("value")
    return node.op_type == "ConstantOfShape" and (value is None or not np.any(_tensor(value)))


def _tensor(value):
    from onnx import numpy_helper

    return numpy_helper.to_array(value)


def _activations(a: dict) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in a.get("activations", [])]


def _check(g: Graph, node, a: dict, defaults: list) -> None:
    """What nncalc's layers cannot express, refused in one line."""
    inputs = list(node.input) + [""] * 8
    if inputs[4]:
        raise Unmappable("a sequence_lens input (packed sequences) is not mapped")
    if any(t and not _zeros(g, t) for t in inputs[5:7]):
        raise Unmappable("a non-zero initial state is not mapped (nncalc's layers start from zero)")
    if node.op_type == "LSTM" and inputs[7] and not _zeros(g, inputs[7]):
        raise Unmappable("peephole weights are not mapped")
    if "clip" in a or int(a.get("input_forget", 0)) or "activation_alpha" in a or "activation_beta" in a:
        raise Unmappable("clip, input_forget and activation parameters are not mapped")
    if a.get("direction", "forward") not in ("forward", "bidirectional"):
        raise Unmappable("a reverse-only direction is not mapped")
    if node.op_type == "GRU" and not int(a.get("linear_before_reset", 0)):
        raise Unmappable("only linear_before_reset 1 maps (PyTorch's GRU)")
    acts = _activations(a)
    dirs = 2 if a.get("direction") == "bidirectional" else 1
    if acts and acts != defaults * dirs and not (node.op_type == "RNN" and acts == ["Relu"] * dirs):
        raise Unmappable(f"activations {acts} are not mapped")
    if any(g.consumers.get(t) for t in node.output[1:] if t):
        raise Unmappable("its final states (Y_h, Y_c) are read; nncalc's layer gives the sequence "
                         "(take output[:, -1] instead)")


def _reorder(matrix, gates: int, order: tuple):
    """ONNX's gate blocks stacked in PyTorch's order."""
    import numpy as np

    blocks = np.split(np.asarray(matrix), gates, axis=0)
    return np.concatenate([blocks[i] for i in order], axis=0)


def recurrent(g: Graph, node) -> None:
    """LSTM / GRU / RNN on a time-major (L, N, F) input (layout 0) or (N, L, F) (layout 1)."""
    kind, gates, order, defaults = KINDS[node.op_type]
    a = attrs(node)
    x = node.input[0]
    if (x in g.time_major) != (int(a.get("layout", 0)) == 0) or x in g.channels_first:
        raise Unmappable("its input is not a sequence in the layout the node reads")
    _check(g, node, a, defaults)
    w, r = g.const(node, 1, "W"), g.const(node, 2, "R")
    b = g.const(node, 3, "B") if len(node.input) > 3 and node.input[3] else None
    hidden = int(r.shape[-1])
    params = {}
    for d in range(w.shape[0]):
        sfx = "_l0" + ("_reverse" if d else "")
        params["weight_ih" + sfx] = _reorder(w[d], gates, order)
        params["weight_hh" + sfx] = _reorder(r[d], gates, order)
        if b is not None:
            params["bias_ih" + sfx] = _reorder(b[d][:gates * hidden], gates, order)
            params["bias_hh" + sfx] = _reorder(b[d][gates * hidden:], gates, order)
    opts = {"hidden": hidden}
    if w.shape[0] == 2:
        opts["bidirectional"] = True
    if b is None:
        opts["bias"] = False
    if "Relu" in _activations(a):
        opts["nonlinearity"] = "relu"
    g.emit(node, kind, opts, _data(g, node), params)
    (g.recurrent_y if int(a.get("layout", 0)) == 0 else g.flat).add(node.output[0])


def transpose(g: Graph, node) -> None:
    """Transposes that only change how ONNX lays out what nncalc holds as (L, features): batch
    and time swapped around a recurrent node, (N, L, F) <-> (N, C, L) around a Conv1d, and the
    (L, dirs, N, H) -> (L, N, dirs, H) of a recurrent output."""
    x, out = node.input[0], node.output[0]
    perm = [int(p) for p in attrs(node).get("perm", [])]
    time, first = x in g.time_major, x in g.channels_first
    if perm == [1, 0, 2] and not first:
        g.alias(node, x)
        (g.time_major.discard if time else g.time_major.add)(out)
    elif perm == [0, 2, 1] and not time:
        g.alias(node, x)
        (g.channels_first.discard if first else g.channels_first.add)(out)
    elif perm == [0, 2, 1, 3] and x in g.recurrent_y:
        g.alias(node, x)
        g.recurrent_yt.add(out)
    else:
        raise Unmappable(f"a Transpose {perm} that moves data nncalc holds in its own layout is not mapped")


def merge_directions(g: Graph, node) -> bool:
    """The Reshape (L, N, dirs, H) -> (L, N, dirs*H) or Squeeze (L, 1, N, H) -> (L, N, H) after a
    recurrent node: nothing in nncalc. False when ``node`` is not one."""
    x, dims = node.input[0], g.shapes.get(node.output[0])
    if x in g.recurrent_yt and node.op_type == "Reshape" or x in g.recurrent_y and node.op_type == "Squeeze":
        if dims is not None and len(dims) != 3:
            raise Unmappable(f"only a {node.op_type} of a recurrent output to (L, N, features) maps")
        g.alias(node, x)
        g.time_major.add(node.output[0])
        return True
    return False


RULES = {"LSTM": recurrent, "GRU": recurrent, "RNN": recurrent, "Transpose": transpose}
