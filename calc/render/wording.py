"""Words for data that every output format shows alike (terminal, Markdown, JSON): the counting
module returns records and flags; the English, plurals included, is written here once."""

from __future__ import annotations


def unused_input_text(u) -> str:
    """A calc.counting.stats.UnusedInput as one sentence: 'conv1: (i + pad - d(k-1) - 1) = 222 is
    not divisible by the stride 4: the last 2 input rows and columns are never used'."""
    many = u.count > 1
    what = " and ".join(f"{noun}s" if many else noun for noun in u.axes)
    count = f"{u.count} " if many else ""
    verb = "are" if many or len(u.axes) > 1 else "is"
    return (f"{u.layer}: (i + pad - d(k-1) - 1) = {u.span} is not divisible by the stride "
            f"{u.stride}: the last {count}input {what} {verb} never used")


def summary_warnings(summary) -> list[str]:
    """The warnings below a network summary: the spec's hints, then strides that skip input."""
    return list(summary.warnings) + [unused_input_text(u) for u in summary.unused_input]


FIGURE_LABELS = {"params": "params", "macs": "MACs"}


def zoo_published_text(published: list[dict]) -> str:
    """A zoo row's agreement with the published figures: 'params+MACs' when all agree, '-' when
    none is published, and a mismatch shouted ('DIFFERS: MACs'), never hidden."""
    differs = [FIGURE_LABELS[p["figure"]] for p in published if not p["match"]]
    if differs:
        return "DIFFERS: " + ", ".join(differs)
    return "+".join(FIGURE_LABELS[p["figure"]] for p in published) or "-"


def weights_text(o) -> str:
    """A calc.engine.api.WeightsOrigin as the 'weights: ...' convention of a run or a training."""
    if o.file:
        return f"weights: loaded from {o.file}"
    parts = []
    if o.drawn and o.constant:
        parts.append(f"{o.drawn} tensor(s) set to {o.init}")
    elif o.drawn:
        label = "torch_default, PyTorch's default" if o.init == "torch_default" else o.init
        parts.append(f"{o.drawn} tensor(s) drawn ({label}: {o.dist}, {o.formula}), seed {o.seed}"
                     + ("; biases start at 0" if o.init != "torch_default" else ""))
    if o.given:
        parts.append("as given in the spec" if not o.drawn else f"from the spec: {', '.join(o.given)}")
    if o.defaults:
        parts.append(f"{', '.join(o.defaults)} at their layer's default ({o.default_rules})")
    if not parts:
        return "weights: none (no layer has parameters)"
    return "weights: " + "; ".join(parts) + ("; before training" if o.before_training and o.has_params else "")


def _with_weights(result) -> list[str]:
    """The result's conventions with where its weights came from second, after the arithmetic."""
    notes = list(result.conventions)
    weights = getattr(result, "weights", None)
    return notes if weights is None else notes[:1] + [weights_text(weights)] + notes[1:]


def run_conventions(result) -> list[str]:
    """The notes below `nncalc run`: an overflow first (inf or nan is never shown without a word),
    then the conventions the run used. ``result``: a calc.engine.api.RunResult."""
    if not result.overflow:
        return _with_weights(result)
    return [f"overflow: {result.overflow:,} output value(s) are inf or nan: the values left the range of "
            f"{result.dtype} (float64 reaches about 1.8e308, float32 3.4e38)"] + _with_weights(result)


def train_conventions(result) -> list[str]:
    """The notes below `nncalc train`: a diverged loss first, then the conventions of the training.
    ``result``: a calc.engine.train.TrainResult."""
    if result.diverged is None:
        return _with_weights(result)
    return [f"diverged: the loss is not finite from epoch {result.diverged} on (inf or nan in float64); "
            "a smaller --lr usually helps"] + _with_weights(result)
