"""Memory the engine will need, estimated from the counts (calc.counting.stats) before anything is
allocated, and refused with the figure past the limit (calc.memory).

Estimate: parameters and buffers once (run), or four times when training (values, gradients and
up to two optimizer moments); per sample, the input plus every layer's output (run keeps each
layer's output for the next; training also keeps dL/d(output) of each). Convolutions build their
patch matrices in bounded blocks (calc.ops.windows), so they add no per-sample term.
"""

from __future__ import annotations

from math import prod

DEFAULT_BATCH = 256  # samples per forward pass of `nncalc run` and of train's final evaluation


def itemsize(backend) -> int:
    """Bytes per value: the dtype's, or ~100 for exact Fractions (an object and two ints)."""
    return 100 if backend.exact else int(backend.dtype.itemsize)


def estimate(network, backend, batch: int, training: bool = False) -> tuple[int, int]:
    """(bytes for parameters and buffers, bytes per batch of activations) of a network."""
    from calc.counting.stats import summarize

    summary = summarize(network)
    size = itemsize(backend)
    weights = (summary.total_params + summary.buffers) * size * (4 if training else 1)
    per_sample = prod(network.input_shape) + summary.activation_values
    return weights, per_sample * batch * size * (2 if training else 1)


def check(network, backend, batch: int, training: bool = False, hint: str = "") -> None:
    """Refuse a run/train whose estimate exceeds the memory limit, before building the model."""
    from calc import memory
    from calc.errors import NNCalcError

    weights, acts = estimate(network, backend, batch, training)
    try:
        memory.check(weights + acts, "weights and activations")
    except NNCalcError as exc:
        if hint and acts > weights:
            exc.message = f"{exc.message}; {hint}"
        raise
