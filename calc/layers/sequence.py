"""Sequences in and out: token ids to vectors, maps to sequences, a class token, sequence pooling.

A sequence is (L, F) per sample (L positions of F features; arrays (N, L, F)). A spec whose
input is ``[L]`` followed by ``embedding`` reads L token ids per sample: integers in [0, vocab),
given in any input file as numbers (an id that is not one is refused with its sample and position).
"""

from __future__ import annotations

from math import prod

from calc.errors import InputError
from calc.layers.base import Layer, Shape, register
from calc.ops import first_max, first_max_backward
from calc.ops.pool import MAX_TIES
from calc.shapes import fmt_shape, is_map, is_sequence
from calc.spec.options import Options


def normal_param(layer: Layer, ctx, name: str, shape: tuple):
    """N(0, 1), torch.nn.Embedding's initialisation (whatever --init says, as in torch); recorded
    as the layer's own rule (``default_text``) so a run says where the values came from."""
    ctx.defaults.append(f"{layer.name}.{name}")
    return ctx.backend.asarray(ctx.rng.standard_normal(shape))  # the run's seeded generator, float64 draws


def need_sequence(layer: Layer, in_shape: Shape) -> tuple[int, int]:
    if not is_sequence(in_shape):
        layer.fail(f"needs a sequence (length x features), got {fmt_shape(in_shape)}")
    return in_shape  # type: ignore[return-value]


def table_values(layer: Layer, ctx, shape: tuple, hint: str) -> dict:
    """``weights:`` written in the spec as the table, one row per id or position."""
    from calc.spec.values import to_array

    if layer.given is None:
        return {}
    raw, where = layer.given
    return {"weight": to_array(raw, where, ctx.backend, shape, "weights", hint)}


@register
class Embedding(Layer):
    """A lookup table (vocab, dim): token id t gives row t. No multiplies (MACs 0); the gradient
    of the table is sparse: each row gets the sum of dL/dy over the positions holding its id, and
    the padding_idx row none (torch.nn.Embedding)."""

    kind = "embedding"
    receptive = "identity"  # position by position
    prefix = "emb"
    aliases = ("embed", "token_embedding")
    summary = "token ids -> vectors: vocab, dim, padding_idx, weights (input [length] of ids)"
    default_text = "embedding: N(0, 1) as torch.nn.Embedding, the padding_idx row 0"
    reads_token_ids = True  # as the first layer, the network's input is L token ids

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        layer.vocab = opts.int("vocab")
        layer.dim = opts.int("dim")
        pad = opts.raw("padding_idx", None)
        if pad is not None:
            pad = opts.check_int("padding_idx", pad, minimum=-layer.vocab)
            if pad >= layer.vocab:
                opts.fail("padding_idx", f"expected an id from 0 to {layer.vocab - 1} (vocab {layer.vocab}), got {pad}")
            pad = pad % layer.vocab  # -1 is the last id, as torch
        layer.padding_idx = pad
        layer.given = (opts.raw("weights"), opts.at("weights")) if opts.has("weights") else None
        layer.trainable = opts.flag("trainable", True)
        opts.finish()
        return layer

    def compute_shape(self, in_shape: Shape) -> Shape:
        if len(in_shape) != 1:
            self.fail(f"reads token ids: its input is [length] (one id per position), got {fmt_shape(in_shape)}")
        return (in_shape[0], self.dim)

    def param_shapes(self) -> dict[str, Shape]:
        return {"weight": (self.vocab, self.dim)}

    def param_symbols(self, pname: str) -> list[str]:
        return ["vocab", "dim"]

    def fans(self) -> tuple[int, int]:
        return (self.dim, self.vocab)  # torch's rule on a (vocab, dim) tensor: dim 1, dim 0

    def describe(self) -> str:
        return f"{self.vocab} x {self.dim}" + (f" pad {self.padding_idx}" if self.padding_idx is not None else "")

    def init_params(self, ctx) -> None:
        self.params, self.grads, self.buffers = {}, {}, {}
        given = table_values(self, ctx, (self.vocab, self.dim), f"one row per id: {self.vocab} rows of {self.dim}")
        weight = given["weight"] if given else normal_param(self, ctx, "weight", (self.vocab, self.dim))
        if self.padding_idx is not None and not given:
            weight[self.padding_idx] = ctx.scalar(0)  # torch zeroes the padding row at initialisation
        self.params["weight"] = weight

    def token_ids(self, x, ctx):
        """The ids of a batch (N, L) as host integers; one clear line for a value that is not an id."""
        host = ctx.backend.to_numpy(x)
        bad = ~((host == host.round()) & (host >= 0) & (host < self.vocab))
        if bool(bad.any()):
            rows, cols = bad.nonzero()
            n, pos = int(rows[0]), int(cols[0])
            shown = f"{host[n, pos]:g}"
            raise InputError(f"{self.kind} '{self.name}': sample {n + 1}, position {pos + 1}: token id {shown} is "
                             f"not an integer from 0 to {self.vocab - 1} (vocab {self.vocab})")
        return host.astype("int64")

    def forward(self, x, ctx):
        self.ids = self.token_ids(x, ctx)
        self.x_shape = x.shape
        return self.params["weight"][ctx.xp.asarray(self.ids) if ctx.backend.name == "cupy" else self.ids]

    def backward(self, dy, ctx):
        """Rows accumulate (an id seen twice gets both gradients); token ids have no gradient (0)."""
        xp = ctx.xp
        ids = xp.asarray(self.ids) if ctx.backend.name == "cupy" else self.ids
        grad = xp.zeros_like(self.params["weight"])
        xp.add.at(grad, ids.reshape(-1), dy.reshape(-1, self.dim))
        if self.padding_idx is not None:
            grad[self.padding_idx] = ctx.scalar(0)
        self.grads["weight"] = grad
        return xp.zeros_like(dy[..., 0])


POOL_MODES = ("first", "mean", "last", "max")


@register
class SequencePool(Layer):
    """(L, F) -> (F,): the first position (BERT's [CLS], ViT's class token), the mean over
    positions, the last position (a decoder's last token), or the maximum over positions per
    feature (Keras' GlobalMaxPooling1D, torch's x.max(dim=1).values: the gradient goes to the
    first maximal position, as that max's indices)."""

    kind = "sequence_pool"
    receptive = "whole"  # the mean and the max see every position (first/last: set per layer)
    prefix = "seqpool"
    aliases = ("seq_pool", "sequence_pooling")
    summary = "sequence -> vector: mode first ([CLS] token), last, mean or max over positions"

    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        layer.mode = opts.choice("mode", POOL_MODES, "first")
        opts.finish()
        if layer.mode in ("first", "last"):
            layer.receptive = "identity"  # one position's own field
        return layer

    def compute_shape(self, in_shape: Shape) -> Shape:
        return (need_sequence(self, in_shape)[1],)

    def costs(self) -> dict[str, int]:
        # mean: one add per input value; max: one comparison per value (as global_maxpool)
        return {"pool": prod(self.in_shape) if self.mode in ("mean", "max") else 0}

    def run_note(self) -> tuple[str, str, str] | None:
        return MAX_TIES if self.mode == "max" else None

    def describe(self) -> str:
        return self.mode

    def forward(self, x, ctx):
        self.length = x.shape[1]
        if self.mode == "mean":
            return x.mean(axis=1)
        if self.mode == "max":
            y, self.where = first_max(x, ctx.xp)
            return y
        return x[:, 0 if self.mode == "first" else -1]

    def backward(self, dy, ctx):
        xp = ctx.xp
        if self.mode == "max":
            return first_max_backward(self.where, dy, self.length, xp)
        dx = xp.zeros((dy.shape[0], self.length, dy.shape[1]), dtype=None if ctx.backend.exact else dy.dtype)
        if self.mode == "mean":
            dx[...] = (dy / ctx.scalar(self.length))[:, None, :]
        else:
            dx[:, 0 if self.mode == "first" else -1] = dy
        return dx


@register
class ToSequence(Layer):
    """(H, W, C) -> (H*W, C): one position per pixel, row by row (ViT's patches after the strided
    conv: torchvision's x.reshape(n, C, H*W).permute(0, 2, 1))."""

    kind = "to_sequence"
    receptive = "identity"  # a position is a pixel with its field
    prefix = "toseq"
    aliases = ("patches_to_sequence",)
    summary = "map -> sequence: H x W x C becomes (H*W) x C, row by row (ViT patches)"

    def compute_shape(self, in_shape: Shape) -> Shape:
        if not is_map(in_shape):
            self.fail(f"needs a feature map (height x width x channels), got {fmt_shape(in_shape)}")
        h, w, c = in_shape
        return (h * w, c)

    def forward(self, x, ctx):
        self.x_shape = x.shape
        return x.reshape(x.shape[0], -1, x.shape[-1])

    def backward(self, dy, ctx):
        return dy.reshape(self.x_shape)


@register
class ClassToken(Layer):
    """Prepends one learned position (ViT's class token, F parameters, zeros at start as
    torchvision): (L, F) -> (L + 1, F)."""

    kind = "class_token"
    receptive = "identity"
    prefix = "cls"
    aliases = ("cls_token",)
    summary = "prepend a learned class token: sequence L x F -> (L+1) x F (ViT)"
    default_text = "class token: zeros (torchvision)"

    def compute_shape(self, in_shape: Shape) -> Shape:
        length, features = need_sequence(self, in_shape)
        self.features = features
        return (length + 1, features)

    def param_shapes(self) -> dict[str, Shape]:
        return {"token": (self.features,)}

    def param_symbols(self, pname: str) -> list[str]:
        return ["F"]

    def fans(self) -> tuple[int, int]:
        return (0, 0)

    def default_param(self, name, shape):
        return [0.0] * shape[0]

    def forward(self, x, ctx):
        xp = ctx.xp
        token = xp.broadcast_to(self.params["token"], (x.shape[0], 1, self.features))
        return xp.concatenate([token.astype(x.dtype) if not ctx.backend.exact else token, x], axis=1)

    def backward(self, dy, ctx):
        self.grads["token"] = dy[:, 0].sum(axis=0)
        return dy[:, 1:]
