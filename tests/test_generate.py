"""nncalc generate (issue 15): reproducible variants whose keys solve and check, fair numbers,
handouts. The key is the solver's answer; here the numbers of the variants are also recomputed
independently (formulas by hand, PyTorch) so a key that drifted from the mathematics fails."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from calc.teach.generate import generate
from calc.teach.generate_types import GENERATORS, Knobs

TYPES = ["size", "cnn_count", "network", "softmax", "batchnorm", "conv", "pool", "optimizer", "ewma", "init",
         "dropout", "activation", "attention", "lstm_step"]  # what issue 15 asks for
MORE = ["conv_backward", "loss", "layernorm", "gru_step"]


def test_every_type_the_issue_names_has_a_generator():
    assert set(TYPES + MORE) <= set(GENERATORS)  # the other solver types: tests/test_generate_more.py


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("kind", ["network", "pool", "size", "attention"])
def test_the_same_seed_writes_the_same_bytes(cli, tmp_path, kind):
    for name in ("a", "b"):
        code, _, err = cli("generate", kind, "--count", "3", "--seed", "11", "--out", str(tmp_path / name),
                           "--difficulty", "2", "--gift")
        assert code == 0, err
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert set(first) == {f"{kind}-s11-00{i}.yaml" for i in (1, 2, 3)} | {"sheet.md", "sheet.tex", "key.md",
                                                                            "quiz.gift"}
    assert first == second


def test_another_seed_gives_other_numbers_and_variants_differ():
    one = [v.given for v in generate("conv", 4, 1)]
    two = [v.given for v in generate("conv", 4, 2)]
    assert not set(map(repr, one)) & set(map(repr, two))
    assert len(set(map(repr, one))) == 4


def test_a_variant_does_not_depend_on_the_count():
    assert generate("softmax", 5, 3)[2].text == generate("softmax", 3, 3)[2].text


@pytest.mark.parametrize("kind", TYPES + MORE)
def test_every_file_solves_and_passes_check_with_its_own_key(cli, tmp_path, kind):
    from calc.problems_io import load_problem

    for difficulty in (1, 2, 3):
        folder = tmp_path / str(difficulty)
        code, _, err = cli("generate", kind, "--count", "2", "--seed", "5", "--difficulty", str(difficulty),
                           "--out", str(folder))
        assert code == 0, err
        for path in sorted(folder.glob("*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            assert data["id"] == path.stem and data["type"] == kind and data["expected"]
            assert load_problem(str(path)).type == kind
            answers = tmp_path / f"{path.stem}-answers.yaml"
            answers.write_text(yaml.safe_dump(data["expected"]), encoding="utf-8")
            code, out, err = cli("check", str(path), "--answers", str(answers))
            assert code == 0, (path.name, out[-600:], err)
            code, out, err = cli("solve", str(path))
            assert code == 0 and not err


# --- the numbers are fair -------------------------------------------------------------


def _decimals(x) -> int:
    text = repr(x)
    return len(text.split(".")[1]) if "." in text else 0


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield value


@pytest.mark.parametrize("kind", ["network", "conv", "pool", "softmax", "batchnorm", "dropout", "ewma",
                                  "attention", "lstm_step"])
def test_inputs_are_integers_or_short_decimals(kind):
    for v in generate(kind, 6, 2, Knobs(difficulty=3)):
        assert all(_decimals(x) <= 3 for x in _leaves(v.given)), v.given


def _conv_size(i, k, s, p):
    return (i + 2 * p - k) // s + 1


@pytest.mark.parametrize("uneven", [False, True])
def test_sizes_divide_unless_uneven(uneven):
    for v in generate("size", 30, 4, Knobs(difficulty=3, uneven=uneven)):
        g = v.given
        if g["kind"] == "padding":
            assert v.expected["padding"] == (g["kernel"] - 1) / 2  # 'same' with stride 1, by hand
            continue
        i, k, s, p = g["input"], g["kernel"], g["stride"], g.get("padding", 0)
        assert v.expected["output"] == _conv_size(i, k, s, p)  # the floor formula, by hand
        assert ((i + 2 * p - k) % s != 0) == uneven, g


def _pool_ties(matrix, k, s):
    n = len(matrix)
    windows = [[matrix[r + a][c + b] for a in range(k) for b in range(k)]
               for r in range(0, n - k + 1, s) for c in range(0, n - k + 1, s)]
    return sum(w.count(max(w)) > 1 for w in windows)


@pytest.mark.parametrize("ties", [False, True])
def test_max_pooling_ties_only_when_asked(ties):
    variants = [v for v in generate("pool", 12, 8, Knobs(difficulty=2, ties=ties)) if v.given["type"] == "max"]
    assert len(variants) == 12 if ties else variants
    for v in variants:
        g = v.given
        assert (_pool_ties(g["input"], g["kernel"], g["stride"]) > 0) == ties


def test_network_has_no_dead_relu_and_no_zero_gradient():
    relu = 0
    for v in generate("network", 12, 3, Knobs(difficulty=2)):
        layer = v.given["network"]["layers"][0]["dense"]
        z = [sum(w * x for w, x in zip(row, v.given["input"])) + b for row, b in zip(layer["weights"], layer["bias"])]
        if layer["activation"] == "relu":
            relu += 1
            assert all(zi > 1e-9 for zi in z), z
        grads = [value for name, value in v.expected.items() if name.startswith("dL/d") and ".w" in name]
        assert grads and all(abs(g) >= 1e-4 for g in grads)
    assert relu  # the ReLU case was exercised


def test_degenerate_draws_are_refused_by_the_filters():
    from calc.teach.generate_filters import reason

    plain = Knobs()
    assert "tie" in reason("pool", {"type": "max", "input": [[1, 1], [0, 0]], "kernel": 2, "stride": 2}, {}, plain)
    assert reason("pool", {"type": "max", "input": [[1, 2], [0, 0]], "kernel": 2, "stride": 2}, {}, plain) == ""
    assert "no tie" in reason("pool", {"type": "max", "input": [[1, 2], [0, 0]], "kernel": 2, "stride": 2}, {},
                              Knobs(ties=True))
    relu = {"network": {"layers": [{"dense": {"activation": "relu"}}]}}
    assert "dead ReLU" in reason("network", relu, {"fc1.z1": -0.2, "fc1.z2": 0.3, "dL/dfc2.w11": 0.1}, plain)
    assert "zero gradients" in reason("network", relu, {"fc1.z1": 0.2, "dL/dfc2.w11": 0}, plain)
    assert "0" in reason("network", relu, {"fc1.z1": 0, "dL/dfc2.w11": 0.1}, plain)
    assert reason("dropout", {"mask": [1, 1, 1]}, {}, plain)
    assert reason("softmax", {"z": [1, 1, 2]}, {}, plain)
    assert reason("batchnorm", {"x": [3, 3, 3, 4]}, {}, plain)
    assert "uniform" in reason("attention", {"Q": [[1, 0]], "K": [[0, 1], [0, 2]], "V": [[1, 2], [3, 4]]}, {}, plain)
    assert reason("conv", {"kernel": [[1, 1], [1, 1]]}, {"output": [[2, 2], [2, 2]]}, plain)


# --- the keys against independent values ------------------------------------------------


def test_conv_and_pool_keys_match_pytorch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    for v in generate("conv", 4, 6, Knobs(difficulty=3)):
        g = v.given
        x = torch.tensor(g["input"], dtype=torch.float64)[None, None]
        w = torch.tensor(g["kernel"], dtype=torch.float64)[None, None]
        want = F.conv2d(x, w, torch.tensor([float(g.get("bias", 0))], dtype=torch.float64), stride=g["stride"])
        assert torch.allclose(torch.tensor(v.expected["output"], dtype=torch.float64), want[0, 0])
    for v in generate("pool", 4, 6, Knobs(difficulty=3)):
        g = v.given
        x = torch.tensor(g["input"], dtype=torch.float64)[None, None]
        fn = F.max_pool2d if g["type"] == "max" else F.avg_pool2d
        want = fn(x, g["kernel"], g["stride"])[0, 0]
        assert torch.allclose(torch.tensor(v.expected["pool_output"], dtype=torch.float64), want)


def test_network_keys_match_pytorch_autograd():
    torch = pytest.importorskip("torch")
    for v in generate("network", 4, 9, Knobs(difficulty=2)):
        g = v.given
        l1, l2 = (layer["dense"] for layer in g["network"]["layers"])
        w1 = torch.tensor(l1["weights"], dtype=torch.float64, requires_grad=True)
        w2 = torch.tensor(l2["weights"], dtype=torch.float64, requires_grad=True)
        x = torch.tensor(g["input"], dtype=torch.float64)
        act = torch.sigmoid if l1["activation"] == "sigmoid" else torch.relu
        h = act(w1 @ x + torch.tensor(l1["bias"], dtype=torch.float64))
        y = torch.sigmoid(w2 @ h + torch.tensor(l2["bias"], dtype=torch.float64))
        loss = 0.5 * ((y - torch.tensor(g["target"], dtype=torch.float64)) ** 2).sum()
        loss.backward()
        assert math.isclose(v.expected["loss"], loss.item(), rel_tol=1e-9)
        assert math.isclose(v.expected["dL/dfc1.w12"], w1.grad[0, 1].item(), rel_tol=1e-9)
        assert math.isclose(v.expected["dL/dfc2.w11"], w2.grad[0, 0].item(), rel_tol=1e-9)


def test_softmax_ewma_and_dropout_keys_by_hand():
    for v in generate("softmax", 3, 1):
        e = [math.exp(z) for z in v.given["z"]]
        assert [v.expected[f"p{i + 1}"] for i in range(len(e))] == pytest.approx([x / sum(e) for x in e], rel=1e-9)
    for v in generate("ewma", 3, 1):
        avg, beta = 0.0, v.given["beta"]
        for t, theta in enumerate(v.given["values"], 1):
            avg = beta * avg + (1 - beta) * theta
            assert v.expected[f"V{t}"] == pytest.approx(avg, rel=1e-9)
    for v in generate("dropout", 3, 1, Knobs(difficulty=2)):
        keep = 1 - v.given["rate"]
        want = [x * m / keep for x, m in zip(v.given["values"], v.given["mask"])]
        assert v.expected["output"] == pytest.approx(want, rel=1e-10)  # keys keep 12 digits


# --- handouts --------------------------------------------------------------------------


def test_sheet_has_questions_only_and_key_has_worked_solutions(cli, tmp_path):
    code, out, _ = cli("generate", "batchnorm", "--count", "2", "--seed", "3", "--difficulty", "2", "--out", str(tmp_path))
    assert code == 0 and out.startswith("wrote 2 problems to ")
    variants = generate("batchnorm", 2, 3, Knobs(difficulty=2))
    sheet = (tmp_path / "sheet.md").read_text(encoding="utf-8")
    tex = (tmp_path / "sheet.tex").read_text(encoding="utf-8")
    key = (tmp_path / "key.md").read_text(encoding="utf-8")
    for v in variants:
        assert v.id in sheet and v.id in tex and v.id in key
        mean = sum(v.given["x"]) / len(v.given["x"])
        assert "x-hat" in sheet and "expected" not in sheet and f"{mean:g}" in key
    assert r"\begin{document}" in tex and tex.rstrip().endswith(r"\end{document}")
    assert "## batchnorm-s3-001: Batch norm of" in key and "### " in key  # headings one level down


def test_gift_tolerances(cli, tmp_path):
    from calc.teach.generate_sheets import gift_tolerance

    assert gift_tolerance(7) == 0 and gift_tolerance(2.0) == pytest.approx(0.02)
    assert gift_tolerance(0.01) == pytest.approx(0.0005)
    code, out, _ = cli("generate", "size", "--count", "2", "--seed", "1", "--gift", "--out", str(tmp_path))
    assert code == 0 and "quiz.gift: Moodle GIFT, 2 numeric questions" in out
    quiz = (tmp_path / "quiz.gift").read_text(encoding="utf-8")
    for v in generate("size", 2, 1):
        assert f"{{#{v.expected['output']}:0}}" in quiz


@pytest.mark.parametrize("args, message", [
    (["nope"], "TYPE: no generator for 'nope'"),
    (["softmax", "--count", "0"], "--count: 0 is not between 1 and 500"),
    (["softmax", "--seed", "-1"], "--seed: -1 is negative"),
    (["softmax", "--difficulty", "4"], "--difficulty: 4 is not 1, 2 or 3"),
])
def test_bad_options_are_one_line(cli, tmp_path, args, message):
    code, out, err = cli("generate", *args, "--out", str(tmp_path / "x"))
    assert code == 2 and message in err and err.count("\n") == 1, err


def test_out_that_is_a_file_is_refused(cli, tmp_path):
    target = tmp_path / "f"
    target.write_text("x")
    code, _, err = cli("generate", "softmax", "--out", str(target))
    assert code == 2 and "is a file, not a folder" in err


def test_the_committed_example_is_what_generate_writes_today():
    """examples/teaching/ is shown in docs/teaching.md: a change of the generator shows here."""
    from tests.width_cases import ROOT

    variant = generate("size", 3, 42, Knobs(difficulty=2, uneven=True))[1]
    assert (ROOT / "examples/teaching/size-s42-002.yaml").read_text(encoding="utf-8") == variant.text
    assert variant.expected == {"output": 17}  # floor((36 - 3)/2) + 1, by hand


def test_every_name_a_generator_can_draw_is_solvable():
    from calc.problems_io import parse_problem, solve_problem
    from calc.teach.generate_types import ACTIVATIONS, INITS, OPTIMIZERS

    def solve(kind, given):
        return solve_problem(parse_problem({"type": kind, "given": given}, "x.yaml"))

    for name in {a for names in ACTIVATIONS.values() for a in names}:
        solve("activation", {"function": name, "at": [-1, 1]})
    for name in {a for names in INITS.values() for a in names}:
        solve("init", {"initializer": name, "fan_in": 4, "fan_out": 2})
    for name in {a for names in OPTIMIZERS.values() for a in names}:
        solve("optimizer", {"optimizer": name, "lr": 0.1, "function": "2*w^2", "start": 1, "steps": 2})
    he = solve("init", {"initializer": "he_normal", "fan_in": 8}).answers
    assert float(he["std"]) == pytest.approx(math.sqrt(2 / 8))  # He et al. 2015, by hand


def test_gift_questions_are_well_formed(tmp_path):
    """Every question: '::title::text {#value:tolerance}', the GIFT specials of the text escaped."""
    import re

    from calc.teach.generate_sheets import gift

    text, count = gift(generate("attention", 2, 4, Knobs(difficulty=3)))
    questions = [line for line in text.splitlines() if line and not line.startswith("//")]
    assert len(questions) == count > 10
    shape = re.compile(r"^::(?:[^:\\]|\\.)*::(?:[^{}=~#:\\]|\\.)*\{#(-?[0-9.e+-]+):([0-9.e+-]+)\}$")
    for line in questions:
        match = shape.match(line)
        assert match, line
        float(match.group(1)), float(match.group(2))


@pytest.mark.parametrize("kind", ["network", "lstm_step", "batchnorm"])
def test_a_student_rounding_the_key_to_4_decimals_passes_check(cli, tmp_path, kind):
    def rounded(x):
        return round(x, 4) if isinstance(x, float) else [rounded(y) for y in x] if isinstance(x, list) else x

    variant = generate(kind, 1, 12, Knobs(difficulty=2))[0]
    problem, answers = tmp_path / f"{variant.id}.yaml", tmp_path / "answers.yaml"
    problem.write_text(variant.text, encoding="utf-8")
    answers.write_text(yaml.safe_dump({k: rounded(v) for k, v in variant.expected.items()}), encoding="utf-8")
    code, out, _ = cli("check", str(problem), "--answers", str(answers))
    assert code == 0 and "rounded" in out, out[-500:]


def test_conv_backward_and_loss_keys_match_pytorch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    for v in generate("conv_backward", 3, 2, Knobs(difficulty=3)):
        g = v.given
        x = torch.tensor(g["input"], dtype=torch.float64)[None, None].requires_grad_()
        w = torch.tensor(g["kernel"], dtype=torch.float64)[None, None].requires_grad_()
        F.conv2d(x, w).backward(torch.tensor(g["grad_output"], dtype=torch.float64)[None, None])
        k = len(g["kernel"])
        assert v.expected["dL/dF11"] == pytest.approx(w.grad[0, 0, 0, 0].item(), rel=1e-10)
        assert v.expected[f"dL/dF{k}{k}"] == pytest.approx(w.grad[0, 0, -1, -1].item(), rel=1e-10)
        assert v.expected["dL/dX11"] == pytest.approx(x.grad[0, 0, 0, 0].item(), abs=1e-12)
    seen = set()
    for v in generate("loss", 8, 2, Knobs(difficulty=2)):
        g = v.given
        y, t = torch.tensor(g["output"], dtype=torch.float64), torch.tensor(g["target"], dtype=torch.float64)
        if g["loss"] == "mse":
            want = F.mse_loss(y, t, reduction=g["reduction"])
        elif g["loss"] == "bce":
            want = F.binary_cross_entropy(y, t, reduction=g["reduction"])
        else:
            want = F.nll_loss(torch.log(y), t.argmax(1), reduction=g["reduction"])
        seen.add(g["loss"])
        assert v.expected["loss"] == pytest.approx(want.item(), rel=1e-10), g
    assert seen == {"mse", "bce", "cross_entropy"}


def test_recurrent_steps_match_pytorch_cells():
    torch = pytest.importorskip("torch")
    for v in generate("lstm_step", 3, 2):
        g = v.given
        cell = torch.nn.LSTMCell(2, 1).double()
        with torch.no_grad():
            cell.weight_ih.copy_(torch.tensor([g["W"][k][0] for k in "ifgo"], dtype=torch.float64))
            cell.weight_hh.copy_(torch.tensor([g["U"][k][0] for k in "ifgo"], dtype=torch.float64))
            cell.bias_ih.copy_(torch.tensor([g["b"][k][0] for k in "ifgo"], dtype=torch.float64))
            cell.bias_hh.zero_()
            h, c = cell(torch.tensor([g["x"]], dtype=torch.float64),
                        (torch.tensor([g["h_prev"]], dtype=torch.float64), torch.tensor([g["c_prev"]], dtype=torch.float64)))
        assert v.expected["h"] == pytest.approx(h.item(), rel=1e-10)
        assert v.expected["c"] == pytest.approx(c.item(), rel=1e-10)
    for v in generate("gru_step", 3, 2):
        g = v.given
        cell = torch.nn.GRUCell(2, 1).double()
        with torch.no_grad():
            cell.weight_ih.copy_(torch.tensor([g["W"][k][0] for k in "rzn"], dtype=torch.float64))
            cell.weight_hh.copy_(torch.tensor([g["U"][k][0] for k in "rzn"], dtype=torch.float64))
            cell.bias_ih.copy_(torch.tensor([g["b"][k][0] for k in "rzn"], dtype=torch.float64))
            cell.bias_hh.zero_()
            h = cell(torch.tensor([g["x"]], dtype=torch.float64), torch.tensor([g["h_prev"]], dtype=torch.float64))
        assert v.expected["h"] == pytest.approx(h.item(), rel=1e-10)


@pytest.mark.parametrize("kind, size_key", [("conv", "kernel"), ("pool", "kernel")])
def test_uneven_conv_and_pool_leave_a_row_out(kind, size_key):
    for difficulty in (1, 2, 3):
        for uneven in (False, True):
            for v in generate(kind, 3, 1, Knobs(difficulty=difficulty, uneven=uneven)):
                g = v.given
                n, k = len(g["input"]), g[size_key] if isinstance(g[size_key], int) else len(g[size_key])
                assert ((n - k) % g.get("stride", 1) != 0) == uneven, (difficulty, g)


def test_no_two_variants_of_a_set_have_the_same_numbers():
    variants = generate("init", 30, 1)  # few choices: repeats would come soon without the check
    assert len({repr(v.given) for v in variants}) == 30
