"""`nncalc summary | zoo | size | layers` through typer's CliRunner, with hand-derived numbers.

TINY is small enough to count on paper (the comments are the derivation); the --include totals
follow the rules the summary states (calc.layers.base.COST_RULES). Rendered output is compared
with tests/golden/*.txt (fixed width, no colour; refresh with pytest --update-golden).
"""

from __future__ import annotations

import json

import pytest

TINY = """\
name: tiny
input: [8, 8, 3]
layers:
  - conv: {filters: 4, kernel: 3, padding: 1}   # 8x8x4: 4*3*3*3 + 4 = 112 params, 64*4*27 = 6912 MACs
  - batchnorm                                   # 8 params (gamma, beta) + 8 buffers
  - relu
  - maxpool: {kernel: 2}                        # 4x4x4
  - residual:                                   # identity shortcut
      body:
        - conv: {filters: 4, kernel: 3, padding: 1, bias: false}   # 4*4*3*3 = 144 params, 16*4*36 = 2304 MACs
  - global_avgpool                              # 1x1x4
  - flatten                                     # 4
  - dense: {units: 2}                           # 4*2 + 2 = 10 params, 8 MACs
  - softmax
"""
PARAMS, BUFFERS, MACS = 112 + 8 + 144 + 10, 8, 6912 + 2304 + 8
EXTRA = {
    "bias": 8 * 8 * 4 + 2,        # conv1's 256 outputs, fc1's 2
    "bn": 8 * 8 * 4,              # one multiply-add per element
    "act": 8 * 8 * 4 + 2,         # relu1, softmax1
    "pool": 4 * 4 * 4 * (2 * 2) + 4 * 4 * 4,  # 64 max windows of 4 cells; global average: 64 input cells
    "add": 4 * 4 * 4,             # the residual sum
    "norm": 0,                    # no layer or RMS norm
}
LAYERS = [  # name, type, output shape, params, MACs
    ("conv1", "conv", [8, 8, 4], 112, 6912), ("bn1", "batchnorm", [8, 8, 4], 8, 0), ("relu1", "relu", [8, 8, 4], 0, 0),
    ("pool1", "maxpool", [4, 4, 4], 0, 0), ("conv2", "conv", [4, 4, 4], 144, 2304), ("add1", "add", [4, 4, 4], 0, 0),
    ("pool2", "global_avgpool", [1, 1, 4], 0, 0), ("flatten1", "flatten", [4], 0, 0), ("fc1", "dense", [2], 10, 8),
    ("softmax1", "softmax", [2], 0, 0),
]
PLAIN = {"NO_COLOR": "1", "TERM": "dumb"}


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return str(path)


def _json(cli, *args):
    code, out, err = cli(*args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_summary_json_hand_counts(cli, tiny):
    data = _json(cli, "summary", tiny)
    assert (data["total_params"], data["trainable_params"], data["non_trainable_params"]) == (PARAMS, PARAMS, 0)
    assert (data["buffers"], data["total_macs"], data["flops"]) == (BUFFERS, MACS, 2 * MACS)
    assert data["extra_ops"] == EXTRA and data["included_ops"] == []
    got = [(r["name"], r["type"], r["output_shape"], r["params"], r["macs"]) for r in data["layers"]]
    assert got == [tuple(row) for row in LAYERS]
    assert [(b["name"], b["params"], b["macs"]) for b in data["blocks"]] == [("residual1", 144, 2304)]


@pytest.mark.parametrize("kinds", [["bias"], ["bn"], ["act"], ["pool"], ["add"], ["bias", "pool"], ["all"]])
def test_include_adds_documented_operations(cli, tiny, kinds):
    args = [a for kind in kinds for a in ("--include", kind)]
    data = _json(cli, "summary", tiny, *args)
    counted = list(EXTRA) if kinds == ["all"] else kinds
    assert data["total_macs"] == MACS + sum(EXTRA[k] for k in counted)
    assert data["macs_conv_dense"] == MACS
    rules = [c for c in data["conventions"] if c.startswith("--include ")]
    assert [r.split(":")[0] for r in rules] == [f"--include {k}" for k in EXTRA if k in counted]


def test_include_all_total(cli, tiny):
    assert _json(cli, "summary", tiny, "--include", "all")["total_macs"] == 10_380  # 9224 + 258 + 256 + 258 + 320 + 64


def test_keras_counts_batchnorm_statistics(cli, tiny):
    data = _json(cli, "summary", tiny, "--keras")
    assert (data["total_params"], data["trainable_params"], data["non_trainable_params"]) == (PARAMS + 8, PARAMS, 8)
    assert any("counted as non-trainable parameters" in c for c in data["conventions"])


def test_batch_scales_macs_and_activations_not_params(cli, tiny):
    one, three = _json(cli, "summary", tiny), _json(cli, "summary", tiny, "--batch", "3", "--include", "act")
    assert three["total_params"] == PARAMS
    assert three["total_macs"] == 3 * (MACS + EXTRA["act"])
    assert three["memory_bytes"]["activations"] == 3 * one["memory_bytes"]["activations"] == 3 * 4 * 972
    assert three["memory_bytes"]["params"] == (PARAMS + BUFFERS) * 4


@pytest.mark.parametrize("shape", ["16x16x3", "16x16", "16"])
def test_input_override(cli, tiny, shape):
    """16x16: conv1 16*16*4*27 = 27648 MACs, conv2 (8x8) 64*4*36 = 9216, fc1 8; params unchanged."""
    data = _json(cli, "summary", tiny, "--input", shape)
    assert (data["input_shape"], data["total_params"], data["total_macs"]) == ([16, 16, 3], PARAMS, 27648 + 9216 + 8)


def test_input_override_refuses_a_wrong_rank(cli, tiny):
    code, _, err = cli("summary", tiny, "--input", "1x2x3x4")
    assert code == 2 and "height x width x channels" in err


def test_markdown_file(cli, tiny, tmp_path):
    target = tmp_path / "out.md"
    code, out, _ = cli("summary", tiny, "--markdown", str(target), "--json")
    assert code == 0 and json.loads(out)["total_params"] == PARAMS  # JSON on stdout, Markdown in the file
    lines = target.read_text().splitlines()
    assert lines[0] == "# tiny"
    assert "| Layer | Type | Config | Output shape | Params | MACs |" in lines
    assert "| conv1 | conv | 3x3 pad 1 | 8 x 8 x 4 | 112 | 6,912 |" in lines
    assert "| *residual1* | residual |  | 4 x 4 x 4 | 144 | 2,304 |" in lines
    assert "- **Total params:** 274 (274)" in lines and "- **MACs:** 9,224 (9.22 kMAC)" in lines
    table = [line for line in lines if line.startswith("| ")]
    assert len(table) == 1 + len(LAYERS) + 1  # header, leaves, the residual block row


def test_markdown_to_stdout(cli, tiny):
    code, out, _ = cli("summary", tiny, "--markdown", "-")
    assert code == 0 and out.startswith("# tiny\n") and "Trainable params:" in out and "Output (HxWxC)" not in out


def test_pool_rules_by_hand(cli, tmp_path):
    """avgpool 3x3 /2 pad 1 ceil on 5x5: 3x3 outputs (PyTorch) x 9 cells = 81; adaptive 5 -> 3:
    PyTorch windows [0,2) [1,4) [3,5), sizes 2+3+2 = 7 per axis, 7*7 = 49 cells."""
    spec = tmp_path / "pools.yaml"
    spec.write_text("input: [5, 5, 1]\nlayers:\n  - avgpool: {kernel: 3, stride: 2, padding: 1, ceil_mode: true}\n"
                    "  - relu\n")
    data = _json(cli, "summary", str(spec), "--include", "pool")
    assert (data["layers"][0]["output_shape"], data["total_macs"]) == ([3, 3, 1], 81)
    spec.write_text("input: [5, 5, 2]\nlayers:\n  - adaptive_avgpool: {output: 3}\n")
    assert _json(cli, "summary", str(spec), "--include", "pool")["total_macs"] == 2 * 49


def test_zoo_json_matches_published(cli):
    rows = {r["name"]: r for r in _json(cli, "zoo")}
    # ../shared/reference/model-stats.md (torchvision meta num_params, exact MACs)
    assert (rows["resnet18"]["total_params"], rows["resnet18"]["total_macs"]) == (11_689_512, 1_814_073_344)
    assert (rows["vgg16"]["total_params"], rows["vgg16"]["total_macs"]) == (138_357_544, 15_470_264_320)
    assert rows["alexnet"]["input_shape"] == [227, 227, 3] and rows["alexnet"]["total_params"] == 62_378_344
    assert all("DIFFERS" not in r["matches"] for r in rows.values())
    assert rows["resnet18"]["published"] == [
        {"figure": "params", "published": 11_689_512, "ours": 11_689_512, "match": True},
        {"figure": "macs", "published": 1_814_073_344, "ours": 1_814_073_344, "match": True}]
    assert rows["resnet18"]["matches"] == "params+MACs"


def test_size_json_output(cli):
    assert _json(cli, "size", "conv", "--input", "227", "--kernel", "11", "--stride", "4")["output"] == 55
    assert _json(cli, "size", "pool", "--input", "112", "--kernel", "3", "--stride", "2", "--ceil-mode")["output"] == 56
    assert _json(cli, "size", "transposed", "-i", "3", "-k", "3", "-s", "2", "-p", "1", "--output-padding", "1")["output"] == 6


def test_layers_json_lists_every_type_and_alias(cli):
    from calc.layers import REGISTRY, lookup
    from calc.spec.build import STRUCTURES

    rows = _json(cli, "layers")
    assert sorted(r["name"] for r in rows) == sorted([*REGISTRY, *STRUCTURES])
    for r in rows:
        assert r["summary"]
        for alias in r["aliases"]:
            assert lookup(alias, None).kind == r["name"]


def test_include_choices_are_the_cost_kinds():
    from calc.layers import COST_KINDS
    from nncalc_cli.networks import CostKind

    assert [k.value for k in CostKind] == [*COST_KINDS, "all"]


# -- golden renderings (style.md point 10) ------------------------------------------------------
GOLDEN = {
    "summary_resnet18": ["summary", "resnet18"],
    "summary_mnist_cnn_keras_all_batch2": ["summary", "mnist-cnn", "--keras", "--include", "all", "--batch", "2"],
    "summary_googlenet_config": ["summary", "googlenet", "--config"],
    "size_conv_224": ["size", "conv", "--input", "224", "--kernel", "11", "--stride", "4"],
    "size_pool_ceil_overhang": ["size", "pool", "--input", "3", "--kernel", "4", "--stride", "2", "--ceil-mode"],
    "size_transposed": ["size", "transposed", "-i", "3", "-k", "3", "-s", "2", "-p", "1"],
    "size_conv_same_non_square": ["size", "conv", "-i", "28x27", "-k", "4x3", "-s", "2", "-p", "same"],
    "zoo": ["zoo"],
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_rendering(cli, golden, name):
    code, out, err = cli(*GOLDEN[name], env={**PLAIN, "COLUMNS": "80"})  # a standard terminal
    assert code == 0, err
    assert "\x1b[" not in out  # no colour codes
    golden(name, out)


def test_names_are_shown_as_written(cli, tmp_path):
    """Names are text, not rich markup or emoji codes: 'fc[/]' used to crash with a MarkupError."""
    spec = tmp_path / "odd.yaml"
    spec.write_text('name: "[red]x[/]"\ninput: [4]\nlayers:\n  - dense: {units: 2, name: "fc[/]"}\n'
                    '  - relu: {name: ":fire:"}\n')
    code, out, err = cli("summary", str(spec), env=PLAIN)
    assert code == 0, err
    assert "[red]x[/]" in out and "fc[/]" in out and ":fire:" in out
