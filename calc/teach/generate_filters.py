"""Degenerate draws a variant must not be: the generator draws again when a check fails.

Each check reads the given and the solved answers (exact values) and returns the reason the
draw is unfair, or "" when it is fine. The reasons are what tests/test_generate.py names.
"""

from __future__ import annotations

FILTERS: dict = {}


def check(name: str):
    def register(fn):
        FILTERS[name] = fn
        return fn
    return register


def reason(kind: str, given: dict, answers: dict, knobs) -> str:
    """Why this draw is degenerate ("" when it is fair)."""
    fn = FILTERS.get(kind)
    return fn(given, answers, knobs) if fn else ""


def _flat(value) -> list:
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _flat(v)]
    return [value]


def max_pool_ties(matrix, k: int, s: int) -> int:
    """How many pooling windows have their maximum more than once."""
    size, ties = len(matrix), 0
    for r in range(0, size - k + 1, s):
        for c in range(0, size - k + 1, s):
            window = [matrix[r + i][c + j] for i in range(k) for j in range(k)]
            ties += window.count(max(window)) > 1
    return ties


@check("pool")
def _pool(given, answers, knobs) -> str:
    if given["type"] != "max":
        return ""
    ties = max_pool_ties(given["input"], given["kernel"], given["stride"])
    if knobs.ties and not ties:
        return "no tie in any window (--ties asks for one)"
    if not knobs.ties and ties:
        return "a tie in a max-pooling window"
    if "grad_output" in given and all(v == 0 for v in _flat(given["grad_output"])):
        return "zero gradients"
    return ""


@check("network")
def _network(given, answers, knobs) -> str:
    hidden = [v for k, v in answers.items() if k.startswith("fc1.z")]
    if any(v == 0 for v in hidden):
        return "a hidden pre-activation of 0 (where ReLU has no derivative)"
    if given["network"]["layers"][0]["dense"]["activation"] == "relu" and any(v < 0 for v in hidden):
        return "a dead ReLU (its weights get zero gradients)"
    grads = [v for k, v in answers.items() if k.startswith("dL/d") and ".w" in k]
    if not grads or any(abs(float(v)) < 1e-4 for v in grads):
        return "zero gradients (or ones too small to show at 4 decimals)"
    return ""


@check("conv")
def _conv(given, answers, knobs) -> str:
    out = _flat(answers.get("output", []))
    if len(set(out)) < 2:
        return "a constant feature map"
    if all(v == 0 for v in _flat(given["kernel"])) or sum(v != 0 for v in _flat(given["kernel"])) < 2:
        return "a kernel with fewer than two non-zero weights"
    return ""


@check("softmax")
def _softmax(given, answers, knobs) -> str:
    return "equal scores" if len(set(given["z"])) < len(given["z"]) else ""


@check("batchnorm")
def _batchnorm(given, answers, knobs) -> str:
    return "all values equal (variance 0)" if len(set(given["x"])) < 3 else ""


@check("dropout")
def _dropout(given, answers, knobs) -> str:
    mask = given["mask"]
    return "" if 0 in mask and 1 in mask else "a mask that keeps all or drops all"


@check("attention")
def _attention(given, answers, knobs) -> str:
    q, k = given["Q"], given["K"]
    if any(all(v == 0 for v in row) for row in q + k):
        return "a zero query or key"
    causal = given.get("causal", False)
    for i, row in enumerate(q):
        seen = k[: i + 1] if causal else k
        scores = [sum(a * b for a, b in zip(row, key)) for key in seen]
        if len(scores) > 1 and len(set(scores)) == 1:
            return "a row of equal scores (uniform attention)"
    if len({tuple(r) for r in given["V"]}) < len(given["V"]):
        return "two equal value rows"
    return ""


@check("size")
def _size(given, answers, knobs) -> str:
    out = answers.get("output")
    return "an output smaller than 2" if out is not None and out < 2 else ""


@check("optimizer")
def _optimizer(given, answers, knobs) -> str:
    gs = [v for k, v in answers.items() if k[:1] == "g" and k[1:].isdigit()]
    return "a zero gradient" if any(v == 0 for v in gs) else ""


@check("conv_backward")
def _conv_backward(given, answers, knobs) -> str:
    if all(v == 0 for v in _flat(given["kernel"])) or all(v == 0 for v in _flat(given["input"])):
        return "a zero kernel or input"
    grads = [v for k, v in answers.items() if k.startswith("dL/dF")]
    return "zero gradients" if any(v == 0 for v in _flat(grads)) else ""


@check("loss")
def _loss(given, answers, knobs) -> str:
    rows = given["output"]
    if given["loss"] != "cross_entropy" and all(t[0] == 1 for t in given["target"]):
        return "every target the same class"
    return "" if len({tuple(r) for r in rows}) == len(rows) else "two equal output rows"


@check("layernorm")
def _layernorm(given, answers, knobs) -> str:
    x = given["x"]
    if any(len(set(row)) < 2 for row in x) or any(len({row[c] for row in x}) < 2 for c in range(len(x[0]))):
        return "a constant row or column (variance 0)"
    return ""


@check("conv1d")
def _conv1d(given, answers, knobs) -> str:
    if sum(v != 0 for v in given["kernel"]) < 2:
        return "a kernel with fewer than two non-zero weights"
    return "a constant output" if len(set(_flat(answers.get("output", [])))) < 2 else ""


@check("upsample")
def _upsample(given, answers, knobs) -> str:
    if len(set(_flat(given["input"]))) < 3:
        return "an input with fewer than three distinct values"
    if "grad_output" in given and sum(v != 0 for v in _flat(given["grad_output"])) < 3:
        return "an upstream gradient with fewer than three non-zero values"
    return ""


@check("rnn_bptt")
def _rnn_bptt(given, answers, knobs) -> str:
    steps = len(given["x"])
    pre = [answers[f"a{t}"] for t in range(1, steps + 1)]
    if given.get("nonlinearity") == "relu" and any(v <= 0 for v in pre):
        return "a ReLU step with a_t <= 0 (a dead step: no gradient through it)"
    if any(abs(float(answers[f"dL/da{t}"])) < 1e-3 for t in range(1, steps + 1)):
        return "a vanishing dL/da_t (too small to show at 4 decimals)"
    return "" if answers[f"h{steps}"] != given["target"] else "h_T equal to the target (zero loss)"


@check("squeeze_excitation")
def _squeeze_excitation(given, answers, knobs) -> str:
    z = [v for k, v in answers.items() if k[:1] == "z" and k[1:].isdigit()]
    if any(v <= 0 for v in z):
        return "a squeeze unit with z <= 0 (ReLU passes nothing: a dead path)"
    if any(abs(v) > 5 for k, v in answers.items() if k[:1] == "e" and k[1:].isdigit()):
        return "a saturated gate (|e| > 5: sigmoid within 0.007 of 0 or 1)"
    if len({v for k, v in answers.items() if k[:1] == "g" and k[1:].isdigit()}) < 2:
        return "equal gates on every channel"
    return ""


@check("graph")
def _graph(given, answers, knobs) -> str:
    inputs = [answers[f"{_output(answers)}/d{name}"] for name in given["values"]]
    zeros = sum(v == 0 for v in inputs)
    if zeros > ("max(" in given["expression"]):  # a max gate's loser gets 0 on purpose, nothing else should
        return "a zero gradient"
    if "max(" in given["expression"] and given["values"]["z"] == given["values"]["w"]:
        return "a tie in the max gate"
    if any(0 < abs(float(v)) < 0.01 for v in inputs):
        return "a vanishing gradient (a saturated sigmoid)"
    return ""


def _output(answers) -> str:
    """'df' or 'dY': the gradient names start with d<output>/d."""
    return next(k for k in answers if "/d" in k).split("/")[0]
