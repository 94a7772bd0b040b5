"""Receptive fields: how many input pixels (per axis) one output value of each layer depends on.

Walking the layers in order with r (receptive field) and j (jump: input pixels between two
neighbouring outputs), starting from r = j = 1 at the input (Araujo, Norris & Sim, "Computing
Receptive Fields of Convolutional Neural Networks", Distill 2019):

    r_out = r_in + (k_eff - 1) * j_in,   j_out = j_in * s,   k_eff = d(k - 1) + 1

Padding does not change r (it only shifts where windows start). Layers without a window
(activations, batch norm, dropout) keep r and j; a transposed conv divides the jump by its
stride first. Global pooling, flatten and dense layers see the whole input. Parallel branches
(concat) and residual blocks take the largest field of their paths; a layer taking named outputs
(from:, with:) the largest of those. Each layer type states which
of these rules it follows (``Layer.receptive``); a type without one is an error, not a pass-through.
Data only; no formatting.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # types only: this module reads the layers' own rules (Layer.receptive)
    from calc.layers import Layer
    from calc.network import Network

WINDOW_RULES = ("window", "transposed")
LEAF_RULES = ("identity", "whole", *WINDOW_RULES)


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


def _rule(layer: Layer, allowed: tuple) -> str:
    """The layer's receptive-field rule; a layer type without one is refused, never passed through."""
    rule = getattr(layer, "receptive", "")
    if rule not in allowed:
        layer.fail(f"no receptive-field rule for layer kind '{layer.kind}' (got {rule!r}; "
                   f"a layer type sets `receptive` to one of {', '.join(allowed)})")
    return rule


def _step(layer: Layer, rule: str, field: Field, input_size: tuple) -> Field:
    if field.whole or rule == "whole":
        return Field(input_size, field.jump, True)
    if rule == "identity":
        return field
    k, s, d = layer.receptive_window()
    jump = field.jump
    if rule == "transposed":  # outputs are 1/s input steps apart
        jump = tuple(Fraction(j) / st for j, st in zip(jump, s))
        s = (1, 1)
    size = tuple(r + (dd * (kk - 1)) * j for r, kk, dd, j in zip(field.size, k, d, jump))
    return Field(size, tuple(j * st for j, st in zip(jump, s)))


def _widest(fields: list) -> Field:
    return max(fields, key=lambda f: (f.whole, f.size))


def _walk(layer: Layer, field: Field, input_size: tuple, rows: list, kept: dict | None = None) -> Field:
    kept = {} if kept is None else kept  # fields of named outputs (from:, with:), by layer id
    if getattr(layer, "input_ref", None) is not None:
        kept[id(layer.input_ref)] = field
    if not layer.is_container:
        rule = _rule(layer, LEAF_RULES)
        after = _step(layer, rule, field, input_size)
        k, s, d = layer.receptive_window() if rule in WINDOW_RULES else (None, None, None)
        rows.append(FieldRow(layer.name, layer.kind, k, s, d, field, after))
        return after
    if _rule(layer, ("sequence", "widest")) == "widest":  # concat / residual: the widest path
        ends = [_walk(p, field, input_size, rows, kept) for p in layer.paths()]
        widest = _widest(ends)
        merge = layer.merge_layer()
        if merge is not None:
            rows.append(FieldRow(merge.name, merge.kind, None, None, None, field, widest))
        return widest
    for child in layer.children():
        if child.sources is not None:  # a named input: the widest of the outputs it takes
            field = _widest(([field] if child.chained else []) + [kept[id(s)] for s in child.sources])
        field = _walk(child, field, input_size, rows, kept)
        kept[id(child)] = field
    return field


def receptive_fields(network: Network) -> list[FieldRow]:
    """One row per leaf layer in execution order: its field before and after."""
    shape = network.input_shape
    input_size = tuple(shape[:2]) if len(shape) == 3 else (1, 1)
    rows: list[FieldRow] = []
    _walk(network.root, Field((1, 1), (1, 1)), input_size, rows)
    return rows
