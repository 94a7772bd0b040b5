"""`nncalc solve`, `nncalc problems` and the direct commands `softmax`, `loss`, `perceptron`,
`backprop`: worked solutions of networks, softmax, losses and perceptrons (issue 4, part A)."""


from typing import Annotated

import typer

from calc.numtext import number_text, rows, vector
from calc.vocabulary import LOSSES, REDUCTIONS
from nncalc_cli.answers import check_answers, problem_from_given, spec_problem
from nncalc_cli.options import (
    LOSS_HELP,
    AllowBlankOpt,
    AnswersOpt,
    DecimalsOpt,
    Deltas,
    Gate,
    HandOpt,
    JsonOpt,
    MarkdownOpt,
    ReductionOpt,
    SpecArg,
    TemplateOpt,
)
from nncalc_cli.output import Output, emit

app = typer.Typer()


@app.command()
def solve(
    problem: Annotated[str, typer.Argument(metavar="PROBLEM", help="A problem file, or a bundled problem such as networks/mazur "
                                           "(see 'nncalc problems').")],
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
    decimals: DecimalsOpt = 4,
    hand_rounding: HandOpt = False,
    template: Annotated[bool, typer.Option("--template", help="Print a blank answers YAML with every named "
                                           "quantity of the solution (for 'nncalc check').")] = False,
) -> None:
    """Solve an exercise step by step: conventions, formulas with the numbers, results."""
    from calc.problems_io import load_problem, solve_problem
    from calc.solve.registry import SolveOptions

    solution = solve_problem(load_problem(problem), SolveOptions(decimals, hand_rounding))
    emit(solution, Output(as_json, markdown, decimals, template))


@app.command()
def problems(
    topic: Annotated[str | None, typer.Argument(metavar="[TOPIC]", help="Only this topic, e.g. cnn.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the bundled exercises by topic (solve one with 'nncalc solve TOPIC/NAME')."""
    from calc.problems_io import problems_of

    emit(problems_of(topic), Output(as_json), kind="problems")


@app.command()
def softmax(
    scores: Annotated[list[str], typer.Argument(metavar="SCORES", help="The scores (logits) z, e.g. 2.0 1.0 0.1.")],
    jacobian: Annotated[bool, typer.Option("--jacobian", help="Also the Jacobian J_ij = p_i(delta_ij - p_j).")] = False,
    target: Annotated[str | None, typer.Option("--target", help="One-hot target such as 1,0,0: adds "
                                               "cross-entropy and dL/dz = p - t = J^T(-t/p).")] = None,
    no_shift: Annotated[bool, typer.Option("--no-shift", help="Write e^z_i without subtracting max z "
                                           "(as by hand; same probabilities).")] = False,
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
    decimals: DecimalsOpt = 4,
    hand_rounding: HandOpt = False,
    answers: AnswersOpt = None,
    allow_blank: AllowBlankOpt = False,
    template: TemplateOpt = False,
) -> None:
    """Softmax of scores, stably, with the Jacobian and cross-entropy on request."""
    from calc.solve.softmax import solve_softmax

    z = vector(" ".join(scores), "SCORES")
    t = vector(target, "--target") if target else None
    check_answers(answers, lambda o: solve_softmax(z, t, jacobian, not no_shift, o.decimals, o.hand_rounding,
                                                   o.learner), as_json, markdown)
    emit(solve_softmax(z, t, jacobian, not no_shift, decimals, hand_rounding), Output(as_json, markdown, decimals, template))


def reductions_arg(text: str | None, allow_all: bool = False) -> tuple[str, ...]:
    """'half' -> ('half_sum',); 'all' (nncalc loss) -> all three; None -> ('mean',)."""
    if text is None:
        return ("mean",)
    if allow_all and text.strip().lower() == "all":
        return REDUCTIONS.canonical()
    return (REDUCTIONS.resolve(text, "--reduction"),)


@app.command()
def loss(
    name: Annotated[str, typer.Argument(metavar="NAME", help=f"The loss: {LOSS_HELP}.")],
    output: Annotated[str, typer.Option("--output", "-o", help="Outputs: 0.7,0.2,0.1; samples of a batch "
                                        "separated by ';' (0.7,0.3;0.1,0.9).")],
    target: Annotated[str, typer.Option("--target", "-t", help="Targets, shaped like --output.")],
    reduction: Annotated[str, typer.Option("--reduction", "--convention", "-c", metavar="REDUCTION",
                                           help=f"{REDUCTIONS.choices()}, or all three (MSE); mean or sum for the "
                                           "others (half = half_sum).")] = "mean",
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
    decimals: DecimalsOpt = 4,
    hand_rounding: HandOpt = False,
    answers: AnswersOpt = None,
    allow_blank: AllowBlankOpt = False,
    template: TemplateOpt = False,
) -> None:
    """A loss per sample and for the batch, with its gradient."""
    from calc.solve.loss import solve_loss

    loss_name, reductions = LOSSES.resolve(name, "NAME"), reductions_arg(reduction, allow_all=True)
    outputs, targets = rows(output, "--output"), rows(target, "--target")
    solution = solve_loss(loss_name, outputs, targets, reductions, decimals, hand_rounding)
    check_answers(answers, problem_from_given("loss", {
        "loss": loss_name, "output": outputs, "target": targets,
        "reduction": list(reductions) if len(reductions) > 1 else reductions[0]}), as_json, markdown)
    emit(solution, Output(as_json, markdown, decimals, template))


@app.command()
def perceptron(
    gate: Annotated[Gate, typer.Argument(metavar="GATE", help="and, or, nand, nor, xor (a ReLU hidden layer), or custom.")],
    weights: Annotated[str | None, typer.Option("--weights", "-w", help="Output neuron weights, e.g. 1,1.")] = None,
    bias: Annotated[str | None, typer.Option("--bias", "-b", help="Output neuron bias, e.g. -1.")] = None,
    hidden_weights: Annotated[str | None, typer.Option("--hidden-weights", help="Hidden layer weights, one row per "
                                                       "neuron: 1,1;1,1.")] = None,
    hidden_bias: Annotated[str | None, typer.Option("--hidden-bias", help="Hidden biases, e.g. 0,-1.")] = None,
    activation: Annotated[str | None, typer.Option("--activation", help="Output activation: step (default) or relu, ...")] = None,
    hidden_activation: Annotated[str | None, typer.Option("--hidden-activation", help="Hidden activation (default relu).")] = None,
    targets: Annotated[str | None, typer.Option("--targets", help="Expected outputs per row, e.g. 0,1,1,0 "
                                                "(default: the gate's truth table).")] = None,
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
    decimals: DecimalsOpt = 4,
    answers: AnswersOpt = None,
    allow_blank: AllowBlankOpt = False,
    template: TemplateOpt = False,
) -> None:
    """Truth table of a perceptron (or a two-layer XOR net): z and the output per row."""
    from calc.solve.perceptron import solve_perceptron

    solution = solve_perceptron(
        gate.value, rows(weights, "--weights") if weights else None,
        vector(bias, "--bias") if bias else None,
        rows(hidden_weights, "--hidden-weights") if hidden_weights else None,
        vector(hidden_bias, "--hidden-bias") if hidden_bias else None,
        activation, hidden_activation, vector(targets, "--targets") if targets else None, decimals=decimals)
    check_answers(answers, problem_from_given("perceptron", {
        "gate": gate.value, "activation": activation,
        **({"targets": vector(targets, "--targets")} if targets else {}),
        **({"weights": rows(weights, "--weights")} if weights else {}),
        **({"bias": vector(bias, "--bias")} if bias else {}),
        **({"hidden": {"weights": rows(hidden_weights, "--hidden-weights"), "activation": hidden_activation,
                       **({"bias": vector(hidden_bias, "--hidden-bias")} if hidden_bias else {})}}
           if hidden_weights else {})}), as_json, markdown)
    emit(solution, Output(as_json, markdown, decimals, template))


@app.command()
def backprop(
    spec: SpecArg,
    input: Annotated[str, typer.Option("--input", "-i", "-x", help="One sample, e.g. 0.05,0.1 (a batch: 0.05,0.1;1,0).")],
    target: Annotated[str | None, typer.Option("--target", "-t", help="Target(s), shaped like the output.")] = None,
    loss_name: Annotated[str, typer.Option("--loss", help=f"{LOSS_HELP}; or output (derivatives of the output "
                                           "itself).")] = "mse",
    reduction: ReductionOpt = None,
    lr: Annotated[str | None, typer.Option("--lr", help="Learning rate: do SGD step(s) and show the updated weights.")] = None,
    steps: Annotated[int, typer.Option("--steps", help="Number of SGD steps.", min=1, max=20)] = 1,
    no_bias_update: Annotated[bool, typer.Option("--no-bias-update", help="Keep biases fixed (Mazur's example).")] = False,
    hidden_deltas: Annotated[Deltas, typer.Option("--hidden-deltas", help="original (textbook) or updated (the layer "
                                                  "above's weights after its update: Mazur's published error).")] = Deltas.original,
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
    decimals: DecimalsOpt = 4,
    hand_rounding: HandOpt = False,
    template: Annotated[bool, typer.Option("--template", help="Print a blank answers YAML instead.")] = False,
    answers: AnswersOpt = None,
    allow_blank: AllowBlankOpt = False,
) -> None:
    """Forward pass, loss, deltas, gradients and SGD updates of any spec with weights."""
    from calc.solve.network.given import setup_from_options
    from calc.solve.network.solver import solve_network
    from calc.solve.registry import SolveOptions

    check_answers(answers, spec_problem(spec, input, target, loss_name, reduction, lr, steps, no_bias_update,
                                        hidden_deltas.value), as_json, markdown)
    setup = setup_from_options(spec, rows(input, "--input"), rows(target, "--target") if target else None,
                               loss_name, reduction, number_text(lr, "--lr") if lr is not None else None, steps,
                               not no_bias_update, hidden_deltas.value)
    emit(solve_network(setup, SolveOptions(decimals, hand_rounding)), Output(as_json, markdown, decimals, template))
