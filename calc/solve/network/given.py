"""The ``given`` of a network problem, read and checked: the spec, samples, targets, loss, optimizer.

    given:
      network: {input: [2], layers: [...]}   # an ordinary nncalc spec with weights (or a file)
      input: [0.05, 0.10]                    # one sample, or a list of samples
      target: [0.01, 0.99]                   # or target_class: 0 (one-hot) for classifiers
      loss: {name: mse, reduction: half_sum} # 'output': derivatives of the output itself (dy/dy = 1);
                                             # none (the default): forward pass only
      optimizer: {name: sgd, lr: 0.5, steps: 1, update_bias: false}
      hidden_deltas: original                # or 'updated' (Mazur's published post-update error)
      loss_after_update: true
      input_gradient: false                  # also dL/dx of the network input
      aliases: {w5: fc2.w11, E_total: loss}  # the source's names for canonical answers

A learner writes these files, so every mistake is one located SpecError.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from calc.errors import InputError, SpecError, Where, short
from calc.solve.given import at, check_keys, flag, number, raw
from calc.vocabulary import REDUCTIONS

KEYS = ("network", "input", "target", "target_class", "loss", "optimizer", "hidden_deltas",
        "loss_after_update", "input_gradient", "aliases")
NO_LOSS = ("output", "none")
CONVENTION_NAMES = REDUCTIONS.lookup  # every accepted spelling -> canonical reduction (calc.vocabulary)
OPTIMIZER_KEYS = ("name", "lr", "steps", "update_bias", "momentum", "nesterov", "beta1", "beta2", "alpha",
                  "eps", "weight_decay", "style")


@dataclass
class NetworkSetup:
    network: object  # calc.network.Network
    inputs: object  # nested list of exact numbers: (N, *input shape)
    targets: object = None  # (N, *output shape) or None for loss 'output'
    loss: str = "none"  # none: forward only; output: back-propagate dy/dy = 1
    reduction: str = "mean"
    optimizer: dict | None = None  # make_optimizer settings, without steps/update_bias
    steps: int = 1
    update_bias: bool = True
    hidden_deltas: str = "original"
    loss_after_update: bool = False
    input_gradient: bool = False
    aliases: dict[str, str] = field(default_factory=dict)  # alias -> canonical name
    alias_where: dict[str, Where] = field(default_factory=dict)


def read_network(given, where: Where, problem_file: str | None = None):
    from calc.interchange.load import load_network  # a spec, bundled name, ONNX model or Keras config
    from calc.network import build_network

    value = raw(given, where, "network")
    place = at(given, where, "network")
    if isinstance(value, str):  # a spec file (next to the problem file, or as given) or a bundled name
        path = Path(value)
        beside = Path(problem_file).parent / value if problem_file and not path.is_absolute() else None
        return load_network(str(beside if beside is not None and beside.is_file() else value))
    if not isinstance(value, dict):
        raise SpecError("expected a network spec (a mapping with input and layers) or a spec file name", place)
    return build_network(value, place.file)


def read_samples(given, where: Where, key: str, shape: tuple, what: str, backend) -> object:
    """One sample of ``shape`` or a batch (N, *shape), as an exact backend array (N, *shape)."""
    from calc.spec.values import nested_shape, to_array

    value = raw(given, where, key)
    place = at(given, where, key)
    try:
        got = nested_shape(value, place, key)
    except SpecError as exc:
        raise SpecError(exc.message.removeprefix(f"{key}: ").removeprefix("value: "), exc.where) from None
    if got == tuple(shape):
        value, got = [value], (1, *shape)
    if got[1:] != tuple(shape):
        shown = " x ".join(map(str, shape))
        raise SpecError(f"expected {what} of {shown} values (or a list of such samples), "
                        f"got shape {' x '.join(map(str, got)) or 'a single number'}", place)
    return to_array(value, place, backend, got, key)


def read_target_class(given, where: Where, n_samples: int, n_classes: int, backend):
    value = raw(given, where, "target_class")
    place = at(given, where, "target_class")
    items = value if isinstance(value, list) else [value]
    if len(items) != n_samples:
        raise SpecError(f"expected one class per sample ({n_samples}), got {len(items)}", place)
    rows = []
    for k, c in enumerate(items):
        if isinstance(c, bool) or not isinstance(c, int) or not 0 <= c < n_classes:
            raise SpecError(f"expected a class number 0..{n_classes - 1}, got {short(c)}", place.child(k) if isinstance(value, list) else place)
        rows.append([1 if j == c else 0 for j in range(n_classes)])
    return backend.asarray(rows)


def read_loss(given, where: Where) -> tuple[str, str]:
    from calc.engine.losses import get_loss

    value = raw(given, where, "loss", "none")
    place = at(given, where, "loss")
    reduction = None
    if isinstance(value, dict):
        check_keys(value, place, ("name", "reduction", "convention"), "loss")
        name = raw(value, place, "name")
        red_key = "reduction" if "reduction" in value else "convention"
        reduction = value.get(red_key)
        if reduction is not None:
            try:
                reduction = REDUCTIONS.resolve(reduction)
            except InputError as exc:
                raise SpecError(exc.message, at(value, place, red_key)) from None
    elif isinstance(value, str):
        name = value
    else:
        raise SpecError("expected a loss name (mse, bce, bce_logits, cross_entropy, softmax_ce, output, none) "
                        "or {name: ..., reduction: ...}", place)
    if str(name).lower() in NO_LOSS:
        return str(name).lower(), "sum"
    try:
        loss = get_loss(str(name), reduction)
    except InputError as exc:
        raise SpecError(exc.message, place) from None
    return loss.name, loss.reduction


def read_optimizer(given, where: Where, setup: NetworkSetup) -> None:
    from calc.engine.optim import make_optimizer

    value = raw(given, where, "optimizer", None)
    if value is None:
        return
    place = at(given, where, "optimizer")
    if not isinstance(value, dict):
        raise SpecError("expected {name: sgd, lr: 0.5, steps: 1, update_bias: true}", place)
    check_keys(value, place, OPTIMIZER_KEYS, "optimizer")
    settings = {"name": str(raw(value, place, "name", "sgd"))}
    for key in ("lr", "momentum", "beta1", "beta2", "alpha", "eps", "weight_decay"):
        if key in value:
            settings[key] = number(value, place, key)
    if "lr" not in settings:
        raise SpecError("missing 'lr' (the learning rate)", place)
    for key in ("nesterov",):
        if key in value:
            settings[key] = flag(value, place, key, False)
    if "style" in value:
        settings["style"] = str(value["style"])
    steps = raw(value, place, "steps", 1)
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 20:
        raise SpecError(f"expected a number of steps from 1 to 20, got {short(steps)}", at(value, place, "steps"))
    try:
        make_optimizer(**{k: v for k, v in settings.items() if k != "name"}, name=settings["name"])
    except (InputError, TypeError) as exc:
        raise SpecError(getattr(exc, "message", str(exc)), place) from None
    setup.optimizer, setup.steps = settings, steps
    setup.update_bias = flag(value, place, "update_bias", True)


def read_aliases(given, where: Where, setup: NetworkSetup) -> None:
    value = raw(given, where, "aliases", None)
    if value is None:
        return
    place = at(given, where, "aliases")
    if not isinstance(value, dict):
        raise SpecError("expected a mapping of the source's names to answer names, e.g. {w5: fc2.w11}", place)
    for alias, canonical in value.items():
        if not isinstance(canonical, str):
            raise SpecError(f"expected an answer name such as fc1.z1, got {short(canonical)}", at(value, place, alias))
        setup.aliases[str(alias)] = canonical
        setup.alias_where[str(alias)] = at(value, place, alias)


def read_network_given(given, where: Where) -> NetworkSetup:
    """The whole ``given``, read in order: network, input, loss, targets, optimizer, switches."""
    from calc.backend import get_backend

    check_keys(given, where, KEYS)
    be = get_backend("exact")
    network = read_network(given, where, where.file)
    inputs = read_samples(given, where, "input", network.input_shape, "an input", be)
    setup = NetworkSetup(network, inputs)
    setup.loss, setup.reduction = read_loss(given, where)
    if setup.loss in NO_LOSS and ("target" in given or "target_class" in given):
        raise SpecError("a target is given but no loss: add e.g. loss: {name: mse, reduction: half_sum}", where)
    if setup.loss not in NO_LOSS:
        setup.targets = read_targets(given, where, setup, be)
    read_optimizer(given, where, setup)
    if setup.optimizer and setup.loss == "none":
        raise SpecError("an optimizer needs a loss (or loss: output)", at(given, where, "optimizer"))
    read_switches(given, where, setup)
    return setup


def read_targets(given, where: Where, setup: NetworkSetup, be):
    """One target per sample (or one-hot rows from target_class), fit for the loss: [0, 1] for
    the cross-entropies, distributions for the categorical ones."""
    from calc.engine.losses import check_targets, get_loss
    from calc.solve.loss import check_distributions

    out, n_samples = tuple(setup.network.output_shape), setup.inputs.shape[0]
    if "target_class" in given:
        if "target" in given:
            raise SpecError("give either 'target' or 'target_class', not both", at(given, where, "target_class"))
        targets = read_target_class(given, where, n_samples, out[-1], be)
    elif "target" not in given:
        raise SpecError(f"missing 'target': the loss needs one target per output ({out[-1]} per sample)", where)
    else:
        targets = read_samples(given, where, "target", out, "a target", be)
    place = at(given, where, "target" if "target" in given else "target_class")
    try:
        check_targets(get_loss(setup.loss, setup.reduction), targets, be)  # [0, 1] for the cross-entropies
        check_distributions(setup.loss, targets.reshape(targets.shape[0], -1))
    except InputError as exc:
        raise SpecError(exc.message, place) from None
    if targets.shape[0] != n_samples:
        raise SpecError(f"{n_samples} input sample(s) but {targets.shape[0]} target(s)", place)
    return targets


def read_switches(given, where: Where, setup: NetworkSetup) -> None:
    """hidden_deltas, loss_after_update, input_gradient and aliases, and what each one needs."""
    deltas = raw(given, where, "hidden_deltas", "original")
    if deltas not in ("original", "updated"):
        raise SpecError(f"expected original or updated, got {short(deltas)}", at(given, where, "hidden_deltas"))
    setup.hidden_deltas = deltas
    setup.loss_after_update = flag(given, where, "loss_after_update", False)
    setup.input_gradient = flag(given, where, "input_gradient", setup.loss == "output")
    read_aliases(given, where, setup)
    if setup.loss_after_update and setup.loss in NO_LOSS:
        raise SpecError("loss_after_update needs a loss", at(given, where, "loss_after_update"))
    for key in ("loss_after_update", "hidden_deltas"):
        if key in given and setup.optimizer is None and given[key] not in (False, "original"):
            raise SpecError(f"{key} needs an optimizer (the weights are never updated)", at(given, where, key))


def setup_from_options(spec: str, inputs, targets, loss: str, reduction: str | None, lr, steps: int = 1,
                       update_bias: bool = True, hidden_deltas: str = "original") -> NetworkSetup:
    """The setup of ``nncalc backprop``: the same checks as a problem file, errors naming the options."""
    given = given_from_options(spec, inputs, targets, loss, reduction, lr, steps, update_bias, hidden_deltas)
    return read_network_given(given, Where("command line"))


def given_from_options(spec: str, inputs, targets, loss: str, reduction: str | None, lr, steps: int = 1,
                       update_bias: bool = True, hidden_deltas: str = "original") -> dict:
    """The ``given`` of a network problem that ``nncalc backprop``'s options describe (``nncalc
    check SPEC`` and ``backprop --answers`` check answers against it, with its slips)."""
    given: dict = {"network": spec, "input": inputs}
    if targets is not None:
        given["target"] = targets
    given["loss"] = {"name": loss, "reduction": reduction} if reduction else loss
    if lr is not None:
        given["optimizer"] = {"name": "sgd", "lr": lr, "steps": steps, "update_bias": update_bias}
        given["hidden_deltas"] = hidden_deltas
        given["loss_after_update"] = str(loss).lower() not in NO_LOSS
    elif hidden_deltas != "original":
        raise SpecError("--hidden-deltas updated needs --lr (the weights are never updated)", Where("command line"))
    return given
