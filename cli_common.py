"""Shared pieces of the command modules: option types, value parsing, output helpers."""


import sys
from enum import Enum
from typing import Annotated

import typer
from typer.core import TyperGroup

from calc.errors import InputError

HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts and autograders.")]
def _markdown_name(value: str | None) -> str | None:
    """'--markdown ""' (an unset shell variable) was taken as no --markdown: say so instead."""
    if value is not None and not value.strip():
        raise InputError("--markdown: expected a file name, or '-' to print, got ''")
    return value


MarkdownOpt = Annotated[str | None, typer.Option(
    "--markdown", metavar="FILE", help="Write Markdown (with LaTeX math) to FILE; '-' prints it.",
    callback=_markdown_name)]
HandOpt = Annotated[bool, typer.Option("--hand-rounding", help="Round every intermediate to --decimals (half up), like a hand solution.")]
DecimalsOpt = Annotated[int, typer.Option("--decimals", help="Decimals shown (values are computed exactly).", min=0, max=30)]


class Style(str, Enum):
    """Whose forms and defaults to use where PyTorch and Keras differ."""

    pytorch = "pytorch"
    keras = "keras"


def sub_app(help_text: str) -> typer.Typer:
    return typer.Typer(help=help_text, no_args_is_help=True, rich_markup_mode=None, cls=NumbersGroup,
                       context_settings=HELP_OPTIONS)


class NumbersGroup(TyperGroup):
    """A command group whose commands read a token such as -1.7, -.5, -1e-3 or -1,2;3,4 as a value,
    never as an option, wherever it stands (`nncalc softmax 3.2 5.1 -1.7 --jacobian`).

    No option of nncalc starts with '-' and a digit or '.', so nothing is lost; an option that
    takes a value already takes the next token whatever it looks like (`--lr -0.5`)."""

    def get_command(self, ctx, cmd_name):
        command = super().get_command(ctx, cmd_name)
        if command is not None and not getattr(command, "numbers_are_values", False):
            numbers_are_values(command)
        return command


def numbers_are_values(command) -> None:
    """Make `command`'s option parser put numeric tokens with the arguments (see NumbersGroup)."""
    from calc.numtext import looks_numeric

    make = command.make_parser

    def make_parser(ctx):
        parser = make(ctx)
        process = parser._process_opts  # click's one place that decides "this token is an option"

        def process_opts(arg, state):
            if looks_numeric(arg):
                state.largs.append(arg)
            else:
                process(arg, state)

        parser._process_opts = process_opts
        return parser

    command.make_parser = make_parser
    command.numbers_are_values = True


def parse_ints(text: str, option: str, count: int | None = None, minimum: int = 1) -> tuple[int, ...]:
    """'227' -> (227,), '227x227' / '227,227' / '[227, 227]' -> (227, 227)."""
    cleaned = str(text).strip().strip("[]()").replace("x", ",").replace("X", ",").replace("*", ",")
    try:
        values = tuple(int(part) for part in cleaned.split(","))  # '22x' and '' are errors, not 22 and ()
    except ValueError:
        raise InputError(f"{option}: expected integers such as 5 or 5x5, got '{text}'") from None
    if not values or (count is not None and len(values) not in (1, count)):
        raise InputError(f"{option}: expected one integer or {count} separated by 'x', got '{text}'")
    for v in values:
        if v < minimum:
            raise InputError(f"{option}: expected integers >= {minimum}, got {v}")
    return values


def per_axis(values: tuple[int, ...], n: int) -> tuple[int, ...]:
    return values * n if len(values) == 1 else values


def console():
    from calc.render.terminal import make_console

    return make_console()


def emit_solution(solution, as_json: bool, markdown: str | None, decimals: int = 4) -> None:
    """Print a worked solution as JSON, Markdown (file or '-') or rich text; with a Markdown file
    the terminal gets one line saying what was written instead of the whole solution. A command
    that declares --template (cli_answers.TemplateOpt) prints the blank answers file instead."""
    if _param("template"):
        from calc.render.template import answer_template

        print(answer_template(solution), end="")
        return
    if markdown:
        from calc.render.markdown import solution_markdown

        write_text(markdown, solution_markdown(solution, decimals), as_json)
    if as_json:
        from calc.render.jsonout import dumps, solution_data

        print(dumps(solution_data(solution)))
    if as_json or markdown:
        return
    from calc.render.terminal import solution_renderable

    console().print(solution_renderable(solution, decimals))


def write_text(target: str, text: str, as_json: bool = False) -> None:
    """Write Markdown to a file ('-': stdout) and say so in one line on stderr (stdout stays clean for
    pipes and --json).

    Refused: '-' together with --json (two documents on one stdout), and a file the command reads."""
    if target == "-":
        if as_json:
            raise InputError("--markdown - and --json both print to stdout: give one, or --markdown FILE")
        sys.stdout.write(text)
        return
    _refuse_input_file(target)
    try:
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise InputError(f"--markdown: cannot write '{target}': {exc.strerror}") from None
    lines = text.count("\n")
    print(f"wrote {target} (Markdown, {lines} line{'s' if lines != 1 else ''})", file=sys.stderr)


def _param(name: str):
    """The running command's parsed parameter ``name`` (None outside a command or when it has none)."""
    try:
        from typer._click.globals import get_current_context
    except ImportError:  # typer before 0.28 uses click itself
        from click import get_current_context

    ctx = get_current_context(silent=True)
    return ctx.params.get(name) if ctx is not None else None


def _refuse_input_file(target: str) -> None:
    """InputError when `target` is a file the running command was given to read (any other argument
    or option naming the same file): writing it would destroy the input."""
    import os

    try:
        from typer._click.globals import get_current_context
    except ImportError:  # typer before 0.28 uses click itself
        from click import get_current_context

    ctx = get_current_context(silent=True)
    if ctx is None or not os.path.exists(target):
        return
    for name, value in ctx.params.items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if name == "markdown" or not isinstance(item, str) or not os.path.isfile(item):
                continue
            if os.path.samefile(item, target):
                raise InputError(f"--markdown: '{target}' is the file this command reads; "
                                 "give another file name")


def padding_arg(text: str, n: int, option: str = "--padding"):
    """'same' | 'valid' | p | ph x pw -> (mode, ((before, after) per axis))."""
    lowered = str(text).strip().lower()
    if lowered in ("same", "valid"):
        return lowered, None
    values = per_axis(parse_ints(text, option, count=n, minimum=0), n)
    return None, tuple((v, v) for v in values)


def parse_numbers(texts, option: str, minimum_count: int = 1) -> list:
    """Exact numbers from '2 4 6', '2,4,6' or '[2, 4, 6]' (one or more arguments) -> Fractions."""
    from calc.numtext import fractions

    return fractions(texts, option, minimum_count)
