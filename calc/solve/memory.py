"""Memory of a network at a precision: weights, the key/value cache of its attention layers for a
batch and a context length, the state of training, and whether that fits on a card.

Every figure is counting (no array is allocated), so a 7B model answers at once. The rules,
stated in the solution's conventions:

- weights: parameters x bytes per value (fp32 4, bf16 and fp16 2, int8 1, int4 1/2; the scales and
  zero points of a quantised format are not counted);
- KV cache: per token and sequence, each attention layer keeps K and V, 2 x kv_heads x head_dim
  values (grouped-query attention keeps fewer heads than it queries); x context x batch x bytes
  (the weights' dtype for float formats, fp16 for int8/int4 unless --kv-dtype says otherwise);
- training: bytes per parameter = weights + gradients + optimizer state. fp32: 4 + 4 + state;
  mixed precision (bf16/fp16): 2 + 2 + a 4-byte fp32 master copy + state (Rajbhandari et al.,
  ZeRO, 2020: 16 bytes per parameter with Adam); state: Adam 8 (m and v in fp32), SGD with
  momentum 4, plain SGD 0. Activations kept for the backward pass are not counted;
- sizes are bytes; a card's "24GB" is read as 24 GiB (24 x 2^30), as cards are sold.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from calc.errors import InputError, SpecError, Where
from calc.solve.registry import SolveOptions, problem_type
from calc.solve.step import Solution, Step

BYTES = {"fp32": Fraction(4), "bf16": Fraction(2), "fp16": Fraction(2), "int8": Fraction(1), "int4": Fraction(1, 2)}
FLOATS = ("fp32", "bf16", "fp16")
OPTIMIZER_STATE = {"adam": 8, "momentum": 4, "sgd": 0}  # bytes per parameter, fp32 state
OPTIMIZER_WORDS = {"adam": "Adam m and v in fp32", "momentum": "SGD momentum buffer in fp32", "sgd": "plain SGD: none"}


@dataclass(frozen=True)
class MemoryQuestion:
    dtype: str = "fp16"
    context: int | None = None  # tokens; None: the sequence length the spec runs on
    batch: int = 1
    gpu: int | None = None  # bytes
    gpu_text: str = ""
    kv_dtype: str | None = None
    training: bool = False
    optimizer: str = "adam"


def size_text(n) -> str:
    """'13.48 GB = 12.55 GiB' (decimal and binary units), or bytes below a kilobyte."""
    n = float(n)
    if n < 1000:
        return f"{n:g} bytes"
    for i, unit in enumerate(("kB", "MB", "GB", "TB", "PB")):
        if n < 1000 ** (i + 2) or unit == "PB":
            dec = n / 1000 ** (i + 1)
            binary = n / 1024 ** (i + 1)
            return f"{dec:,.2f} {unit} = {binary:,.2f} {unit[0].upper() if unit == 'kB' else unit[0]}iB"
    return f"{n:g} bytes"


def kv_layers(network) -> list:
    """The leaves that keep keys and values per token (attention layers), asked, not named."""
    return [leaf for leaf in network.leaves() if callable(getattr(leaf, "kv_values_per_token", None))]


def _kv_formula(layers) -> tuple[str, str, int]:
    """(formula, substituted, values per token) over the attention layers."""
    per = [leaf.kv_values_per_token() for leaf in layers]
    shapes = {(leaf.kv_heads, leaf.head_dim) for leaf in layers}
    if len(shapes) == 1:
        (heads, dim), = shapes
        return ("2 (K, V) x layers x kv_heads x head_dim", f"2 x {len(layers)} x {heads} x {dim}", sum(per))
    return "sum over attention layers of 2 x kv_heads x head_dim", " + ".join(map(str, per)), sum(per)


def _fit(sol: Solution, what: str, need: int, q: MemoryQuestion, name: str) -> None:
    """Whether ``need`` bytes fit on the card: an answer true/false, the room left (or missing) as its note."""
    if q.gpu is None:
        return
    room = q.gpu - need
    note = f"{size_text(room)} left" if room >= 0 else f"{size_text(-room)} short"
    sol.add(Step(f"{what} fits on {q.gpu_text}", f"{what} <= {q.gpu_text}", f"{need:,} <= {q.gpu:,} bytes",
                 room >= 0, name=name, note=note))
    sol.summary += f"; {what} {'fits' if room >= 0 else 'does not fit'} on {q.gpu_text} ({note})"


def memory_solution(network, q: MemoryQuestion) -> Solution:
    if q.dtype not in BYTES:
        raise InputError(f"--dtype: expected one of {', '.join(BYTES)}, got '{q.dtype}'")
    kv_dtype = q.kv_dtype or (q.dtype if q.dtype in FLOATS else "fp16")
    if kv_dtype not in BYTES:
        raise InputError(f"--kv-dtype: expected one of {', '.join(BYTES)}, got '{kv_dtype}'")
    if q.training and q.dtype not in FLOATS:
        raise InputError(f"--training: trains in fp32, bf16 or fp16 (mixed precision), not {q.dtype}")
    leaves = network.leaves()
    params = sum(leaf.param_count() for leaf in leaves) + sum(leaf.buffer_count() for leaf in leaves)
    per = BYTES[q.dtype]
    sol = Solution(f"Memory of {network.name} ({q.dtype})", [
        f"weights: parameters (and buffers) x {per} byte{'' if per == 1 else 's'} ({q.dtype})"
        + ("; scales of quantised formats not counted" if q.dtype not in FLOATS else ""),
        "bytes in decimal and binary units (1 GB = 10^9 bytes, 1 GiB = 2^30 bytes); a card's size such as "
        "24GB is read as 24 GiB",
        "not counted: activations, framework and CUDA context overhead, fragmentation",
    ])
    sol.add(Step("parameters", "sum of the layers' parameters", f"{len(leaves)} layer{'' if len(leaves) == 1 else 's'}", params, name="params"))
    weights = params * per
    sol.add(Step("weights", "params x bytes", f"{params:,} x {per}", int(weights), name="weights_bytes",
                 note=size_text(weights)))
    sol.summary = f"weights {size_text(weights)}"
    total = int(weights)
    layers = kv_layers(network)
    if layers:
        context = q.context or layers[0].in_shape[0]
        formula, numbers, values = _kv_formula(layers)
        kv_per = BYTES[kv_dtype]
        per_token = values * kv_per
        sol.conventions.append(
            f"KV cache: each attention layer keeps K and V for every token of the context ({kv_dtype}, "
            f"{kv_per} bytes a value); grouped-query attention keeps kv_heads, not heads")
        sol.add(Step("KV cache per token", f"{formula} x bytes", f"{numbers} x {kv_per}", int(per_token),
                     name="kv_bytes_per_token", note=size_text(per_token)))
        cache = per_token * context * q.batch
        sol.add(Step("KV cache", "per token x context x batch", f"{int(per_token):,} x {context:,} x {q.batch}",
                     int(cache), name="kv_cache_bytes", note=size_text(cache)))
        total = int(weights + cache)
        sol.add(Step("inference", "weights + KV cache", f"{int(weights):,} + {int(cache):,}", total,
                     name="inference_bytes", note=size_text(total)))
        sol.summary += f", KV cache {size_text(cache)} ({context:,} tokens x {q.batch}), total {size_text(total)}"
    else:
        sol.conventions.append("no attention layers: no KV cache" + (" (--context is not used)" if q.context else ""))
    _fit(sol, "inference", total, q, "inference_fits")
    if q.training:
        _training(sol, params, q)
    return sol


def _training(sol: Solution, params: int, q: MemoryQuestion) -> None:
    state = OPTIMIZER_STATE[q.optimizer]
    if q.dtype == "fp32":
        parts, words = [4, 4, state], "weights 4 + gradients 4 + optimizer state"
    else:
        parts, words = [2, 2, 4, state], (f"{q.dtype} weights 2 + {q.dtype} gradients 2 + fp32 master weights 4 "
                                          "+ optimizer state")
    sol.conventions.append(f"training ({'fp32' if q.dtype == 'fp32' else 'mixed precision'}, {q.optimizer}): "
                           f"{words} ({OPTIMIZER_WORDS[q.optimizer]}) per parameter; activations not counted")
    per = sum(parts)
    sol.add(Step("training bytes per parameter", words, " + ".join(map(str, parts)), per,
                 name="training_bytes_per_param"))
    need = params * per
    sol.add(Step("training state", "params x bytes per parameter", f"{params:,} x {per}", need,
                 name="training_bytes", note=size_text(need)))
    sol.summary += f"; training state {size_text(need)}"
    _fit(sol, "training", need, q, "training_fits")


KEYS = ("network", "dtype", "context", "batch", "gpu", "kv_dtype", "training", "optimizer")


@problem_type("memory")
def solve_memory_problem(given, where: Where, options: SolveOptions) -> Solution:
    """A memory exercise: ``network`` (a bundled name, a spec file or an inline spec), ``dtype``,
    ``context``, ``batch``, ``gpu`` (e.g. 24GB), ``kv_dtype``, ``training``, ``optimizer``."""
    from calc.memory import parse_bytes
    from calc.solve.given import at, check_keys, choice, flag, raw
    from calc.solve.network.given import read_network

    check_keys(given, where, KEYS)
    ints = {}
    for key, default in (("context", None), ("batch", 1)):
        value = raw(given, where, key, default)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise SpecError(f"expected a positive integer, got {value!r}", at(given, where, key))
        ints[key] = value
    gpu = raw(given, where, "gpu", None)
    question = MemoryQuestion(
        choice(given, where, "dtype", tuple(BYTES), "fp16"), ints["context"], ints["batch"],
        parse_bytes(str(gpu), "gpu") if gpu is not None else None, str(gpu or ""),
        choice(given, where, "kv_dtype", tuple(BYTES), None) if "kv_dtype" in given else None,
        flag(given, where, "training", False), choice(given, where, "optimizer", tuple(OPTIMIZER_STATE), "adam"))
    return memory_solution(read_network(given, where, where.file), question)
