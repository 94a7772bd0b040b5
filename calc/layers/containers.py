"""Containers: a sequence of layers, parallel branches merged by concatenation (Inception), by
multiplication (gates: squeeze-and-excitation, GLU) or on channel slices (ShuffleNet's split),
and residual blocks adding a body to an identity or projection shortcut (ResNet).

Containers own no parameters. Their merge step is a leaf of its own (``concat``, ``add``,
``multiply``) so that tables, counting and the engine all see it as a row with an output shape.

Named references (``from: a``, ``with: b``) let a layer take earlier outputs instead of (or
besides) the previous one: ``Layer.sources`` lists those layers, ``Layer.chained`` says whether
the previous output comes first. A referenced layer keeps its output for its consumers
(``kept``) and collects their gradients (``pending``) until the backward pass reaches it; a
Sequential does the routing, calc.spec.refs checks the references (earlier, unique, every output
used) before anything is built.
"""

from __future__ import annotations

from calc.layers.base import Layer, Shape, fmt_shape, is_map
from calc.layers.merges import Add, ConcatMerge, Merge, Multiply


def _plus(a, b):
    """a + b where None means "no gradient yet"."""
    return b if a is None else a if b is None else a + b


def take_pending(layer: Layer):
    """The gradients a referenced layer's consumers left for it (None when none)."""
    grad = getattr(layer, "pending", None)
    layer.pending = None
    return grad


def give(layer: Layer, grad) -> None:
    layer.pending = _plus(getattr(layer, "pending", None), grad)


def inputs_of(layer: Layer, previous, kept=lambda source: source.kept):
    """What ``layer`` takes: the previous output, or its sources' (after the previous one when
    chained); a layer that is not a merge takes one array (or shape), a merge a list."""
    if layer.sources is None:
        return previous
    items = ([previous] if layer.chained else []) + [kept(s) for s in layer.sources]
    return items if getattr(layer, "is_merge", False) else items[0]


def sources_text(layer: Layer) -> str:
    """'from a, b' or 'with a' for a layer taking named outputs (the summary's config column)."""
    if layer.sources is None:
        return ""
    return ("with " if layer.chained else "from ") + ", ".join(s.name for s in layer.sources)


class InputRef(Layer):
    """The network's input under the name ``input`` (``from: input``): not a layer, a source."""

    kind = "input"

    def __init__(self, shape: Shape):
        super().__init__()
        self.name = "input"
        self.in_shape = self.out_shape = tuple(shape)


class Sequential(Layer):
    """Layers applied one after another; ``label`` names what it came from (a block, a branch)."""

    kind = "sequential"
    receptive = "sequence"
    prefix = "seq"

    TRANSPARENT = ("repeat", "body", "shortcut")  # structure only: tables show their contents

    def __init__(self, layers: list[Layer], where=None, label: str = "sequential"):
        super().__init__(where)
        self.layers = layers
        self.label = label
        self.transparent = label in self.TRANSPARENT
        self.input_ref: InputRef | None = None  # the root's input when a layer takes `from: input`

    def build(self, in_shape: Shape) -> Shape:
        self.in_shape = tuple(in_shape)
        shape = self.in_shape
        for layer in self.layers:
            shape = layer.build(inputs_of(layer, shape, lambda source: source.out_shape))
        self.out_shape = shape
        return shape

    def children(self) -> list[Layer]:
        return list(self.layers)

    def forward(self, x, ctx):
        if self.input_ref is not None:
            self.input_ref.kept = x
        for layer in self.layers:
            x = layer.forward(inputs_of(layer, x), ctx)
            if not layer.is_container:
                x = ctx.seen_output(layer, x)  # recording (and hand rounding) of worked solutions
            if layer.referenced:
                layer.kept = x
        return x

    def backward(self, dy, ctx, skip_last: bool = False):
        """dL/d(input) from dL/d(output); references add their consumers' gradients. With
        ``skip_last``, ``dy`` is already the gradient at the last layer's input (a fused loss)."""
        layers = self.layers
        if skip_last and layers:
            dy = self._route(layers[-1], dy)
            layers = layers[:-1]
        for layer in reversed(layers):
            if layer.referenced:
                dy = _plus(dy, take_pending(layer))
            if not layer.is_container:
                dy = ctx.seen_grad(layer, dy)
            dy = self._route(layer, layer.backward(dy, ctx))
        if self.input_ref is not None:
            dy = _plus(dy, take_pending(self.input_ref))
        return dy

    @staticmethod
    def _route(layer: Layer, dx):
        """Hand a layer's input gradient to its sources; returns the previous layer's share."""
        if layer.sources is None:
            return dx
        grads = list(dx) if getattr(layer, "is_merge", False) else [dx]
        previous = grads.pop(0) if layer.chained else None
        for source, grad in zip(layer.sources, grads):
            give(source, grad)
        return previous

    @property
    def is_container(self) -> bool:
        return True


# -- merges: leaves that join several inputs --------------------------------------------------
class Branches(Layer):
    """Parallel branches on the same input, their outputs joined by a merge leaf."""

    kind = "branches"
    receptive = "widest"
    prefix = "branches"
    merge_class: type[Merge] = ConcatMerge

    def __init__(self, branches: list[Sequential], where=None, label: str = "branches"):
        super().__init__(where)
        self.branches = branches
        self.label = label
        self.merge = self.merge_class(where)

    def branch_input(self, index: int, x):
        """What branch ``index`` receives (the whole input; a split hands out channel slices)."""
        return x

    def build(self, in_shape: Shape) -> Shape:
        self.in_shape = tuple(in_shape)
        outs = [branch.build(self.branch_input(j, self.in_shape)) for j, branch in enumerate(self.branches)]
        self.merge.labels = [f"branch {j + 1}" for j in range(len(outs))]
        self.out_shape = self.merge.build(outs)
        return self.out_shape

    def children(self) -> list[Layer]:
        return [*self.branches, self.merge]

    def paths(self) -> list[Layer]:
        return list(self.branches)

    def merge_layer(self) -> Layer:
        return self.merge

    def forward(self, x, ctx):
        y = self.merge.forward([b.forward(self.branch_input(j, x), ctx) for j, b in enumerate(self.branches)], ctx)
        if ctx.record is not None:
            ctx.record[self.merge.name] = y
        return y

    def backward(self, dy, ctx):
        grads = self.merge.backward(dy, ctx)
        dx = None
        for branch, g in reversed(list(zip(self.branches, grads))):  # reverse order: a later branch may
            dx = _plus(dx, branch.backward(g, ctx))  # take an earlier one's named output; gradients add
        return dx

    @property
    def is_container(self) -> bool:
        return True


class Concat(Branches):
    """Parallel branches on the same input, outputs concatenated along the channel axis."""

    kind = "concat"


class Product(Branches):
    """Parallel branches multiplied element by element (an empty branch passes the input)."""

    kind = "multiply"
    merge_class = Multiply


class Sum(Branches):
    """Parallel branches added element by element (a residual with any number of paths)."""

    kind = "add"
    merge_class = Add


class Split(Branches):
    """The channels cut into consecutive groups (``sizes``), one per branch, outputs concatenated
    (ShuffleNetV2: two halves, one of them passed through)."""

    kind = "split"

    def __init__(self, branches: list[Sequential], sizes: list[int] | None = None, where=None, label: str = "split"):
        super().__init__(branches, where, label)
        self.sizes = sizes
        self.starts: list[int] = []

    def build(self, in_shape: Shape) -> Shape:
        channels = in_shape[-1]
        n = len(self.branches)
        sizes = self.sizes
        if sizes is None:
            if channels % n:
                self.fail(f"cannot split {channels} channels into {n} equal parts; give sizes: [...]")
            sizes = [channels // n] * n
        elif sum(sizes) != channels:
            self.fail(f"sizes {sizes} add up to {sum(sizes)}, but the input has {channels} channels "
                      f"({fmt_shape(in_shape)})")
        self.parts = sizes
        self.starts = [sum(sizes[:j]) for j in range(n)]
        return super().build(in_shape)

    def branch_input(self, index: int, x):
        start, size = self.starts[index], self.parts[index]
        if isinstance(x, tuple) and all(isinstance(v, int) for v in x):  # a shape while building
            return (*x[:-1], size)
        return x[..., start:start + size]

    def describe(self) -> str:
        return "channels " + " + ".join(str(s) for s in self.parts) if self.starts else ""

    def backward(self, dy, ctx):
        grads = self.merge.backward(dy, ctx)
        parts = [branch.backward(g, ctx) for branch, g in reversed(list(zip(self.branches, grads)))]
        return ctx.xp.concatenate(parts[::-1], axis=-1)


class SqueezeExcite(Product):
    """Squeeze-and-excitation (Hu et al. 2018; torchvision's SqueezeExcitation): the input times a
    per-channel gate, global average pool -> 1x1 conv (squeeze) -> activation -> 1x1 conv back to
    C -> gate (sigmoid). The squeeze width is fixed once the input's channels are known."""

    kind = "se"

    def __init__(self, branches, squeeze: int | None, reduction: int | None, divisor: int | None,
                 where=None, label: str = "se"):
        super().__init__(branches, where, label)
        self.squeeze, self.reduction, self.divisor = squeeze, reduction, divisor

    def squeeze_width(self, channels: int) -> int:
        if self.squeeze is not None:
            return self.squeeze
        width = channels // self.reduction
        if self.divisor:  # torchvision's _make_divisible(C // r, d): nearest multiple, at most 10% below
            d = self.divisor
            rounded = max(d, (width + d // 2) // d * d) if d % 2 == 0 else max(d, int(width + d / 2) // d * d)
            width = rounded + d if 10 * rounded < 9 * width else rounded
        if width < 1:
            self.fail(f"{channels} channels // reduction {self.reduction} leaves no squeeze channels")
        return width

    def build(self, in_shape: Shape) -> Shape:
        if not is_map(in_shape):
            self.fail(f"needs a feature map (height x width x channels), got {fmt_shape(in_shape)}")
        gate = self.branches[1].layers
        gate[1].filters = self.squeeze_width(in_shape[-1])
        gate[3].filters = in_shape[-1]
        return super().build(in_shape)

    def describe(self) -> str:
        return f"squeeze {self.branches[1].layers[1].filters}" if self.out_shape else ""


class Residual(Layer):
    """out = body(x) + shortcut(x); an empty shortcut is the identity."""

    kind = "residual"
    receptive = "widest"
    prefix = "res"

    def __init__(self, body: Sequential, shortcut: Sequential, where=None, label: str = "residual"):
        super().__init__(where)
        self.body = body
        self.shortcut = shortcut
        self.label = label
        self.add = Add(where)

    def build(self, in_shape: Shape) -> Shape:
        self.in_shape = tuple(in_shape)
        body = self.body.build(self.in_shape)
        short = self.shortcut.build(self.in_shape)
        if body != short:
            kind = "identity shortcut" if not self.shortcut.layers else "shortcut"
            hint = ""
            if is_map(body) and is_map(short) and not self.shortcut.layers:
                stride = max(1, short[0] // max(body[0], 1))
                hint = (f"; use a projection shortcut, e.g. conv {{filters: {body[2]}, kernel: 1"
                        + (f", stride: {stride}" if stride > 1 else "") + "}")
            self.fail(f"cannot add: the body gives {fmt_shape(body)} but the {kind} gives "
                      f"{fmt_shape(short)}{hint}")
        self.add.build([body, short])
        self.out_shape = body
        return body

    def children(self) -> list[Layer]:
        return [self.body, self.shortcut, self.add]

    def paths(self) -> list[Layer]:
        return [self.body, self.shortcut]

    def merge_layer(self) -> Layer:
        return self.add

    def forward(self, x, ctx):
        y = self.add.forward([self.body.forward(x, ctx), self.shortcut.forward(x, ctx)], ctx)
        if ctx.record is not None:
            ctx.record[self.add.name] = y
        return y

    def backward(self, dy, ctx):
        d_body, d_short = self.add.backward(dy, ctx)
        d_from_short = self.shortcut.backward(d_short, ctx)  # the shortcut ran last: it goes back first
        return _plus(self.body.backward(d_body, ctx), d_from_short)

    @property
    def is_container(self) -> bool:
        return True
