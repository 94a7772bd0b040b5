"""A small CNN's forward pass worked out layer by layer (no loss, no backward).

    type: cnn_forward
    given:
      network: {input: [7, 7, 3], layers: [conv: {..., weights: ..., weight_layout: hwio}, relu, ...]}
      input: [[...], ...]          # one sample: a matrix, or a map as calc.steps.map_given reads it
      input_layout: hwc            # how a 3-D input is nested (default chw: one matrix per channel)
      aliases: {qa: conv1.output}  # the source's names for answers

The spec's layers run through calc.engine.model.Model on the exact backend, and each layer's
narrator (calc.steps.narrate_conv, narrate_pool, narrate_dense) writes its part: the same steps
as in a ``network`` problem's forward pass. Answer names are the narrators' (``conv1.z1,1,1``,
``conv1.output``, ``pool1.output``, ``flatten1.x``, ``softmax1.a1`` ...).
"""

from __future__ import annotations

from calc.errors import SpecError, Where
from calc.steps.given import at
from calc.steps.registry import SolveOptions, problem_type
from calc.steps.step import Solution

KEYS = ("network", "input", "input_layout", "aliases")


@problem_type("cnn_forward")
def solve_cnn_forward_problem(given, where: Where, options: SolveOptions) -> Solution:
    from calc.engine.model import Model
    from calc.steps.cnn_count import aliases, bundled_or_spec
    from calc.steps.loss import _number_convention
    from calc.steps.map_given import read_map
    from calc.steps.narrate import Narration, narrator_for
    from calc.steps.network import GivenOnly, check_sequential, views_of
    from calc.steps.network_given import check_keys, read_network
    from calc.steps.network_text import _activation_line
    from calc.steps.text import Writer

    check_keys(given, where, KEYS)
    network = bundled_or_spec(given, where, read_network)
    check_sequential(network)
    x = read_map(given, where)
    if tuple(x.shape) != tuple(network.input_shape):
        raise SpecError(f"the input is {' x '.join(map(str, x.shape))} (H x W x C) but the network takes "
                        f"{' x '.join(map(str, network.input_shape))}", at(given, where, "input"))
    writer = Writer(options.decimals, options.hand_rounding)
    from calc.backend import get_backend

    ctx = GivenOnly(backend=get_backend("exact"), rounding=writer.round_array if options.hand_rounding else None)
    model = Model(network, ctx)
    views = views_of(model.layers)
    model.forward(x[None], record=True)
    record = model.activations
    kinds = [v.layer.kind for v in views]
    lines = [_number_convention(options.decimals, options.hand_rounding)]
    if "dense" in kinds:
        lines.append("dense weights: one row per neuron, w_ij connects input j to neuron i: z = W a + b")
    firsts = {v.layer.kind: v.layer for v in reversed(views) if hasattr(v.layer, "derivative_formula")}
    lines += [_activation_line(firsts[k]) for k in dict.fromkeys(kinds) if k in firsts]
    sol = Solution(f"Forward pass: {network.name}", lines)
    nar = Narration(sol, writer, ctx.backend)
    inp = x[None]
    for view in views:
        out = record[view.layer.name]
        nar.section = f"Forward · {view.title}"
        narrator_for(view.layer).forward(nar, view, inp[0], out[0])
        inp = out
    aliases(sol, given, where)
    last = views[-1].layer.name
    sol.summary = f"output of {last}: {writer.vec(list(inp[0].ravel()))}" if inp[0].size <= 10 else \
        f"output of {last}: {' x '.join(map(str, inp.shape[1:]))}"
    return sol
