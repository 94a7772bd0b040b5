"""`nncalc memory`: weights per dtype, the KV cache (grouped-query aware), the training state and
whether it fits, on a small spec whose numbers are worked out by hand here."""

from __future__ import annotations

import json

import pytest

from calc.errors import InputError
from calc.network import network_from_text
from calc.solve.memory import MemoryQuestion, memory_solution

# 4 attention layers, d 256, 8 heads of 32, 2 kv heads, no bias: q, o 256*256, k, v 256*64 each
# -> 163,840 per layer; a SwiGLU of 512: 3*256*512 = 393,216; total 4*163,840 + 393,216 = 2^20.
SPEC = """name: gqa
input: [64, 256]
layers:
  - repeat: {times: 4, layers: [{attention: {heads: 8, kv_heads: 2, bias: false, causal: true}}]}
  - swiglu: {hidden: 512}
"""
PARAMS = 1_048_576


def _answers(**question):
    return memory_solution(network_from_text(SPEC, "gqa.yaml"), MemoryQuestion(**question)).answers


def test_fp16_weights_and_kv_cache_by_hand():
    a = _answers(dtype="fp16", context=4096, batch=2)
    assert a["params"] == PARAMS
    assert a["weights_bytes"] == 2 * PARAMS
    assert a["kv_bytes_per_token"] == 2 * 4 * 2 * 32 * 2  # K and V, 4 layers, 2 kv heads of 32, 2 bytes
    assert a["kv_cache_bytes"] == 1024 * 4096 * 2
    assert a["inference_bytes"] == 2 * PARAMS + 1024 * 4096 * 2


def test_context_defaults_to_the_sequence_length():
    assert _answers(dtype="fp32")["kv_cache_bytes"] == 2 * 4 * 2 * 32 * 4 * 64


@pytest.mark.parametrize("dtype, weights, kv", [("fp32", 4 * PARAMS, 4), ("bf16", 2 * PARAMS, 2),
                                                ("int8", PARAMS, 2), ("int4", PARAMS // 2, 2)])
def test_bytes_per_dtype(dtype, weights, kv):
    a = _answers(dtype=dtype, context=10)
    assert a["weights_bytes"] == weights
    assert a["kv_bytes_per_token"] == 512 * kv  # 512 values per token; int formats keep an fp16 cache


def test_kv_dtype_option():
    assert _answers(dtype="fp16", kv_dtype="int8", context=10)["kv_bytes_per_token"] == 512


@pytest.mark.parametrize("dtype, optimizer, per", [("fp16", "adam", 16), ("bf16", "sgd", 8), ("fp32", "adam", 16),
                                                   ("fp32", "momentum", 12), ("fp32", "sgd", 8)])
def test_training_bytes_per_parameter(dtype, optimizer, per):
    """Mixed precision: 2 + 2 + 4 (fp32 master) + state; fp32: 4 + 4 + state; Adam 8, momentum 4."""
    a = _answers(dtype=dtype, training=True, optimizer=optimizer)
    assert a["training_bytes_per_param"] == per
    assert a["training_bytes"] == per * PARAMS


def test_fits_and_does_not_fit():
    need = 2 * PARAMS + 1024 * 4096
    assert _answers(context=4096, gpu=need, gpu_text="x")["inference_fits"] is True
    assert _answers(context=4096, gpu=need - 1, gpu_text="x")["inference_fits"] is False


def test_int_training_is_refused():
    with pytest.raises(InputError, match="--training"):
        _answers(dtype="int8", training=True)


def test_command_json_and_errors(tmp_path, cli):
    spec = tmp_path / "gqa.yaml"
    spec.write_text(SPEC)
    code, out, _ = cli("memory", str(spec), "--context", "4096", "--batch", "2", "--gpu", "8M", "--json")
    assert code == 0, out
    text = json.dumps(json.loads(out))
    assert "10485760" in text.replace(",", "")  # 2 MiB of weights + 8 MiB of cache
    assert "does not fit" in text and "2.10 MB = 2.00 MiB short" in text  # 8M is 8 MiB = 8,388,608 bytes
    for args, option in ((["--dtype", "fp12"], "--dtype"), (["--gpu", "lots"], "--gpu"),
                         (["--optimizer", "lion", "--training"], "--optimizer")):
        code, _, err = cli("memory", str(spec), *args)
        assert code == 2 and option in err, (args, err)


def test_llama_2_7b_fits_a_24_gb_card_at_4k_context_in_fp16():
    """6,738,415,616 params x 2 bytes = 13,476,831,232; KV cache 2 x 32 layers x 32 heads x 128 x
    2 bytes = 512 KiB a token, 2 GiB for 4,096 tokens; 15,624,314,880 bytes < 24 GiB. Training
    with Adam in mixed precision: 16 bytes a parameter, 107,814,649,856 bytes: does not fit."""
    from calc.network import load_network

    sol = memory_solution(load_network("llama-2-7b"),
                          MemoryQuestion("fp16", 4096, 1, 24 * 2 ** 30, "24GB", training=True))
    a = sol.answers
    assert (a["weights_bytes"], a["kv_bytes_per_token"], a["kv_cache_bytes"]) == (13_476_831_232, 524_288, 2 ** 31)
    assert a["inference_bytes"] == 15_624_314_880 and a["inference_fits"] is True
    assert a["training_bytes"] == 107_814_649_856 and a["training_fits"] is False


def test_a_network_without_attention_has_weights_only():
    """resnet18: 11,689,512 params + 9,600 batch-norm buffers (running mean/var), 1 byte each in int8."""
    from calc.network import load_network

    sol = memory_solution(load_network("resnet18"), MemoryQuestion("int8", context=100))
    assert sol.answers["weights_bytes"] == 11_689_512 + 9_600
    assert "kv_cache_bytes" not in sol.answers
    assert "no attention layers: no KV cache (--context is not used)" in sol.conventions
