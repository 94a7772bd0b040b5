"""The wiring of one attention: from its Softmax back to the scores' product, from Q, K and V back
to their projections (through whatever moves values around: Reshape, Transpose, Split, Slice,
Gather, Squeeze, Unsqueeze, Expand, a scale), and forward from A V to the output projection.

Only the wiring is checked here; what the moved values are (which heads, which rows of a packed
weight, the scale, a mask) is read from the values (onnx_attention_fit), so every exporter's way
of moving them is accepted alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from calc.interchange.onnx_graph import Unmappable, attrs

# one data input in, the same values (moved, repeated, cut or scaled by a constant) out
LAYOUT = ("Reshape", "Transpose", "Squeeze", "Unsqueeze", "Gather", "Split", "Slice", "Mul", "Div",
          "Expand", "Tile", "Identity", "Cast", "Dropout", "Flatten")
STEPS = ("Add", "Sub", "Mul", "Div", "Where", "Cast", "Identity")  # between the scores and the softmax
PASS = ("Identity", "Dropout", "Cast")  # between the softmax and A V
HOPS = 24


@dataclass
class Projection:
    """x @ W^T (+ b): W (out, in) as torch.nn.Linear keeps it, its data input, its nodes."""

    weight: object
    bias: object
    source: str
    nodes: list


class Wiring:
    """Who makes and who reads each tensor, and which tensors are data (computed from the input)."""

    def __init__(self, g, data: set):
        self.g, self.data = g, data
        self.producer = {t: n for n in g.model.graph.node for t in n.output if t}

    def data_inputs(self, node) -> list:
        return [t for t in node.input if t in self.data]

    def users(self, tensor: str) -> list:
        return [u for u in self.g.consumers.get(tensor, []) if u.op_type != "Shape"]

    def only_user(self, tensor: str, what: str):
        users = self.users(tensor)
        if len(users) != 1:
            raise Unmappable(f"{what}: read by {len(users)} nodes, not by one")
        return users[0]


def scores(w: Wiring, softmax):
    """(the product Q K^T, the element-wise nodes up to the softmax); None when the softmax does
    not follow a product of two computed tensors (a classifier's softmax, left to its own rule)."""
    chain, tensor = [], softmax.input[0]
    while (node := w.producer.get(tensor)) is not None and node.op_type in STEPS and len(chain) < 8:
        inputs = w.data_inputs(node)
        if len(inputs) != 1:
            if any(scores(w, SimpleNamespace(input=[t])) for t in inputs):  # Q K^T meets other data
                raise Unmappable(f"the scores meet another tensor computed from the input at {node.op_type} "
                                 "before the softmax (a padding mask?): nncalc's attention has no such mask")
            return None
        chain.append(node)
        tensor = inputs[0]
    product = w.producer.get(tensor)
    if product is None or product.op_type != "MatMul" or len(w.data_inputs(product)) != 2:
        return None
    return product, chain


def mixing(w: Wiring, softmax) -> tuple:
    """(the MatMul of the attention weights with V, the nodes between)."""
    taken, tensor = [], softmax.output[0]
    while (node := w.only_user(tensor, "the attention weights")).op_type in PASS:
        taken.append(node)
        tensor = node.output[0]
    if node.op_type != "MatMul" or node.input[0] != tensor:
        raise Unmappable("the attention weights are not multiplied by V from the left")
    return node, taken


def _linear(w: Wiring, node):
    """(W (out, in), its data input) when ``node`` is a MatMul or Gemm by a stored 2-D weight."""
    consts = w.g.consts
    if node.op_type == "MatMul" and node.input[1] in consts and node.input[0] in w.data:
        weight = consts[node.input[1]]
        return (weight.T, node.input[0]) if weight.ndim == 2 else None
    if node.op_type == "Gemm" and node.input[1] in consts and node.input[0] in w.data:
        a = attrs(node)
        if a.get("transA", 0) or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
            return None
        weight = consts[node.input[1]]
        return (weight if a.get("transB", 0) else weight.T), node.input[0]
    return None


def _bias(w: Wiring, node, width: int):
    """The stored vector of an Add of a bias (one value per output), or None."""
    const = [t for t in node.input if t in w.g.consts]
    if node.op_type != "Add" or len(const) != 1 or len(w.data_inputs(node)) != 1:
        return None
    value = w.g.consts[const[0]]
    return value.reshape(-1) if value.size == width and max(value.shape, default=1) == width else None


def projection_back(w: Wiring, tensor: str, what: str) -> tuple:
    """(the projection making ``tensor``, whether an Add of two terms computed from one tensor lies
    between: q * cos + rotate_half(q) * sin, a rotary embedding, which the values then check)."""
    mixed = False
    for _ in range(HOPS):
        node = w.producer.get(tensor)
        if node is None:
            break
        found = _projection_at(w, node)
        if found is not None:
            return found, mixed
        inputs = w.data_inputs(node)
        if node.op_type == "Add" and len(inputs) == 2 and not mixed and (common := _common(w, inputs)):
            mixed, tensor = True, common
            continue
        if node.op_type not in LAYOUT or len(inputs) != 1:
            raise Unmappable(f"{what} is not a projection of the input (found {node.op_type})")
        tensor = inputs[0]
    raise Unmappable(f"{what} is not a projection (x @ W + b with a stored W) of the input")


def _common(w: Wiring, tensors: list):
    """The nearest tensor both ``tensors`` are computed from, within a few nodes, or None."""
    def above(tensor):
        order, todo = [], [tensor]
        while todo and len(order) < HOPS:
            t = todo.pop(0)
            order.append(t)
            node = w.producer.get(t)
            todo += w.data_inputs(node) if node is not None and node.op_type not in ("MatMul", "Gemm") else []
        return order

    second = set(above(tensors[1]))
    return next((t for t in above(tensors[0]) if t in second), None)


def _projection_at(w: Wiring, node):
    bias_node, bias = None, None
    if node.op_type == "Add":
        inner = w.producer.get(w.data_inputs(node)[0]) if len(w.data_inputs(node)) == 1 else None
        linear = _linear(w, inner) if inner is not None else None
        if linear is None or (bias := _bias(w, node, linear[0].shape[0])) is None:
            return None
        bias_node, node = node, inner
    linear = _linear(w, node)
    if linear is None:
        return None
    if node.op_type == "Gemm" and len(node.input) > 2 and node.input[2]:
        bias = w.g.consts.get(node.input[2])
        if bias is None or bias.size != linear[0].shape[0]:
            return None
        bias = bias.reshape(-1)
    return Projection(linear[0], bias, linear[1], [node] + ([bias_node] if bias_node else []))


def source_back(w: Wiring, tensor: str, shape: tuple, values: dict) -> tuple:
    """(the sequence (N, L, features) a projection reads, the layout nodes between): torch's
    nn.MultiheadAttention with batch_first reads x transposed to (L, N, d)."""
    taken = []
    while tuple(values[tensor].shape) != shape and len(taken) < 4:
        node = w.producer.get(tensor)
        if node is None or node.op_type not in ("Transpose", "Reshape", "Identity") or len(w.data_inputs(node)) != 1:
            break
        taken.append(node)
        tensor = w.data_inputs(node)[0]
    if tuple(values[tensor].shape) != shape:
        raise Unmappable(f"the projections do not read a sequence (N, L, features) {shape[1:]}")
    return tensor, taken


def output_forward(w: Wiring, tensor: str, shape: tuple, values: dict) -> tuple:
    """(the output projection after A V, the layout nodes on the way, the tensor that ends the
    attention: the projection's output back in the input's (N, L, d) layout)."""
    taken = []
    for _ in range(HOPS):
        node = w.only_user(tensor, "the heads' output")
        if _linear(w, node) is not None:
            break
        if node.op_type not in LAYOUT:
            raise Unmappable(f"the heads' output meets {node.op_type} before an output projection")
        taken.append(node)
        tensor = node.output[0]
    else:
        raise Unmappable("no output projection after the heads")
    weight, _ = _linear(w, node)
    nodes, end, bias = [node], node.output[0], None
    users = w.users(end)
    if len(users) == 1 and (bias := _bias(w, users[0], weight.shape[0])) is not None:
        nodes.append(users[0])
        end = users[0].output[0]
    elif node.op_type == "Gemm" and len(node.input) > 2 and node.input[2]:
        bias = w.g.consts[node.input[2]].reshape(-1)
    while tuple(values[end].shape) != shape and len(nodes) < 6:
        after = w.only_user(end, "the output projection")
        if after.op_type not in ("Transpose", "Reshape", "Identity"):
            break
        nodes.append(after)
        end = after.output[0]
    if tuple(values[end].shape) != shape:
        raise Unmappable(f"the output projection does not give back a sequence {shape[1:]}")
    return Projection(weight, bias, tensor, nodes), taken, end
