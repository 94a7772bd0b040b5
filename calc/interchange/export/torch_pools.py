"""PyTorch emitters of the window pools, 2-D (maps, NCHW) and 1-D (sequences, (N, L, C)).

torch's own nn.MaxPool / nn.AvgPool are written where their padding is nncalc's: the same padding
both sides, at most half the kernel (PyTorch's rule). Other paddings (four different sides, or
TensorFlow 'same' with a dilated kernel, wider than half of it) pad the input first with F.pad and
pool without padding; the cells a ceil_mode window reaches past the padded input are padded too,
so the pool needs no ceil_mode and its window count is nncalc's. A max pool pads with -inf (never
a window's maximum). An average pool pads with zeros; when its divisor is not the whole window
(count_include_pad false, or a ceil_mode window cut at the padded input) the ``avg_pool`` helper
divides the padded input's pooled sum by the pooled count of the cells that nncalc counts.
"""

from __future__ import annotations

from calc.interchange.export.torch_kinds import IN, Piece, emits, options, pair, tup
from calc.layers import conv1d, pool


def native(layer) -> bool:
    """torch's padding argument says it: equal sides, each at most half the kernel."""
    top, bottom, left, right = layer.pad
    (kh, kw) = layer.kernel
    return top == bottom <= kh // 2 and left == right <= kw // 2


def reach(layer) -> tuple[int, int]:
    """(rows, cols) a ceil_mode window overhangs the padded input at the bottom and right."""
    return layer.rows.ceil_overhang, layer.cols.ceil_overhang


def pad_order(layer, with_reach: bool) -> tuple[int, ...]:
    """F.pad's order, the last axis first: (left, right, top, bottom) on NCHW, (before, after) on
    (N, C, L); with the ceil_mode overhang added at the end of each axis when ``with_reach``."""
    top, bottom, left, right = layer.pad
    rh, rw = reach(layer) if with_reach else (0, 0)
    if isinstance(layer, conv1d.OneD):
        return top, bottom + rh
    return left, right + rw, top, bottom + rh


@emits(pool.MaxPool, pool.AvgPool)
def _pool(layer, a, x):
    if native(layer):
        return Piece(f"self.{a}({x})", [(a, native_ctor(layer, 2))])
    return padded(layer, a, x, 2)


@emits(pool.GlobalMaxPool)
def _global_max(layer, a, x):  # its tie rule is nncalc's: the first maximum takes the gradient
    return Piece(f"self.{a}({x})", [(a, "nn.AdaptiveMaxPool2d(1)")])


@emits(conv1d.MaxPool1d, conv1d.AvgPool1d)
def _pool1d(layer, a, x):
    if native(layer):
        return Piece(f"self.{a}({x}.transpose(1, 2)).transpose(1, 2)", [(a, native_ctor(layer, 1))])
    piece = padded(layer, a, f"{x}.transpose(1, 2)", 1)
    piece.expr += ".transpose(1, 2)"
    return piece


def window_args(layer, dims: int) -> str:
    """kernel and stride (written always: a pool's default stride is its kernel size)."""
    if dims == 1:
        return f"{layer.kernel[0]}, stride={layer.stride[0]}"
    return f"{pair(layer.kernel)}, stride={pair(layer.stride)}"


def native_ctor(layer, dims: int) -> str:
    top, _, left, _ = layer.pad
    common = window_args(layer, dims) + options(padding=top if dims == 1 else pair((top, left)))
    if layer.pool_reduce == "max":
        dilation = layer.dilation[0] if dims == 1 else pair(layer.dilation)
        return f"nn.MaxPool{dims}d({common}{options(dilation=dilation)}" + \
            (", ceil_mode=True)" if layer.ceil_mode else ")")
    return f"nn.AvgPool{dims}d({common}" + (", ceil_mode=True" if layer.ceil_mode else "") + \
        ("" if layer.count_include_pad else ", count_include_pad=False") + ")"


def padded(layer, a, x, dims: int) -> Piece:
    """The input ``x`` padded explicitly (with the ceil_mode overhang), then a pool without padding:
    two statements, the pool reading the padded input (IN), so that each line stays short."""
    full = pad_order(layer, True)
    if layer.pool_reduce == "max":
        dilation = layer.dilation[0] if dims == 1 else pair(layer.dilation)
        ctor = f"nn.MaxPool{dims}d({window_args(layer, dims)}{options(dilation=dilation)})"
        return Piece(f"self.{a}({IN})", [(a, ctor)], pre=(f'F.pad({x}, {tup(full)}, value=float("-inf"))',))
    if layer.count_include_pad and not any(reach(layer)):  # every window's divisor is its size
        return Piece(f"self.{a}({IN})", [(a, f"nn.AvgPool{dims}d({window_args(layer, dims)})")],
                     pre=(f"F.pad({x}, {tup(full)})",))
    kernel = layer.kernel[0] if dims == 1 else tup(layer.kernel)
    stride = layer.stride[0] if dims == 1 else tup(layer.stride)
    call = (f"avg_pool({x}, {kernel}, {stride}, pad={tup(pad_order(layer, False))}, full={tup(full)}, "
            f"count_pad={layer.count_include_pad})")
    return Piece(call, helpers=("avg_pool",))
