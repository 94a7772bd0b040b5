"""Problem files are written by learners: every mistake is one located line, never a traceback."""

from __future__ import annotations

import textwrap

import pytest

from calc.errors import NNCalcError

MAZUR = """\
type: network
given:
  network:
    input: [2]
    layers:
      - dense: {units: 2, weights: [[0.15, 0.20], [0.25, 0.30]], bias: 0.35, shared_bias: true, activation: sigmoid}
      - dense: {units: 2, weights: [[0.40, 0.45], [0.50, 0.55]], bias: 0.60, shared_bias: true, activation: sigmoid}
  input: [0.05, 0.10]
  target: [0.01, 0.99]
  loss: {name: mse, reduction: half_sum}
  optimizer: {name: sgd, lr: 0.5, update_bias: false}
expected: {loss: 0.298371109}
"""


def solve_text(text: str):
    from calc.problems_io import problem_from_text, solve_problem

    return solve_problem(problem_from_text(textwrap.dedent(text), "p.yaml"))


def error_of(text: str) -> str:
    with pytest.raises(NNCalcError) as info:
        solve_text(text)
    return str(info.value)


@pytest.mark.parametrize("old,new,expected", [
    ("  input: [0.05, 0.10]\n", "  inputs: [0.05, 0.10]\n", "p.yaml:8: given.inputs: unknown key 'inputs' in given (did you mean 'input'?)"),
    ("[[0.15, 0.20], [0.25, 0.30]]", "[[0.15, 0.20, 0.1], [0.25, 0.30, 0.1]]", "p.yaml:6: layers[0].dense.weights: weights: expected shape 2 x 2 (one row per neuron: 2 rows of 2 inputs), got 2 x 3"),
    ("  input: [0.05, 0.10]\n", "  input: [0.05, 0.10, 0.2]\n", "p.yaml:8: given.input: expected an input of 2 values (or a list of such samples), got shape 3"),
    ("  input: [0.05, 0.10]\n", "  input: [0.05, abc]\n", "p.yaml:8: given.input: expected a number such as 0.5 or 1/3, got 'abc'"),
    ("  target: [0.01, 0.99]\n", "", "p.yaml:2: given: missing 'target': the loss needs one target per output (2 per sample)"),
    ("  target: [0.01, 0.99]\n", "  target: [0.01]\n", "p.yaml:9: given.target: expected a target of 2 values (or a list of such samples), got shape 1"),
    ("name: mse,", "name: msqe,", "p.yaml:10: given.loss: unknown loss 'msqe' (did you mean 'mse'?)"),
    ("reduction: half_sum", "reduction: halve", "p.yaml:10: given.loss.reduction: unknown reduction 'halve' (did you mean 'half'?); valid: mean, sum, half_sum"),
    ("lr: 0.5, ", "", "p.yaml:11: given.optimizer: missing 'lr' (the learning rate)"),
    ("lr: 0.5,", "lr: 0.5, step: 2,", "p.yaml:11: given.optimizer.step: unknown key 'step' in optimizer (did you mean 'steps'?)"),
    ("weights: [[0.40, 0.45], [0.50, 0.55]], ", "", "p.yaml:7: layers[1].dense: dense 'fc2': no values for its weight; a worked solution needs them written in the spec (weights: [[...], ...] (one row per neuron))"),
    ("expected: {loss: 0.298371109}", "  aliases: {E: fc3.a1}\nexpected: {loss: 0.298371109}", "p.yaml:12: given.aliases.E: no answer named 'fc3.a1' (did you mean 'fc2.a1'?)"),
    ("type: network", "type: netwrk", "p.yaml:1: type: unknown problem type 'netwrk' (did you mean 'network'?)"),
])
def test_network_problem_errors(old, new, expected):
    text = MAZUR.replace(old, new, 1)
    assert text != MAZUR
    message = error_of(text)
    assert message.startswith(expected), message


def test_cross_entropy_targets_must_be_a_distribution():
    text = """\
    type: network
    given:
      network: {input: [2], layers: [{dense: {units: 2, weights: [[1, 0], [0, 1]], bias: false}}, softmax]}
      input: [1, 2]
      target: [1, 1]
      loss: cross_entropy
    """
    assert "add up to 1" in error_of(text)


@pytest.mark.parametrize("given,expected", [
    ("{loss: bce, output: [1.5], target: [1]}", "is not a probability"),
    ("{loss: cross_entropy, output: [0.0, 1.0], target: [1, 0]}", "the loss is infinite"),
    ("{loss: mse, output: [1, 2], target: [1]}", "given.target: expected 1 target row(s) of 2 values"),
    ("{loss: mse, reduction: halve, output: [1], target: [1]}", "given.reduction: unknown reduction 'halve' (did you mean 'half'?)"),
    ("{loss: mse, output: [1, x], target: [1, 2]}", "given.output[1]: expected a number such as 0.5"),
    ("{loss: msqe, output: [1], target: [1]}", "unknown loss 'msqe'"),
])
def test_loss_problem_errors(given, expected):
    assert expected in error_of(f"type: loss\ngiven: {given}\n")


@pytest.mark.parametrize("given,expected", [
    ("{gate: xand}", "given.gate: unknown gate 'xand'"),
    ("{gate: custom}", "custom perceptron: give --weights"),
    ("{gate: and, weights: [1, 1, 1]}", "weights: each neuron needs 2 weights"),
    ("{gate: and, activation: softmax}", "needs an element-wise activation"),
    ("{gate: xor, hidden: {weights: [[1, 1]], bias: [0, 1]}}", "hidden bias: expected 1 value(s)"),
    ("{gate: and, targets: [0, 1]}", "targets: expected one per row (4)"),
])
def test_perceptron_problem_errors(given, expected):
    assert expected in error_of(f"type: perceptron\ngiven: {given}\n")


@pytest.mark.parametrize("given,expected", [
    ("{z: []}", "given.z: expected at least one number"),
    ("{z: [1, 2], target: [1, 0, 0]}", "given.target: expected 2 numbers, got 3"),
    ("{z: [1, 2], target_class: 5}", "given.target_class: expected a class number 0..1"),
    ("{z: [1, 2], jacobain: true}", "unknown key 'jacobain' in given (did you mean 'jacobian'?)"),
])
def test_softmax_problem_errors(given, expected):
    assert expected in error_of(f"type: softmax\ngiven: {given}\n")
