"""Every layer type answers for itself: a piece forgotten fails here, never gives a wrong number.

``missing_pieces`` walks a layer registry (calc.layers.REGISTRY) and names, per kind, each piece
a layer type needs beyond its own file (DEVELOPING.md, "Add a layer"):

- a torch reference: tests/torch_ref.py ``leaf_module`` builds the equivalent torch module for a
  sample layer (made by the kind's random-spec maker, so its options vary);
- a random-spec maker: a function named after the kind in tests/specgen_layers.py ``LEAVES``,
  or for an activation a row in its ``ACTIVATIONS``;
- a narration: a narrator of the kind or of its family (calc.solve.narrate.base), or the kind listed
  in ``VECTOR_FALLBACK`` below, which narrates it as plain vectors on purpose;
- a receptive-field rule (``Layer.receptive``, calc/counting/receptive.py), and for a sliding window
  the noun of its output-size steps (``window_noun``);
- a row in ``nncalc layers`` with a summary;
- what a run's conventions state about it (``run_note()``: None or (topic, value, meaning)), and
  ``batch_statistics`` only on a layer that is ``mode_dependent``;
- for a pooling window: what reduces it (``pool_reduce``, "max" or "mean") and its words
  (``words``, a calc.layers.pool.PoolWords), which the worked solutions ask instead of the kind;
- for an activation: its formula, derivative, LaTeX and convention texts and its one text method
  ``pieces()`` (branch taken, numbers put in), from which ``worked()`` (the activation problem)
  and ``narrated()`` (a network narration) derive; and when
  it pairs with a loss as the last layer, both halves of the pair (``paired_loss`` on its outputs,
  ``logits_loss`` on its input), each a loss of calc.engine.losses; a ``dead_note`` names ``{owner}``.
"""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
import yaml

from calc.errors import SpecError

# kinds whose worked solution shows their values as vectors, without formulas, on purpose
VECTOR_FALLBACK = {"conv_transpose", "dropout", "batchnorm", "global_avgpool", "adaptive_avgpool"}
VECTOR_FALLBACK |= {"attention", "cross_attention", "swiglu", "token_type_embedding"}  # worked attention is its own problem type, not a network narration
VECTOR_FALLBACK |= {"rnn", "lstm", "gru"}  # their steps: the lstm_step / gru_step / rnn_bptt problems
VECTOR_FALLBACK |= {"conv1d", "maxpool1d", "avgpool1d"}  # by hand: the conv1d problem type
VECTOR_FALLBACK |= {"channel_shuffle"}
VECTOR_FALLBACK |= {"embedding", "positional_embedding", "sinusoidal", "rotary", "layernorm", "rmsnorm",
                    "sequence_pool", "to_sequence", "class_token"}  # sequences: no narrator yet
VECTOR_FALLBACK |= {"upsample", "groupnorm", "instancenorm"}  # issue 13: worked upsampling is its own problem type
SAMPLE_SHAPES = [(6, 6, 3), (7, 5, 2), (5,), (12,)]
SAMPLE_SHAPES += [(6, 4)]  # a sequence [L, F]


def _makers() -> dict:
    """kind -> a maker(gen, shape) of tests/specgen_layers.py."""
    from tests import specgen_layers as sl

    makers = {m.__name__: m for m in sl.LEAVES if m is not sl.activation}
    for kind, entry in sl.ACTIVATIONS:
        makers.setdefault(kind, lambda gen, shape, entry=entry, kind=kind: sl.Piece(entry, shape, [(kind, shape)]))
    return makers


def sample_layer(kind: str, maker):
    """A built layer of this kind from its random-spec maker, or None when no sample fits."""
    from calc.network import network_from_text
    from tests.specgen import SpecGen

    for seed in range(40):
        gen = SpecGen(seed)
        shape = SAMPLE_SHAPES[seed % len(SAMPLE_SHAPES)]
        piece = maker(gen, shape)
        if piece is None:
            continue
        text = yaml.safe_dump({"input": list(shape), "layers": [piece.entry]})
        leaves = [leaf for leaf in network_from_text(text).leaves() if leaf.kind == kind]
        if leaves:
            return leaves[0]
    return None


def _torch_reference(kind: str, cls, maker) -> bool:
    from tests.torch_ref import leaf_module

    layer = sample_layer(kind, maker) if maker else None
    try:
        leaf_module(layer if layer is not None else cls())
    except Exception:  # NotImplementedError for an unknown kind; a bare layer may miss attributes
        return False
    return True


def _activation_text(cls) -> list[str]:
    from calc.backend import get_backend
    from calc.layers.activation.base import Activation
    from calc.solve.text import Writer

    missing = [name for name in ("formula", "derivative_formula", "tex_name", "convention") if not getattr(cls, name)]
    if not cls.elementwise and not hasattr(cls, "jacobian"):
        missing.append("jacobian() (a_i depends on every z_j)")
    if not hasattr(cls, "jacobian"):  # element-wise: its one text method, f and f' with the numbers put in
        try:
            layer = cls()
            if cls.constant:  # as the standalone problem sets it (PReLU: its learned slope)
                setattr(layer, *cls.constant)
            layer.hold_params(get_backend("exact"))
            pieces = [layer.pieces(z, z, Writer(4)) for z in (1, -1)]
            shapes = [layer.worked(z, z, Writer(4)) + (layer.narrated(z, z, Writer(4)),) for z in (1, -1)]
            ok = cls.pieces is not Activation.pieces and bool(layer.derivative_text) and all(
                f and d and all(b == "" or b.count("z") == 1 for b in (fb, db)) for (fb, f), (db, d) in pieces) \
                and all(f and d and n.f_text and n.d_text for f, d, n in shapes)
        except NotImplementedError:
            ok = False
        if not ok:
            missing.append("pieces() (f and f' with the numbers put in, and the branch taken)")
    return missing


def _pool_pieces(kind: str, cls) -> list[str]:
    from calc.layers.pool import PoolWords

    out = []
    if getattr(cls, "pool_reduce", "") not in ("max", "mean"):
        out.append(f"{kind}: no pool_reduce (\"max\" or \"mean\": how a worked solution reduces a window)")
    if not isinstance(getattr(cls, "words", None), PoolWords):
        out.append(f"{kind}: no pool words (words = PoolWords(...): how a worked solution words the pooling)")
    return out


def _loss_pair(kind: str, cls) -> list[str]:
    """An activation that pairs with a loss names both losses, and only losses that exist."""
    from calc.engine.losses import LOSSES

    pair = {"paired_loss": cls.paired_loss, "logits_loss": cls.logits_loss}
    if not any(pair.values()):
        return [f"{kind}: no paired_loss (paired_note or class_probabilities without it)"] \
            if cls.paired_note or cls.class_probabilities else []
    return [f"{kind}: no {name} (a loss of calc.engine.losses; got {value!r})"
            for name, value in pair.items() if value not in LOSSES]


def _run_pieces(kind: str, cls, maker) -> list[str]:
    out = []
    if cls.batch_statistics and not cls.mode_dependent:
        out.append(f"{kind}: no mode_dependent (batch_statistics holds in training mode only)")
    layer = sample_layer(kind, maker) if maker else None
    note = layer.run_note() if layer is not None else None
    if note is not None and not (isinstance(note, tuple) and len(note) == 3 and all(isinstance(t, str) and t
                                                                                   for t in note)):
        out.append(f"{kind}: no run_note() as (topic, value, meaning) (got {note!r})")
    return out


def missing_pieces(registry: dict, layer_rows: dict) -> list[str]:
    """'KIND: no PIECE' for every piece a registered kind lacks; [] when all are there."""
    from calc.counting.receptive import LEAF_RULES
    from calc.layers.activation.base import Activation
    from calc.solve.narrate.base import narrator_class

    makers = _makers()
    problems = []
    for kind, cls in sorted(registry.items()):
        maker = makers.get(kind)
        if maker is None:
            problems.append(f"{kind}: no random-spec generator (tests/specgen_layers.py LEAVES or ACTIVATIONS)")
        if not _torch_reference(kind, cls, maker):
            problems.append(f"{kind}: no torch reference (tests/torch_ref.py leaf_module)")
        if narrator_class(cls) is None and kind not in VECTOR_FALLBACK:
            problems.append(f"{kind}: no narration (a narrator in calc/solve/narrate/*.py, a family narrator, "
                            "or the kind in VECTOR_FALLBACK of this test)")
        if getattr(cls, "receptive", "") not in LEAF_RULES:
            problems.append(f"{kind}: no receptive-field rule (Layer.receptive, one of {', '.join(LEAF_RULES)})")
        if getattr(cls, "receptive", "") == "window" and not cls.window_noun:
            problems.append(f"{kind}: no window_noun (how a worked count names its output-size steps)")
        if getattr(cls, "window_noun", "") == "pooling":
            problems += _pool_pieces(kind, cls)
        problems += _run_pieces(kind, cls, maker)
        if not layer_rows.get(kind):
            problems.append(f"{kind}: no row in `nncalc layers` (a summary on the class)")
        if issubclass(cls, Activation):
            problems += [f"{kind}: no activation text: {name}" for name in _activation_text(cls)]
            problems += _loss_pair(kind, cls)
            if cls.dead_note and "{owner}" not in cls.dead_note:
                problems.append(f"{kind}: no {{owner}} in dead_note (the finding names the layer)")
    return problems


@pytest.fixture(scope="module")
def layer_rows():
    """name -> summary from `nncalc layers --json`, the command's own output."""
    from typer.testing import CliRunner

    import cli as cli_module

    result = CliRunner().invoke(cli_module.app, ["layers", "--json"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    return {row["name"]: row["summary"] for row in json.loads(result.stdout)}


def test_every_layer_kind_has_all_its_pieces(layer_rows):
    from calc.layers import REGISTRY

    assert missing_pieces(REGISTRY, layer_rows) == []


def test_the_checker_names_the_kind_and_each_missing_piece(layer_rows):
    """A layer type registered without any piece: every check must fire (the checker can fail)."""
    from calc.layers import Layer
    from calc.layers.activation.base import Activation

    class Dummy(Layer):
        kind = "dummy"

    class DummyActivation(Activation):
        kind, receptive = "dummy_act", "identity"

    class Mixing(Activation):
        kind, receptive, elementwise = "mixing", "identity", False

    assert any(p.startswith("mixing: no activation text: jacobian()") for p in missing_pieces({"mixing": Mixing},
                                                                                              layer_rows))

    class DummyPool(Layer):
        kind, receptive, window_noun = "dummy_pool", "window", "pooling"

    problems = missing_pieces({"dummy": Dummy, "dummy_act": DummyActivation, "dummy_pool": DummyPool}, layer_rows)
    for piece in ("random-spec generator", "torch reference", "narration", "receptive-field rule",
                  "row in `nncalc layers`"):
        assert any(p.startswith("dummy: no " + piece) for p in problems), (piece, problems)
    for text in ("formula", "derivative_formula", "tex_name", "convention", "pieces()"):
        assert any(p.startswith(f"dummy_act: no activation text: {text}") for p in problems), (text, problems)
    assert not any(p.startswith("dummy_act: no narration") for p in problems)  # the activation family narrates it
    class HalfPaired(Activation):
        kind, receptive, paired_loss = "half_paired", "identity", "cross_entropy"

    class Classes(Activation):
        kind, receptive, class_probabilities = "classes", "identity", True

    class Dead(Activation):
        kind, receptive, dead_note = "dead", "identity", "every unit outputs 0"

    class Batched(Layer):
        kind, batch_statistics = "batched", True

    pairs = missing_pieces({"half_paired": HalfPaired, "classes": Classes, "dead": Dead, "batched": Batched},
                           layer_rows)
    assert any(p.startswith("dead: no {owner} in dead_note") for p in pairs), pairs
    assert any(p.startswith("batched: no mode_dependent") for p in pairs), pairs
    assert any(p.startswith("half_paired: no logits_loss") for p in pairs), pairs
    assert not any(p.startswith("half_paired: no paired_loss") for p in pairs), pairs
    assert any(p.startswith("classes: no paired_loss") for p in pairs), pairs
    for piece in ("pool_reduce", "pool words"):
        assert any(p.startswith(f"dummy_pool: no {piece}") for p in problems), (piece, problems)


def test_a_layer_without_a_receptive_rule_is_refused_not_passed_through():
    from calc.counting.receptive import receptive_fields
    from calc.layers import Layer
    from calc.network import network_from_text

    net = network_from_text("input: [8, 8, 1]\nlayers:\n  - conv: {filters: 1, kernel: 3}\n  - relu\n")
    relu = net.leaves()[-1]
    relu.receptive = Layer.receptive  # as a new layer type that forgot its rule
    with pytest.raises(SpecError, match="no receptive-field rule for layer kind 'relu'"):
        receptive_fields(net)


def test_a_kind_narrated_twice_is_refused_at_import():
    from calc.solve.narrate.base import NARRATORS, Narrator, load_narrators, narrates

    load_narrators()
    with pytest.raises(RuntimeError, match="layer kind 'flatten' has two narrators"):
        @narrates("flatten")
        class Second(Narrator):
            pass
    assert NARRATORS["flatten"].__name__ == "FlattenNarrator"  # the first one stays


def test_worked_counts_take_their_text_from_the_layer():
    """Parameter axes and MAC formulas per layer type, numbers by hand: a transposed conv's weight
    is (Cin, Cout/g, kh, kw) as in PyTorch and each input pixel scatters one kernel per output
    channel (8*8*3 pixels * 2*2*4 = 3072); batch norm's gamma and beta have one value per channel."""
    from calc.errors import Where
    from calc.solve.cnn.count import solve_cnn_count_problem
    from calc.solve.registry import SolveOptions

    given = {"network": {"input": [8, 8, 3], "layers": [{"conv_transpose": {"filters": 4, "kernel": 2, "stride": 2}},
                                                          {"batchnorm": None}]}}
    sol = solve_cnn_count_problem(given, Where(), SolveOptions())
    steps = {s.name: s for s in sol.steps if getattr(s, "name", "")}
    assert steps["deconv1.params"].formula == "weight Cin*Cout*kh*kw + bias Cout"
    assert steps["deconv1.params"].substituted == "3*4*2*2 + 4"
    assert (steps["deconv1.multiplications"].substituted, steps["deconv1.multiplications"].result) == \
        ("8*8*3 * (2*2*4)", 3072)
    assert steps["bn1.params"].formula == "weight C + bias C"


@pytest.mark.parametrize("name,ok", [("tanh", True), ("prelu", True), ("softmax", False), ("batchnorm", False)])
def test_an_element_wise_activation_is_what_the_class_says(name, ok):
    """Softmax mixes the z_j of a vector and batch norm is no activation: both are refused where
    a conv problem applies an activation element by element."""
    from calc.errors import Where
    from calc.solve.cnn.conv import activation_layer

    if ok:
        assert activation_layer({"activation": name}, Where(), (2, 2, 1)).kind == name
    else:
        with pytest.raises(SpecError, match=f"'{name}' is not an element-wise activation"):
            activation_layer({"activation": name}, Where(), (2, 2, 1))


@pytest.mark.parametrize("kind, z, a, f, d", [
    ("leaky_relu", -2, -0.02, ("z <= 0", "0.01*(-2)"), ("z <= 0", "0.01")),
    ("relu", 3, 3, ("", "max(0, 3)"), ("z > 0", "1")),
    ("relu", -2, 0, ("", "max(0, -2)"), ("z <= 0", "0")),  # a function's argument: no parentheses
    ("elu", -1, -0.6321, ("z <= 0", "1(e^(-1) - 1)"), ("z <= 0", "-0.6321 + 1")),
    ("sigmoid", 0, 0.5, ("", "1 / (1 + e^(-0))"), ("", "0.5 (1 - 0.5)")),
    ("tanh", -1, -0.7616, ("", "tanh(-1)"), ("", "1 - (-0.7616)^2")),
    ("selu", 2, 2.1014, ("z > 0", "1.0507 * 2"), ("z > 0", "1.0507")),  # lambda z; balanced brackets
    ("selu", -1, -1.1113, ("z <= 0", "1.0507 * 1.6733 * (e^(-1) - 1)"), ("z <= 0", "1.0507 * 1.6733 * e^(-1)")),
    ("step", 1, 1, ("z > 0", "1"), ("", "0 (not differentiable at 0)")),
    ("relu6", 7, 6, ("", "min(max(0, 7), 6)"), ("z >= 6", "0")),
    ("hardswish", -1, Fraction(-1, 3), ("-3 < z < 3", "(-1)(-1 + 3)/6"), ("-3 < z < 3", "-1/3 + 1/2")),
    ("hardsigmoid", 3, 1, ("z >= 3", "1"), ("z >= 3", "0")),
    ("softplus", 25, 25, ("z > 20", "25"), ("z > 20", "1")),
    ("silu", -1, -0.2689, ("", "-1 / (1 + e^(-(-1)))"), ("", "0.2689(1 + (-1)(1 - 0.2689))")),
    ("gelu", 1, 0.8413, ("", "1 Phi(1) = 1(0.8413)"), ("", "Phi(1) + 1 phi(1) = 0.8413 + 1(0.242)")),
])
def test_activation_pieces_by_hand(kind, z, a, f, d):
    """An activation's text comes from its one method, pieces(): the branch taken and the numbers
    put in, written out here by hand (negative numbers in parentheses inside products and powers);
    the activation problem appends the branch, the network narration keeps it apart."""
    from calc.layers.base import REGISTRY
    from calc.solve.text import Writer

    layer = REGISTRY[kind]()
    pieces = layer.narrated(z, a, Writer(4))
    assert (pieces.f_branch, pieces.f_text) == f
    assert (pieces.d_branch, pieces.d_text) == d
    worked = layer.worked(z, a, Writer(4))
    assert worked == tuple(f"{text} ({cond})" if cond else text for cond, text in (f, d))
