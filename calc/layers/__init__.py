"""Layer types, one small class each, found by YAML name in ``REGISTRY``.

Every module of calc/layers and calc/layers/activation is imported here, so a layer file registers
its types by existing: a new layer is its file, with no list of modules to extend (and forget).
"""

import importlib
import pkgutil

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


def _import_layer_modules() -> None:
    for package, path in (("calc.layers", __path__), ("calc.layers.activation", [f"{__path__[0]}/activation"])):
        for info in sorted(pkgutil.iter_modules(path), key=lambda m: m.name):
            if not info.ispkg and not info.name.startswith("_"):
                importlib.import_module(f"{package}.{info.name}")


_import_layer_modules()

__all__ = ["COST_KINDS", "COST_RULES", "REGISTRY", "Layer", "Shape", "canonical", "fmt_shape", "is_map", "lookup",
           "register", "Add", "Concat", "ConcatMerge", "Residual", "Sequential"]
