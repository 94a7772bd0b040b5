"""The walk over an ONNX graph: tensors followed from the input through the nodes, constants
(initialisers, Constant nodes) kept apart, and the layer entries the operator rules emit.

ONNX data is NCHW; nncalc's maps are H x W x C. Weights keep PyTorch's layouts (OIHW convs,
(out, in) dense), which are ONNX's, so no array is permuted: a flatten of a map is written
``flatten: {order: chw}`` (channel by channel, as NCHW), so a dense layer after it takes the ONNX
weights as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from calc.errors import InputError, Where

NAME_LIMIT = 60
CHANNELS_FIRST_OPS = ("Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Pad",
                      "InstanceNormalization", "BatchNormalization")


@dataclass
class Mapped:
    """What a graph maps to: the spec's input shape and layer entries, weights by 'layer.param',
    and one line per operator that does not map."""

    name: str
    input_shape: list
    entries: list = field(default_factory=list)
    weights: dict = field(default_factory=dict)
    unmapped: list = field(default_factory=list)


class Unmappable(Exception):
    """An operator (or its attributes) with no nncalc layer: the reason, said once per node."""


def attrs(node) -> dict:
    from onnx import helper

    out = {}
    for a in node.attribute:
        value = helper.get_attribute_value(a)
        out[a.name] = value.decode() if isinstance(value, bytes) else value
    return out


def _tensor_ranks(model) -> dict:
    """Every tensor's shape as far as shape inference knows it (None for an unknown dim)."""
    shapes = {}
    graph = model.graph
    for info in [*graph.value_info, *graph.input, *graph.output]:
        t = info.type.tensor_type
        if t.HasField("shape"):
            shapes[info.name] = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
    return shapes


def layer_name(node_name: str, op_type: str) -> str:
    """A readable identifier from a node name: '/layer1/layer1.0/conv1/Conv' -> 'layer1_0_conv1'
    (torch's exporter repeats a module's path in its scopes; the op type at the end is dropped)."""
    parts = [p for p in node_name.strip("/").split("/") if p]
    if parts and (parts[-1] == op_type or parts[-1].startswith(op_type + "_")):
        parts = parts[:-1]
    kept = [p for i, p in enumerate(parts) if not (i + 1 < len(parts) and parts[i + 1].startswith(p + "."))]
    return re.sub(r"\W+", "_", "_".join(kept)).strip("_")[:NAME_LIMIT]


class Graph:
    """The state of the walk: constants, where each data tensor comes from, the entries so far."""

    def __init__(self, model, where: Where, name: str):
        from onnx import TensorProto, numpy_helper

        self.where = where
        self.model = model  # onnx_attention runs it once on a probe input
        graph = model.graph
        outside = [t.name for t in graph.initializer if t.data_location == TensorProto.EXTERNAL]
        if outside:  # never open the paths a model names (they could be anything: /dev/zero)
            raise InputError(f"weights stored outside the file (external data, e.g. '{outside[0][:40]}') are "
                             "not read; save the model as one file", where)
        self.consts = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        self.shapes = _tensor_ranks(model)
        self.opset = max([o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] or [1])
        self.consumers: dict[str, list] = {}
        for node in graph.node:
            for t in node.input:
                self.consumers.setdefault(t, []).append(node)
        data_inputs = [i for i in graph.input if i.name not in self.consts]
        if len(data_inputs) != 1:
            names = ", ".join(i.name for i in data_inputs)[:120]
            masks = any(i.type.tensor_type.elem_type == TensorProto.BOOL for i in data_inputs)
            hint = " (a mask fed as an input is not read: nncalc's attention has no padding mask)" if masks else ""
            raise InputError(f"the model has {len(data_inputs)} inputs ({names}); nncalc reads models with one"
                             + hint, where)
        self.input_name = data_inputs[0].name
        self.result = Mapped(name, self.input_shape(data_inputs[0]))
        self.source = {self.input_name: "input"}  # data tensor -> the entry that makes it
        self.previous = "input"
        self.shape_tensors: set[str] = set()
        self.channels_first: set[str] = set()  # rank-3 tensors laid out (N, C, L), not (N, L, F)
        self.skipped: set[int] = set()  # nodes folded into an earlier entry (MatMul's Add)
        self.names: set[str] = {"input"}
        self.kind_counts: dict[str, int] = {}
        self.sites: dict = {}  # id of the node that ends an attention -> its Site (onnx_attention)
        self.pads: dict[str, list] = {}  # a folded Pad's output -> its (begin, end) per spatial axis
        self.flat: set[str] = set()  # pooled to a vector in nncalc, (N, C, 1...) in ONNX
        self.time_major: set[str] = set()  # (L, N, F) around a recurrent node: (L, F) in nncalc
        self.recurrent_y: set[str] = set()  # a recurrent node's Y (L, dirs, N, H): (L, dirs*H) in nncalc
        self.recurrent_yt: set[str] = set()  # that Y transposed to (L, N, dirs, H)
        self.lifted: set[str] = set()  # (N, C, L) unsqueezed to (N, C, 1, L): still (L, C) in nncalc
        if self.channels_first_input():  # (N, C, L) read as nncalc's (L, C)
            self.channels_first.add(self.input_name)
            self.result.input_shape = self.result.input_shape[::-1]

    def input_shape(self, info) -> list:
        dims = self.shapes.get(info.name)
        if dims and len(dims) == 5:
            raise InputError(f"input '{info.name[:40]}' is 5-D (N, C, D, H, W): nncalc has no 3-D layers", self.where)
        if not dims or len(dims) not in (2, 3, 4) or any(d is None or d < 1 for d in dims[1:]):
            raise InputError(f"input '{info.name[:40]}': expected a fixed shape (N, C, H, W), (N, L, F) or (N, F), "
                             f"got {dims}", self.where)
        if len(dims) == 4:
            return [dims[2], dims[3], dims[1]]  # NCHW -> H x W x C
        return list(dims[1:])

    def channels_first_input(self) -> bool:
        """A rank-3 input read first by a convolution or a pool is (N, C, L) (PyTorch's Conv1d),
        not the (N, L, F) sequence of a dense or recurrent layer."""
        if len(self.result.input_shape) != 2:
            return False
        users = self.consumers.get(self.input_name, [])
        return any(u.op_type in CHANNELS_FIRST_OPS for u in users)

    # --- tensors -------------------------------------------------------------------------------
    def rank(self, tensor: str) -> int | None:
        dims = self.shapes.get(tensor)
        return None if dims is None else len(dims)

    def is_data(self, tensor: str) -> bool:
        return tensor in self.source

    def const(self, node, index: int, what: str):
        """The constant at input ``index`` (a weight), or Unmappable."""
        if index >= len(node.input) or not node.input[index]:
            return None
        value = self.consts.get(node.input[index])
        if value is None:
            raise Unmappable(f"its {what} is computed, not a stored constant")
        return value

    def alias(self, node, tensor: str) -> None:
        """The node passes its input through (Identity, Dropout in inference, a no-op flatten)."""
        self.source[node.output[0]] = self.source[tensor]
        self.follow_layout(tensor, node.output[0])

    def follow_layout(self, tensor: str, out: str) -> None:
        """An output keeps its input's (N, C, L) or (L, N, F) layout and its flattened state."""
        if tensor in self.channels_first and self.rank(out) in (3, None):
            self.channels_first.add(out)
        if tensor in self.time_major and self.rank(out) in (3, None):
            self.time_major.add(out)
        if tensor in self.flat:
            self.flat.add(out)

    # --- entries -------------------------------------------------------------------------------
    def unique_name(self, node, kind: str) -> str:
        base = layer_name(node.name, node.op_type)
        if base and not base[0].isalpha():  # nn.Sequential's '/0/Gemm': dense_0
            base = f"{kind}_{base}"
        if not base:  # an unnamed node: relu1, relu2, ... as nncalc names layers (relu6_1 after a digit)
            self.kind_counts[kind] = self.kind_counts.get(kind, 0) + 1
            base = f"{kind}{'_' if kind[-1].isdigit() else ''}{self.kind_counts[kind]}"
        name, n = base, 1
        while name in self.names:
            n += 1
            name = f"{base}_{n}"
        self.names.add(name)
        return name

    def emit(self, node, kind: str, opts: dict | None, inputs: list, params: dict | None = None,
             merge: bool = False) -> str:
        """Add one layer entry taking ``inputs`` (data tensors); returns its name."""
        name = self.unique_name(node, kind)
        sources = [self.source[t] for t in inputs]
        opts = dict(opts or {})
        entry = {kind: opts, "name": name}
        if merge:
            opts["from"] = sources
        elif sources[0] != self.previous:
            entry["from"] = sources[0]
        self.result.entries.append(entry)
        for key, value in (params or {}).items():
            if value is not None:
                self.result.weights[f"{name}.{key}"] = value
        self.source[node.output[0]] = name
        if inputs:
            self.follow_layout(inputs[0], node.output[0])
        self.previous = name
        return name
