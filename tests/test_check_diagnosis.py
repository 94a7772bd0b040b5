"""Diagnoses only where the digits support them, and counting conventions named (issue 9).

Every expected value is worked out here by hand arithmetic."""

from __future__ import annotations

import math

from calc.check import answers_from_text, check
from calc.problems_io import load_problem, problem_from_text

WORKSHEET = "softmax/softmax-worksheet"  # z = 2.0, 1.0, 0.1


def verdict(problem, text: str):
    prob = load_problem(problem) if isinstance(problem, str) else problem
    rep = check(prob, answers_from_text(text, "mine.yaml"), allow_blank=True)
    return {v.name: v for v in rep.verdicts}


def p3() -> float:
    e = [math.exp(2.0), math.exp(1.0), math.exp(0.1)]
    return e[2] / sum(e)


def test_no_diagnosis_from_rounding_slack():
    assert round(p3(), 4) == 0.0986
    v = verdict(WORKSHEET, "p3: 0.0\n")["p3"]  # within one unit (0.1) of ours: half of ours (0.0493) proves nothing
    assert v.status == "wrong" and v.diagnosis == ""


def test_a_slip_the_digits_do_support_is_still_named():
    half = round(p3() / 2, 4)
    assert half == 0.0493
    v = verdict(WORKSHEET, f"p3: {half}\n")["p3"]
    assert v.status == "wrong" and v.diagnosis.startswith("half of ours")


def bn_problem(counting: str | None = None):
    extra = f"  counting: {counting}\n" if counting else ""
    return problem_from_text(
        "type: cnn_count\ngiven:\n  network:\n    input: [8, 8, 3]\n    layers:\n"
        "      - conv: {filters: 3, kernel: 3}\n      - batchnorm\n" + extra, "bn.yaml")


# conv 3x3, 3 -> 3 channels: 3*3*3*3 weights + 3 biases = 84; BN(3): gamma, beta = 6 (PyTorch),
# plus moving mean and variance = 12 (Keras' model.summary)
CONV, BN_TORCH, BN_KERAS = 3 * 3 * 3 * 3 + 3, 2 * 3, 4 * 3


def test_keras_batch_norm_count_is_named_not_twice_ours():
    by = verdict(bn_problem(), f"bn1.params: {BN_KERAS}\ntotal_params: {CONV + BN_KERAS}\n")
    assert by["bn1.params"].status == "wrong" and by["bn1.params"].diagnosis.startswith("Keras' count")
    assert "twice" not in by["bn1.params"].diagnosis
    assert by["total_params"].status == "carried"  # 84 + 12 from the learner's own BN count
    assert verdict(bn_problem(), f"bn1.params: {BN_TORCH}\n")["bn1.params"].status == "correct"


def test_a_keras_counting_problem():
    by = verdict(bn_problem("keras"), f"bn1.params: {BN_KERAS}\ntotal_params: {CONV + BN_KERAS}\n")
    assert by["bn1.params"].status == "correct" and by["total_params"].status == "correct"
    v = verdict(bn_problem("keras"), f"bn1.params: {BN_TORCH}\n")["bn1.params"]
    assert v.status == "wrong" and v.diagnosis.startswith("PyTorch's count")
