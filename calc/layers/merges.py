"""Merges: the leaf that joins several inputs (branch outputs or named layers) into one output,
by sum (residuals), concatenation on channels (Inception, DenseNet) or product (gates: squeeze-and-
excitation, GLU). Containers (calc/layers/containers.py) end their branches with one of these, so
tables, counting and the engine see the merge as a row with an output shape.
"""

from __future__ import annotations

from math import prod

from calc.layers.base import Layer, Shape, fmt_shape


class Merge(Layer):
    """A leaf taking a list of inputs (branch outputs or named layers) and giving one output."""

    receptive = "identity"
    is_merge = True
    verb = "merge"

    def __init__(self, where=None):
        super().__init__(where)
        self.input_shapes: list[Shape] = []
        self.labels: list[str] = []  # how errors name the inputs ("branch 2", "'skip3'")

    def build(self, in_shapes) -> Shape:
        shapes = [tuple(s) for s in in_shapes]
        self.input_shapes = shapes
        labels = self.labels if len(self.labels) == len(shapes) else [f"input {j + 1}" for j in range(len(shapes))]
        self.in_shape = shapes[0]
        self.out_shape = self.join(shapes, labels)
        return self.out_shape

    def join(self, shapes: list[Shape], labels: list[str]) -> Shape:
        raise NotImplementedError

    def listing(self, shapes, labels) -> str:
        return ", ".join(f"{label}: {fmt_shape(s)}" for label, s in zip(labels, shapes))


class Add(Merge):
    """Element-wise sum of the inputs (a residual's body and shortcut)."""

    kind = "add"
    prefix = "add"
    verb = "add"

    def join(self, shapes, labels):
        if any(s != shapes[0] for s in shapes):
            self.fail(f"cannot add inputs of different shapes ({self.listing(shapes, labels)})")
        return shapes[0]

    def costs(self) -> dict[str, int]:
        return {"add": prod(self.out_shape) * (max(len(self.input_shapes), 2) - 1)}

    def forward(self, inputs, ctx):
        out = inputs[0]
        for item in inputs[1:]:
            out = out + item
        return out

    def backward(self, dy, ctx):
        return [dy for _ in self.input_shapes or (0, 0)]  # an add gate passes the gradient to every input


class ConcatMerge(Merge):
    """Concatenation of branch outputs along channels (features for vectors)."""

    kind = "concat"
    prefix = "concat"

    @property
    def branch_shapes(self) -> list[Shape]:
        return self.input_shapes

    def join(self, shapes, labels):
        first = shapes[0]
        for shape in shapes:
            if len(shape) != len(first) or shape[:-1] != first[:-1]:
                self.fail(f"cannot concatenate inputs with different sizes ({self.listing(shapes, labels)}); "
                          "all but the channel axis must match")
        return (*first[:-1], sum(shape[-1] for shape in shapes))

    def forward(self, inputs, ctx):
        return ctx.xp.concatenate(inputs, axis=-1)

    def backward(self, dy, ctx):
        """Split the gradient back into each input's channels."""
        out, start = [], 0
        for shape in self.input_shapes:
            out.append(dy[..., start:start + shape[-1]])
            start += shape[-1]
        return out


class Multiply(Merge):
    """Element-wise product of the inputs; an axis of size 1 is broadcast (a 1 x 1 x C gate
    scales every position of an H x W x C map: squeeze-and-excitation, attention gates)."""

    kind = "multiply"
    prefix = "mul"

    def join(self, shapes, labels):
        first = shapes[0]
        if any(len(s) != len(first) for s in shapes):
            self.fail(f"cannot multiply inputs of different ranks ({self.listing(shapes, labels)})")
        out = []
        for sizes in zip(*shapes):
            big = {n for n in sizes if n != 1}
            if len(big) > 1:
                self.fail(f"cannot multiply inputs of shapes {self.listing(shapes, labels)}: each axis must "
                          "match or be 1 (a 1 x 1 x C gate scales every position)")
            out.append(big.pop() if big else 1)
        return tuple(out)

    def costs(self) -> dict[str, int]:
        return {"add": prod(self.out_shape) * (len(self.input_shapes) - 1)}

    def forward(self, inputs, ctx):
        self.inputs = inputs
        out = inputs[0]
        for item in inputs[1:]:
            out = out * item
        return out

    def backward(self, dy, ctx):
        """d/d(input i) = dy times the other inputs, summed over the axes input i broadcast."""
        grads = []
        for i, shape in enumerate(self.input_shapes):
            g = dy
            for j, other in enumerate(self.inputs):
                if j != i:
                    g = g * other
            axes = tuple(a + 1 for a, (n, m) in enumerate(zip(shape, self.out_shape)) if n != m)
            grads.append(g.sum(axis=axes, keepdims=True) if axes else g)
        return grads


# -- branching containers ---------------------------------------------------------------------
