"""What `nncalc run` and `nncalc train` do, as library calls that return data.

    result = run_network("net.yaml", "x.csv", activations=True)
    result.outputs                         # (N, *output_shape) NumPy array
    result = train_network("examples/xor.yaml", "examples/xor.csv", epochs=2000, lr=0.5)
    result.epochs[-1].loss, result.final.accuracy

Each builds the model (spec weights, a .npz, or an initialiser with a seed), reads the files,
runs, and lists the conventions it used, so the output can say them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from calc.backend import get_backend
from calc.engine.context import Ctx
from calc.engine.model import Model
from calc.errors import InputError

BACKEND_TEXT = {"numpy": "NumPy on the CPU", "cupy": "CuPy on the GPU", "exact": "exact fractions"}


@dataclass
class RunResult:
    network: str
    input_shape: tuple
    output_shape: tuple
    inputs: object  # host arrays
    outputs: object
    activations: list = field(default_factory=list)  # (layer name, kind, host array) in order
    output_kind: str = ""  # the final layer's kind
    conventions: list = field(default_factory=list)
    classes: list | None = None  # the arg-max class of each sample, when the network ends in a softmax over a vector
    overflow: int = 0  # output values that are inf or nan (worded first by calc.render.wording.run_conventions)
    dtype: str = ""  # the arithmetic's dtype, named when the outputs overflow it
    weights: WeightsOrigin | None = None  # where the parameters came from (worded after the arithmetic)


def build_model(spec, device: str = "cpu", dtype: str = "float64", seed: int = 0, init: str = "torch_default",
                weights: str | None = None, batch: int = 1, training: bool = False, hint: str = "") -> Model:
    """A model of a spec file or bundled name; weights from the spec, a .npz, or drawn. The
    memory for its weights and a batch of ``batch`` samples is checked first (calc.engine.budget)."""
    from calc.engine import budget
    from calc.engine.weights import load_weights
    from calc.network import load_network

    network = load_network(spec) if isinstance(spec, (str, Path)) else spec
    backend = get_backend(device, dtype)
    budget.check(network, backend, batch, training, hint)
    model = Model(network, Ctx(backend, seed=seed, init=init))
    model.weights_file = getattr(weights, "file", weights)  # a .npz, or the model file its weights came with
    if weights:
        load_weights(model, weights)
    return model


@dataclass(frozen=True)
class WeightsOrigin:
    """Where every parameter came from: a .npz, the spec, the initialiser, or its layer's default.
    Data; calc.render.wording.weights_text words it as the 'weights: ...' convention."""

    file: str | None = None  # the .npz the weights were loaded from
    drawn: int = 0  # tensors set by the initialiser
    init: str = ""  # its name ('zeros', 'torch_default', 'he_normal', ...)
    constant: bool = False  # a constant initialiser (zeros, ones): nothing drawn
    dist: str = ""  # the rule's distribution and formula, when drawn
    formula: str = ""
    seed: int = 0
    given: tuple = ()  # parameters whose values the spec gives
    defaults: tuple = ()  # parameters set by their layer's rule (BN gamma = 1)
    default_rules: str = ""  # those layers' rules, '; '-joined
    has_params: bool = True
    before_training: bool = False


def weights_origin(model: Model, before_training: bool) -> WeightsOrigin:
    """Where every parameter of ``model`` came from (said because a drawn weight changes every number)."""
    ctx = model.ctx
    if getattr(model, "weights_file", None):
        return WeightsOrigin(file=str(model.weights_file))
    names = [q for q, _, _ in model.parameters()]
    given = tuple(q for q in names if q not in ctx.drawn and q not in ctx.defaults)
    drawn = {}
    if ctx.drawn:
        from calc.engine.init import CONSTANTS, RULES

        constant = ctx.init in CONSTANTS
        rule = None if constant else RULES[ctx.init]
        drawn = dict(drawn=len(ctx.drawn), init=ctx.init, constant=constant, seed=ctx.seed,
                     dist=rule.dist if rule else "", formula=rule.formula if rule else "")
    rules = ""
    if ctx.defaults:
        owners = {q.rsplit(".", 1)[0] for q in ctx.defaults}
        texts = {layer.kind: layer.default_text or layer.kind for layer in model.layers if layer.name in owners}
        rules = "; ".join(texts[k] for k in sorted(texts))
    return WeightsOrigin(given=given, defaults=tuple(ctx.defaults), default_rules=rules, has_params=bool(names),
                         before_training=before_training, **drawn)


def model_conventions(model: Model, training: bool | None) -> list[str]:
    """Arithmetic, the mode (None: not stated) and flatten order; where the weights came from is
    data (weights_origin), worded second by the renderers."""
    be = model.backend
    dtype = "" if be.exact else f"{be.dtype} "
    out = [f"arithmetic: {dtype}{BACKEND_TEXT[be.name]}"]  # the weights' origin follows (result.weights)
    if any(layer.mode_dependent for layer in model.layers) and training is not None:
        out.append("training mode: dropout drops with P = rate and scales survivors by 1/(1-rate); batch norm uses "
                   "the batch mean and biased variance (running variance updated with n-1)" if training else
                   "eval mode: dropout is the identity, batch norm uses its running mean/var")
    notes: dict[tuple[str, str], set] = {}  # (topic, what the values mean) -> the layers' values
    for note in filter(None, (layer.run_note() for layer in model.layers)):
        notes.setdefault((note[0], note[2]), set()).add(note[1])
    out += [f"{topic}: {', '.join(sorted(values))} ({meaning})" for (topic, meaning), values in notes.items()]
    return out


def run_network(spec, inputs: str, device: str = "cpu", dtype: str = "float64", weights: str | None = None,
                seed: int = 0, init: str = "torch_default", activations: bool = False,
                training: bool = False, batch_size: int | None = None) -> RunResult:
    """Outputs (and every layer's activation) of a spec for the inputs in a file, in batches of
    ``batch_size`` samples (default budget.DEFAULT_BATCH) so memory stays flat as the file grows.
    Training mode with batch norm needs the statistics of the whole batch: one batch then."""
    from calc.engine import budget
    from calc.engine.budget import DEFAULT_BATCH
    from calc.engine.inputs import read_inputs
    from calc.network import load_network

    size = DEFAULT_BATCH if batch_size is None else batch_size
    if size < 1:
        raise InputError(f"--batch-size must be at least 1, got {batch_size}")
    network = load_network(spec) if isinstance(spec, (str, Path)) else spec  # or a model file's network
    budget.check(network, get_backend(device, dtype), 1)  # weights first: before reading the inputs
    x = read_inputs(inputs, network.input_shape, get_backend(device, dtype))
    n = len(x)
    whole = training and any(layer.batch_statistics for layer in network.leaves())
    hint = ("batch norm in training mode takes the whole file as one batch" if whole and n > size
            else "a smaller --batch-size needs less")
    if activations:  # every layer's output of every sample is kept for printing
        budget.check(network, get_backend(device, dtype), n, hint="--activations keeps every layer's output "
                     "of every sample: fewer samples, or without --activations")
    model = build_model(network, device, dtype, seed, init, weights, n if whole else min(n, size), hint=hint)
    be = model.backend
    pieces = [(0, n)] if whole else [(i, min(i + size, n)) for i in range(0, n, size)]
    import numpy as np

    ys, acts = [], {}
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # said once below, not as warnings
        for start, stop in pieces:
            ys.append(be.to_numpy(model.forward(x[start:stop], training=training, record=activations)))
            for name, value in (model.activations or {}).items():
                acts.setdefault(name, []).append(be.to_numpy(value))

    kinds = {layer.name: layer.kind for layer in model.network.leaves()}
    acts = [(name, kinds.get(name, ""), np.concatenate(parts)) for name, parts in acts.items()]
    net = model.network
    last = net.root.layers[-1]
    conventions = model_conventions(model, training)
    if len(pieces) > 1:
        conventions.append(f"{n} samples run in batches of {size} (--batch-size): the same outputs as one batch")
    outputs = np.concatenate(ys)
    overflow = int((~np.isfinite(outputs)).sum())  # inf or nan without a word would be a silently wrong number
    kind = "" if last.is_container else last.kind
    classes = ([int(i) for i in outputs.argmax(axis=1)]
               if getattr(last, "class_probabilities", False) and len(net.output_shape) == 1 else None)
    return RunResult(net.name, net.input_shape, net.output_shape, be.to_numpy(x), outputs, acts, kind, conventions,
                     classes, overflow, dtype, weights_origin(model, False))


def check_loss_fits(loss, model) -> None:
    """Catch the classic slips: a loss on logits after a softmax/sigmoid (applied twice), and a
    categorical cross-entropy on a single output."""
    from calc.engine.train import final_layer

    net, layer = model.network, final_layer(model)
    if layer is not None and loss.name == getattr(layer, "logits_loss", None):
        last = layer.kind
        raise InputError(f"--loss {loss.name} takes logits, but {net.name} already ends in {last}: use "
                         f"{layer.paired_loss} (computed from the logits all the same) or remove the {last}")
    if loss.name in ("cross_entropy", "softmax_ce") and len(net.output_shape) == 1 and net.output_shape[0] < 2:
        raise InputError(f"--loss {loss.name} needs at least 2 outputs (classes); {net.name} has 1: use bce")


@dataclass
class TrainSettings:
    epochs: int = 100
    lr: float | None = None  # None: the optimizer's default
    optimizer: str = "sgd"
    style: str = "pytorch"
    loss: str | None = None  # None: from the final layer (calc.engine.train.default_loss)
    reduction: str | None = None
    batch_size: int | None = None  # None: budget.DEFAULT_BATCH (256), the whole data set when smaller
    shuffle: bool = True
    seed: int = 0
    label_column: str | None = None


def train_network(spec, data: str, settings: TrainSettings, device: str = "cpu", dtype: str = "float64",
                  init: str = "torch_default", weights: str | None = None, save: str | None = None,
                  on_epoch=None):
    """Train a spec on a data file; returns calc.engine.train.TrainResult (weights saved on request)."""
    from calc.engine import budget
    from calc.engine.data import read_training_data
    from calc.engine.losses import get_loss
    from calc.engine.optim import make_optimizer
    from calc.engine.train import default_loss, train
    from calc.engine.weights import save_weights
    from calc.network import load_network

    optimizer = make_optimizer(settings.optimizer, style=settings.style, lr=settings.lr)  # bad names fail early
    net = load_network(spec) if isinstance(spec, (str, Path)) else spec  # or a model file's network
    shell = SimpleNamespace(network=net)  # what the loss checks read: the network, not its weights
    loss = get_loss(settings.loss, settings.reduction) if settings.loss else default_loss(shell)
    if settings.reduction and not settings.loss:
        loss = get_loss(loss.name, settings.reduction)
    check_loss_fits(loss, shell)
    if save and not Path(save).resolve().parent.is_dir():
        raise InputError(f"--save {save}: the folder {Path(save).parent} does not exist")
    budget.check(net, get_backend(device, dtype), 1, training=True)  # weights first: before reading the data
    dataset = read_training_data(data, net.input_shape, net.output_shape, device == "exact", settings.label_column)
    batch = min(len(dataset), settings.batch_size or budget.DEFAULT_BATCH)  # memory stays flat as the data grows
    model = build_model(net, device, dtype, settings.seed, init, weights, batch, training=True,
                        hint=f"a smaller --batch-size (this run: {batch:,} samples per step)")
    result = train(model, dataset, loss, optimizer, settings.epochs, batch, settings.shuffle,
                   settings.seed, on_epoch)
    result.conventions = model_conventions(model, None) + result.conventions
    result.weights = weights_origin(model, True)
    result.network = net.name
    result.data = dataset
    if save:
        result.saved = save_weights(model, save)
    return result
