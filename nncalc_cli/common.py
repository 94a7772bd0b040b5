"""What the command line shares beyond option types (those are in options.py): the command group
that reads negative numbers as values, and the one door to click's API.

cli.py imports this module at start-up: it imports typer and nothing heavy.
"""

from importlib import import_module

import typer
from typer.core import TyperGroup

HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}


def click_module(name: str):
    """click's submodule `name` ('exceptions', 'globals', 'utils') as typer runs it.

    typer 0.28 vendors click as the private package typer._click and re-exports only part of it
    (typer.Context, Exit, Abort, BadParameter); UsageError, NoArgsIsHelpError, get_current_context
    and make_default_short_help have no public name. typer before 0.28 runs on click itself. This
    is the one place that names the private package: a typer that renames it breaks here alone."""
    try:
        return import_module(f"typer._click.{name}")
    except ImportError:
        return import_module(f"click.{name}")


def sub_app(help_text: str) -> typer.Typer:
    """A command group such as `nncalc size`: plain click help, numbers as values, -h."""
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
