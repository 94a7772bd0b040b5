"""Per-layer and total parameters, MACs and memory of a network — data only, no formatting.

Conventions (docs/conventions.md, "Counting"): parameters are learnable tensors as PyTorch's
``sum(p.numel())``; batch-norm running statistics are buffers, counted apart unless ``keras`` asks
for Keras' summary (non-trainable params). MACs are conv + dense multiply-accumulates per sample
without bias; ``include`` adds bias / bn / act / pool / add operations; FLOPs = 2 x MACs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod

from calc.layers import COST_KINDS, COST_RULES, Layer
from calc.layers.containers import sources_text
from calc.network import Network


@dataclass(frozen=True)
class CountOptions:
    include: frozenset = frozenset()  # extra cost kinds added into MACs, subset of COST_KINDS
    keras: bool = False  # count BN running mean/var as non-trainable parameters
    batch: int = 1  # samples: MACs and activation memory scale with it, parameters do not
    bytes_per_value: int = 4  # float32 for memory estimates

    def __post_init__(self):
        unknown = set(self.include) - set(COST_KINDS)
        assert not unknown, unknown


@dataclass
class LayerRow:
    name: str
    type: str
    depth: int
    path: str
    output_shape: tuple
    config: str
    trainable_params: int
    non_trainable_params: int
    buffers: int
    macs: int  # default convention: conv + dense multiplies
    extra: dict  # per COST_KINDS
    counted_macs: int  # macs + included extras
    container: bool = False

    @property
    def params(self) -> int:
        return self.trainable_params + self.non_trainable_params


@dataclass
class Summary:
    name: str
    input_shape: tuple
    output_shape: tuple
    rows: list[LayerRow]
    options: CountOptions
    total_params: int = 0
    trainable_params: int = 0
    non_trainable_params: int = 0
    buffers: int = 0
    macs: int = 0  # default convention
    extra: dict = field(default_factory=dict)
    total_macs: int = 0  # macs + included extras (what the MAC column shows)
    activation_values: int = 0  # sum of leaf output sizes (forward activations to keep)
    warnings: list[str] = field(default_factory=list)  # the spec's own hints, as sentences
    unused_input: list[UnusedInput] = field(default_factory=list)  # strides that skip input (renderers word it)
    conventions: list[str] = field(default_factory=list)

    @property
    def flops(self) -> int:
        return 2 * self.total_macs

    @property
    def leaf_rows(self) -> list[LayerRow]:
        return [r for r in self.rows if not r.container]

    @property
    def param_bytes(self) -> int:
        return (self.total_params + (0 if self.options.keras else self.buffers)) * self.options.bytes_per_value

    @property
    def activation_bytes(self) -> int:
        return self.activation_values * self.options.bytes_per_value

    @property
    def input_bytes(self) -> int:
        return prod(self.input_shape) * self.options.batch * self.options.bytes_per_value


def _leaf_row(layer: Layer, depth: int, path: str, opts: CountOptions) -> LayerRow:
    params = layer.param_count()
    buffers = layer.buffer_count()
    trainable = params if layer.trainable else 0
    frozen = params - trainable + (buffers if opts.keras else 0)
    costs = layer.costs()
    extra = {k: costs.get(k, 0) * opts.batch for k in COST_KINDS}
    macs = layer.macs() * opts.batch
    counted = macs + sum(extra[k] for k in opts.include)
    config = ", ".join(text for text in (sources_text(layer), layer.describe()) if text)
    return LayerRow(layer.name, layer.kind, depth, path, layer.out_shape, config,
                    trainable, frozen, buffers, macs, extra, counted)


def _rows(layer: Layer, depth: int, prefix: str, opts: CountOptions, out: list[LayerRow]) -> LayerRow | None:
    """Append rows for ``layer``'s children; return the aggregate of them."""
    total = LayerRow("", "", depth, prefix, layer.out_shape, "", 0, 0, 0, 0, dict.fromkeys(COST_KINDS, 0), 0, True)
    for child in layer.children():
        path = f"{prefix}/{child.name}" if prefix else child.name
        if child.is_container and getattr(child, "transparent", False):
            row = _rows(child, depth, path, opts, out)
        elif child.is_container:
            index = len(out)
            out.append(None)  # placeholder: the container row comes before its contents
            agg = _rows(child, depth + 1, path, opts, out)
            agg.name, agg.type, agg.depth, agg.path = child.name, getattr(child, "label", child.kind), depth, path
            agg.output_shape = child.out_shape
            out[index] = agg
            row = agg
        else:
            row = _leaf_row(child, depth, path, opts)
            out.append(row)
        total.trainable_params += row.trainable_params
        total.non_trainable_params += row.non_trainable_params
        total.buffers += row.buffers
        total.macs += row.macs
        total.counted_macs += row.counted_macs
        for k in COST_KINDS:
            total.extra[k] += row.extra[k]
    return total


@dataclass(frozen=True)
class UnusedInput:
    """A layer whose stride leaves its last ``count`` input rows and/or columns (``axes``) unused:
    (i + pad - d(k-1) - 1) = ``span`` is not divisible by ``stride``. Data; renderers word it."""

    layer: str
    axes: tuple[str, ...]  # ("row",), ("column",) or ("row", "column") when both lose the same
    span: int
    stride: int
    count: int


def warnings_for(network: Network) -> list[str]:
    """Findings a careful reader wants about the spec itself: a channels-first-looking input."""
    from calc.spec.build import channels_first_hint

    hint = channels_first_hint(network.input_shape)
    return [hint] if hint else []


def unused_input(network: Network) -> list[UnusedInput]:
    """Layers whose strides leave input rows/columns unused."""
    found = []
    for layer in network.leaves():
        axes = []
        for axis, size in (("row", getattr(layer, "rows", None)), ("column", getattr(layer, "cols", None))):
            # a kernel smaller than its stride skips rows by design (1x1 /2 projections): not a trap
            if getattr(size, "uncovered_input", 0) and size.effective_kernel >= size.stride:
                axes.append((axis, size))
        if not axes:
            continue
        size = axes[0][1]
        same = len(axes) == 2 and (axes[0][1].span, axes[0][1].uncovered_input) == (axes[1][1].span, axes[1][1].uncovered_input)
        nouns = ("row", "column") if same else tuple(a for a, _ in axes)
        found.append(UnusedInput(layer.name, nouns, size.span, size.stride, size.uncovered_input))
    return found


def shapes_text(network: Network | None) -> str:
    """How shapes read: H x W x C, or L x F where a sequence appears (and token ids in, if any)."""
    leaves = network.leaves() if network is not None else []
    shapes = ([network.input_shape] if network is not None else []) + [leaf.out_shape for leaf in leaves]
    if not any(len(s) == 2 for s in shapes):
        return "H x W x C per sample"
    text = ("H x W x C per sample; sequences L x F (length x features)" if any(len(s) == 3 for s in shapes)
            else "L x F per sample (length x features)")
    if leaves and getattr(leaves[0], "reads_token_ids", False):
        text += "; input: L token ids"
    return text


def conventions_for(opts: CountOptions, network: Network | None = None) -> list[str]:
    inc = [kind for kind in COST_KINDS if kind in opts.include]
    lines = [
        f"shapes: {shapes_text(network)}" + (f"; MACs and activations for a batch of {opts.batch}" if opts.batch != 1 else ""),
        "parameters: learnable tensors as PyTorch sum(p.numel()); "
        + ("batch-norm running mean/var counted as non-trainable parameters (Keras summary)"
           if opts.keras else "batch-norm running mean/var are buffers, shown apart (--keras counts them)"),
        "MACs: multiply-accumulates of conv and dense layers, bias adds not counted (torchvision 'GFLOPS')"
        + (f"; plus the {', '.join(inc)} operations below (--include)" if inc else ""),
    ]
    lines += [f"--include {kind}: {COST_RULES[kind]}" for kind in COST_KINDS if kind in opts.include]
    return lines + ["FLOPs = 2 x MACs"]


def summarize(network: Network, options: CountOptions | None = None) -> Summary:
    """Rows (containers first, then their contents) and totals of ``network``."""
    opts = options or CountOptions()
    rows: list[LayerRow] = []
    total = _rows(network.root, 0, "", opts, rows)
    leaves = [r for r in rows if not r.container]
    summary = Summary(network.name, network.input_shape, network.output_shape, rows, opts)
    summary.trainable_params = total.trainable_params
    summary.non_trainable_params = total.non_trainable_params
    summary.total_params = total.trainable_params + total.non_trainable_params
    summary.buffers = total.buffers
    summary.macs = total.macs
    summary.extra = dict(total.extra)
    summary.total_macs = total.counted_macs
    summary.activation_values = sum(prod(r.output_shape) for r in leaves) * opts.batch
    summary.warnings = warnings_for(network)
    summary.unused_input = unused_input(network)
    summary.conventions = network_notes(network) + conventions_for(opts, network) + layer_notes(network)
    return summary


def layer_notes(network) -> list[str]:
    """What the network's layer types say about their own counts (Layer.count_note), once each."""
    notes: list[str] = []
    for leaf in network.leaves():
        note = leaf.count_note()
        if note and note not in notes:
            notes.append(note)
    return notes


def network_notes(network) -> list[str]:
    """The spec's ``notes:`` as the first convention: which variant of a published network this is
    (torchvision's GoogLeNet is not the paper's), said where its numbers are shown."""
    notes = network.spec.get("notes") if isinstance(network.spec, dict) else None
    return [f"variant: {notes}"] if notes else []


def zoo_table() -> list[dict]:
    """Name, input, totals and description of every bundled network, and per published figure
    (params, MACs) the published value, ours and whether they agree. Data only: the renderers
    word the agreement (calc.render.wording.zoo_published_text)."""
    from calc import zoo
    from calc.network import load_network

    rows = []
    for name in zoo.bundled_names():
        network = load_network(name)
        s = summarize(network)
        ref = network.reference
        published = [{"figure": key, "published": ref[key], "ours": value, "match": ref[key] == value}
                     for key, value in (("params", s.total_params), ("macs", s.total_macs)) if key in ref]
        rows.append({"name": name, "input_shape": list(network.input_shape), "total_params": s.total_params,
                     "total_macs": s.total_macs, "buffers": s.buffers, "published": published,
                     "reference": {k: v for k, v in ref.items() if k in ("params", "macs", "source")},
                     "description": network.description.split(". ")[0],
                     "notes": str(network.spec.get("notes") or "")})
    return rows
