"""Layer types, one small class each, found by YAML name in ``REGISTRY``."""

from calc.layers import (  # noqa: F401 - register the types
    attention,
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
    swiglu,
    token_type,
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
from calc.layers.conv1d import AvgPool1d, Conv1d, MaxPool1d  # noqa: F401 - register the types
from calc.layers.recurrent import GRU, LSTM, RNN  # noqa: F401 - register the types

__all__ = ["COST_KINDS", "COST_RULES", "REGISTRY", "Layer", "Shape", "canonical", "fmt_shape", "is_map", "lookup",
           "register", "Add", "Concat", "ConcatMerge", "Residual", "Sequential"]
