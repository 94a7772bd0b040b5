"""Receptive fields: how many input pixels (per axis) one output value of each layer depends on.

Walking the layers in order with r (receptive field) and j (jump: input pixels between two
neighbouring outputs), starting from r = j = 1 at the input (Araujo, Norris & Sim, "Computing
Receptive Fields of Convolutional Neural Networks", Distill 2019):

    r_out = r_in + (k_eff - 1) * j_in,   j_out = j_in * s,   k_eff = d(k - 1) + 1

Padding does not change r (it only shifts where windows start). Layers without a window
(activations, batch norm, dropout) keep r and j; a transposed conv divides the jump by its
stride first. Global pooling, flatten and dense layers see the whole input. Parallel branches
(concat) and residual blocks take the largest field of their paths. Data only; no formatting.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from calc.layers import Layer
from calc.network import Network

WINDOW_KINDS = ("conv", "maxpool", "avgpool")
WHOLE_KINDS = ("flatten", "dense", "global_avgpool", "adaptive_avgpool")


@dataclass(frozen=True)
class Field:
    size: tuple  # (rows, cols) of input pixels one value sees
    jump: tuple  # (rows, cols) of input pixels between neighbouring values (a Fraction after upsampling)
    whole: bool = False  # every input pixel (after global pooling, flatten or dense)


@dataclass(frozen=True)
class FieldRow:
    name: str
    kind: str
    kernel: tuple | None
    stride: tuple | None
    dilation: tuple | None
    before: Field
    after: Field


def _step(layer: Layer, field: Field, input_size: tuple) -> Field:
    if field.whole or layer.kind in WHOLE_KINDS:
        return Field(input_size, field.jump, True)
    if layer.kind in WINDOW_KINDS or layer.kind == "conv_transpose":
        k, s, d = layer.kernel, layer.stride, getattr(layer, "dilation", (1, 1))
        jump = field.jump
        if layer.kind == "conv_transpose":  # outputs are 1/s input steps apart
            jump = tuple(Fraction(j) / st for j, st in zip(jump, s))
            s = (1, 1)
        size = tuple(r + (dd * (kk - 1)) * j for r, kk, dd, j in zip(field.size, k, d, jump))
        return Field(size, tuple(j * st for j, st in zip(jump, s)))
    return field


def _walk(layer: Layer, field: Field, input_size: tuple, rows: list) -> Field:
    if not layer.is_container:
        after = _step(layer, field, input_size)
        window = layer.kind in WINDOW_KINDS or layer.kind == "conv_transpose"
        rows.append(FieldRow(layer.name, layer.kind, getattr(layer, "kernel", None) if window else None,
                             getattr(layer, "stride", None) if window else None,
                             getattr(layer, "dilation", (1, 1)) if window else None, field, after))
        return after
    if hasattr(layer, "branches") or hasattr(layer, "body"):  # concat / residual: the widest path
        paths = list(getattr(layer, "branches", [])) or [layer.body, layer.shortcut]
        ends = [_walk(p, field, input_size, rows) for p in paths]
        widest = max(ends, key=lambda f: (f.whole, f.size))
        merge = getattr(layer, "merge", None) or getattr(layer, "add", None)
        if merge is not None:
            rows.append(FieldRow(merge.name, merge.kind, None, None, None, field, widest))
        return widest
    for child in layer.children():
        field = _walk(child, field, input_size, rows)
    return field


def receptive_fields(network: Network) -> list[FieldRow]:
    """One row per leaf layer in execution order: its field before and after."""
    shape = network.input_shape
    input_size = tuple(shape[:2]) if len(shape) == 3 else (1, 1)
    rows: list[FieldRow] = []
    _walk(network.root, Field((1, 1), (1, 1)), input_size, rows)
    return rows
