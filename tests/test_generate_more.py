"""nncalc generate for the solver types of calc/teach/generate_types_more.py and cnn_count's residual
and Inception variants: every variant solves and checks with its own key, the same seed writes the
same bytes, and the keys agree with values computed here independently (PyTorch, by hand)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
import yaml

from calc.teach.generate import generate
from calc.teach.generate_types import GENERATORS, Knobs

NEW = ["conv1d", "upsample", "rnn_bptt", "perceptron", "positional_encoding", "edge", "squeeze_excitation",
       "graph", "memory"]
NOT_YET: set = set()  # solver types without a generator (yet)


def test_every_solver_type_has_a_generator_or_is_named_as_missing():
    from calc.solve.registry import SOLVERS, _discover

    _discover()
    assert set(SOLVERS) - set(GENERATORS) == NOT_YET - set(GENERATORS)
    assert set(NEW) <= set(GENERATORS)


@pytest.mark.parametrize("kind", NEW + ["cnn_count"])
def test_every_file_solves_and_passes_check_with_its_own_key(cli, tmp_path, kind):
    for difficulty in (1, 2, 3):
        folder = tmp_path / str(difficulty)
        code, _, err = cli("generate", kind, "--count", "3", "--seed", "7", "--difficulty", str(difficulty),
                           "--out", str(folder))
        assert code == 0, err
        for path in sorted(folder.glob("*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            assert data["type"] == kind and data["expected"]
            answers = tmp_path / f"{path.stem}-answers.yaml"
            answers.write_text(yaml.safe_dump(data["expected"]), encoding="utf-8")
            code, out, err = cli("check", str(path), "--answers", str(answers))
            assert code == 0, (path.name, out[-600:], err)


@pytest.mark.parametrize("kind", NEW + ["cnn_count"])
def test_the_same_seed_gives_the_same_text_and_another_seed_other_numbers(kind):
    knobs = Knobs(difficulty=3)
    first, again = generate(kind, 3, 21, knobs), generate(kind, 3, 21, knobs)
    assert [v.text for v in first] == [v.text for v in again]
    assert len({repr(v.given) for v in first}) == 3
    assert {repr(v.given) for v in generate(kind, 3, 22, knobs)} != {repr(v.given) for v in first}


def _flat(rows) -> list:
    return [x for row in rows for x in row]


def _t(values):
    return torch.tensor(values, dtype=torch.float64)


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_conv1d_keys_match_torch(difficulty):
    for v in generate("conv1d", 6, 3, Knobs(difficulty=difficulty)):
        g = v.given
        bias = _t([g["bias"]]) if "bias" in g else None
        y = F.conv1d(_t(g["input"]).view(1, 1, -1), _t(g["kernel"]).view(1, 1, -1), bias, stride=g["stride"],
                     padding=g["padding"], dilation=g.get("dilation", 1)).flatten().tolist()
        assert v.expected["output"] == pytest.approx(y) and len(set(y)) > 1


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_upsample_keys_match_torch_forward_and_backward(difficulty):
    for v in generate("upsample", 6, 3, Knobs(difficulty=difficulty)):
        g = v.given
        x = _t(g["input"]).view(1, 1, 2, 2).requires_grad_()
        extra = {"align_corners": g["align_corners"]} if g["mode"] == "bilinear" else {}
        y = F.interpolate(x, scale_factor=2, mode=g["mode"], **extra)
        assert _flat(v.expected["output"]) == pytest.approx(y.flatten().tolist())
        if "grad_output" in g:
            y.backward(_t(g["grad_output"]).view(1, 1, 4, 4))
            assert _flat(v.expected["dL/dX"]) == pytest.approx(x.grad.flatten().tolist())


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_rnn_bptt_keys_match_autograd(difficulty):
    for v in generate("rnn_bptt", 6, 3, Knobs(difficulty=difficulty)):
        g = v.given
        w_xh, w_hh, b = (_t(g[k]).requires_grad_() for k in ("W_xh", "W_hh", "b"))
        act = torch.tanh if g["nonlinearity"] == "tanh" else torch.relu
        h = _t(0)
        for x in g["x"]:
            h = act(w_xh * x + w_hh * h + b)
        loss = 0.5 * (h - g["target"]) ** 2
        loss.backward()
        e = v.expected
        assert e["loss"] == pytest.approx(loss.item())
        assert e["dL/dW_hh"] == pytest.approx(w_hh.grad.item())
        assert e["dL/dW_xh"] == pytest.approx(w_xh.grad.item())
        assert e["dL/db"] == pytest.approx(b.grad.item())


def test_perceptron_keys_are_the_truth_table_by_hand():
    for difficulty in (1, 2, 3):
        for v in generate("perceptron", 5, 4, Knobs(difficulty=difficulty)):
            g, e = v.given, v.expected
            outputs = []
            for row, (x1, x2) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)], start=1):
                z = g["weights"][0] * x1 + g["weights"][1] * x2 + g["bias"]
                assert e[f"row{row}.fc1.z1"] == pytest.approx(z)
                outputs.append(int(z > 0))  # step(0) = 0
                assert e[f"row{row}.y"] == outputs[-1]
            assert e["all_correct"] == (outputs == g["targets"])


def test_positional_encoding_keys_match_the_formula():
    for difficulty in (1, 2, 3):
        for v in generate("positional_encoding", 3, 4, Knobs(difficulty=difficulty)):
            g = v.given
            table = [[(math.sin if i % 2 == 0 else math.cos)(p / g["base"] ** ((i - i % 2) / g["dim"]))
                      for i in range(g["dim"])] for p in range(g["length"])]
            assert _flat(v.expected["PE"]) == pytest.approx(_flat(table))


def _convs(layers, shape):
    """(params, MACs, out shape) of a plain list of conv / maxpool layers on (H, W, C), by hand."""
    params = macs = 0
    for layer in layers:
        (kind, o), = layer.items()
        h, _, c = shape
        if kind == "conv":
            k, s = o["kernel"], o.get("stride", 1)
            p = (k - 1) // 2 if o.get("padding") == "same" else o.get("padding", 0)
            size = (h + 2 * p - k) // s + 1
            params += (k * k * c + 1) * o["filters"]
            macs += size * size * o["filters"] * k * k * c
            shape = (size, size, o["filters"])
        elif kind == "maxpool":
            shape = ((h + 2 * o["padding"] - o["kernel"]) // o["stride"] + 1,) * 2 + (c,)
    return params, macs, shape


def test_residual_and_inception_counts_by_hand():
    seen = set()
    for seed in range(8):
        for v in generate("cnn_count", 2, seed, Knobs(difficulty=3)):
            net, e = v.given["network"], v.expected
            shape = tuple(net["input"])
            params = macs = 0
            for layer in net["layers"]:
                (kind, o), = layer.items()
                if kind == "conv":
                    p, m, shape = _convs([layer], shape)
                elif kind == "residual":
                    p, m, out = _convs(o["body"], shape)
                    p2, m2, short = _convs(o.get("shortcut", []), shape)
                    assert out == short  # the two paths can be added
                    p, m, shape = p + p2, m + m2, out
                    seen.add("projection" if "shortcut" in o else "identity")
                elif kind == "concat":
                    parts = [_convs(branch, shape) for branch in o]
                    p, m = sum(x[0] for x in parts), sum(x[1] for x in parts)
                    shape = parts[0][2][:2] + (sum(x[2][2] for x in parts),)
                    assert e["concat1.output_shape"] == list(shape)
                    seen.add("inception")
                elif kind == "global_avgpool":
                    p, m, shape = 0, 0, (1, 1, shape[2])
                elif kind == "dense":
                    n = math.prod(shape)
                    p, m, shape = (n + 1) * o["units"], n * o["units"], (o["units"],)
                else:
                    p = m = 0
                params, macs = params + p, macs + m
            assert (e["total_params"], e["multiplications"]) == (params, macs)
    assert seen == {"identity", "projection", "inception"}


def test_residual_receptive_field_is_the_body_path():
    """Identity block: conv 3 -> conv 3 -> conv 3 stacks to 7; projection (second conv stride 2 after the
    first): 3, then 3 + 2 = 5, then 5 + 2*2 = 9 (r = r_prev + (k - 1) j_prev)."""
    for seed in range(8):
        for v in generate("cnn_count", 2, seed, Knobs(difficulty=3)):
            layers = v.given["network"]["layers"]
            if "residual" in layers[1]:
                expected = 9 if "shortcut" in layers[1]["residual"] else 7
                assert v.expected["receptive_field"] == expected
            else:
                assert v.expected["receptive_field"] == 5  # the 5x5 branch after a 1x1


def test_edge_keys_match_torch_conv2d_and_the_display_clips():
    kernels = {"vertical": [[1, 0, -1]] * 3, "horizontal": [[1, 1, 1], [0, 0, 0], [-1, -1, -1]]}  # the course's
    for difficulty in (1, 2, 3):
        for v in generate("edge", 4, 5, Knobs(difficulty=difficulty)):
            image = _t(v.given["image"]).view(1, 1, *(len(v.given["image"]),) * 2)
            for name in v.given["kernels"]:
                raw = F.conv2d(image, _t(kernels[name]).view(1, 1, 3, 3))[0, 0]
                assert _flat(v.expected[f"output_{name}"]) == pytest.approx(raw.flatten().tolist())
                assert _flat(v.expected[f"display_{name}"]) == pytest.approx(raw.clamp(0, 255).flatten().tolist())


def test_squeeze_excitation_keys_match_torch():
    for difficulty in (1, 2, 3):
        for v in generate("squeeze_excitation", 4, 5, Knobs(difficulty=difficulty)):
            g = v.given
            x = _t(g["x"])  # C x H x W
            s = x.mean(dim=(1, 2))
            z = _t(g["w1"]) @ s + _t(g["b1"])
            gate = torch.sigmoid(_t(g["w2"]) @ torch.relu(z) + _t(g["b2"]))
            y = x * gate.view(-1, 1, 1)
            assert [v.expected[f"g{c + 1}"] for c in range(len(s))] == pytest.approx(gate.tolist())
            for c in range(len(s)):
                assert _flat(v.expected[f"y{c + 1}"]) == pytest.approx(y[c].flatten().tolist())
            squeeze, channels = len(g["w1"]), len(s)
            assert v.expected["params"] == 2 * squeeze * channels + squeeze + channels  # two 1x1 convs with bias


def test_graph_keys_match_autograd():
    for difficulty in (1, 2, 3):
        for v in generate("graph", 4, 5, Knobs(difficulty=difficulty)):
            leaves = {k: _t(x).requires_grad_() for k, x in v.given["values"].items()}
            scope = dict(leaves, max=torch.maximum, exp=torch.exp, sigmoid=torch.sigmoid)
            for stage in v.given["expression"].split(";"):
                name, formula = (part.strip() for part in stage.split("="))
                scope[name] = eval(formula, {}, scope)  # the course's staged expression, torch ops
                last = name
            scope[last].backward()
            assert v.expected[last] == pytest.approx(scope[last].item())
            for k, leaf in leaves.items():
                assert v.expected[f"d{last}/d{k}"] == pytest.approx(leaf.grad.item())


PARAMS = {"gpt2": 124439808, "llama-2-7b": 6738415616}  # Hugging Face GPT-2 small; Llama 2 paper, 7B
KV_VALUES_PER_TOKEN = {"gpt2": 2 * 12 * 768, "llama-2-7b": 2 * 32 * 4096}  # K and V x layers x width
BYTES = {"fp32": 4, "bf16": 2, "fp16": 2, "int8": 1, "int4": 0.5}


def test_memory_keys_by_hand():
    for difficulty in (1, 2, 3):
        for v in generate("memory", 4, 5, Knobs(difficulty=difficulty)):
            g, e = v.given, v.expected
            size = PARAMS[g["network"]]
            kv_bytes = 2 if g["dtype"] in ("int8", "int4") else BYTES[g["dtype"]]  # a quantised model's cache: fp16
            assert e["params"] == size and e["weights_bytes"] == size * BYTES[g["dtype"]]
            assert e["kv_cache_bytes"] == KV_VALUES_PER_TOKEN[g["network"]] * kv_bytes * g["context"] * g["batch"]
            card = int(g["gpu"][:-2]) * 2 ** 30
            assert e["inference_fits"] == (e["weights_bytes"] + e["kv_cache_bytes"] <= card)
            if g.get("training"):
                state = {"adam": 8, "momentum": 4, "sgd": 0}[g["optimizer"]]
                per = 8 + state  # weights + gradients: fp32 4 + 4, mixed 2 + 2 + a 4-byte master copy
                assert e["training_bytes_per_param"] == per and e["training_bytes"] == per * size


def test_the_help_names_every_type(cli):
    code, out, _ = cli("generate", "--help")
    text = " ".join(out.split())
    assert code == 0 and all(kind in text for kind in GENERATORS)


def test_the_new_filters_refuse_what_they_name():
    from calc.teach.generate_filters import reason

    knobs = Knobs()
    dead = {"x": [1, 2], "nonlinearity": "relu", "target": 1}
    assert "ReLU" in reason("rnn_bptt", dead, {"a1": -0.5, "a2": 1, "dL/da1": 0, "dL/da2": 1, "h2": 1}, knobs)
    assert reason("conv1d", {"kernel": [0, 0, 1]}, {"output": [1, 2]}, knobs)
    assert reason("conv1d", {"kernel": [1, -1]}, {"output": [3, 3, 3]}, knobs) == "a constant output"
    assert reason("conv1d", {"kernel": [1, -1]}, {"output": [3, 1, 3]}, knobs) == ""
    se = {"z1": 1, "e1": 6, "e2": 0, "g1": 0.9, "g2": 0.5}
    assert "saturated" in reason("squeeze_excitation", {}, se, knobs)
    graph = {"expression": "q = x + y; f = q * z", "values": {"x": 2, "y": -2, "z": 3}}
    assert reason("graph", graph, {"df/dx": 3, "df/dy": 3, "df/dz": 0}, knobs) == "a zero gradient"
