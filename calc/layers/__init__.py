"""Layer types, one small class each, found by YAML name in ``REGISTRY``."""

from calc.layers import (  # noqa: F401 - register the types
    conv,
    conv_transpose,
    dense,
    dropout,
    gates,
    group_norm,
    layer_norm,
    norm,
    pool,
    sequence,
    sequence_position,
    upsample,
)
from calc.layers.activation import hard, linear, rectifiers, saturating, smooth, softmax  # noqa: F401 - register the types
from calc.layers.base import (
    COST_KINDS,
    COST_RULES,
    REGISTRY,
    Layer,
    Shape,
    canonical,
    fmt_shape,
    is_map,
    lookup,
    register,
)
from calc.layers.containers import Add, Concat, ConcatMerge, Residual, Sequential

__all__ = ["COST_KINDS", "COST_RULES", "REGISTRY", "Layer", "Shape", "canonical", "fmt_shape", "is_map", "lookup",
           "register", "Add", "Concat", "ConcatMerge", "Residual", "Sequential"]
