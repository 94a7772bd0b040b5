"""How a convolution or pooling layer's numbers are written out: the terms of each sum.

Values come from the layers (calc.layers.conv / pool on the exact backend); this module only
walks the window geometry the layer already resolved (kernel, stride, dilation, padding,
groups) to list which numbers meet in each sum:

    O11 = 2*1 + 4*2 + 9*3 + 2*(-4) + 1*7 + 4*4 + 1*2 + 1*(-5) + 2*1      (forward)
    dL/dF12 = X12*dO11 + X13*dO12 + X22*dO21 + X23*dO22                    (filter gradient)
    dL/dX12 = dO11*F12 + dO12*F11                                          (input gradient)

Indices in names are 1-based (row, column); ``_k`` is the filter (output channel) and ``_c``
the input channel when there is more than one. Arrays are one sample: x (H, W, C), padded
xpad (Hp, Wp, C), dy (Ho, Wo, Cout), weight (Cout, Cin/g, kh, kw).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def ij(i: int, j: int) -> str:
    """'12' for row 1, column 2; '1,10' once an index has two digits."""
    return f"{i}{j}" if i < 10 and j < 10 else f"{i},{j}"


def suffix(k: int, many: bool) -> str:
    return f"_{k}" if many else ""


@dataclass(frozen=True)
class Term:
    """One product of a sum: a * b, each with its symbol ('X12', 'F21', '0' for padding)."""

    a: object
    a_sym: str
    b: object
    b_sym: str
    group: int = 0  # channel the term belongs to (sums over channels are bracketed per channel)


class Geometry:
    """The window walk of one conv/pool layer with its resolved padding (0-based indices).

    ``in_text(r, q, c)`` and ``grad_text(oh, ow, o)`` name input cells and output gradients
    (0-based arguments); by default 'X23' and 'dO11' as in the course, a network names them by
    its slots ('relu1.a2,3,1')."""

    def __init__(self, layer, in_text=None, grad_text=None):
        self.layer = layer
        self.in_text, self.grad_text = in_text, grad_text
        self.kh, self.kw = layer.kernel
        self.sh, self.sw = layer.stride
        self.dh, self.dw = getattr(layer, "dilation", (1, 1))
        self.top, _, self.left, _ = layer.pad
        self.h, self.w, self.c = layer.in_shape
        self.ho, self.wo, self.cout = layer.out_shape
        self.groups = getattr(layer, "groups", 1)

    def padded_cell(self, oh: int, ow: int, i: int, j: int) -> tuple[int, int]:
        """Padded-map cell read by tap (i, j) of the window at output (oh, ow)."""
        return oh * self.sh + i * self.dh, ow * self.sw + j * self.dw

    def inside(self, r: int, q: int) -> bool:
        return self.top <= r < self.top + self.h and self.left <= q < self.left + self.w

    def input_symbol(self, r: int, q: int, c: int, symbol: str = "X", pad: str = "0") -> str:
        """'X23' for a padded cell inside the input, ``pad`` ('0') for padding."""
        if not self.inside(r, q):
            return pad
        if self.in_text is not None:
            return self.in_text(r - self.top, q - self.left, c)
        return symbol + ij(r - self.top + 1, q - self.left + 1) + suffix(c + 1, self.c > 1)

    def out_grad(self, oh: int, ow: int, o: int) -> str:
        if self.grad_text is not None:
            return self.grad_text(oh, ow, o)
        return "dO" + ij(oh + 1, ow + 1) + suffix(o + 1, self.cout > 1)

    def window_cells(self, oh: int, ow: int) -> frozenset:
        return frozenset(self.padded_cell(oh, ow, i, j) for i in range(self.kh) for j in range(self.kw))

    def window_text(self, oh: int, ow: int) -> str:
        r0, q0 = self.padded_cell(oh, ow, 0, 0)
        r1, q1 = self.padded_cell(oh, ow, self.kh - 1, self.kw - 1)
        where = "padded " if any(self.layer.pad) else ""
        return f"window: {where}rows {r0 + 1}-{r1 + 1}, columns {q0 + 1}-{q1 + 1}"

    def channels_of(self, o: int) -> list[int]:
        """Input channels filter o sees (all of them unless grouped)."""
        cg = self.c // self.groups
        g = o // (self.cout // self.groups)
        return list(range(g * cg, (g + 1) * cg))


def weight_symbol(geo: Geometry, o: int, c: int, i: int, j: int, symbol: str = "F") -> str:
    """'F12' for one filter on one channel; 'F12_2,3' = filter 2, input channel 3."""
    cg = geo.c // geo.groups
    if geo.cout == 1 and cg == 1:
        return symbol + ij(i + 1, j + 1)
    return f"{symbol}{ij(i + 1, j + 1)}_{o + 1},{c + 1}"


def forward_terms(geo: Geometry, xpad, weight, oh: int, ow: int, o: int, kernel_index=None) -> list[Term]:
    """Products of O[oh, ow, o]: input cell times weight, channel by channel, taps row-major.

    ``kernel_index(i, j)`` names the weight actually applied at tap (i, j) (true convolution
    applies the flipped kernel: tap (0, 0) meets F[kh-1, kw-1])."""
    terms = []
    name = kernel_index or (lambda i, j: (i, j))
    for k, cin in enumerate(geo.channels_of(o)):
        for i in range(geo.kh):
            for j in range(geo.kw):
                r, q = geo.padded_cell(oh, ow, i, j)
                si, sj = name(i, j)
                terms.append(Term(xpad[r, q, cin], geo.input_symbol(r, q, cin), weight[o, k, i, j],
                                  weight_symbol(geo, o, k, si, sj), cin))
    return terms


def weight_grad_terms(geo: Geometry, xpad, dy, o: int, k: int, i: int, j: int) -> list[Term]:
    """Products of dL/dF[o, k, i, j] = sum over outputs of X(cell under tap (i, j)) * dL/dO."""
    cin = geo.channels_of(o)[k]
    terms = []
    for oh in range(geo.ho):
        for ow in range(geo.wo):
            r, q = geo.padded_cell(oh, ow, i, j)
            terms.append(Term(xpad[r, q, cin], geo.input_symbol(r, q, cin), dy[oh, ow, o], geo.out_grad(oh, ow, o)))
    return terms


def input_grad_terms(geo: Geometry, dy, weight, r: int, q: int, cin: int) -> list[Term]:
    """Products of dL/dX[r, q, cin] = sum of dL/dO * F over every window covering the cell, in
    output order (the full convolution of dL/dO with the 180-degree rotated kernel, written out)."""
    rp, qp = r + geo.top, q + geo.left
    terms = []
    for o in range(geo.cout):
        channels = geo.channels_of(o)
        if cin not in channels:
            continue
        k = channels.index(cin)
        for oh in range(geo.ho):
            for ow in range(geo.wo):
                a, b = rp - oh * geo.sh, qp - ow * geo.sw  # offset of the cell inside this window
                if a < 0 or b < 0 or a % geo.dh or b % geo.dw:
                    continue
                i, j = a // geo.dh, b // geo.dw
                if i < geo.kh and j < geo.kw:
                    terms.append(Term(dy[oh, ow, o], geo.out_grad(oh, ow, o), weight[o, k, i, j],
                                      weight_symbol(geo, o, k, i, j), o))
    return terms


def products(terms: list[Term], writer, symbols: bool = False, sep: str = "*") -> str:
    """'2*1 + 4*2 + 9*(-3)' (or with symbols 'X11 F11 + X12 F12'), bracketed per channel when the
    sum runs over several; never elided below 40 terms (every number of a hand exercise shows).
    ``sep='()'`` writes '2(1) + 4(-3)' as the dense narrator does."""
    def one(t: Term) -> str:
        if symbols:
            return f"{t.a_sym} {t.b_sym}" if t.a_sym != "0" else "0"
        if sep == "()":
            return f"{writer.num(t.a)}({writer.num(t.b)})"
        return f"{writer.factor(t.a)}{sep}{writer.factor(t.b)}"

    groups: dict = {}
    for t in terms:
        groups.setdefault(t.group, []).append(one(t))
    parts = [join_plus(g) for g in groups.values()]
    if len(terms) > 40:
        parts = [join_plus(list(groups.values())[0][:4] + ["..."])]
    if len(parts) == 1:
        return parts[0]
    return " + ".join(f"({p})" for p in parts)


def join_plus(items: list[str]) -> str:
    """'a + b - c' with every item kept (calc.solve.text.join_sum without eliding)."""
    from calc.solve.text import join_sum

    return join_sum(items, elide=False)


def pool_window(geo: Geometry, xpad, oh: int, ow: int, c: int) -> list[tuple[object, str]]:
    """(value, symbol) of each window cell of a pooling layer, taps row-major."""
    out = []
    for i in range(geo.kh):
        for j in range(geo.kw):
            r, q = geo.padded_cell(oh, ow, i, j)
            out.append((xpad[r, q, c], geo.input_symbol(r, q, c, pad="pad")))
    return out


def pool_text(geo: Geometry, layer, x, xpad, chosen: dict, oh: int, ow: int, c: int, writer):
    """(symbols, numbers, note) of one pooled value: 'max(X11, X12, ...)' with the chosen element
    (max; ``chosen`` maps outputs to the input cell the layer routed to), or '(X11 + ...) / 4'
    (average; the divisor is the layer's)."""
    if layer.pool_reduce == "max":
        cells = pool_window(geo, xpad, oh, ow, c)
        r, q = chosen[(oh, ow, c)]
        return (f"max({', '.join(s for _, s in cells)})",
                f"max({', '.join(writer.num(v) if s != 'pad' else '-inf' for v, s in cells)})",
                f"{geo.window_text(oh, ow)}; chosen: {geo.input_symbol(r + geo.top, q + geo.left, c)}")
    cells = [(x[r - geo.top, q - geo.left, c], geo.input_symbol(r, q, c))
             for r, q in sorted(geo.window_cells(oh, ow)) if geo.inside(r, q)]
    d = layer.divisors()[oh][ow]
    return (f"({join_plus([s for _, s in cells])}) / {d}", f"({join_plus([writer.num(v) for v, _ in cells])}) / {d}",
            geo.window_text(oh, ow))


def pool_grad_text(geo: Geometry, layer, chosen: dict, dy, r: int, q: int, c: int, writer) -> tuple[str, str]:
    """(symbols, numbers) of dL/dX[r, q, c]: the gradients of the windows whose maximum it was (max)
    or each covering window's gradient over its divisor (average); '0 (...)' when none."""
    terms, nums = [], []
    for oh in range(geo.ho):
        for ow in range(geo.wo):
            g = geo.out_grad(oh, ow, c)
            if layer.pool_reduce == "max" and chosen[(oh, ow, c)] == (r, q):
                terms.append(g)
                nums.append(writer.num(dy[oh, ow, c]))
            elif layer.pool_reduce != "max" and (r + geo.top, q + geo.left) in geo.window_cells(oh, ow):
                d = layer.divisors()[oh][ow]
                terms.append(f"{g}/{d}")
                nums.append(f"{writer.num(dy[oh, ow, c])}/{d}")
    if not terms:
        return f"0 ({layer.words.no_gradient})", ""
    return join_plus(terms), join_plus(nums)


def tex(symbols: str) -> str:
    """'X12 F21 + b' -> 'X_{12} F_{21} + b'; 'F12_2,3' -> 'F_{12}^{(2,3)}' (LaTeX of the names)."""
    def sub(m):
        name, index, extra = m.group(1), m.group(2), m.group(3)
        return f"{name}_{{{index}}}" + (f"^{{({extra})}}" if extra else "")
    return re.sub(r"\b([A-Za-z]+)(\d+(?:,\d+)*)(?:_(\d+(?:,\d+)*))?", sub, symbols)
