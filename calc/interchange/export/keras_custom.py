"""Custom Keras layers a Keras export carries when Keras has no built-in one (written once here).

A generated file includes an entry only when an emitter names it (``Piece.helpers``), so a plain
CNN exports as keras.layers alone. Each class follows nncalc's engine (docs/sequences.md): the
same formulas, the same weight shapes (the generated loader copies nncalc's arrays into them).
"""

CUSTOM = {
    "PositionalEmbedding": '''
class PositionalEmbedding(layers.Layer):
    """x + a learned table row per position (BERT, GPT-2, ViT)."""

    def __init__(self, max_len, **kwargs):
        super().__init__(**kwargs)
        self.max_len = max_len

    def build(self, shape):
        self.table = self.add_weight(shape=(self.max_len, shape[-1]),
                                     initializer="random_normal", name="table")

    def call(self, x):
        return x + self.table[: x.shape[1]]
''',
    "TokenType": '''
class TokenType(layers.Layer):
    """x + the token-type table's row 0 (BERT with token_type_ids all 0)."""

    def __init__(self, types, **kwargs):
        super().__init__(**kwargs)
        self.types = types

    def build(self, shape):
        self.table = self.add_weight(shape=(self.types, shape[-1]),
                                     initializer="random_normal", name="table")

    def call(self, x):
        return x + self.table[0]
''',
    "ClassToken": '''
class ClassToken(layers.Layer):
    """A learned token put before the sequence (ViT's class token)."""

    def build(self, shape):
        self.token = self.add_weight(shape=(shape[-1],), initializer="zeros",
                                     name="token")

    def call(self, x):
        n = keras.ops.shape(x)[0]
        token = keras.ops.broadcast_to(self.token, (n, 1, x.shape[-1]))
        return keras.ops.concatenate([keras.ops.cast(token, x.dtype), x], 1)
''',
    "Sinusoidal": '''
class Sinusoidal(layers.Layer):
    """x + PE, PE(p, 2i) = sin(p / base^(2i/F)), PE(p, 2i+1) = cos(...)."""

    def __init__(self, base=10000.0, **kwargs):
        super().__init__(**kwargs)
        self.base = base

    def call(self, x):
        length, dim = x.shape[1], x.shape[2]
        p, i = np.arange(length)[:, None], np.arange(dim)[None, :]
        angle = p / self.base ** (2 * (i // 2) / dim)
        pe = np.where(i % 2 == 0, np.sin(angle), np.cos(angle))
        return x + keras.ops.convert_to_tensor(pe, dtype=x.dtype)
''',
    "rope": '''
def rope(x, base, pairing="half"):
    """Rotary encoding of x (..., L, D): the pair of features (a, b) of
    position p turned by p / base^(2k/D); pairing half: k with k + D/2
    (Hugging Face Llama), interleaved: 2k with 2k + 1 (RoFormer)."""
    length, dim = x.shape[-2], x.shape[-1]
    angle = np.arange(length)[:, None] / base ** (np.arange(0, dim, 2) / dim)
    cos = keras.ops.convert_to_tensor(np.cos(angle), dtype=x.dtype)
    sin = keras.ops.convert_to_tensor(np.sin(angle), dtype=x.dtype)
    if pairing == "half":
        a, b = x[..., : dim // 2], x[..., dim // 2:]
        turned = [a * cos - b * sin, b * cos + a * sin]
        return keras.ops.concatenate(turned, axis=-1)
    a, b = x[..., 0::2], x[..., 1::2]
    pairs = keras.ops.stack([a * cos - b * sin, a * sin + b * cos], axis=-1)
    return keras.ops.reshape(pairs, keras.ops.shape(x))
''',
    "Rotary": '''
class Rotary(layers.Layer):
    """RoPE as a layer on (N, L, F): each head of head_dim features rotated."""

    def __init__(self, base, head_dim, pairing, **kwargs):
        super().__init__(**kwargs)
        self.base, self.head_dim, self.pairing = base, head_dim, pairing

    def call(self, x):
        n, length, features = keras.ops.shape(x)
        heads = keras.ops.reshape(x, (n, length, -1, self.head_dim))
        heads = keras.ops.transpose(heads, (0, 2, 1, 3))
        out = keras.ops.transpose(rope(heads, self.base, self.pairing),
                                  (0, 2, 1, 3))
        return keras.ops.reshape(out, (n, length, features))
''',
    "Attention": '''
class Attention(layers.Layer):
    """Multi-head attention as nncalc's: q, k, v, o Dense projections,
    rotary positions (half pairing) on q and k when base is given,
    grouped-query when kv_heads < heads (kv head j serves query heads
    j * g ... j * g + g - 1, g = heads / kv_heads), optionally causal;
    keys and values from ``memory`` for cross-attention."""

    def __init__(self, heads, kv_heads, head_dim, width, use_bias=True,
                 causal=False, base=None, **kwargs):
        super().__init__(**kwargs)
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, head_dim
        self.causal, self.base = causal, base
        dense = dict(use_bias=use_bias)
        self.q = layers.Dense(heads * head_dim, name="q", **dense)
        self.k = layers.Dense(kv_heads * head_dim, name="k", **dense)
        self.v = layers.Dense(kv_heads * head_dim, name="v", **dense)
        self.o = layers.Dense(width, name="o", **dense)

    def split(self, t, heads):
        t = keras.ops.reshape(t, (-1, t.shape[1], heads, self.head_dim))
        return keras.ops.transpose(t, (0, 2, 1, 3))

    def call(self, x, memory=None):
        memory = x if memory is None else memory
        q = self.split(self.q(x), self.heads)
        k = self.split(self.k(memory), self.kv_heads)
        v = self.split(self.v(memory), self.kv_heads)
        if self.base is not None:
            q, k = rope(q, self.base), rope(k, self.base)
        group = self.heads // self.kv_heads
        k, v = keras.ops.repeat(k, group, 1), keras.ops.repeat(v, group, 1)
        scores = keras.ops.matmul(q, keras.ops.transpose(k, (0, 1, 3, 2)))
        scores = scores / np.sqrt(self.head_dim)
        if self.causal:
            keep = np.tril(np.ones((x.shape[1], memory.shape[1]), dtype=bool))
            scores = keras.ops.where(keep, scores, -np.inf)
        o = keras.ops.matmul(keras.ops.softmax(scores, axis=-1), v)
        o = keras.ops.transpose(o, (0, 2, 1, 3))
        width = self.heads * self.head_dim
        return self.o(keras.ops.reshape(o, (-1, x.shape[1], width)))
''',
    "SwiGLU": '''
class SwiGLU(layers.Layer):
    """Llama's MLP: down(silu(gate(x)) * up(x)), gate, up and down Dense."""

    def __init__(self, hidden, width, use_bias=False, **kwargs):
        super().__init__(**kwargs)
        self.gate = layers.Dense(hidden, use_bias=use_bias, name="gate")
        self.up = layers.Dense(hidden, use_bias=use_bias, name="up")
        self.down = layers.Dense(width, use_bias=use_bias, name="down")

    def call(self, x):
        return self.down(keras.ops.silu(self.gate(x)) * self.up(x))
''',
    "GroupedConvTranspose": '''
class GroupedConvTranspose(layers.Layer):
    """A transposed convolution in groups (Keras' Conv2DTranspose has none):
    group j's input channels through its own Conv2DTranspose, the groups'
    outputs concatenated on channels."""

    def __init__(self, filters, kernel_size, groups, options, **kwargs):
        super().__init__(**kwargs)
        self.groups = groups
        self.convs = [layers.Conv2DTranspose(filters // groups, kernel_size,
                                             name=f"group{j}", **options)
                      for j in range(groups)]

    def call(self, x):
        parts = keras.ops.split(x, self.groups, axis=-1)
        outs = [conv(part) for conv, part in zip(self.convs, parts)]
        return keras.ops.concatenate(outs, axis=-1)
''',
    "SharedBiasDense": '''
class SharedBiasDense(layers.Layer):
    """A Dense layer whose neurons share one bias (x @ W + b, b a scalar)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, shape):
        self.kernel = self.add_weight(shape=(shape[-1], self.units),
                                      name="kernel")
        self.bias = self.add_weight(shape=(1,), initializer="zeros",
                                    name="bias")

    def call(self, x):
        return keras.ops.matmul(x, self.kernel) + self.bias
''',
    "TorchCell": '''
@keras.saving.register_keras_serializable(package="nncalc")
class TorchCell(layers.Layer):
    """PyTorch's RNN or LSTM cell: two biases (input's and recurrent's),
    LSTM gates in PyTorch's order (i, f, g, o); run by keras.layers.RNN."""

    def __init__(self, kind, units, nonlinearity="tanh", **kwargs):
        super().__init__(**kwargs)
        self.kind, self.units, self.nonlinearity = kind, units, nonlinearity
        self.state_size = [units, units] if kind == "lstm" else [units]
        self.output_size = units

    def build(self, shape):
        g = (4 if self.kind == "lstm" else 1) * self.units
        self.kernel = self.add_weight(shape=(shape[-1], g), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, g),
                                                name="recurrent_kernel")
        self.bias = self.add_weight(shape=(g,), initializer="zeros",
                                    name="bias")
        self.recurrent_bias = self.add_weight(shape=(g,), initializer="zeros",
                                              name="recurrent_bias")

    def call(self, x, states):
        h = states[0]
        a = keras.ops.matmul(x, self.kernel) + self.bias
        a = a + keras.ops.matmul(h, self.recurrent_kernel)
        a = a + self.recurrent_bias
        if self.kind != "lstm":
            relu = self.nonlinearity == "relu"
            h = keras.ops.relu(a) if relu else keras.ops.tanh(a)
            return h, [h]
        i, f, g, o = keras.ops.split(a, 4, axis=-1)
        s = keras.ops.sigmoid
        c = s(f) * states[1] + s(i) * keras.ops.tanh(g)
        h = s(o) * keras.ops.tanh(c)
        return h, [h, c]

    def get_config(self):
        return {**super().get_config(), "kind": self.kind, "units": self.units,
                "nonlinearity": self.nonlinearity}
''',
    "WindowPool": '''
def window_counts(n, k, s, d, before, after, out, include_pad):
    """Cells of each window on one axis that count in an average: inside
    the padded input (count_include_pad) or inside the input."""
    lo, hi = (-before, n + after) if include_pad else (0, n)
    cells = (np.arange(out) * s - before)[:, None] + d * np.arange(k)
    return ((cells >= lo) & (cells < hi)).sum(axis=1)


class WindowPool(layers.Layer):
    """Max or average pooling as nncalc (PyTorch): padding (-inf for max),
    dilation, ceil-mode windows (cells past the padded input never count);
    an average divides each window's sum by its own count of cells."""

    def __init__(self, mode, kernel, stride, dilation, pad, out,
                 count_include_pad=True, **kwargs):
        super().__init__(**kwargs)
        self.mode, self.kernel, self.stride = mode, kernel, stride
        self.dilation, self.pad, self.out = dilation, pad, out
        self.include_pad = count_include_pad

    def divisor(self, h, w):
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        top, bottom, left, right = self.pad
        rows = window_counts(h, kh, sh, dh, top, bottom, self.out[0],
                             self.include_pad)
        cols = window_counts(w, kw, sw, dw, left, right, self.out[1],
                             self.include_pad)
        return (rows[:, None] * cols[None, :])[..., None]

    def call(self, x):
        flat = len(x.shape) == 3  # a sequence: one column of positions
        x = x[:, :, None] if flat else x
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        (oh, ow), (h, w) = self.out, x.shape[1:3]
        top, bottom, left, right = self.pad
        bottom = max(bottom, (oh - 1) * sh + dh * (kh - 1) + 1 - h - top)
        right = max(right, (ow - 1) * sw + dw * (kw - 1) + 1 - w - left)
        fill = -np.inf if self.mode == "max" else 0.0
        y, x = None, keras.ops.pad(
            x, [[0, 0], [top, bottom], [left, right], [0, 0]],
            constant_values=fill)
        for i in range(kh):
            for j in range(kw):
                cell = x[:, i * dh: i * dh + (oh - 1) * sh + 1: sh,
                         j * dw: j * dw + (ow - 1) * sw + 1: sw]
                if y is None:
                    y = cell
                elif self.mode == "max":
                    y = keras.ops.maximum(y, cell)
                else:
                    y = y + cell
        if self.mode != "max":
            y = y / keras.ops.convert_to_tensor(self.divisor(h, w), y.dtype)
        return y[:, :, 0] if flat else y
''',
    "AxisMix": '''
class AxisMix(layers.Layer):
    """y = A_h x A_w^T for each channel of a map, A (out, in) a fixed mix of
    rows (columns); a subclass gives matrix(n, o, axis)."""

    def __init__(self, out, **kwargs):
        super().__init__(**kwargs)
        self.out = out

    def call(self, x):
        a = self.matrix(x.shape[1], self.out[0], 0).astype("float64")
        b = self.matrix(x.shape[2], self.out[1], 1).astype("float64")
        a = keras.ops.convert_to_tensor(a, x.dtype)
        b = keras.ops.convert_to_tensor(b, x.dtype)
        return keras.ops.einsum("ih,nhwc,jw->nijc", a, x, b)
''',
    "Resize": '''
class Resize(AxisMix):
    """torch.nn.Upsample: per axis r = n / o (1 / scale when a scale is
    given; (n - 1) / (o - 1) with align_corners); nearest copies input
    floor(i r), bilinear mixes the two inputs around its source point."""

    def __init__(self, out, mode, align_corners=False, scale=None, **kwargs):
        super().__init__(out, **kwargs)
        self.mode, self.align_corners, self.scale = mode, align_corners, scale

    def matrix(self, n, o, axis):
        if self.align_corners:
            r = Fraction(n - 1, o - 1) if o > 1 else Fraction(0)
        else:
            r = Fraction(n, o)
            if self.scale:  # torch: 1 / scale when a scale is given
                r = 1 / Fraction(self.scale[axis])
        m = np.zeros((o, n), dtype=object)
        for i in range(o):
            if self.mode == "nearest":
                m[i, min(math.floor(i * r), n - 1)] = 1
                continue
            src = i * r if self.align_corners else max((i + Fraction(1, 2)) * r
                                                       - Fraction(1, 2), 0)
            i0 = min(math.floor(src), n - 1)
            m[i, i0] += 1 - (src - i0)
            m[i, min(i0 + 1, n - 1)] += src - i0
        return m
''',
    "AdaptiveAvgPool": '''
class AdaptiveAvgPool(AxisMix):
    """PyTorch's adaptive average pool: output i averages the inputs
    [floor(i n / o), ceil((i + 1) n / o))."""

    def matrix(self, n, o, axis):
        m = np.zeros((o, n))
        for i in range(o):
            a, b = i * n // o, -(-(i + 1) * n // o)
            m[i, a:b] = 1 / (b - a)
        return m
''',
}
