"""Code out (issue 14): a built network written as PyTorch or Keras source text.

``export_code(network, "pytorch" | "keras")`` returns the source of a module that computes what
nncalc's engine computes. The per-kind emitters are registries keyed by layer class
(``torch_kinds.EMITTERS``, ``keras_kinds.EMITTERS``); tests/test_export_torch.py checks that every
registered layer kind has a torch emitter or a stated reason in ``torch_kinds.REFUSED``.
"""

from __future__ import annotations

TARGETS = ("pytorch", "keras")


def export_code(network, target: str) -> str:
    """The source text of ``network`` for ``target`` (one of TARGETS)."""
    if target == "pytorch":
        from calc.interchange.export.torch_code import torch_source

        return torch_source(network)
    from calc.interchange.export.keras_code import keras_source

    return keras_source(network)
