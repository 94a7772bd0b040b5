"""Multi-head self-attention on a sequence (L, d), with grouped-query attention, a causal mask and
rotary position encoding of Q and K: one leaf, counted and run.

Parameters use the Hugging Face layout (separate q/k/v/o projections, torch.nn.Linear weights
(out, in)); PyTorch's nn.MultiheadAttention packs q, k, v into one in_proj_weight (3d, d) with
the same count. With kv_heads < heads (grouped-query attention, Llama 2 70B, Mistral), head h
reads key/value head h // (heads / kv_heads), as Hugging Face's repeat_kv.

Counting convention (stated in the summary): MACs = the four projections + Q K^T + A V, the full
L x L square also under a causal mask (what a dense kernel computes); ``causal_macs: triangle``
counts only the L (L + 1) / 2 pairs a causal mask keeps. The softmax is an extra cost ("act":
one operation per score), the bias adds are "bias"; the 1/sqrt(head_dim) scale is not counted
(it folds into the Q projection).
"""

from __future__ import annotations

from calc.layers.base import Layer, Shape, register
from calc.layers.sequence_position import apply_rotary
from calc.shapes import fmt_shape, is_sequence
from calc.spec.options import Options


def read_heads(layer, opts: Options):
    """The options self- and cross-attention share: heads, kv_heads, head_dim, bias, dropout."""
    layer.heads = opts.int("heads")
    layer.kv_heads = opts.int("kv_heads", layer.heads)
    layer.head_dim = opts.int("head_dim", 0, minimum=0) or None
    layer.use_bias = opts.flag("bias", True)
    layer.rate = opts.number("dropout", 0.0, minimum=0.0, maximum=1.0, open_max=True)
    return layer


def check_heads(layer, opts: Options) -> None:
    if layer.heads % layer.kv_heads:
        opts.fail("kv_heads", f"heads ({layer.heads}) must be a multiple of kv_heads ({layer.kv_heads})")


@register
class Attention(Layer):
    """Self-attention: softmax(Q K^T / sqrt(head_dim) + mask) V per head, heads concatenated, then
    the output projection; Q, K, V and the output are projections of the sequence itself."""

    kind = "attention"
    receptive = "whole"  # every output position may read every input position
    prefix = "attn"
    aliases = ("self_attention", "multihead_attention")
    summary = ("multi-head self-attention on a sequence: heads, kv_heads (grouped-query), head_dim, "
               "bias, causal, dropout, rotary, causal_macs (full|triangle)")

    @classmethod
    def from_options(cls, opts: Options):
        layer = read_heads(cls(opts.where), opts)
        layer.causal = opts.flag("causal", False)
        layer.rotary = opts.flag("rotary", False)
        layer.rotary_base = opts.number("rotary_base", 10000.0, minimum=1.0)
        layer.causal_macs = opts.choice("causal_macs", ("full", "triangle"), "full")
        opts.finish()
        check_heads(layer, opts)
        if layer.causal_macs == "triangle" and not layer.causal:
            opts.fail("causal_macs", "causal_macs: triangle needs causal: true")
        return layer

    def compute_shape(self, in_shape: Shape) -> Shape:
        if not is_sequence(in_shape):
            self.fail(f"needs a sequence (length x features), got {fmt_shape(in_shape)}")
        self.length, self.d_model = in_shape
        if self.head_dim is None:
            if self.d_model % self.heads:
                self.fail(f"{self.d_model} features do not split into {self.heads} heads; "
                          "give head_dim")
            self.head_dim = self.d_model // self.heads
        if self.rotary and self.head_dim % 2:
            self.fail(f"rotary needs an even head_dim, got {self.head_dim}")
        return in_shape

    # -- counting -------------------------------------------------------------------------
    def widths(self) -> dict[str, tuple[int, int]]:
        """(out, in) of each projection."""
        d, q, kv = self.d_model, self.heads * self.head_dim, self.kv_heads * self.head_dim
        return {"q": (q, d), "k": (kv, d), "v": (kv, d), "o": (d, q)}

    def param_shapes(self) -> dict[str, Shape]:
        shapes = {}
        for p, (out, inp) in self.widths().items():
            shapes[f"{p}_weight"] = (out, inp)
            if self.use_bias:
                shapes[f"{p}_bias"] = (out,)
        return shapes

    def param_symbols(self, pname: str) -> list[str]:
        return ["out", "in"] if pname.endswith("weight") else ["out"]

    def pairs(self) -> int:
        """Query-key pairs computed per head: L^2, or L (L + 1) / 2 counting the causal triangle."""
        n = self.length
        return n * (n + 1) // 2 if self.causal_macs == "triangle" else n * n

    def projection_macs(self) -> int:
        return self.length * sum(out * inp for out, inp in self.widths().values())

    def score_macs(self) -> int:
        """Q K^T and A V: each pair of positions costs head_dim products per head, twice."""
        return 2 * self.pairs() * self.heads * self.head_dim

    def macs(self) -> int:
        return self.projection_macs() + self.score_macs()

    def mac_text(self) -> tuple[str, str]:
        pairs = "L(L+1)/2" if self.causal_macs == "triangle" else "L*L"
        w = self.widths()
        return (f"L*(q + k + v + o widths) + 2*{pairs}*heads*head_dim",
                f"{self.length}*({'+'.join(str(a * b) for a, b in w.values())}) + "
                f"2*{self.pairs()}*{self.heads}*{self.head_dim}")

    def costs(self) -> dict[str, int]:
        bias = self.length * sum(out for out, _ in self.widths().values()) if self.use_bias else 0
        return {"act": self.heads * self.pairs(), "bias": bias}

    def count_note(self) -> str:
        return ("attention: MACs = Q, K, V, output projections + Q K^T + A V (2 x L^2 x heads x head_dim a "
                "layer), the full L x L square also under a causal mask"
                + ("; causal_macs: triangle counts the L(L+1)/2 pairs kept" if self.causal_macs == "triangle" else "")
                + "; softmax under --include act")

    def kv_values_per_token(self) -> int:
        """Values a KV cache keeps per token and sequence: K and V of every key/value head."""
        return 2 * self.kv_heads * self.head_dim

    def fans(self) -> tuple[int, int]:
        out, inp = self.widths()["q"]
        return inp, out

    def describe(self) -> str:
        text = f"{self.heads} heads x {self.head_dim}"
        if self.kv_heads != self.heads:
            text += f", {self.kv_heads} kv"
        if self.causal:
            text += ", causal" + (" (triangle)" if self.causal_macs == "triangle" else "")
        if self.rotary:
            text += ", rotary"
        if not self.use_bias:
            text += ", no bias"
        return text

    # -- running --------------------------------------------------------------------------
    def init_params(self, ctx) -> None:
        """Each projection drawn like a torch.nn.Linear of its own (fan_in = its input width)."""
        self.params, self.grads, self.buffers = {}, {}, {}
        for name, shape in self.param_shapes().items():
            out, inp = self.widths()[name[0]]
            self.params[name] = linear_param(ctx, self, name, shape, inp, out)

    def _project(self, x, p):
        y = x @ self.params[f"{p}_weight"].T
        return y + self.params[f"{p}_bias"] if self.use_bias else y

    def _heads(self, t, n):
        """(N, L, n * head_dim) -> (N, n, L, head_dim)."""
        return t.reshape(t.shape[0], t.shape[1], n, self.head_dim).transpose(0, 2, 1, 3)

    def _mask(self, ctx, length):
        """1 where query i may see key j (j <= i under a causal mask), else 0: (L, L)."""
        ones = ctx.xp.ones((length, length))
        return ctx.backend.asarray(ctx.xp.tril(ones) if self.causal else ones)

    def forward(self, x, ctx):
        return self._attend(x, x, ctx)

    def _attend(self, xq, xkv, ctx):
        """Queries from xq (N, Lq, d), keys and values from xkv (N, Lk, d_kv): the same sequence
        for self-attention, an encoder's output for cross-attention."""
        xp = ctx.xp
        n, length, _ = xq.shape
        group = self.heads // self.kv_heads
        self.xq, self.xkv = xq, xkv
        q = self._heads(self._project(xq, "q"), self.heads)
        k = self._heads(self._project(xkv, "k"), self.kv_heads)
        v = self._heads(self._project(xkv, "v"), self.kv_heads)
        if self.rotary:  # positions rotate Q and K (rotate_half pairing, Llama / Hugging Face)
            q, k = (apply_rotary(t, ctx.backend, float(self.rotary_base), "half") for t in (q, k))
        if group > 1:
            k, v = xp.repeat(k, group, axis=1), xp.repeat(v, group, axis=1)
        self.scale = 1 / xp.sqrt(ctx.scalar(self.head_dim))
        scores = (q @ k.transpose(0, 1, 3, 2)) * self.scale
        keep = self._mask(ctx, length) if self.causal else None
        if keep is None:  # every key: a stable softmax over each row
            e = xp.exp(scores - xp.max(scores, axis=-1, keepdims=True))
        else:  # masked scores are left out (not -inf), so that the exact backend computes it too
            big = xp.max(xp.where(keep > 0, scores, xp.min(scores)), axis=-1, keepdims=True)
            e = xp.exp(xp.where(keep > 0, scores - big, 0 * big)) * keep
        p = e / e.sum(axis=-1, keepdims=True)
        self.drop = None
        if ctx.training and self.rate > 0:
            self.drop = ctx.backend.asarray((ctx.rng.random(p.shape) >= float(self.rate)).astype(float)) \
                / (1 - ctx.scalar(self.rate))
        self.q, self.k, self.v, self.p = q, k, v, p
        pd = p if self.drop is None else p * self.drop
        o = (pd @ v).transpose(0, 2, 1, 3).reshape(n, length, self.heads * self.head_dim)
        self.o = o
        return self._project(o, "o")

    def _param_grads(self, p, inp, dy):
        flat_in, flat_dy = inp.reshape(-1, inp.shape[-1]), dy.reshape(-1, dy.shape[-1])
        self.grads[f"{p}_weight"] = flat_dy.T @ flat_in
        if self.use_bias:
            self.grads[f"{p}_bias"] = flat_dy.sum(axis=0)

    def backward(self, dy, ctx):
        dq, dkv = self._attend_back(dy, ctx)
        return dq + dkv

    def _attend_back(self, dy, ctx):
        """(dL/dxq, dL/dxkv); the parameters' gradients are stored."""
        n = dy.shape[0]
        group = self.heads // self.kv_heads
        self._param_grads("o", self.o, dy)
        do = self._heads(dy @ self.params["o_weight"], self.heads)
        pd = self.p if self.drop is None else self.p * self.drop
        dv = pd.transpose(0, 1, 3, 2) @ do
        dp = do @ self.v.transpose(0, 1, 3, 2)
        if self.drop is not None:
            dp = dp * self.drop
        ds = self.p * (dp - (dp * self.p).sum(axis=-1, keepdims=True)) * self.scale
        dq = ds @ self.k
        dk = ds.transpose(0, 1, 3, 2) @ self.q
        keys = self.xkv.shape[1]
        if group > 1:  # every kv head served `group` query heads: their gradients add
            dk = dk.reshape(n, self.kv_heads, group, keys, self.head_dim).sum(axis=2)
            dv = dv.reshape(n, self.kv_heads, group, keys, self.head_dim).sum(axis=2)
        if self.rotary:  # the rotation transposed
            dq, dk = (apply_rotary(g, ctx.backend, float(self.rotary_base), "half", inverse=True) for g in (dq, dk))
        grads = []
        for p, g, heads, inp in (("q", dq, self.heads, self.xq), ("k", dk, self.kv_heads, self.xkv),
                                 ("v", dv, self.kv_heads, self.xkv)):
            flat = g.transpose(0, 2, 1, 3).reshape(n, inp.shape[1], heads * self.head_dim)
            self._param_grads(p, inp, flat)
            grads.append(flat @ self.params[f"{p}_weight"])
        return grads[0], grads[1] + grads[2]


@register
class CrossAttention(Attention):
    """Cross-attention of a decoder: queries from the previous output, keys and values from a
    named earlier output (an encoder's), written `- cross_attention: {heads: 8}` with `with: NAME`
    beside it. No mask, no rotary; K and V project the memory's own width."""

    kind = "cross_attention"
    prefix = "xattn"
    aliases = ()
    is_merge = True  # takes [previous output, the named memory]
    summary = ("cross-attention (decoder): heads, kv_heads, head_dim, bias, dropout; keys/values from "
               "`with: NAME` (an encoder's output)")
    kv_values_per_token = None  # its cache holds the memory once, not one entry per generated token

    @classmethod
    def from_options(cls, opts: Options):
        layer = read_heads(cls(opts.where), opts)
        layer.causal, layer.rotary, layer.causal_macs = False, False, "full"
        opts.finish()
        check_heads(layer, opts)
        return layer

    def build(self, in_shapes) -> Shape:
        if not isinstance(in_shapes, list):
            self.fail("needs the encoder's output as keys and values: add `with: NAME` beside the entry "
                      "(NAME an earlier layer's name)")
        if len(in_shapes) != 2:
            self.fail(f"takes two inputs (the queries and one memory), got {len(in_shapes)}")
        self.input_shapes = [tuple(s) for s in in_shapes]
        memory = self.input_shapes[1]
        if not is_sequence(memory):
            self.fail(f"keys and values need a sequence (length x features), got {fmt_shape(memory)}")
        self.keys, self.kv_width = memory
        return super().build(self.input_shapes[0])

    def widths(self) -> dict[str, tuple[int, int]]:
        d, q, kv = self.d_model, self.heads * self.head_dim, self.kv_heads * self.head_dim
        return {"q": (q, d), "k": (kv, self.kv_width), "v": (kv, self.kv_width), "o": (d, q)}

    def pairs(self) -> int:
        return self.length * self.keys

    def projection_macs(self) -> int:
        w = self.widths()
        return (self.length * sum(a * b for a, b in (w["q"], w["o"]))
                + self.keys * sum(a * b for a, b in (w["k"], w["v"])))

    def mac_text(self) -> tuple[str, str]:
        w = self.widths()
        return ("Lq*(q + o widths) + Lk*(k + v widths) + 2*Lq*Lk*heads*head_dim",
                f"{self.length}*({w['q'][0] * w['q'][1]}+{w['o'][0] * w['o'][1]}) + "
                f"{self.keys}*({w['k'][0] * w['k'][1]}+{w['v'][0] * w['v'][1]}) + "
                f"2*{self.length}*{self.keys}*{self.heads}*{self.head_dim}")

    def costs(self) -> dict[str, int]:
        w = self.widths()
        bias = (self.length * (w["q"][0] + w["o"][0]) + self.keys * (w["k"][0] + w["v"][0])) if self.use_bias else 0
        return {"act": self.heads * self.pairs(), "bias": bias}

    def count_note(self) -> str:
        return ("cross-attention: MACs = Q, O projections of the Lq queries + K, V projections of the Lk "
                "memory positions + 2 x Lq x Lk x heads x head_dim")

    def describe(self) -> str:
        return super().describe() + f", memory {self.keys} x {self.kv_width}"

    def forward(self, inputs, ctx):
        return self._attend(inputs[0], inputs[1], ctx)

    def backward(self, dy, ctx):
        return list(self._attend_back(dy, ctx))


class _Linear:
    """What ctx.init_param asks of a layer, for one projection of a layer that holds several:
    its fans and the initialiser; the parameter is drawn as a torch.nn.Linear's weight or bias."""

    def __init__(self, layer, fan_in: int, fan_out: int):
        self.name = layer.name
        self.init = getattr(layer, "init", None)
        self._fans = (fan_in, fan_out)

    def fans(self) -> tuple[int, int]:
        return self._fans


def linear_param(ctx, layer, name: str, shape: tuple, fan_in: int, fan_out: int):
    """Draw ``layer``'s parameter ``name`` like a torch.nn.Linear(fan_in, fan_out) weight or bias."""
    value = ctx.init_param(_Linear(layer, fan_in, fan_out), "weight" if name.endswith("weight") else "bias", shape)
    ctx.drawn[-1] = f"{layer.name}.{name}"
    return value


def per_token_notes(leaves) -> list[str]:
    """A decoder's (causal attention's) MACs per token, for the summary's conventions: one token
    generated at the end of the context with a KV cache costs the projections once and Q K^T, A V
    over the whole context, which is MACs / L when the full square is counted (the average over
    the sequence is lower when only the causal triangle is)."""
    attention = [leaf for leaf in leaves if isinstance(leaf, Attention)]
    causal = [a for a in attention if a.causal]
    if not causal or any(isinstance(a, CrossAttention) for a in attention):
        return []  # with cross-attention the memory's projections are not per generated token
    triangle = any(a.causal_macs == "triangle" for a in attention)
    length = causal[0].length
    total = sum(leaf.macs() for leaf in leaves)
    scores = sum(a.score_macs() for a in attention)
    generated = (total - scores) // length + sum(2 * a.length * a.heads * a.head_dim for a in attention)
    average = f"; {total // length:,} on average over the sequence (MACs / {length:,})" if triangle \
        else f" (= MACs / {length:,})"
    return [f"per token (decoder): {generated:,} MACs to generate the token at position {length:,} "
            f"with a KV cache: the projections once, Q K^T and A V over the context{average}"]
