"""The slips nncalc check can name, each reproduced by the same solvers or a plain transform.

Convention slips are *variants*: the problem solved again with one given or option chosen the
other way (the loss reduction, the variance divisor, Adam's bias correction, ...). A learner's
value that matches a variant's value gets that variant's diagnosis. The checker never computes
physics itself: every variant's value comes from calc.solve' solvers. Transforms (sign, x2, a
transposed matrix, ...) act on our value and need no solving.

    @slips("batchnorm")
    def _variance(problem): yield Variant("variance divided by n - 1 instead of n", given(problem, variance="n-1"))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction

from calc.solve.carry import NO_LEARNER, Learner

SLIPS: dict[str, list[Callable]] = {}


@dataclass(frozen=True)
class Variant:
    slip: str  # the diagnosis as the learner reads it
    given: dict  # the problem's given, one choice changed
    learner: Learner = NO_LEARNER  # the convention slipped on (derivative_of, size_rounding)
    names: Callable[[str], bool] | None = None  # the answers it can explain (None: all)
    rename: Callable[[str], str] | None = None  # the variant's answer that stands for ours


def slips(*types: str):
    def register(fn):
        for kind in types:
            SLIPS.setdefault(kind, []).append(fn)
        return fn
    return register


def variants(problem) -> list[Variant]:
    """Every variant that applies to a problem (a variant that cannot be built is skipped)."""
    out = []
    for make in SLIPS.get(problem.type, []):
        try:
            out += list(make(problem))
        except Exception:  # noqa: BLE001 - a learner-facing extra; never fail the check for it
            continue
    return out


def given(problem, **changes) -> dict:
    """A copy of the problem's given with some keys replaced."""
    out = dict(problem.given)
    out.update(changes)
    return out


# -- losses -------------------------------------------------------------------------------
REDUCTIONS = {"half_sum": "1/2 SSE (E = sum 1/2 (t - o)^2)", "mean": "the mean (1/n) sum (o - t)^2",
              "sum": "the plain sum of squares (no 1/2)"}
CE_REDUCTIONS = {"mean": "the batch mean", "sum": "the batch sum"}


def _reduction_variants(problem, name: str, current: str, build) -> Iterator[Variant]:
    table = REDUCTIONS if name == "mse" else CE_REDUCTIONS
    for r, text in table.items():
        if r != current and current in table:
            yield Variant(f"{text} instead of {table[current]}", build(r))


@slips("network")
def _network_loss(problem):
    from calc.solve.network.given import read_loss

    name, current = read_loss(problem.given, problem.where)
    if name in ("output", "none"):
        return
    yield from _reduction_variants(problem, name, current,
                                   lambda r: given(problem, loss={"name": name, "reduction": r}))


@slips("loss")
def _loss(problem):
    reduction = problem.given.get("reduction", "mean")
    if isinstance(reduction, list):
        return  # several conventions asked: each is an answer of its own
    from calc.solve.network.given import CONVENTION_NAMES

    name = str(problem.given.get("loss"))
    yield from _reduction_variants(problem, name, CONVENTION_NAMES.get(reduction, reduction),
                                   lambda r: given(problem, reduction=r))


# -- activations and back-propagation ------------------------------------------------------
AT_Z = "derivative taken at z: z(1 - z) where sigma' = a(1 - a), of the output a"


@slips("network", "activation")
def _derivative_at_z(problem):
    yield Variant(AT_Z, dict(problem.given), Learner(derivative_of="input"))


@slips("network")
def _hidden_deltas(problem):
    if problem.given.get("optimizer") is None:
        return
    if problem.given.get("hidden_deltas", "original") == "original":
        yield Variant("updated weights (w+) of the layer above used in the hidden deltas instead of the original "
                      "ones", given(problem, hidden_deltas="updated"))
    else:
        yield Variant("original weights used in the hidden deltas; this problem asks for the updated ones",
                      given(problem, hidden_deltas="original"))


# -- batch norm ----------------------------------------------------------------------------
@slips("batchnorm")
def _batchnorm(problem):
    from calc.exact import to_fraction

    variance = str(problem.given.get("variance", "n"))
    biased = variance in ("n", "biased")
    other, text = ("n-1", "variance divided by n - 1 instead of n") if biased else \
        ("n", "variance divided by n instead of n - 1")
    eps = to_fraction(problem.given.get("eps", "0.00001"))
    yield Variant(text, given(problem, variance=other))
    if eps != 0:
        yield Variant("eps left out (sqrt(var) instead of sqrt(var + eps))", given(problem, eps=0))
        yield Variant(f"{text}, and eps left out", given(problem, variance=other, eps=0))
    if eps != Fraction(1, 1000):
        yield Variant("eps = 0.001 (Keras' default) instead of the given eps", given(problem, eps="0.001"))


# -- optimizers ----------------------------------------------------------------------------
@slips("optimizer")
def _optimizer(problem):
    name = str(problem.given.get("optimizer", "")).lower()
    if name == "adam":
        on = bool(problem.given.get("bias_correction", True))
        yield Variant("no bias correction in Adam (m and v used where m-hat and v-hat belong)" if on else
                      "bias correction applied; this problem's Adam has none", given(problem, bias_correction=not on))
    if name in ("adagrad", "rmsprop", "adam"):
        style = str(problem.given.get("style", "pytorch"))
        yield Variant("eps inside the square root (Keras) instead of after it (PyTorch)" if style == "pytorch" else
                      "eps after the square root (PyTorch) instead of inside it (Keras)",
                      given(problem, style="keras" if style == "pytorch" else "pytorch"))


@slips("ewma")
def _ewma(problem):
    if not problem.given.get("bias_correction", False):
        yield Variant("bias correction V_t / (1 - beta^t) applied; plain V_t is asked",
                      given(problem, bias_correction=True), rename=lambda n: n + "_corrected" if n.startswith("V") else n)
    values = problem.given.get("values")
    if isinstance(values, list) and len(values) > 1:
        yield Variant("the sequence started at its second value (theta_2 used as theta_1)",
                      given(problem, values=list(values[1:])))


# -- dropout -------------------------------------------------------------------------------
@slips("dropout")
def _dropout(problem):
    from calc.exact import to_fraction

    rate = to_fraction(problem.given.get("rate"))
    if rate != Fraction(1, 2):
        yield Variant("p taken as the probability of keeping a unit (it is the probability of dropping)",
                      given(problem, rate=str(1 - rate)))
    if str(problem.given.get("scaling", "inverted")) == "inverted":
        yield Variant("the original paper's convention (no scaling in training, x (1 - p) at test time) instead "
                      "of inverted dropout", given(problem, scaling="test"))
    else:
        yield Variant("inverted dropout (x / (1 - p) in training) instead of the original paper's convention",
                      given(problem, scaling="inverted"))


# -- sizes, convolution, pooling -----------------------------------------------------------
def _is_size(name: str) -> bool:
    return "output_size" in name or name in ("output_height", "output_width")


@slips("conv", "conv_backward", "cnn_count", "edge")
def _size_rounding(problem):
    yield Variant("ceil instead of floor in the output size", dict(problem.given), Learner(size_rounding="ceil"),
                  names=_is_size)


def _is_param_count(name: str) -> bool:
    return name.endswith(".params") or name == "total_params"


@slips("cnn_count")
def _keras_count(problem):
    """Keras' model.summary counts batch norm's moving mean and variance as non-trainable
    parameters (4C per BN layer), PyTorch's sum(p.numel()) only gamma and beta (2C)."""
    if str(problem.given.get("counting", "pytorch")).lower() == "keras":
        yield Variant("PyTorch's count (batch norm's moving mean and variance are buffers, not parameters); this "
                      "problem counts as Keras does", given(problem, counting="pytorch"), names=_is_param_count)
    else:
        yield Variant("Keras' count: right in Keras' model.summary, which counts batch norm's moving mean and "
                      "variance as non-trainable parameters; PyTorch's count (this problem's) has only gamma and "
                      "beta", given(problem, counting="keras"), names=_is_param_count)


@slips("size")
def _size_question(problem):
    """`size` problems name their answers output / output_height / output_width."""
    kind = problem.given.get("kind")
    if kind == "pool":
        on = bool(problem.given.get("ceil_mode", False))
        yield Variant("floor instead of ceil (ceil_mode) in the output size" if on else
                      "ceil instead of floor in the output size", given(problem, ceil_mode=not on))
    elif kind == "conv":
        yield Variant("ceil instead of floor in the output size", dict(problem.given), Learner(size_rounding="ceil"),
                      names=lambda name: name.startswith("output"))


@slips("pool")
def _pool(problem):
    on = bool(problem.given.get("ceil_mode", False))
    yield Variant("floor instead of ceil (ceil_mode) in the output size" if on else
                  "ceil instead of floor in the output size", given(problem, ceil_mode=not on))


@slips("conv")
def _flip(problem):
    on = bool(problem.given.get("flip", False))
    yield Variant("kernel flipped (true convolution); deep-learning 'convolution' is cross-correlation" if not on
                  else "kernel not flipped; this problem asks for the true convolution", given(problem, flip=not on))


@slips("conv_backward")
def _rotation(problem):
    kernel = problem.given.get("kernel")
    if not (isinstance(kernel, list) and kernel and all(isinstance(r, list) for r in kernel)):
        return
    if any(isinstance(v, list) for r in kernel for v in r):
        return  # several channels or filters: only a plain matrix is rotated here
    rotated = [list(reversed(r)) for r in reversed(kernel)]
    yield Variant("kernel not rotated by 180 degrees in the full convolution for dL/dX", given(problem, kernel=rotated),
                  names=lambda n: n.startswith("dL/dX"))


@slips("upsample")
def _upsample(problem):
    """Bilinear's corner convention chosen the other way, or the other mode (issue 13)."""
    mode = problem.given.get("mode", "nearest")
    if mode != "bilinear":
        yield Variant("bilinear instead of nearest", given(problem, mode="bilinear"))
        return
    on = bool(problem.given.get("align_corners", False))
    yield Variant("align_corners true (src = i (n - 1)/(o - 1)); this problem uses half-pixel centres "
                  "(align_corners false)" if not on else
                  "half-pixel centres (align_corners false); this problem has align_corners true",
                  given(problem, align_corners=not on))
    nearest = {k: v for k, v in problem.given.items() if k != "align_corners"}
    yield Variant("nearest instead of bilinear", {**nearest, "mode": "nearest"})


@slips("layernorm")
def _layernorm(problem):
    """eps left out (the D2L printout shows -1.0000 and 1.0000)."""
    from calc.exact import to_fraction

    if to_fraction(problem.given.get("eps", "0.00001")) != 0:
        yield Variant("eps left out (sqrt(var) instead of sqrt(var + eps))", given(problem, eps=0))
