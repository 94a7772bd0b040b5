"""Containers: a sequence of layers, parallel branches merged by concatenation (Inception), and
residual blocks adding a body to an identity or projection shortcut (ResNet).

Containers own no parameters. Their merge step is a leaf of its own (``concat``, ``add``) so that
tables, counting and the engine all see it as a row with an output shape.
"""

from __future__ import annotations

from math import prod

from calc.layers.base import Layer, Shape, fmt_shape, is_map


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

    def build(self, in_shape: Shape) -> Shape:
        self.in_shape = tuple(in_shape)
        shape = self.in_shape
        for layer in self.layers:
            shape = layer.build(shape)
        self.out_shape = shape
        return shape

    def children(self) -> list[Layer]:
        return list(self.layers)

    def forward(self, x, ctx):
        for layer in self.layers:
            x = layer.forward(x, ctx)
            if not layer.is_container:
                x = ctx.seen_output(layer, x)  # recording (and hand rounding) of worked solutions
        return x

    def backward(self, dy, ctx):
        for layer in reversed(self.layers):
            if not layer.is_container:
                dy = ctx.seen_grad(layer, dy)
            dy = layer.backward(dy, ctx)
        return dy

    @property
    def is_container(self) -> bool:
        return True


class Add(Layer):
    """Element-wise sum of the residual body and the shortcut."""

    kind = "add"
    receptive = "identity"
    prefix = "add"

    def costs(self) -> dict[str, int]:
        return {"add": prod(self.out_shape)}

    def forward(self, inputs, ctx):
        return inputs[0] + inputs[1]

    def backward(self, dy, ctx):
        return [dy, dy]  # an add gate passes the gradient to both inputs


class ConcatMerge(Layer):
    """Concatenation of branch outputs along channels (features for vectors)."""

    kind = "concat"
    receptive = "identity"
    prefix = "concat"

    def __init__(self, where=None):
        super().__init__(where)
        self.branch_shapes: list[Shape] = []

    def forward(self, inputs, ctx):
        return ctx.xp.concatenate(inputs, axis=-1)

    def backward(self, dy, ctx):
        """Split the gradient back into each branch's channels."""
        out, start = [], 0
        for shape in self.branch_shapes:
            out.append(dy[..., start:start + shape[-1]])
            start += shape[-1]
        return out


class Concat(Layer):
    """Parallel branches on the same input, outputs concatenated along the channel axis."""

    kind = "concat"
    receptive = "widest"
    prefix = "branches"

    def __init__(self, branches: list[Sequential], where=None, label: str = "branches"):
        super().__init__(where)
        self.branches = branches
        self.label = label
        self.merge = ConcatMerge(where)

    def build(self, in_shape: Shape) -> Shape:
        self.in_shape = tuple(in_shape)
        outs = [branch.build(self.in_shape) for branch in self.branches]
        first = outs[0]
        for shape in outs:
            if len(shape) != len(first) or shape[:-1] != first[:-1]:
                listing = ", ".join(f"branch {j + 1}: {fmt_shape(s)}" for j, s in enumerate(outs))
                self.fail(f"cannot concatenate branches with different sizes ({listing}); "
                          "all but the channel axis must match")
        merged = (*first[:-1], sum(shape[-1] for shape in outs))
        self.merge.branch_shapes = outs
        self.merge.in_shape = first
        self.merge.out_shape = merged
        self.out_shape = merged
        return merged

    def children(self) -> list[Layer]:
        return [*self.branches, self.merge]

    def paths(self) -> list[Layer]:
        return list(self.branches)

    def merge_layer(self) -> Layer:
        return self.merge

    def forward(self, x, ctx):
        y = self.merge.forward([branch.forward(x, ctx) for branch in self.branches], ctx)
        if ctx.record is not None:
            ctx.record[self.merge.name] = y
        return y

    def backward(self, dy, ctx):
        grads = self.merge.backward(dy, ctx)
        dx = None
        for branch, g in zip(self.branches, grads):
            gx = branch.backward(g, ctx)
            dx = gx if dx is None else dx + gx  # the input fans out: gradients add
        return dx

    @property
    def is_container(self) -> bool:
        return True


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
        self.add.in_shape = body
        self.add.out_shape = body
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
        return self.body.backward(d_body, ctx) + self.shortcut.backward(d_short, ctx)

    @property
    def is_container(self) -> bool:
        return True
