"""BERT's token-type (segment) embedding, as BertModel runs it without token_type_ids: every
position has type 0, so row 0 of a (types, d) table is added to every position.

Counted like the table BertModel holds (types x d parameters, 2 x 768 in BERT-base), no MACs;
the other rows get no gradient (no position uses them), as in torch.
"""

from __future__ import annotations

from calc.layers.base import Layer, Shape, register
from calc.shapes import fmt_shape, is_sequence
from calc.spec.options import Options


@register
class TokenTypeEmbedding(Layer):
    kind = "token_type_embedding"
    receptive = "identity"
    prefix = "types"
    aliases = ("segment_embedding",)
    summary = "BERT token-type table: types (2); adds row 0 to every position (all ids 0)"
    default_text = "token types: N(0, 1) as torch.nn.Embedding"

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        layer.types = opts.int("types", 2)
        opts.finish()
        return layer

    def compute_shape(self, in_shape: Shape) -> Shape:
        if not is_sequence(in_shape):
            self.fail(f"needs a sequence (length x features), got {fmt_shape(in_shape)}")
        self.dim = in_shape[1]
        return in_shape

    def param_shapes(self) -> dict[str, Shape]:
        return {"weight": (self.types, self.dim)}

    def param_symbols(self, pname: str) -> list[str]:
        return ["types", "dim"]

    def fans(self) -> tuple[int, int]:
        return (0, 0)

    def describe(self) -> str:
        return f"{self.types} types, type 0 added"

    def init_params(self, ctx) -> None:
        """N(0, 1) like torch.nn.Embedding, from the run's generator."""
        self.params, self.grads, self.buffers = {}, {}, {}
        ctx.drawn.append(f"{self.name}.weight")
        self.params["weight"] = ctx.backend.asarray(ctx.rng.standard_normal((self.types, self.dim)))

    def forward(self, x, ctx):
        return x + self.params["weight"][0]

    def backward(self, dy, ctx):
        grad = ctx.xp.zeros_like(self.params["weight"])
        grad[0] = dy.reshape(-1, self.dim).sum(axis=0)
        self.grads["weight"] = grad
        return dy
