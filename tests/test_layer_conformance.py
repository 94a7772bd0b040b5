"""Every layer type answers for itself: a piece forgotten fails here, never gives a wrong number."""

from __future__ import annotations

import pytest

from calc.errors import SpecError


def test_a_layer_without_a_receptive_rule_is_refused_not_passed_through():
    from calc.layers import Layer
    from calc.network import network_from_text
    from calc.receptive import receptive_fields

    net = network_from_text("input: [8, 8, 1]\nlayers:\n  - conv: {filters: 1, kernel: 3}\n  - relu\n")
    relu = net.leaves()[-1]
    relu.receptive = Layer.receptive  # as a new layer type that forgot its rule
    with pytest.raises(SpecError, match="no receptive-field rule for layer kind 'relu'"):
        receptive_fields(net)


def test_a_kind_narrated_twice_is_refused_at_import():
    from calc.steps.narrate import NARRATORS, Narrator, load_narrators, narrates

    load_narrators()
    with pytest.raises(RuntimeError, match="layer kind 'flatten' has two narrators"):
        @narrates("flatten")
        class Second(Narrator):
            pass
    assert NARRATORS["flatten"].__name__ == "FlattenNarrator"  # the first one stays
