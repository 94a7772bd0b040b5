"""The walk that writes a network as one PyTorch module (``torch_source``).

Containers become forward code: a residual adds its body and shortcut, branches run on the same
input (a split on channel slices) and meet in their merge, a layer taking named outputs
(``from:`` / ``with:``) reads the variables kept for them. Leaves are written by their emitter in
calc/interchange/export/torch_kinds.py. nncalc never imports torch: this is text.
"""

from __future__ import annotations

import keyword
import re

from calc.interchange.export.pyfmt import group_digits, in_docstring, wrap_all
from calc.interchange.export.torch_helpers import HELPERS
from calc.interchange.export.torch_kinds import IN, emitter_for
from calc.layers import Residual, Sequential
from calc.layers.containers import Branches, Split

# attribute names nn.Module already uses (torch 2.13's dir(nn.Module), plus its instance attributes
# and the generated file's own names): a layer named so gets a trailing underscore; a name with a
# leading underscore (dunders included) gets the prefix l_
RESERVED = {
    "T_destination", "add_module", "apply", "bfloat16", "buffers", "call_super_init", "children", "compile",
    "cpu", "cuda", "double", "dump_patches", "eval", "extra_repr", "float", "forward", "get_buffer",
    "get_extra_state", "get_parameter", "get_submodule", "half", "ipu", "load_state_dict", "modules", "mtia",
    "named_buffers", "named_children", "named_modules", "named_parameters", "parameters",
    "register_backward_hook", "register_buffer", "register_forward_hook", "register_forward_pre_hook",
    "register_full_backward_hook", "register_full_backward_pre_hook", "register_load_state_dict_post_hook",
    "register_load_state_dict_pre_hook", "register_module", "register_parameter", "register_state_dict_post_hook",
    "register_state_dict_pre_hook", "requires_grad_", "set_extra_state", "set_submodule", "share_memory",
    "state_dict", "to", "to_empty", "train", "type", "xpu", "zero_grad",
    "training", "add", "load_nncalc_weights", "NNCALC_WEIGHTS"}


class TorchWriter:
    """The forward code of a network, leaf by leaf; ``lookup`` gives a layer's emitter (the Keras
    writer reuses the walk with its own emitters, channels last)."""

    def __init__(self, lookup=emitter_for, channels_last: bool = False):
        self.lookup, self.channels_last = lookup, channels_last
        self.modules: list[tuple[str, str]] = []
        self.lines: list[str] = []
        self.weights: dict[str, dict[str, str]] = {}
        self.helpers: list[str] = []
        self.frozen: list[str] = []  # parameters of `trainable: false` layers, paths under self
        self.kept: dict[int, str] = {}
        self.attrs: set[str] = set()
        self.count = 0

    def fresh(self) -> str:
        self.count += 1
        return f"t{self.count}"

    def attr(self, layer) -> str:
        name = re.sub(r"\W", "_", layer.name) or layer.kind
        name = f"l_{name}" if name[0].isdigit() or name[0] == "_" else name
        name = f"{name}_" if keyword.iskeyword(name) or name in RESERVED else name
        base, n = name, 1
        while name in self.attrs:
            n += 1
            name = f"{base}_{n}"
        self.attrs.add(name)
        return name

    def sequence(self, seq: Sequential, src: str, dst: str) -> str:
        """Write the layers of ``seq`` reading ``src``; returns the variable holding its output."""
        if seq.input_ref is not None:  # `from: input`: the input kept apart from the working variable
            self.lines.append(f"x_input = {src}")
            self.kept[id(seq.input_ref)] = "x_input"
        cur = src
        for layer in seq.layers:
            ins = cur
            if layer.sources is not None:
                items = ([cur] if layer.chained else []) + [self.kept[id(s)] for s in layer.sources]
                ins = items if getattr(layer, "is_merge", False) else items[0]
            cur = self.node(layer, ins, dst)
            if layer.referenced:
                keep = "k_" + re.sub(r"\W", "_", layer.name)
                self.lines.append(f"{keep} = {cur}  # '{layer.name}', used again later")
                self.kept[id(layer)] = keep
        return cur

    def node(self, layer, ins, dst: str) -> str:
        if isinstance(layer, Sequential):
            return self.sequence(layer, ins, dst)
        if isinstance(layer, Residual):
            self.lines.append(f"# {layer.name}: residual, body + shortcut")
            body = self.sequence(layer.body, ins, self.fresh())
            short = self.sequence(layer.shortcut, ins, self.fresh())
            return self.leaf(layer.add, [body, short], dst)
        if isinstance(layer, Branches):
            self.lines.append(f"# {layer.name}: {layer.kind}, {len(layer.branches)} branches")
            outs = [self.sequence(b, self.branch_input(layer, j, ins), self.fresh())
                    for j, b in enumerate(layer.branches)]
            return self.leaf(layer.merge, outs, dst)
        return self.leaf(layer, ins, dst)

    def branch_input(self, layer, j: int, src: str) -> str:
        if not isinstance(layer, Split):
            return src
        start, stop = layer.starts[j], layer.starts[j] + layer.parts[j]
        dim = "[:, " if len(layer.in_shape) == 3 and not self.channels_last else "[..., "
        return f"{src}{dim}{start}:{stop}]"

    def leaf(self, layer, ins, dst: str) -> str:
        a = self.attr(layer)
        piece = self.lookup(layer)(layer, a, ins)
        for attr, ctor in piece.modules:
            self.modules.append((attr, ctor))
        if piece.params:
            self.weights[layer.name] = piece.params
            if not getattr(layer, "trainable", True):
                self.frozen += [path for name, path in piece.params.items() if name in layer.param_shapes()]
        for h in piece.helpers:
            if h not in self.helpers:
                self.helpers.append(h)
        expr, cur = piece.expr, ins
        for statement in piece.pre:
            self.lines.append(f"{dst} = {statement.replace(IN, cur)}")
            cur = dst
        self.lines.append(f"{dst} = {expr.replace(IN, cur) if piece.pre else expr}")
        return dst


def class_name(name: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", name) or ["Net"]
    text = "".join(w[:1].upper() + w[1:] for w in words)
    return text if text[0].isalpha() else f"Net{text}"


def input_text(shape) -> tuple[str, str, str]:
    """(layout comment, example input expression, nncalc's shape) for a batch of 2."""
    if len(shape) == 3:
        h, w, c = shape
        return ("(N, C, H, W), NCHW",
                f"torch.randn(2, {c}, {h}, {w})", f"{h} x {w} x {c} (H x W x C)")
    if len(shape) == 2:
        return "(N, L, F), batch x positions x features", f"torch.randn(2, {shape[0]}, {shape[1]})", \
            f"{shape[0]} x {shape[1]}"
    return "(N, F)", f"torch.randn(2, {shape[0]})", str(shape[0])


def torch_source(network) -> str:
    """The PyTorch source of ``network``: imports, helpers, the module class and a __main__ check."""
    w = TorchWriter()
    out = w.sequence(network.root, "x", "x")
    layout, example, nn_shape = input_text(network.input_shape)
    first = network.leaves()[0] if network.leaves() else None
    if first is not None and first.kind == "embedding":
        layout = "(N, L), token ids (integers)"
        example = f"torch.randint({first.vocab}, (2, {network.input_shape[0]}))"
    params = sum(leaf.param_count() for leaf in network.leaves())
    cls = class_name(network.name)
    cls = f"{cls}Net" if cls in HELPERS or cls == "F" else cls  # never shadow a helper or torch's F
    parts = ['"""A PyTorch module written by `nncalc export`.\n\n'
             f"Network: {in_docstring(network.name)}.\n"
             f"Input: {layout}.\nnncalc's input per sample: {nn_shape}.\n"
             f"Parameters: {params:,}, nncalc's count.\n"
             "Maps are NCHW here (nncalc writes them H x W x C); a flatten or dense layer\n"
             "reads them in nncalc's order (H, W, C, or C, H, W with flatten order: chw).\n"
             '"""\n',
             "import torch\nimport torch.nn.functional as F  # noqa: F401\nfrom torch import nn\n"]
    parts += [HELPERS[h].strip("\n") + "\n" for h in w.helpers]
    body = [f"class {cls}(nn.Module):", "    def __init__(self):", "        super().__init__()"]
    body += [f"        self.{attr} = {ctor}" for attr, ctor in w.modules]
    body += [f"        self.{path}.requires_grad_(False)  # trainable: false" for path in w.frozen]
    body += ["", "    def forward(self, x):", f"        # x: {layout}"]
    body += [f"        {line}" for line in w.lines]
    body += [f"        return {out}", ""]
    body += ["    # nncalc layer -> {nncalc parameter name: its tensor in this module}",
             "    NNCALC_WEIGHTS = {"]
    body += [f"        {name!r}: {names!r}," for name, names in w.weights.items()]
    body = [*wrap_all(body), "    }", "", *LOADER.splitlines()]
    parts.append("\n".join(body) + "\n")
    parts.append(MAIN.format(cls=cls, example=group_digits(example)))
    return "\n\n".join(parts)


LOADER = '''    def load_nncalc_weights(self, weights):
        """Copy nncalc's weights (PyTorch layouts): an .npz path from
        `nncalc train --save` (keys 'layer.param') or a dict
        {layer: {param: array}}."""
        if isinstance(weights, str):
            import numpy as np
            weights = dict(np.load(weights))
        flat = {}
        for key, value in weights.items():
            if isinstance(value, dict):
                flat.update({f"{key}.{name}": v for name, v in value.items()})
            else:
                flat[key] = value
        tensors = dict(self.named_parameters())
        tensors.update(self.named_buffers())
        wanted = {f"{layer}.{name}": path
                  for layer, names in self.NNCALC_WEIGHTS.items()
                  for name, path in names.items()}
        missing = sorted(set(wanted) - set(flat))
        if missing:
            raise KeyError(f"no nncalc weights for {', '.join(missing)}")
        with torch.no_grad():
            for key, path in wanted.items():
                target = tensors[path]
                value = torch.as_tensor(flat[key], dtype=target.dtype)
                target.copy_(value.reshape(target.shape))'''

MAIN = '''if __name__ == "__main__":
    model = {cls}().eval()
    y = model({example})
    count = sum(p.numel() for p in model.parameters())
    print("output", tuple(y.shape), "parameters", count)
'''
