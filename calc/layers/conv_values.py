"""Kernels and biases written in a spec (``weights:``, ``bias:`` of conv and conv_transpose).

``weights:`` lists one kh x kw kernel per filter and input channel, in PyTorch's order:
``[filters][input channels / groups][kh][kw]`` for conv (the course notes' w0[:, :, c] slices,
filter by filter), ``[input channels][filters / groups][kh][kw]`` for conv_transpose. A leading
axis of size 1 may be left out, so course exercises can write what they show:

- one filter on one input channel: a single kernel ``[[0, 1], [1, 0]]`` (kh x kw);
- one input channel, several filters: ``[filters][kh][kw]``;
- one filter, several input channels: ``[channels][kh][kw]``.

``weight_layout: hwio`` (conv only) reads TensorFlow/Keras kernels as written,
``[kh][kw][input channels / groups][filters]`` (a ``tf.constant(..., shape=[3, 3, 3, 2])``), and
stores them in PyTorch's order; a single kh x kw kernel is accepted too.

``bias:`` is one number (every filter starts with it) or a list with one value per filter.
"""

from __future__ import annotations

from calc.shapes import fmt_shape
from calc.spec.values import nested_shape, to_array


def kernel_forms(shape: tuple[int, int, int, int], axes: tuple[str, str]) -> dict[tuple, str]:
    """Accepted nested-list shapes for a 4-D kernel and how each reads, full form first."""
    a, b, kh, kw = shape
    forms = {shape: f"[{axes[0]}][{axes[1]}][kh][kw]"}
    if b == 1:
        forms.setdefault((a, kh, kw), f"[{axes[0]}][kh][kw]")
    if a == 1:
        forms.setdefault((b, kh, kw), f"[{axes[1]}][kh][kw]")
    if a == b == 1:
        forms.setdefault((kh, kw), "one kh x kw kernel")
    return forms


def read_kernels(raw, where, backend, shape: tuple[int, int, int, int], axes: tuple[str, str],
                 layout: str = "oihw"):
    """The ``weights:`` list as a backend array of ``shape``; a wrong shape names the forms."""
    got = nested_shape(raw, where, "weights")
    if layout == "hwio":
        a, b, kh, kw = shape
        if got == (kh, kw) and a == b == 1:
            return to_array(raw, where, backend, got, "weights").reshape(tuple(shape))
        hwio = to_array(raw, where, backend, (kh, kw, b, a), "weights",
                        f"weight_layout hwio: [kh][kw][{axes[1]}][{axes[0]}]")
        return backend.xp.ascontiguousarray(hwio.transpose(3, 2, 0, 1))
    forms = kernel_forms(tuple(shape), axes)
    if got in forms:
        return to_array(raw, where, backend, got, "weights").reshape(tuple(shape))
    layouts = list(forms.items())
    hint = layouts[0][1] + "".join(f"; or {fmt_shape(s)} = {text}" for s, text in layouts[1:])
    return to_array(raw, where, backend, tuple(shape), "weights", hint)  # raises, located


def read_bias_values(raw, where, backend, filters: int):
    """``bias:`` as a (filters,) array: a number repeats, a list needs one value per filter."""
    if not isinstance(raw, list):
        raw = [raw] * filters
    return to_array(raw, where, backend, (filters,), "bias", f"one per filter: {filters}")
