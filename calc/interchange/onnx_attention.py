"""Self-attention read back from an ONNX graph as one `attention` layer, whichever way it was
written and exported: plain torch (q, k, v, o Linear layers), torch.nn.MultiheadAttention and
nn.TransformerEncoderLayer (one packed in_proj_weight), F.scaled_dot_product_attention (its scale
split over Q and K), grouped-query K/V heads repeated for several Q heads, a causal mask (Trilu,
Where, an added triangle); the legacy exporter with or without constant folding, and dynamo's.

The match starts at each Softmax fed, through element-wise steps, by a product of two computed
tensors (a classifier's softmax is left to its own rule). The wiring is followed back to the
projections and forward to the output projection (onnx_attention_walk); what the nodes compute
(which weight rows make which head, the scale, the mask) is read from their values on a probe
input (onnx_attention_probe, onnx_attention_fit), and the attention rebuilt from that reading
must give the model's own output. Anything else is refused in one line naming the Softmax, never
mapped to something else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from calc.interchange.onnx_attention_fit import TOL, check_rebuilt, heads_of, query_order, rebuilt, scale_and_mask
from calc.interchange.onnx_attention_probe import data_tensors, probe_values
from calc.interchange.onnx_attention_walk import Wiring, mixing, output_forward, projection_back, scores, source_back
from calc.interchange.onnx_graph import Graph, Unmappable, attrs

PROBE_BATCH = 2
ROTARY_BASES = (10000.0, 500000.0, 1000000.0)  # RoPE's, Llama 3's, Qwen 2's; nncalc's default first


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
        naming = SimpleNamespace(name=_module_path(self.softmax), op_type="Softmax", output=[self.last.output[0]])
        g.emit(naming, "attention", self.opts, [self.source], self.params)


def _module_path(softmax) -> str:
    """The legacy exporter names a node by its module path ('/blocks.0/attn/Softmax'); dynamo's
    names it 'node_softmax_1' and keeps the path in its metadata: the layer is named after it."""
    import ast

    scopes = next((p.value for p in softmax.metadata_props if p.key == "pkg.torch.onnx.name_scopes"), None)
    if scopes is None:
        return softmax.name
    try:
        parts = [str(p) for p in ast.literal_eval(scopes)][1:-1]
    except (ValueError, SyntaxError):
        return softmax.name
    return "/" + "/".join(parts) + "/Softmax" if parts else ""


def _core(w: Wiring, values: dict, softmax, product, mix) -> dict:
    """Heads, head_dim, the projections and the one sequence they read."""
    s, batch = values[product.output[0]], len(values[w.g.input_name])
    if s.ndim not in (3, 4) or (s.ndim == 3 and s.shape[0] % batch):
        raise Unmappable(f"the scores are {tuple(s.shape)}, not (N, heads, L, L) or (N * heads, L, L)")
    if int(attrs(softmax).get("axis", -1)) not in (-1, s.ndim - 1):
        raise Unmappable("the softmax is not over the keys (last axis)")
    heads = s.shape[1] if s.ndim == 4 else s.shape[0] // batch
    head_dim = values[product.input[0]].shape[-1]
    tensors = {"q": product.input[0], "k": product.input[1], "v": mix.input[1]}
    projs, sources, turned = {}, set(), False
    for p, tensor in tensors.items():
        proj, mixed = projection_back(w, tensor, p.upper())
        shape = (batch, s.shape[-2], proj.weight.shape[1])
        sources.add(source_back(w, proj.source, shape, values)[0])
        projs[p], turned = proj, turned or mixed
    if len(sources) != 1:
        raise Unmappable("K and V are not projections of the queries' own sequence (cross-attention is not read)")
    return {"heads": heads, "head_dim": head_dim, "tensors": tensors, "projs": projs, "source": sources.pop(),
            "bases": ROTARY_BASES if turned else (None,)}


def _read_heads(core: dict, values: dict, x) -> tuple:
    """(params of q, k, v; kv_heads; Q and K heads as the scores see them; the order of the query
    heads; the rotary base or None) read from the values."""
    import numpy as np

    heads, hd, t, projs = core["heads"], core["head_dim"], core["tensors"], core["projs"]
    projected = {p: x @ projs[p].weight.T.astype(np.float64) + (0 if projs[p].bias is None else projs[p].bias)
                 for p in "qkv"}
    counts = [c for c in range(heads, 0, -1) if heads % c == 0]
    bases = core["bases"]
    first_q, _, _, q, _, base = heads_of(by_head(values[t["q"]], x), projected["q"], heads, hd, [heads], "Q", bases)
    k_value = np.swapaxes(by_head(values[t["k"]], x), -1, -2)
    first_k, kv, _, k, repeat, k_base = heads_of(k_value, projected["k"], heads, hd, counts, "K", bases)
    first_v, _, factor, _, v_repeat, _ = heads_of(by_head(values[t["v"]], x), projected["v"], heads, hd, [kv], "V")
    if abs(factor - 1) > TOL or v_repeat != repeat or k_base != base:
        raise Unmappable("V is scaled, its heads repeat otherwise than K's, or Q and K are rotated differently")
    order = query_order(heads, kv) if repeat == "whole" else list(range(heads))
    params = {}
    for p, first, picked in (("q", first_q, order), ("k", first_k, range(kv)), ("v", first_v, range(kv))):
        rows = np.concatenate([np.arange(first + h * hd, first + (h + 1) * hd) for h in picked])
        params[f"{p}_weight"] = projs[p].weight[rows]
        params[f"{p}_bias"] = None if projs[p].bias is None else projs[p].bias[rows]
    return params, kv, q, k, order, base


def by_head(value, x):
    """(N, heads, ...) of a value whose batch and heads are one axis (N * heads, ...), sample by
    sample as torch's nn.MultiheadAttention merges them with need_weights (its default)."""
    return value.reshape(len(x), -1, *value.shape[1:]) if value.ndim == 3 else value


def _options(params: dict, heads: int, kv: int, hd: int, d: int, causal: bool, base) -> dict:
    """The layer's options; a projection exported without its bias (an optimiser drops an all-zero
    bias) gets zeros when the others have one, which computes the same."""
    import numpy as np

    missing = [p for p in "qkvo" if params[f"{p}_bias"] is None]
    if missing and len(missing) < 4:
        for p in missing:
            params[f"{p}_bias"] = np.zeros(params[f"{p}_weight"].shape[0])
    opts = {"heads": heads}
    if kv != heads:
        opts["kv_heads"] = kv
    if heads * hd != d:
        opts["head_dim"] = hd
    if causal:
        opts["causal"] = True
    if len(missing) == 4:
        opts["bias"] = False
    if base is not None:
        opts["rotary"] = True
        if base != ROTARY_BASES[0]:
            opts["rotary_base"] = int(base)
    return opts


def match(w: Wiring, values: dict, softmax, product) -> Site:
    """The attention around ``softmax``; Unmappable when nncalc's `attention` cannot hold it."""
    import numpy as np

    mix, _ = mixing(w, softmax)
    core = _core(w, values, softmax, product, mix)
    x = np.asarray(values[core["source"]], dtype=np.float64)
    params, kv, q, k, order, base = _read_heads(core, values, x)
    heads, hd = core["heads"], core["head_dim"]
    causal = scale_and_mask(by_head(values[softmax.input[0]], x), q, k, hd)
    out, _, end = output_forward(w, mix.output[0], x.shape, values)
    if out.weight.shape != (x.shape[-1], heads * hd):
        raise Unmappable(f"the output projection is {out.weight.shape}, not ({x.shape[-1]}, {heads * hd})")
    columns = np.concatenate([np.arange(h * hd, (h + 1) * hd) for h in order])  # the Q heads' order
    params["o_weight"], params["o_bias"] = out.weight[:, columns], out.bias
    opts = _options(params, heads, kv, hd, x.shape[-1], causal, base)
    check_rebuilt(rebuilt(x, params, heads, kv, hd, causal, base), values[end])
    nodes = _region(w, core["source"], end)
    last = w.producer[end]
    _check_inside(w, nodes, last)
    return Site(softmax, last, core["source"], opts, params, nodes)


def _region(w: Wiring, source: str, end: str) -> list:
    """The nodes between the attention's input and its end: read from one, feeding the other."""
    below, todo = set(), [source]
    while todo:
        for node in w.g.consumers.get(todo.pop(), []):
            if id(node) not in below:
                below.add(id(node))
                todo += [t for t in node.output if t]
    region, seen, todo = [], set(), [end]
    while todo:
        node = w.producer.get(todo.pop())
        if node is None or id(node) in seen or id(node) not in below:
            continue
        seen.add(id(node))
        region.append(node)
        todo += [t for t in node.input if t]
    return region


def _check_inside(w: Wiring, nodes: list, last) -> None:
    inside = {id(n) for n in nodes}
    for node in nodes:
        if node is last:
            continue
        for t in node.output:
            if t in w.data and any(id(u) not in inside for u in w.users(t)):
                raise Unmappable(f"'{node.name[:40]}' inside the attention is also used outside it")


def find_sites(g: Graph, nodes) -> list:
    """Every attention of the graph (its nodes skipped by the walk, the layer emitted where its
    output projection ends); refusals as 'node ...: reason' lines. The model is run once on a
    probe input, only when some softmax follows a product of two computed tensors."""
    w = Wiring(g, data_tensors(g.model, g.input_name))
    refused, values = [], None
    for node in nodes:
        if node.op_type != "Softmax":
            continue
        try:
            found = scores(w, node)
            if found is None:
                continue
            values = values if values is not None else probe_values(g, PROBE_BATCH)
            site = match(w, values, node, found[0])
        except Unmappable as exc:
            refused.append(f"node '{(node.name or node.output[0])[:60]}' (Softmax): attention that nncalc "
                           f"does not read: {exc}")
            continue
        g.skipped.update(id(n) for n in site.nodes if n is not site.last)
        g.sites[id(site.last)] = site
    return refused
