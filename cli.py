"""nncalc command line: the typer app, assembled from one small module per area.

Each ``cli_<area>.py`` only parses arguments, calls calc and renders; heavy modules (numpy,
sympy, rich) are imported inside the commands that need them, so ``nncalc --help`` and
``nncalc size ...`` start fast. User errors (calc.errors.NNCalcError) become one line on
stderr with exit code 2 — never a traceback. An unexpected exception (a bug) becomes one line
asking for a report, exit code 70 (``internal_error``).
"""


import sys

import typer

import cli_check
import cli_cnn
import cli_engine
import cli_networks
import cli_sizes
import cli_solve
import cli_topics
from calc.errors import NNCalcError

app = typer.Typer(
    name="nncalc",
    help="Network calculator and exercise solver for deep learning: sizes, parameters, MACs, "
    "and step-by-step worked solutions.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(cli_sizes.app, name="size")
for area in (cli_networks, cli_engine, cli_solve, cli_topics, cli_cnn, cli_check):
    app.registered_commands.extend(area.app.registered_commands)
    app.registered_groups.extend(area.app.registered_groups)


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
    except Exception as exc:  # a bug, not a user error: the safety net, never the fix
        sys.exit(internal_error(exc))
    sys.exit(code if isinstance(code, int) else 0)


INTERNAL_ERROR = 70  # EX_SOFTWARE; tests/fuzz treats reaching it as a failure


def internal_error(exc: Exception) -> int:
    """Say in one line that nncalc has a bug (not the user), ask for a report, return the exit code.

    NNCALC_TRACEBACK=1 prints the traceback first, for the report and for debugging."""
    import os

    if os.environ.get("NNCALC_TRACEBACK", "") not in ("", "0"):
        import traceback

        traceback.print_exc()
    detail = " ".join(str(exc).split())
    detail = detail if len(detail) <= 160 else detail[:150] + " ..."
    print(f"nncalc: internal error: {type(exc).__name__}{': ' + detail if detail else ''} (a bug: please report "
          "it with the command line; NNCALC_TRACEBACK=1 shows the traceback)", file=sys.stderr)
    return INTERNAL_ERROR


if __name__ == "__main__":
    main()
