"""nncalc command line: the typer app, assembled from one small module per area.

Each ``cli_<area>.py`` only parses arguments, calls calc and renders; heavy modules (numpy,
sympy, rich) are imported inside the commands that need them, so ``nncalc --help`` and
``nncalc size ...`` start fast. User errors (calc.errors.NNCalcError) become one line on
stderr with exit code 2 — never a traceback.
"""


import sys

import typer

import cli_check
import cli_cnn
import cli_docs
import cli_engine
import cli_networks
import cli_sizes
import cli_solve
import cli_topics
from calc.errors import NNCalcError
from cli_common import HELP_OPTIONS, NumbersGroup

app = typer.Typer(
    name="nncalc",
    help="Network calculator and exercise solver for deep learning: sizes, parameters, MACs, "
    "and step-by-step worked solutions.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=True,
    cls=NumbersGroup,
    context_settings=HELP_OPTIONS,
)
app.add_typer(cli_sizes.app, name="size")
for area in (cli_networks, cli_engine, cli_solve, cli_topics, cli_cnn, cli_check, cli_docs):
    app.registered_commands.extend(area.app.registered_commands)
    app.registered_groups.extend(area.app.registered_groups)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"nncalc {version('nncalc')}")
        except PackageNotFoundError:
            print("nncalc (version unknown: not installed)")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: bool = typer.Option(False, "--version", "-V", is_eager=True, callback=_version,
                                      help="Print the version and exit."),
) -> None:
    """Network calculator and exercise solver for deep learning: sizes, parameters, MACs, and step-by-step
    worked solutions."""


def main() -> None:
    """Console entry point: every user error is one line on stderr with exit code 2."""
    from typer._click.exceptions import NoArgsIsHelpError, UsageError

    try:
        code = app(standalone_mode=False, prog_name="nncalc")
    except NNCalcError as exc:
        print(f"nncalc: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except NoArgsIsHelpError as exc:  # `nncalc` or `nncalc size` alone: show the help
        print(exc.format_message())
        sys.exit(0)
    except UsageError as exc:  # click's usage errors: missing option, unknown command, bad value
        where = exc.ctx.command_path if exc.ctx is not None else "nncalc"
        print(f"nncalc: error: {exc.format_message().rstrip('.')} (see '{where} --help')", file=sys.stderr)
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, EOFError):
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
