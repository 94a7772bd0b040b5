"""Direct commands for graphs, batch norm, activations, optimizers, initialisation and dropout (issue 4).

Each command parses its arguments, calls one solver of calc.solve and renders the Solution;
``nncalc solve FILE`` reaches the same solvers through problem files.
"""


from typing import Annotated

import typer

from calc.numtext import assignments, fractions
from calc.vocabulary import OPTIMIZERS
from nncalc_cli.answers import check_answers, problem_from_given
from nncalc_cli.options import (
    AllowBlankOpt,
    AnswersOpt,
    DecimalsOpt,
    HandOpt,
    JsonOpt,
    MarkdownOpt,
    Scaling,
    Style,
    TemplateOpt,
    Variance,
)
from nncalc_cli.output import Output, emit

app = typer.Typer()


def _options(decimals: int, hand_rounding: bool = False):
    from calc.solve.registry import SolveOptions

    return SolveOptions(decimals=decimals, hand_rounding=hand_rounding)


@app.command("graph")
def graph(
    expression: Annotated[str, typer.Argument(metavar="EXPRESSION", help="The function, e.g. '(x + y) * z' or 'q = x + y; f = q * z'.")],
    value: Annotated[list[str] | None, typer.Option("--value", "-v", help="A variable's value, name=number (repeat).")] = None,
    decimals: DecimalsOpt = 4,
    hand_rounding: HandOpt = False,
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
    answers: AnswersOpt = None,
    allow_blank: AllowBlankOpt = False,
    template: TemplateOpt = False,
    dot: Annotated[bool, typer.Option("--dot", help="Print the graph as Graphviz DOT: gates with values, edges "
                                      "with upstream x local gradient.")] = False,
) -> None:
    """Computational graph: forward values, and local x upstream gradient on every edge."""
    from calc.solve.graph import solve_graph

    if dot:
        _graph_dot(expression, value, decimals, hand_rounding, as_json or markdown or answers or template)
        return
    check_answers(answers, lambda o: solve_graph(expression, assignments(value, "-v"), o), as_json, markdown)
    solution = solve_graph(expression, assignments(value, "-v"), _options(decimals, hand_rounding))
    emit(solution, Output(as_json, markdown, decimals, template))


def _graph_dot(expression: str, value: list[str] | None, decimals: int, hand_rounding: bool, other) -> None:
    """DOT is a document of its own, like --json: printed as it is, alone."""
    import sys

    from calc.errors import InputError
    from calc.pictures.diagram import dot
    from calc.pictures.graph_picture import expression_diagram

    if other:
        raise InputError("--dot prints DOT alone: leave out --json, --markdown, --answers and --template")
    sys.stdout.write(dot(expression_diagram(expression, assignments(value, "-v"), decimals, hand_rounding)))


def _num(text: str | None, option: str):
    """An exact number from an option ('0.1' -> 1/10, '1e-5', '1/3'); None stays None."""
    from calc.exact import to_fraction

    return None if text is None else to_fraction(text, option)


@app.command("batchnorm")
def batchnorm(
    x: Annotated[list[str], typer.Argument(metavar="X", help="The batch of one feature: 2 4 6 8 10 or 2,4,6,8,10 (negative values as they are: 1 -2 3).")],
    gamma: Annotated[str, typer.Option("--gamma", help="Scale gamma.")] = "1",
    beta: Annotated[str, typer.Option("--beta", help="Shift beta.")] = "0",
    eps: Annotated[str, typer.Option("--eps", help="eps inside the square root (PyTorch 1e-5, Keras 1e-3; 0 for hand exercises).")] = "1e-5",
    variance: Annotated[Variance, typer.Option("--variance", help="Divide the variance by n (PyTorch training) or n-1.")] = Variance.n,
    grad: Annotated[str | None, typer.Option("--grad", help="dL/dy per value, e.g. 1,-2,0,3,0.5: adds the backward pass.")] = None,
    decimals: DecimalsOpt = 4,
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
    answers: AnswersOpt = None,
    allow_blank: AllowBlankOpt = False,
    template: TemplateOpt = False,
) -> None:
    """Batch normalisation: table of x, x - mean, squares, variance, x-hat, y; backward with --grad."""
    from calc.solve.batchnorm import solve_batchnorm

    grads = fractions(grad, "--grad") if grad is not None else None
    solution = solve_batchnorm(fractions(x, "X"), _num(gamma, "--gamma"), _num(beta, "--beta"), _num(eps, "--eps"),
                               variance.value, grads, _options(decimals))
    check_answers(answers, problem_from_given("batchnorm", {
        "x": fractions(x, "X"), "gamma": _num(gamma, "--gamma"), "beta": _num(beta, "--beta"),
        "eps": _num(eps, "--eps"), "variance": variance.value, **({"grad": grads} if grads else {})}), as_json, markdown)
    emit(solution, Output(as_json, markdown, decimals, template))


@app.command("activation")
def activation(
    name: Annotated[str, typer.Argument(metavar="NAME", help="An activation of `nncalc layers`: sigmoid, tanh, relu, "
                                        "leaky_relu, gelu, silu (swish), softmax, ...")],
    at: Annotated[str, typer.Option("--at", help="Points z, e.g. -2,0,1.5 (softmax: the vector of logits).")],
    alpha: Annotated[str | None, typer.Option("--alpha", help="ELU alpha (1) or PReLU slope (0.25).")] = None,
    slope: Annotated[str | None, typer.Option("--slope", help="Leaky ReLU slope (0.01, PyTorch; Keras 0.3).")] = None,
    beta: Annotated[str | None, typer.Option("--beta", help="Softplus beta (1).")] = None,
    approximate: Annotated[str | None, typer.Option("--approximate", help="GELU's form: none (erf, the default) "
                                                    "or tanh.")] = None,
    decimals: DecimalsOpt = 4,
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
    answers: AnswersOpt = None,
    allow_blank: AllowBlankOpt = False,
    template: TemplateOpt = False,
) -> None:
    """An activation and its derivative at given points (softmax: probabilities and Jacobian)."""
    from calc.errors import InputError
    from calc.solve.activation import solve_activation

    given = {key: value for key, value in (("alpha", alpha), ("slope", slope), ("beta", beta)) if value is not None}
    if len(given) > 1:
        raise InputError("give one of --alpha, --slope and --beta, not several")
    param = next((_num(value, f"--{key}") for key, value in given.items()), None)
    solution = solve_activation(name, fractions(at, "--at"), _options(decimals), param, approximate)
    check_answers(answers, problem_from_given("activation", {"function": name, "at": fractions(at, "--at"),
                                                             **({"alpha": param} if param is not None else {}),
                                                             **({"approximate": approximate} if approximate else {})}),
                  as_json, markdown)
    emit(solution, Output(as_json, markdown, decimals, template))


@app.command("optimizer")
def optimizer(
    name: Annotated[str, typer.Argument(metavar="NAME", help=f"{OPTIMIZERS.choices()} (aliases: nncalc conventions vocabulary).")],
    lr: Annotated[str | None, typer.Option("--lr", help="Learning rate (default: the framework's).")] = None,
    grads: Annotated[str | None, typer.Option("--grads", help="The gradient at each step, e.g. 2,-1,0.5.")] = None,
    function: Annotated[str | None, typer.Option("--function", help="A function of one variable to minimise, e.g. 'w^2'.")] = None,
    start: Annotated[str | None, typer.Option("--start", help="Starting value of the weight (default 0 with --grads).")] = None,
    steps: Annotated[int | None, typer.Option("--steps", help="Number of steps (default: one per gradient; 3 with --function).", min=1, max=1000)] = None,
    momentum: Annotated[str | None, typer.Option("--momentum", help="Momentum mu (sgd/momentum/nesterov; 0.9).")] = None,
    beta1: Annotated[str | None, typer.Option("--beta1", help="Adam beta1 (0.9).")] = None,
    beta2: Annotated[str | None, typer.Option("--beta2", help="Adam beta2 (0.999).")] = None,
    alpha: Annotated[str | None, typer.Option("--alpha", "--rho", help="RMSprop smoothing (PyTorch alpha 0.99, Keras rho 0.9).")] = None,
    eps: Annotated[str | None, typer.Option("--eps", help="eps (PyTorch 1e-8, Adagrad 1e-10; Keras 1e-7).")] = None,
    weight_decay: Annotated[str | None, typer.Option("--weight-decay", help="AdamW's decoupled decay lambda (0.01); "
                                                     "L2 added to the gradient for the others.")] = None,
    no_bias_correction: Annotated[bool, typer.Option("--no-bias-correction", help="Adam without bias correction.")] = False,
    style: Annotated[Style, typer.Option("--style", help="PyTorch or Keras forms and defaults.")] = Style.pytorch,
    decimals: DecimalsOpt = 4,
    hand_rounding: HandOpt = False,
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
    answers: AnswersOpt = None,
    allow_blank: AllowBlankOpt = False,
    template: TemplateOpt = False,
) -> None:
    """Optimizer steps as a table of every state variable (t, g, m, v, m-hat, v-hat, w)."""
    from calc.solve.optimizer import solve_optimizer

    grad_values = fractions(grads, "--grads") if grads is not None else None
    settings = _hyperparameters(no_bias_correction, lr=lr, momentum=momentum, beta1=beta1, beta2=beta2, alpha=alpha,
                                eps=eps, weight_decay=weight_decay)
    count = steps or (len(grad_values) if grad_values else 3)
    solution = solve_optimizer(name, count, _num(start, "--start"), grad_values, function, style.value,
                               _options(decimals, hand_rounding), **settings)
    given = _optimizer_given(name, count, style.value, settings, grad_values, function, start)
    check_answers(answers, problem_from_given("optimizer", given), as_json, markdown)
    emit(solution, Output(as_json, markdown, decimals, template))


def _hyperparameters(no_bias_correction: bool, **texts: str | None) -> dict:
    """The settings given as options, exact ('0.1' -> 1/10); the others are left to the framework."""
    settings = {k: _num(v, f"--{k}") for k, v in texts.items() if v is not None}
    if no_bias_correction:
        settings["bias_correction"] = False
    return settings


def _optimizer_given(name: str, count: int, style: str, settings: dict, grad_values, function, start) -> dict:
    """The problem's ``given`` these options describe (what --answers is checked against)."""
    return {"optimizer": name, "steps": count, "style": style, **settings,
            **({"grads": grad_values} if grad_values is not None else {}), **({"function": function} if function else {}),
            **({"start": _num(start, "--start")} if start is not None else {})}


@app.command("ewma")
def ewma(
    values: Annotated[list[str], typer.Argument(metavar="VALUES", help="The sequence theta_1 theta_2 ... (or comma-separated).")],
    beta: Annotated[str, typer.Option("--beta", help="Weight of the previous average, 0 <= beta < 1.")] = "0.9",
    bias_correction: Annotated[bool, typer.Option("--bias-correction", help="Also divide by 1 - beta^t.")] = False,
    decimals: DecimalsOpt = 4,
    hand_rounding: HandOpt = False,
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
    answers: AnswersOpt = None,
    allow_blank: AllowBlankOpt = False,
    template: TemplateOpt = False,
) -> None:
    """Exponentially weighted moving average V_t = beta V_(t-1) + (1 - beta) theta_t, V_0 = 0."""
    from calc.solve.ewma import solve_ewma

    solution = solve_ewma(fractions(values, "VALUES"), _num(beta, "--beta"), bias_correction,
                          _options(decimals, hand_rounding))
    check_answers(answers, problem_from_given("ewma", {"values": fractions(values, "VALUES"), "beta": _num(beta, "--beta"),
                                                       "bias_correction": bias_correction}), as_json, markdown)
    emit(solution, Output(as_json, markdown, decimals, template))


@app.command("init")
def init(
    name: Annotated[str, typer.Argument(metavar="NAME", help="glorot-uniform, glorot-normal (xavier-*), he-uniform, he-normal (kaiming-*), lecun-uniform, lecun-normal, torch-default.")],
    fan_in: Annotated[int | None, typer.Option("--fan-in", help="Inputs of a unit (conv: Cin * kh * kw).", min=1)] = None,
    fan_out: Annotated[int | None, typer.Option("--fan-out", help="Outputs (conv: Cout * kh * kw); Glorot needs it.", min=1)] = None,
    spec: Annotated[str | None, typer.Option("--spec", help="A network spec or bundled name, with --layer.")] = None,
    layer: Annotated[str | None, typer.Option("--layer", help="The layer of --spec whose weight is drawn, e.g. conv1.")] = None,
    decimals: DecimalsOpt = 4,
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
    answers: AnswersOpt = None,
    allow_blank: AllowBlankOpt = False,
    template: TemplateOpt = False,
) -> None:
    """Std or limit of an initialiser, from the fans or from a layer of a spec."""
    from calc.solve.init import solve_init

    check_answers(answers, lambda o: solve_init(name, fan_in, fan_out, spec, layer, o), as_json, markdown)
    emit(solve_init(name, fan_in, fan_out, spec, layer, _options(decimals)), Output(as_json, markdown, decimals, template))


@app.command("dropout")
def dropout(
    values: Annotated[list[str], typer.Argument(metavar="VALUES", help="The activations, e.g. 10 10 15 15 (or comma-separated).")],
    rate: Annotated[str, typer.Option("--rate", help="Probability of DROPPING a unit (PyTorch/Keras rate).")] = "0.5",
    mask: Annotated[str | None, typer.Option("--mask", help="Which units are kept, e.g. 1,0,0,1.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Draw the mask with NumPy's default_rng(seed).")] = None,
    scaling: Annotated[Scaling, typer.Option("--scaling", help="inverted (scale by 1/(1-p) in training) or test (original paper: scale by 1-p at test time).")] = Scaling.inverted,
    decimals: DecimalsOpt = 4,
    as_json: JsonOpt = False,
    markdown: MarkdownOpt = None,
    answers: AnswersOpt = None,
    allow_blank: AllowBlankOpt = False,
    template: TemplateOpt = False,
) -> None:
    """Dropout: mask, scaling, outputs in training and at test time, and the expected value kept."""
    from calc.solve.dropout import solve_dropout

    keep = fractions(mask, "--mask") if mask is not None else None
    solution = solve_dropout(fractions(values, "VALUES"), _num(rate, "--rate"), keep, seed, scaling.value,
                             _options(decimals))
    check_answers(answers, problem_from_given("dropout", {
        "values": fractions(values, "VALUES"), "rate": _num(rate, "--rate"), "scaling": scaling.value,
        **({"mask": keep} if keep is not None else {}), **({"seed": seed} if seed is not None else {})}), as_json, markdown)
    emit(solution, Output(as_json, markdown, decimals, template))
