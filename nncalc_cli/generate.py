"""`nncalc generate`: seeded exercise variants with keys and handouts (issue 15).

Parses the options, calls calc.teach.generate and prints what it wrote.
"""


from typing import Annotated

import typer

from nncalc_cli.options import DecimalsOpt

app = typer.Typer()


@app.command("generate")
def generate(
    kind: Annotated[str, typer.Argument(metavar="TYPE", help="A problem type: size, cnn_count, network, softmax, "
                                        "batchnorm, conv, pool, optimizer, ewma, init, dropout, activation, "
                                        "attention, lstm_step, gru_step, conv_backward, loss, layernorm, "
                                        "conv1d, upsample, rnn_bptt, perceptron, positional_encoding, edge, "
                                        "squeeze_excitation, graph, memory.")],
    out: Annotated[str, typer.Option("--out", metavar="DIR", help="Folder for the problem files and "
                                     "handouts (created if missing; files of the same names are replaced).")],
    count: Annotated[int, typer.Option("--count", help="How many variants.")] = 5,
    seed: Annotated[int, typer.Option("--seed", help="The same seed gives the same files.")] = 0,
    difficulty: Annotated[int, typer.Option("--difficulty", help="1 easy, 2 medium, 3 hard: more numbers, "
                                            "harder forms (padding, stride, bias, gamma/beta, causal mask).")] = 1,
    uneven: Annotated[bool, typer.Option("--uneven", help="Sizes that do not divide (size, conv, pool): the "
                                         "floor drops rows.")] = False,
    ties: Annotated[bool, typer.Option("--ties", help="Max pooling with a tie in some window (none by "
                                       "default).")] = False,
    gift: Annotated[bool, typer.Option("--gift", help="Also write quiz.gift: a Moodle GIFT quiz, one numeric "
                                       "question per answer, within 1% or 0.0005.")] = False,
    decimals: DecimalsOpt = 4,
):
    """Generate seeded exercise variants: problem files with their keys, a student sheet and a key."""
    from calc.teach.generate import generate as make
    from calc.teach.generate import write_set
    from calc.teach.generate_types import Knobs

    variants = make(kind, count, seed, Knobs(difficulty, uneven, ties))
    for line in write_set(variants, out, gift, decimals):
        typer.echo(line)
