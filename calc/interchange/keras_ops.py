"""Keras 3 operations on tensors (``x + 3.0``, ``x * (1/6)``) written into a Functional config as
layers of module keras.src.ops: nncalc maps the one chain keras.applications builds from them,
MobileNetV3's hard_sigmoid = ReLU(6.0)(x + 3.0) * (1.0 / 6.0), as a hardsigmoid entry (PyTorch's
and Keras 3's relu6(x + 3) / 6). Any other operation is one line naming it."""

from __future__ import annotations

from calc.interchange.keras_config import Unmappable

SHIFTED, CLIPPED = "x + 3", "relu6(x + 3)"


def is_operation(layer: dict) -> bool:
    return str(layer.get("module", "")).startswith("keras.src.ops")


def constant(layer: dict):
    """The one number among an operation's arguments (x + 3.0 -> 3.0), else None."""
    nodes = layer.get("inbound_nodes") or [{}]
    args = nodes[0].get("args", []) if isinstance(nodes[0], dict) else []
    numbers = [a for a in args if isinstance(a, (int, float)) and not isinstance(a, bool)]
    return float(numbers[0]) if len(numbers) == 1 else None


def _snake(kind) -> str:
    from calc.interchange.keras_weights import snake_case

    return snake_case(str(kind))


def step(layer: dict, kind, c: dict, reads: str | None, consumers: list):
    """The chain's next state for this layer: SHIFTED, CLIPPED, or 'hardsigmoid' at its end; None
    when the layer is no part of the chain. ``reads`` is the chain state of what it reads."""
    value = constant(layer)
    if is_operation(layer) and kind == "Add" and reads is None and value == 3.0 and set(consumers) == {"ReLU"}:
        return SHIFTED
    if reads == SHIFTED and kind == "ReLU" and c.get("max_value") == 6 and set(consumers) == {"Multiply"}:
        return CLIPPED
    if reads == CLIPPED and is_operation(layer) and kind == "Multiply" and value is not None \
            and abs(value - 1 / 6) < 1e-12:
        return "hardsigmoid"
    if reads is not None:
        raise Unmappable("it reads part of relu6(x + 3) / 6 (hard_sigmoid); only the whole maps")
    if is_operation(layer):
        raise Unmappable(f"a Keras operation (keras.ops.{_snake(kind)}) is not a layer nncalc maps")
    return None
