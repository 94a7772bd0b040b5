"""Self-attention written in plain torch, read back from its ONNX graph as one `attention` layer.

torch.onnx.export leaves no attention operator: Q, K, V projections (MatMul + Add), a Reshape
to (N, L, heads, head_dim) and a Transpose each, Q K^T (MatMul), a Div by sqrt(head_dim) or a Mul
by its inverse, Softmax, A V (MatMul), the Transpose and Reshape back, the output projection.
The match starts at each Softmax fed, through the scale, by a product of two computed tensors
(a classifier's softmax is left to its own rule); a Softmax that starts such a product but does
not fit the pattern is refused in one line rather than mapped to something else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from calc.interchange.onnx_graph import Graph, Unmappable, attrs

HEADS_PERM, KEYS_PERM = [0, 2, 1, 3], [0, 2, 3, 1]
STEPS = ("Add", "Sub", "Mul", "Div", "Where", "Cast")  # element-wise steps between scores and softmax


@dataclass
class Site:
    """One matched attention: its input tensor, options and weights, the nodes it takes in."""

    softmax: object
    last: object
    source: str
    opts: dict
    params: dict
    nodes: list = field(default_factory=list)

    def emit(self, g: Graph) -> None:
        if not g.is_data(self.source):
            raise Unmappable("the attention's input is not computed from the model's input")
        naming = SimpleNamespace(name=self.softmax.name, op_type="Softmax", output=[self.last.output[0]])
        g.emit(naming, "attention", self.opts, [self.source], self.params)


class _Match:
    def __init__(self, g: Graph, nodes):
        self.g = g
        self.producer = {t: n for n in nodes for t in n.output}
        self.taken: list = []

    def make(self, tensor: str, *ops: str):
        node = self.producer.get(tensor)
        if node is None or node.op_type not in ops:
            found = "the input" if node is None else node.op_type
            raise Unmappable(f"expected {' or '.join(ops)} where {found} makes '{tensor[:40]}'")
        self.taken.append(node)
        return node

    def only_user(self, tensor: str, op: str):
        users = self.g.consumers.get(tensor, [])
        if len(users) != 1 or users[0].op_type != op:
            raise Unmappable(f"expected '{tensor[:40]}' to feed one {op} only")
        self.taken.append(users[0])
        return users[0]

    def transposed(self, tensor: str) -> tuple[list, str]:
        """The Transposes back from ``tensor`` composed into one permutation, and their input."""
        perm = [0, 1, 2, 3]
        while (node := self.producer.get(tensor)) is not None and node.op_type == "Transpose":
            self.taken.append(node)
            perm = [list(attrs(node).get("perm", [3, 2, 1, 0]))[i] for i in perm]
            tensor = node.input[0]
        return perm, tensor

    def dims(self, tensor: str) -> list:
        """A Reshape's target as far as it is constant (None for a size read from the data)."""
        if tensor in self.g.consts:
            return [int(v) for v in self.g.consts[tensor].reshape(-1)]
        node = self.producer.get(tensor)
        if node is None or node.op_type != "Concat":
            return []
        out = []
        for t in node.input:
            inner = self.producer.get(t)
            if t in self.g.consts:
                out += [int(v) for v in self.g.consts[t].reshape(-1)]
            elif inner is not None and inner.op_type == "Unsqueeze" and inner.input[0] in self.g.consts:
                out.append(int(self.g.consts[inner.input[0]].reshape(-1)[0]))
            else:
                out.append(None)
        return out

    def heads_of(self, tensor: str, perm: list, what: str):
        """(projection tensor, heads, head_dim) of Q, K or V split into heads."""
        got, tensor = self.transposed(tensor)
        if got != perm:
            raise Unmappable(f"{what} is not split into heads by a transpose {perm} (got {got})")
        reshape = self.make(tensor, "Reshape")
        shape = self.dims(reshape.input[1])
        if len(shape) != 4 or shape[2] is None or shape[3] is None or shape[2] < 1 or shape[3] < 1:
            raise Unmappable(f"{what} is not reshaped to (N, L, heads, head_dim) with constant heads (got {shape})")
        return reshape.input[0], shape[2], shape[3]

    def projection(self, tensor: str, what: str):
        """(input tensor, weight (out, in), bias or None) of x @ W (+ b)."""
        node = self.make(tensor, "Add", "MatMul")
        bias = None
        if node.op_type == "Add":
            const = [t for t in node.input if t in self.g.consts]
            if len(const) != 1:
                raise Unmappable(f"the {what} projection's bias is not a stored constant")
            bias = self.g.consts[const[0]].reshape(-1)
            node = self.make(next(t for t in node.input if t not in self.g.consts), "MatMul")
        weight = self.g.consts.get(node.input[1])
        if weight is None or weight.ndim != 2 or node.input[0] in self.g.consts:
            raise Unmappable(f"the {what} projection is not x @ W with a stored 2-D W")
        if bias is not None and bias.size != weight.shape[1]:
            raise Unmappable(f"the {what} projection's bias is not one value per output")
        return node.input[0], weight.T, bias


def _scores(g: Graph, m: _Match, softmax):
    """(scores MatMul, scale node) feeding ``softmax``; None when no product of two computed
    tensors is within a few element-wise steps of it (no attention's softmax); Unmappable when
    something besides one scale (a mask, a bias) lies between them."""
    chain, tensor = [], softmax.input[0]
    while (node := m.producer.get(tensor)) is not None and node.op_type in STEPS and len(chain) < 4:
        chain.append(node)
        data = [t for t in node.input if t and t not in g.consts]
        if not data:
            return None
        tensor = data[0]
    product = m.producer.get(tensor)
    if product is None or product.op_type != "MatMul" or any(t in g.consts for t in product.input):
        return None
    if len(chain) > 1 or (chain and (chain[0].op_type not in ("Div", "Mul")
                                     or sum(t in g.consts for t in chain[0].input) != 1)):
        ops = ", ".join(n.op_type for n in reversed(chain))
        raise Unmappable(f"the scores pass through {ops} before the softmax (a mask?); only one scale "
                         "by 1/sqrt(head_dim) maps")
    return product, (chain[0] if chain else None)


def _check_scale(g: Graph, scale, head_dim: int) -> None:
    if scale is None:
        raise Unmappable("the scores are not scaled by 1/sqrt(head_dim) (no Div or Mul before Softmax)")
    value = [g.consts[t] for t in scale.input if t in g.consts][0]
    if value.size != 1:
        raise Unmappable("the scores are scaled by a tensor, not one number")
    value = float(value.reshape(-1)[0])
    want = head_dim ** 0.5 if scale.op_type == "Div" else head_dim ** -0.5
    if abs(value - want) > 1e-6 * want:
        raise Unmappable(f"the scores are scaled by {scale.op_type} {value:.6g}, not by 1/sqrt({head_dim})")


def match(g: Graph, nodes, softmax) -> Site | None:
    """The attention around ``softmax``; None when it is no attention's, Unmappable when it is
    one that nncalc's `attention` layer cannot hold."""
    m = _Match(g, nodes)
    found = _scores(g, m, softmax)
    if found is None:
        return None
    product, scale = found
    m.taken += [product, softmax] + ([scale] if scale is not None else [])
    axis = int(attrs(softmax).get("axis", -1))
    if axis not in (-1, 3):
        raise Unmappable(f"the softmax is over axis {axis}, not over the keys")
    q_t, heads, head_dim = m.heads_of(product.input[0], HEADS_PERM, "Q")
    k_t, *k_split = m.heads_of(product.input[1], KEYS_PERM, "K (transposed)")
    mix = m.only_user(softmax.output[0], "MatMul")
    if mix.input[0] != softmax.output[0]:
        raise Unmappable("the attention weights are not multiplied by V from the left")
    v_t, *v_split = m.heads_of(mix.input[1], HEADS_PERM, "V")
    if k_split != [heads, head_dim] or v_split != [heads, head_dim]:
        raise Unmappable(f"Q, K, V are split differently ({heads}x{head_dim}, K {k_split}, V {v_split})")
    _check_scale(g, scale, head_dim)
    back = m.only_user(mix.output[0], "Transpose")
    if list(attrs(back).get("perm", [])) != HEADS_PERM:
        raise Unmappable("the heads are not put back by a transpose [0, 2, 1, 3]")
    merged = m.only_user(back.output[0], "Reshape")
    out = m.only_user(merged.output[0], "MatMul")
    last = out
    users = g.consumers.get(out.output[0], [])
    if len(users) == 1 and users[0].op_type == "Add" and any(t in g.consts for t in users[0].input):
        last = users[0]
        m.taken.append(last)
    return _site(g, m, softmax, last, heads, head_dim, [("q", q_t), ("k", k_t), ("v", v_t), ("o", last.output[0])])


def _site(g, m, softmax, last, heads, head_dim, tensors) -> Site:
    params, sources = {}, []
    for p, tensor in tensors:
        source, weight, bias = m.projection(tensor, p.upper())
        sources.append(source)
        params[f"{p}_weight"], params[f"{p}_bias"] = weight, bias
    if len(set(sources[:3])) != 1:
        raise Unmappable("Q, K and V are not projections of one tensor (self-attention)")
    biases = [params[f"{p}_bias"] is None for p in "qkvo"]
    if any(biases) and not all(biases):
        raise Unmappable("some projections have a bias and others not")
    d = params["q_weight"].shape[1]
    width = heads * head_dim
    if any(params[f"{p}_weight"].shape != (width, d) for p in "qkv") or params["o_weight"].shape != (d, width):
        raise Unmappable(f"the projections' shapes do not fit {heads} heads x {head_dim} on {d} features")
    opts = {"heads": heads}
    if width != d:
        opts["head_dim"] = head_dim
    if all(biases):
        opts["bias"] = False
    inside = {id(n) for n in m.taken}
    for node in m.taken:
        outside = [u for t in node.output for u in g.consumers.get(t, []) if id(u) not in inside]
        if node is not last and any(u.op_type != "Shape" for u in outside):  # q.shape is no use of q
            raise Unmappable(f"'{node.name[:40]}' inside the attention is also used outside it")
    return Site(softmax, last, sources[0], opts, params, m.taken)


def find_sites(g: Graph, nodes) -> list:
    """Every attention of the graph (its nodes skipped by the walk, the layer emitted where its
    output projection ends); refusals as 'node ...: reason' lines."""
    refused = []
    for node in nodes:
        if node.op_type != "Softmax":
            continue
        try:
            site = match(g, nodes, node)
        except Unmappable as exc:
            refused.append(f"node '{(node.name or node.output[0])[:60]}' (Softmax): attention that nncalc "
                           f"does not read: {exc}")
            continue
        if site is not None:
            g.skipped.update(id(n) for n in site.nodes if n is not site.last)
            g.sites[id(site.last)] = site
    return refused
