"""Turn a parsed YAML spec into a built Network: layers, blocks, branches, names and shapes.

Entry forms in a layer list:
  relu                                   a layer without options
  conv: {filters: 16, kernel: 3}         a layer with options (name: and trainable: allowed)
  concat: [[...branch...], [...]]        parallel branches, concatenated (or {branches: [...]})
  residual: {body: [...], shortcut: [...]}   body + shortcut (identity when omitted)
  repeat: {times: 3, layers: [...]}      the same layers several times
  sequential: [...]                      a named group
  myblock: {param: value}                a block from the spec's `blocks:` section
  multiply: [[...], [...]]               parallel branches multiplied (a gate; [] passes the input)
  split: [[...], [...]]                  the channels cut into equal parts, one per branch, concatenated
  se: {reduction: 4}                     squeeze-and-excitation: the input times a per-channel gate
  concat: {from: [a, b]}                 a merge of named outputs (also add, multiply; `with: b`
                                         merges the previous output with b)
  if: ${cond}, then: [...], else: [...]  inside blocks: one list or the other

Any entry may also carry `name:`, `trainable:`, `from: name` (its input is that layer's output,
calc/spec/refs.py resolves it) and `if: ${condition}` (left out when false).
"""

from __future__ import annotations

from calc.errors import SpecError, Where, did_you_mean, short
from calc.layers import REGISTRY, Layer, lookup
from calc.layers.containers import Add, Concat, ConcatMerge, Multiply, Product, Residual, Sequential, Split, Sum
from calc.spec import structures
from calc.spec.options import Options, is_int
from calc.spec.params import substitute
from calc.spec.yamlio import LocList, LocMap

STRUCTURES = ("concat", "residual", "repeat", "sequential", "multiply", "add", "split", "se")
STRUCTURE_HELP = {  # rows of `nncalc layers` (docs/blocks.md)
    "concat": "parallel branches [[...], [...]] concatenated on channels; {from: [a, b]} joins named outputs",
    "residual": "{body: [...], shortcut: [...]} added; empty shortcut = identity",
    "repeat": "{times: n, layers: [...]}",
    "sequential": "a named group of layers",
    "multiply": "branches multiplied element-wise, 1 x 1 x C broadcast (gates, GLU); [] = identity",
    "add": "branches added element-wise; {with: a} adds a named output to the previous one",
    "split": "channels cut into equal parts (or sizes: [...]), one per branch, concatenated",
    "se": "squeeze-and-excitation {reduction | squeeze, divisor, activation, gate}: x * gate(x)",
}
EXTRAS = ("name", "trainable", "from", "with", "if")  # keys an entry may carry besides its layer
MERGES = {"concat": ConcatMerge, "add": Add, "multiply": Multiply}
TOP_KEYS = ("name", "description", "input", "layers", "blocks", "reference", "notes", "source")
MAX_BLOCK_DEPTH = 32
MAX_NESTING = 64  # lists inside lists: beyond this, building and counting would hit Python's recursion limit
MAX_LAYERS = 100_000  # a typo such as `times: 1000000000` must be an error, not a machine out of memory


def _line(container, key):
    if isinstance(container, (LocMap, LocList)):
        return container.line_of(key)
    return None


class Builder:
    """Builds layer objects from entries; knows the spec's blocks."""

    def __init__(self, blocks: dict, where: Where):
        self.blocks = blocks
        self.where = where
        self.stack: list[str] = []
        self.nesting = 0
        self.count = 0  # layers made so far

    # -- lists and entries ----------------------------------------------------------------
    def layer_list(self, items, where: Where, label: str = "sequential") -> Sequential:
        if items is None:
            items = []
        if not isinstance(items, list):
            raise SpecError(f"expected a list of layers, got {type(items).__name__} {short(items)}", where)
        if self.nesting >= MAX_NESTING:
            raise SpecError(f"layer lists nested more than {MAX_NESTING} deep", where)
        self.nesting += 1
        layers: list[Layer] = []
        try:
            for i, item in enumerate(items):
                layers.extend(self.entry(item, where.child(i, _line(items, i))))
        finally:
            self.nesting -= 1
        return Sequential(layers, where, label)

    def entry(self, item, where: Where) -> list[Layer]:
        if isinstance(item, str):
            return self.make(item, None, where, {})
        if not isinstance(item, dict) or not item:
            raise SpecError("expected a layer name or {layer: {options}}, "
                            f"got {short(item)}", where)
        if "then" in item or "else" in item:
            return self.conditional(item, where)
        extras = {k: item[k] for k in EXTRAS if k in item}
        keys = [k for k in item if k not in extras]
        if len(keys) != 1:
            raise SpecError("each list entry must be one layer (plus optional name:, from:, if:), "
                            f"found keys {', '.join(map(str, keys)) or 'none'}", where)
        kind = keys[0]
        made = self.make(kind, item[kind], where.child(str(kind), _line(item, kind)), extras, item)
        if "if" in extras and not structures.condition(extras["if"], where.child("if", _line(item, "if"))):
            return []  # built all the same: a left-out entry is still checked
        return made

    def conditional(self, item: dict, where: Where) -> list[Layer]:
        """`if: ${cond}` with `then: [...]` and optionally `else: [...]`: the layers of one list."""
        extra = [str(k) for k in item if k not in ("if", "then", "else")]
        if extra or "if" not in item or "then" not in item:
            raise SpecError("a conditional entry is if: ${condition}, then: [layers] and optionally else: [layers]"
                            + (f"; found {', '.join(extra)}" if extra else ""), where)
        chosen = structures.condition(item["if"], where.child("if", _line(item, "if")))
        taken = []
        for key in ("then", "else"):
            seq = self.layer_list(item.get(key), where.child(key, _line(item, key)), label=key)
            if chosen == (key == "then"):
                taken = seq.layers
        return taken

    def make(self, kind, value, where: Where, extras: dict, parent=None) -> list[Layer]:
        self.count += 1
        if self.count > MAX_LAYERS:
            raise SpecError(f"more than {MAX_LAYERS:,} layers; check repeat times and block uses", where)
        if kind in MERGES and structures.is_named_merge(value, extras):
            layer = structures.named_merge(MERGES[kind], value, where, extras)
        elif kind in STRUCTURES:
            layer = getattr(self, f"_{kind}")(value, where)
        elif isinstance(kind, str) and kind in self.blocks:
            layer = self._block(kind, value, where)
        else:
            cls = lookup(kind, where, extra=STRUCTURES + tuple(self.blocks))
            opts = Options(value, where, cls.kind)
            for key in ("name", "trainable", "from"):  # also accepted inside the options
                if key in opts.values:
                    extras.setdefault(key, opts.values[key])
                    opts._used.add(key)
            layer = cls.from_options(opts)
        self._apply_extras(layer, extras, where, parent)
        structures.read_from(layer, extras, where, parent)
        out = [layer]
        if getattr(layer, "activation", None) is not None:
            out.extend(self.entry(layer.activation, where.child("activation")))
            layer.fused = out[-1]  # a reference to the layer would miss its activation
        return out

    def _apply_extras(self, layer: Layer, extras: dict, where: Where, parent) -> None:
        if "name" in extras:
            name = extras["name"]
            if not isinstance(name, str) or not name.strip():
                raise SpecError(f"expected a non-empty name, got {short(name)}", where.child("name", _line(parent, "name")))
            layer.name = name.strip()
            layer.explicit_name = True
        if "trainable" in extras:
            if not isinstance(extras["trainable"], bool):
                raise SpecError("expected true or false", where.child("trainable"))
            for leaf in iter_leaves(layer):
                leaf.trainable = extras["trainable"]

    # -- structures -----------------------------------------------------------------------
    def _concat(self, value, where: Where) -> Concat:
        return self._branches(Concat, value, where, "concat")

    def _branches(self, cls, value, where: Where, what: str):
        """Branch lists for concat, multiply, add and split: [[...], [...]] or {branches: [...]}."""
        branches, rest = value, {}
        where_b = where
        if isinstance(value, dict):
            opts = Options(value, where, what)
            branches = opts.raw("branches")
            where_b = opts.at("branches")
            rest = {k: opts.raw(k) for k in ("sizes",) if k in value and cls is Split}
            opts.finish()
        if not isinstance(branches, list) or len(branches) < 2:
            raise SpecError(f"{what} needs a list of at least two branches, each a list of layers "
                            "(an empty list [] passes the input through)", where_b)
        seqs = []
        for i, branch in enumerate(branches):
            seq = self.layer_list(branch, where_b.child(i, _line(branches, i)), label="branch")
            seq.name = f"branch{i + 1}"
            seqs.append(seq)
        if cls is Split:
            return Split(seqs, structures.split_sizes(rest.get("sizes"), len(seqs), where.child("sizes")), where)
        return cls(seqs, where, label="branches" if cls is Concat else what)

    def _multiply(self, value, where: Where) -> Product:
        return self._branches(Product, value, where, "multiply")

    def _add(self, value, where: Where):
        return self._branches(Sum, value, where, "add")

    def _split(self, value, where: Where) -> Split:
        return self._branches(Split, value, where, "split")

    def _se(self, value, where: Where):
        return structures.squeeze_excite(self, value, where)

    def _residual(self, value, where: Where) -> Residual:
        opts = Options(value, where, "residual")
        body = self.layer_list(opts.raw("body"), opts.at("body"), label="body")
        shortcut = self.layer_list(opts.raw("shortcut", []), opts.at("shortcut"), label="shortcut")
        opts.finish()
        if not body.layers:
            raise SpecError("residual body is empty", opts.at("body"))
        body.name, shortcut.name = "body", "shortcut"
        return Residual(body, shortcut, where, label="residual")

    def _repeat(self, value, where: Where) -> Sequential:
        opts = Options(value, where, "repeat")
        times = opts.int("times", minimum=0)
        items = opts.raw("layers")
        opts.finish()
        if times > MAX_LAYERS:
            opts.fail("times", f"repeat {times:,} times would make more than {MAX_LAYERS:,} layers")
        layers: list[Layer] = []
        for _ in range(times):
            layers.extend(self.layer_list(items, opts.at("layers")).layers)
        return Sequential(layers, where, label="repeat")

    def _sequential(self, value, where: Where) -> Sequential:
        if isinstance(value, dict):
            opts = Options(value, where, "sequential")
            items = opts.raw("layers")
            opts.finish()
            return self.layer_list(items, opts.at("layers"), label="sequential")
        return self.layer_list(value, where, label="sequential")

    def _block(self, name: str, value, where: Where) -> Sequential:
        block = self.blocks[name]
        if name in self.stack:
            raise SpecError(f"block '{name}' uses itself ({' -> '.join(self.stack + [name])})", where)
        if len(self.stack) >= MAX_BLOCK_DEPTH:
            raise SpecError(f"blocks nested more than {MAX_BLOCK_DEPTH} deep", where)
        args = dict(block["defaults"])
        given = value if value is not None else {}
        if not isinstance(given, dict):
            raise SpecError(f"block '{name}' takes parameters as a mapping, got {short(given)}", where)
        for key, arg in given.items():
            if key not in block["defaults"]:
                valid = ", ".join(block["defaults"]) or "none"
                raise SpecError(f"block '{name}' has no parameter '{key}'"
                                f"{did_you_mean(key, block['defaults'])}; parameters: {valid}",
                                where.child(str(key), _line(given, key)))
            args[key] = arg
        missing = [k for k, v in args.items() if v is None]
        if missing:
            raise SpecError(f"block '{name}' needs parameter(s) {', '.join(missing)}", where)
        self.stack.append(name)
        call = f"in block '{name}' used at {where.path}" + (f", line {where.line}" if where.line else "")
        inside = block["where"].called_from(call)
        try:
            items = substitute(block["layers"], args, inside)
            seq = self.layer_list(items, inside, label=name)
        finally:
            self.stack.pop()
        return seq


def iter_leaves(layer: Layer):
    if layer.is_container:
        for child in layer.children():
            yield from iter_leaves(child)
    else:
        yield layer


def read_blocks(spec: dict, where: Where) -> dict:
    raw = spec.get("blocks") or {}
    bwhere = where.child("blocks", _line(spec, "blocks"))
    if not isinstance(raw, dict):
        raise SpecError("expected a mapping of block names to {params, layers}", bwhere)
    blocks = {}
    for name, body in raw.items():
        at = bwhere.child(str(name), _line(raw, name))
        if not isinstance(name, str) or not name.isidentifier():
            raise SpecError(f"block name {short(name)} must be an identifier", at)
        if name in REGISTRY or name in STRUCTURES:
            raise SpecError(f"block name '{name}' is already a layer name; choose another", at)
        if isinstance(body, list):
            body = {"layers": body}
        opts = Options(body, at, f"block '{name}'")
        params = opts.raw("params", {})
        layers = opts.raw("layers")
        pat = opts.at("params")
        opts.finish()
        if not isinstance(params, (list, dict)):
            raise SpecError("params must be a list of names or a mapping of name: default", pat)
        for p in params:  # $name and ${name * 2} can only refer to identifiers
            if not isinstance(p, str) or not p.isidentifier():
                raise SpecError(f"parameter names must be identifiers such as width, got {short(p)}", pat)
        defaults = dict(params) if isinstance(params, dict) else dict.fromkeys(params)
        blocks[name] = {"defaults": defaults, "layers": layers, "where": opts.at("layers")}
    return blocks


def read_input(spec: dict, where: Where) -> tuple[int, ...]:
    at = where.child("input", _line(spec, "input"))
    if "input" not in spec:
        raise SpecError("missing 'input': give [height, width, channels], [length, features] or [features]", where)
    shape = spec["input"]
    if is_int(shape):
        shape = [shape]
    if isinstance(shape, str):  # '28x28x1' as on the command line
        parts = shape.strip().strip("[]()").lower().replace("x", ",").replace("*", ",").split(",")
        try:
            shape = [int(p) for p in parts if p.strip()]
        except ValueError:
            raise SpecError(f"expected [height, width, channels], [length, features], 28x28x1 or a number of features, "
                            f"got {shape[:40]!r}", at) from None
    if not isinstance(shape, list) or len(shape) not in (1, 2, 3):
        raise SpecError(f"expected [height, width, channels], [length, features] or [features], got {short(shape)}", at)
    for i, n in enumerate(shape):
        if not is_int(n) or n < 1:
            raise SpecError(f"expected a positive integer, got {short(n)}", at.child(i))
    return tuple(shape)


def channels_first_hint(shape) -> str:
    """A hint when an input looks channels-first ([1, 28, 28], [3, 224, 224]): nncalc reads H, W, C."""
    if len(shape) == 3 and shape[0] in (1, 2, 3, 4) and shape[1] > 4 and shape[2] > 4:
        c, h, w = shape
        return (f"input [{c}, {h}, {w}] is read as height {c}, width {h}, {w} channels (H, W, C, channels last); "
                f"for {c} channel{'s' if c > 1 else ''} of {h} x {w} write [{h}, {w}, {c}]")
    return ""


def check_top(spec, where: Where, allowed=TOP_KEYS) -> None:
    if not isinstance(spec, dict):
        raise SpecError("a spec must be a mapping with 'input' and 'layers'", where)
    for key in spec:
        if key not in allowed:
            raise SpecError(f"unknown top-level key '{key}'{did_you_mean(key, allowed)}; "
                            f"valid keys: {', '.join(allowed)}", where.child(str(key), _line(spec, key)))
