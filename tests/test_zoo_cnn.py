"""Today's CNNs in the zoo against plain-torch copies of torchvision's architectures
(tests/zoo_torch.py): parameters as sum(p.numel()) and MACs as torch's FlopCounterMode / 2 at
224 x 224, both counted by torch; the parameter counts are also torchvision's published
num_params (weights meta), written here by hand."""

from __future__ import annotations

import pytest

from calc.counting.stats import summarize
from calc.network import load_network
from tests.zoo_torch import counts

# torchvision weights meta num_params
PUBLISHED_PARAMS = {"squeezenet1.1": 1_235_496, "densenet121": 7_978_856, "shufflenet-v2-x1.0": 2_278_604,
                    "mobilenet-v2": 3_504_872, "mobilenet-v3-large": 5_483_032, "efficientnet-b0": 5_288_548}


def _have(name: str) -> bool:
    from calc import zoo

    return name in zoo.bundled_names()


@pytest.mark.parametrize("name", sorted(PUBLISHED_PARAMS))
def test_zoo_matches_torch(name):
    if not _have(name):
        pytest.skip(f"{name} is not bundled on this branch yet")
    s = summarize(load_network(name))
    params, macs = counts(name)
    assert params == PUBLISHED_PARAMS[name]
    assert (s.total_params, s.total_macs) == (params, macs)
    assert s.output_shape == (1000,)
