"""Helper code the generated PyTorch file carries when a layer needs it (written once here).

Each entry is Python source that the file includes only when an emitter names it, so a plain CNN
exports as torch.nn modules alone. The formulas follow nncalc's engine (docs/sequences.md).
"""

HELPERS = {
    "SharedBiasLinear": '''
class SharedBiasLinear(nn.Linear):
    """nn.Linear with one bias shared by all its units (Mazur's example)."""

    def __init__(self, in_features, out_features):
        super().__init__(in_features, out_features, bias=False)
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return F.linear(x, self.weight) + self.bias
''',
    "batch_norm_unbiased": '''
def batch_norm_unbiased(bn, x):
    """bn (an nn.BatchNorm1d or 2d) on x, but a training batch is normalised
    by its unbiased (n - 1) variance, as the spec's variance: unbiased (hand
    solutions); the running statistics and eval mode are bn's own."""
    y = bn(x)
    if not bn.training:
        return y
    dims = [d for d in range(x.dim()) if d != 1]
    shape = [1, -1] + [1] * (x.dim() - 2)
    mean = x.mean(dims, keepdim=True)
    y = (x - mean) / torch.sqrt(x.var(dims, keepdim=True) + bn.eps)
    if bn.affine:
        y = y * bn.weight.view(shape) + bn.bias.view(shape)
    return y
''',
    "avg_pool": '''
def avg_pool(x, kernel, stride, pad, full, count_pad):
    """Average pooling with any padding, dividing as nncalc (and torch) do.

    x is (N, C, H, W) or (N, C, L); pad and full are F.pad's sizes (last axis
    first): pad the zeros on each side, full those plus the cells a ceil_mode
    window reaches past them. A window's divisor counts the input cells, the
    pad cells too when count_pad, the reach cells never: each pool divides by
    the whole window, and the ratio of the two is sum / counted cells."""
    pool = F.avg_pool2d if x.dim() == 4 else F.avg_pool1d
    ones = torch.ones_like(x[:1, :1])
    counted = F.pad(ones, pad, value=float(count_pad))
    counted = F.pad(counted, [f - p for f, p in zip(full, pad)])
    return pool(F.pad(x, full), kernel, stride) / pool(counted, kernel, stride)
''',
    "rotary": '''
def rotary(x, base, head_dim, interleaved=False):
    """RoPE on (N, L, F), each head of head_dim features rotated alike:
    features k and k + head_dim/2 pair up (Hugging Face Llama's rotate_half),
    or 2k and 2k + 1 when interleaved (RoFormer, Meta's Llama); position p
    turns pair k by the angle p / base^(2k/head_dim)."""
    n, length, features = x.shape
    h = x.reshape(n, length, features // head_dim, head_dim)
    inv = base ** (-torch.arange(0, head_dim, 2, dtype=x.dtype) / head_dim)
    angle = torch.outer(torch.arange(length, dtype=x.dtype), inv)[:, None]
    cos, sin = angle.cos(), angle.sin()
    if interleaved:
        a, b = h[..., 0::2], h[..., 1::2]
        out = torch.stack((a * cos - b * sin, a * sin + b * cos), dim=-1)
    else:
        a, b = h[..., : head_dim // 2], h[..., head_dim // 2:]
        out = torch.cat((a * cos - b * sin, b * cos + a * sin), dim=-1)
    return out.reshape(n, length, features)
''',
    "to_sequence": '''
def to_sequence(x):
    """(N, C, H, W) map -> (N, H*W, C) sequence, positions row by row."""
    return x.flatten(2).transpose(1, 2)
''',
    "last_state": '''
def last_state(out, state, dirs):
    """The last layer's h_n, directions side by side (return_sequences off)."""
    h_n = state[0] if isinstance(state, tuple) else state
    return torch.cat(list(h_n[-dirs:]), dim=1)
''',
    "sinusoidal": '''
def sinusoidal(x, base):
    """x + PE, PE(p, 2i) = sin(p / base^(2i/F)), PE(p, 2i+1) = cos(...)."""
    length, dim = x.shape[1], x.shape[2]
    p = torch.arange(length, dtype=x.dtype)[:, None]
    i = torch.arange(dim, dtype=x.dtype)[None, :]
    angle = p / base ** ((2 * torch.div(i, 2, rounding_mode="floor")) / dim)
    return x + torch.where(i % 2 == 0, torch.sin(angle), torch.cos(angle))
''',
    "PositionalEmbedding": '''
class PositionalEmbedding(nn.Module):
    """x + a learned table row per position (BERT, GPT-2, ViT)."""

    def __init__(self, max_len, features):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(max_len, features))

    def forward(self, x):
        return x + self.weight[: x.shape[1]]
''',
    "ClassToken": '''
class ClassToken(nn.Module):
    """A learned token put before the sequence (ViT's class token)."""

    def __init__(self, features):
        super().__init__()
        self.token = nn.Parameter(torch.zeros(features))

    def forward(self, x):
        return torch.cat([self.token.expand(x.shape[0], 1, -1), x], dim=1)
''',
    "TokenType": '''
class TokenType(nn.Module):
    """x + the token-type table's row 0 (BERT with token_type_ids all zero)."""

    def __init__(self, types, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(types, dim))

    def forward(self, x):
        return x + self.weight[0]
''',
    "SwiGLU": '''
class SwiGLU(nn.Module):
    """Llama's MLP: down(silu(gate(x)) * up(x))."""

    def __init__(self, d_model, hidden, bias):
        super().__init__()
        self.gate = nn.Linear(d_model, hidden, bias=bias)
        self.up = nn.Linear(d_model, hidden, bias=bias)
        self.down = nn.Linear(hidden, d_model, bias=bias)

    def forward(self, x):
        return self.down(F.silu(self.gate(x)) * self.up(x))
''',
    "Attention": '''
def rotate_half(x, base):
    """Rotary encoding, Llama's rotate_half pairing: i with i + dim/2."""
    length, dim = x.shape[-2], x.shape[-1]
    inv = 1.0 / base ** (torch.arange(0, dim, 2, dtype=x.dtype) / dim)
    emb = torch.outer(torch.arange(length, dtype=x.dtype), inv).repeat(1, 2)
    rotated = torch.cat((-x[..., dim // 2:], x[..., : dim // 2]), dim=-1)
    return x * emb.cos() + rotated * emb.sin()


class Attention(nn.Module):
    """Multi-head attention on (N, L, F) sequences (grouped-query when
    kv_heads < heads): softmax(q k^T / sqrt(head_dim)) v through q, k, v, o
    projections; ``memory`` gives the keys and values of cross-attention."""

    def __init__(self, widths, heads, kv_heads, head_dim, bias, causal=False,
                 rotary=None, dropout=0.0):
        super().__init__()
        for p in ("q", "k", "v", "o"):
            out, inp = widths[p]
            setattr(self, p, nn.Linear(inp, out, bias=bias))
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, head_dim
        self.causal, self.rotary, self.dropout = causal, rotary, dropout

    def forward(self, x, memory=None):
        memory = x if memory is None else memory
        n, length = x.shape[0], x.shape[1]

        def split(t, h):
            return t.view(n, t.shape[1], h, self.head_dim).transpose(1, 2)

        q = split(self.q(x), self.heads)
        k = split(self.k(memory), self.kv_heads)
        v = split(self.v(memory), self.kv_heads)
        if self.rotary is not None:
            q, k = rotate_half(q, self.rotary), rotate_half(k, self.rotary)
        group = self.heads // self.kv_heads
        k = k.repeat_interleave(group, dim=1)
        v = v.repeat_interleave(group, dim=1)
        scores = q @ k.transpose(-2, -1) / self.head_dim ** 0.5
        if self.causal:
            mask = torch.ones(length, k.shape[2], dtype=torch.bool).triu(1)
            scores = scores.masked_fill(mask, float("-inf"))
        p = torch.softmax(scores, dim=-1)
        p = F.dropout(p, self.dropout, self.training)
        o = p @ v
        o = o.transpose(1, 2).reshape(n, length, self.heads * self.head_dim)
        return self.o(o)
''',
    "KerasRecurrent": '''
class KerasRecurrent(nn.Module):
    """Keras' SimpleRNN, LSTM and GRU(reset_after=False): one bias per gate;
    gates in PyTorch's order (LSTM i, f, g, o; GRU r, z, n), batch first.
    Returns (every step's h, h_n) as torch.nn.LSTM does."""

    def __init__(self, kind, features, hidden, layers=1, dirs=1, bias=True,
                 nonlinearity="tanh"):
        super().__init__()
        self.kind, self.hidden, self.layers, self.dirs = kind, hidden, layers, dirs
        self.nonlinearity = nonlinearity
        g = {"rnn": 1, "lstm": 4, "gru": 3}[kind] * hidden
        for lay in range(layers):
            width = features if lay == 0 else hidden * dirs
            for d in range(dirs):
                sfx = f"_l{lay}" + ("_reverse" if d else "")
                shapes = {"weight_ih": (g, width), "weight_hh": (g, hidden)}
                if bias:
                    shapes["bias"] = (g,)
                for name, shape in shapes.items():
                    setattr(self, name + sfx, nn.Parameter(torch.zeros(shape)))

    def step(self, x, h, c, sfx):
        wi, wh = getattr(self, "weight_ih" + sfx), getattr(self, "weight_hh" + sfx)
        b, hs = getattr(self, "bias" + sfx, 0), self.hidden
        if self.kind == "gru":
            a = x @ wi.T + b
            r = torch.sigmoid(a[:, :hs] + h @ wh[:hs].T)
            z = torch.sigmoid(a[:, hs:2 * hs] + h @ wh[hs:2 * hs].T)
            n = torch.tanh(a[:, 2 * hs:] + (r * h) @ wh[2 * hs:].T)
            return (1 - z) * n + z * h, c
        a = x @ wi.T + h @ wh.T + b
        if self.kind == "rnn":
            return (torch.tanh(a) if self.nonlinearity == "tanh"
                    else torch.relu(a)), c
        i, f, g, o = a.split(hs, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c

    def forward(self, x):
        finals = []
        for lay in range(self.layers):
            outs = []
            for d in range(self.dirs):
                sfx = f"_l{lay}" + ("_reverse" if d else "")
                h = c = x.new_zeros(x.shape[0], self.hidden)
                steps = range(x.shape[1] - 1, -1, -1) if d else range(x.shape[1])
                hs = [None] * x.shape[1]
                for t in steps:
                    h, c = self.step(x[:, t], h, c, sfx)
                    hs[t] = h
                outs.append(torch.stack(hs, dim=1))
                finals.append(h)
            x = torch.cat(outs, dim=2)
        return x, torch.stack(finals)
''',
}
