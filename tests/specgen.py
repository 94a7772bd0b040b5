"""Seeded random network specs for the differential tests against PyTorch.

``random_spec(seed)`` returns YAML text that exercises every layer type and option of the spec
format (aliases, bare names, ``name:``, ``trainable:``, ``activation:``, residual, concat, repeat,
sequential, blocks with ``$param`` and ``${expr}``) together with the kind and output shape of
every leaf in execution order. The shapes come from the size rules written out again here, from
PyTorch's and TensorFlow's documentation, not from calc/: TF 'same' is o = ceil(i/s), 'valid'
o = floor((i - d(k-1) - 1)/s) + 1. Only valid specs come out: shapes are tracked while generating.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

import yaml

from tests.specgen_layers import LEAVES, MAX_SIDE, Piece


@dataclass
class Generated:
    text: str
    input_shape: tuple
    leaves: list  # [(kind, shape)] in execution order, merges (concat, add) included
    features: Counter = field(default_factory=Counter)


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):  # no &anchors: every entry written out in full
        return True


ABSTRACT_KEYS = ("filters", "units", "kernel", "stride", "times", "output", "padding", "dilation")


class SpecGen:
    """Builds one random spec; ``self.features`` counts what it used (for a coverage test)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.features: Counter = Counter()
        self.blocks: dict = {}
        self.names = 0

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    # -- sequences -----------------------------------------------------------------------
    def seq(self, shape, length: int, depth: int, named: bool) -> Piece:
        entries, leaves = [], []
        for _ in range(length):
            piece = self.one(shape, depth, named)
            entries.append(piece.entry)
            leaves += piece.leaves
            shape = piece.shape
        return Piece(entries, shape, leaves)

    def one(self, shape, depth: int, named: bool) -> Piece:
        structures = [self.residual, self.concat, self.repeat, self.block, self.sequential] if depth < 2 else []
        structures += structures + structures + ([self.gate, self.split, self.se, self.skip] if depth < 2 else [])  # docs/blocks.md
        for _ in range(50):
            if structures and self.chance(0.25):
                piece = self.rng.choice(structures)(shape, depth + 1, named)
            else:
                make = self.rng.choice(LEAVES)
                piece = make(self, shape)
            if piece is not None:
                break
        else:
            piece = Piece("relu", shape, [("relu", shape)])
        if isinstance(piece.entry, dict) and named and len(piece.entry) == 1 and self.chance(0.1):
            self.names += 1
            piece.entry["name"] = f"layer_{self.names}"
            self.features["entry.name"] += 1
            if piece.leaves and self.chance(0.5):
                piece.entry["trainable"] = False
                self.features["entry.trainable"] += 1
        return piece

    # -- structures ----------------------------------------------------------------------
    def residual(self, shape, depth, named):
        body = self.seq(shape, self.rng.randint(1, 3), depth, named)
        if body.shape == shape:
            shortcut = Piece([], shape, []) if self.chance(0.7) else self.seq(shape, 1, depth, named)
            if shortcut.shape != shape:
                return None
            self.features["residual.identity" if not shortcut.entry else "residual.layers"] += 1
        elif len(shape) == 3 and len(body.shape) == 3:
            strides = [next((s for s in range(1, 6) if (i - 1) // s + 1 == o), None)
                       for i, o in zip(shape[:2], body.shape[:2])]
            if None in strides:
                return None
            conv = {"conv": {"filters": body.shape[2], "kernel": 1, "stride": strides, "bias": False}}
            shortcut = Piece([conv], body.shape, [("conv", body.shape)])
            self.features["residual.projection"] += 1
        elif len(shape) == 1 and len(body.shape) == 1:
            shortcut = Piece([{"dense": {"units": body.shape[0]}}], body.shape, [("dense", body.shape)])
            self.features["residual.projection"] += 1
        else:
            return None
        opts = {"body": body.entry}
        if shortcut.entry or self.chance(0.5):
            opts["shortcut"] = shortcut.entry
        return Piece({"residual": opts}, body.shape, body.leaves + shortcut.leaves + [("add", body.shape)])

    def concat(self, shape, depth, named):
        first = self.seq(shape, self.rng.randint(1, 2), depth, named)
        branches = [first]
        for _ in range(self.rng.randint(1, 2)):
            for _ in range(10):
                if self.chance(0.15):
                    cand = Piece([], shape, [])  # an empty branch passes the input through
                else:
                    cand = self.seq(shape, self.rng.randint(1, 2), depth, named)
                if len(cand.shape) == len(first.shape) and cand.shape[:-1] == first.shape[:-1]:
                    branches.append(cand)
                    break
        if len(branches) < 2:
            return None
        out = (*first.shape[:-1], sum(b.shape[-1] for b in branches))
        if out[-1] > 64:
            return None
        self.features["concat"] += 1
        self.features["concat.empty_branch"] += any(not b.entry for b in branches)
        entries = [b.entry for b in branches]
        value = {"branches": entries} if self.chance(0.3) else entries
        leaves = [leaf for b in branches for leaf in b.leaves] + [("concat", out)]
        return Piece({"concat": value}, out, leaves)

    def gate(self, shape, depth, named):
        """multiply: the input (or a branch keeping its shape) times a gate; on maps the gate may be
        1 x 1 x C (global pool, 1x1 conv back to C channels, sigmoid), broadcast over H x W."""
        if len(shape) == 3 and self.chance(0.6):
            gate = Piece(["global_avgpool", {"conv": {"filters": shape[2], "kernel": 1}}, "sigmoid"], (1, 1, shape[2]),
                         [("global_avgpool", (1, 1, shape[2])), ("conv", (1, 1, shape[2])), ("sigmoid", (1, 1, shape[2]))])
        else:
            gate = self.seq(shape, self.rng.randint(1, 2), depth, named)
            if gate.shape != shape:
                return None
        other = Piece([], shape, []) if self.chance(0.6) else self.seq(shape, 1, depth, named)
        if other.shape != shape:
            return None
        self.features["multiply"] += 1
        return Piece({"multiply": [other.entry, gate.entry]}, shape, other.leaves + gate.leaves + [("multiply", shape)])

    def split(self, shape, depth, named):
        """split: halves of the channels (features), the first passed on or transformed, concatenated."""
        if shape[-1] % 2:
            return None
        half = (*shape[:-1], shape[-1] // 2)
        branches = [Piece([], half, []) if self.chance(0.5) else self.seq(half, 1, depth, named),
                    self.seq(half, self.rng.randint(1, 2), depth, named)]
        if any(len(b.shape) != len(shape) or b.shape[:-1] != branches[0].shape[:-1] for b in branches):
            return None
        out = (*branches[0].shape[:-1], sum(b.shape[-1] for b in branches))
        self.features["split"] += 1
        return Piece({"split": [b.entry for b in branches]}, out,
                     [leaf for b in branches for leaf in b.leaves] + [("concat", out)])

    def se(self, shape, depth, named):
        if len(shape) != 3:
            return None
        c = shape[2]
        squeeze = self.rng.randint(1, c)
        act = self.rng.choice(["relu", "tanh", "sigmoid"])
        self.features["se"] += 1
        leaves = [("global_avgpool", (1, 1, c)), ("conv", (1, 1, squeeze)), (act, (1, 1, squeeze)), ("conv", (1, 1, c)),
                  ("sigmoid", (1, 1, c)), ("multiply", shape)]
        return Piece({"se": {"squeeze": squeeze, "activation": act}}, shape, leaves)

    def skip(self, shape, depth, named):
        """A named output merged back after a few layers that keep its shape (add, multiply or concat
        with: name), or taken again by from: name. Not inside repeats and blocks: a name is used once."""
        if not named:
            return None
        self.names += 1
        name = f"skip_{self.names}"
        body = self.seq(shape, self.rng.randint(1, 2), depth, named=False)
        if body.shape != shape:
            return None
        head = {"linear": {"name": name}}
        merge = self.rng.choice(["add", "multiply", "concat"])
        out = (*shape[:-1], 2 * shape[-1]) if merge == "concat" else shape
        self.features[f"skip.{merge}"] += 1
        entries = [head, *body.entry, {merge: {"with": name}}]
        leaves = [("linear", shape), *body.leaves, (merge, out)]
        if self.chance(0.3):  # the named output taken a second time, by from:
            entries.append({"dense" if len(shape) == 1 else "conv": {"from": name, **(
                {"units": out[-1]} if len(shape) == 1 else {"filters": out[-1], "kernel": 1})}})
            entries.append({"add": {"with": f"skip_{self.names}_m"}})
            entries[-3] = {merge: {"with": name, "name": f"skip_{self.names}_m"}}
            leaves += [("dense" if len(shape) == 1 else "conv", out), ("add", out)]
            self.features["skip.from"] += 1
        return Piece({"sequential": entries}, out, leaves)

    def repeat(self, shape, depth, named):
        body = self.seq(shape, self.rng.randint(1, 2), depth, named=False)
        times = self.rng.randint(0, 3) if body.shape == shape else 1
        self.features[f"repeat.times{min(times, 2)}"] += 1
        return Piece({"repeat": {"times": times, "layers": body.entry}}, body.shape if times else shape,
                     body.leaves * times)

    def sequential(self, shape, depth, named):
        body = self.seq(shape, self.rng.randint(1, 3), depth, named)
        self.features["sequential"] += 1
        value = {"layers": body.entry} if self.chance(0.5) else body.entry
        return Piece({"sequential": value}, body.shape, body.leaves)

    def block(self, shape, depth, named):
        """A concrete sequence turned into a block: some values become $p / ${expr} parameters."""
        body = self.seq(shape, self.rng.randint(1, 3), depth, named=False)
        args: dict = {}
        layers = self.abstract(body.entry, args, key=None)
        name = f"blk{len(self.blocks) + 1}"
        call = dict(args)
        if args and self.chance(0.5):  # defaults: some arguments may then be left out
            params = {k: (v if self.chance(0.5) else None) for k, v in args.items()}
            call = {k: v for k, v in args.items() if params[k] is None or self.chance(0.3)}
            self.features["block.defaults"] += 1
        else:
            params = list(args)
        self.blocks[name] = {"params": params, "layers": layers} if params else layers
        self.features["block"] += 1
        return Piece({name: call} if call else name, body.shape, body.leaves)

    def abstract(self, value, args: dict, key):
        """A copy of ``value`` with some values under ABSTRACT_KEYS replaced by parameters."""
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if k == "shortcut" and isinstance(v, list) and self.chance(0.4):
                    out[k] = self.param(args, v, "$")  # a whole layer list as an argument
                    self.features["block.list_param"] += 1
                else:
                    out[k] = self.abstract(v, args, k)
            return out
        if isinstance(value, list):
            return [self.abstract(v, args, key) for v in value]
        if key in ABSTRACT_KEYS and not isinstance(value, bool) and isinstance(value, (int, str)) and self.chance(0.5):
            if isinstance(value, int) and self.chance(0.6):
                op, m = self.rng.choice([("*", 2), ("*", 3), ("+", 1), ("-", 2), ("//", 2)])
                if op == "*" and value % m:
                    return self.param(args, value, "$")
                arg = {"*": value // m, "+": value - m, "-": value + m, "//": value * m}[op]
                self.features["block.expr"] += 1
                return self.param(args, arg, "${", f" {op} {m}}}")
            self.features["block.param"] += 1
            return self.param(args, value, "$")
        return value

    def param(self, args: dict, value, before: str, after: str = "") -> str:
        name = f"p{len(args) + 1}"
        args[name] = value
        return f"{before}{name}{after}"

    # -- whole spec ----------------------------------------------------------------------
    def spec(self) -> Generated:
        self.random_inputs = True  # torch.randn inputs: no token ids (specgen_layers.embedding)
        if self.chance(0.8):
            shape = (self.rng.randint(1, MAX_SIDE // 2), self.rng.randint(1, MAX_SIDE // 2), self.rng.randint(1, 6))
            if self.chance(0.5):
                shape = (shape[0], shape[0], shape[2])
        else:
            shape = (self.rng.randint(1, 32),)
        body = self.seq(shape, self.rng.randint(2, 7), 0, named=True)
        doc = {"name": "random", "input": list(shape)}
        if self.blocks:
            doc["blocks"] = self.blocks
        doc["layers"] = body.entry
        text = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, default_flow_style=None, width=100)
        return Generated(text, shape, body.leaves, self.features)


def random_spec(seed: int) -> Generated:
    return SpecGen(seed).spec()
