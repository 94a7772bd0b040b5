"""nncalc command line: the typer app, assembled from one small module per area.

Each command module ``nncalc_cli/<area>.py`` only parses arguments, calls calc and emits the
result; heavy modules (numpy, sympy, rich) are imported inside the commands that need them. Start-up is kept short by
building only the command that runs: ``COMMANDS`` names each command's module and one-line
help, so ``nncalc --help`` lists them without importing any command module, and ``nncalc size
conv`` imports nncalc_cli.sizes alone. User errors (calc.errors.NNCalcError) become one line on
stderr with exit code 2 — never a traceback. An unexpected exception (a bug) becomes one line
asking for a report, exit code 70 (``internal_error``).
"""


import gc
import sys
from importlib import import_module

gc.disable()  # no cycle collection while the start-up imports allocate (a few ms); on again below

import typer  # noqa: E402

from calc.errors import NNCalcError  # noqa: E402
from nncalc_cli.common import HELP_OPTIONS, NumbersGroup, click_module  # noqa: E402

# name -> (module of nncalc_cli, first line of its help), in the order `nncalc --help` lists them.
# tests/test_cli_lazy.py checks this table against the commands the modules define.
COMMANDS = {
    "summary": ("networks", "Per-layer output shapes, parameters and MACs of a network, with totals."),
    "memory": ("networks", "Memory of a network: weights per dtype, KV cache, training state, and whether it fits a card."),
    "zoo": ("networks", "List the bundled networks with their totals and whether they match published figures."),
    "layers": ("networks", "List the layer types a spec can use, with their options."),
    "run": ("engine", "Run a network forward on the inputs in a file and print its output."),
    "train": ("engine", "Train a network on a data file and print the loss per epoch."),
    "solve": ("solve", "Solve an exercise step by step: conventions, formulas with the numbers, results."),
    "problems": ("solve", "List the bundled exercises by topic (solve one with 'nncalc solve TOPIC/NAME')."),
    "softmax": ("solve", "Softmax of scores, stably, with the Jacobian and cross-entropy on request."),
    "loss": ("solve", "A loss per sample and for the batch, with its gradient."),
    "perceptron": ("solve", "Truth table of a perceptron (or a two-layer XOR net): z and the output per row."),
    "backprop": ("solve", "Forward pass, loss, deltas, gradients and SGD updates of any spec with weights."),
    "graph": ("topics", "Computational graph: forward values, and local x upstream gradient on every edge."),
    "draw": ("pictures", "Draw a network: layers with type, output shape and params; branches, adds and references."),
    "batchnorm": ("topics", "Batch normalisation: table of x, x - mean, squares, variance, x-hat, y; backward "
                                "with --grad."),
    "activation": ("topics", "An activation and its derivative at given points (softmax: probabilities and "
                                 "Jacobian)."),
    "optimizer": ("topics", "Optimizer steps as a table of every state variable (t, g, m, v, m-hat, v-hat, w)."),
    "ewma": ("topics", "Exponentially weighted moving average V_t = beta V_(t-1) + (1 - beta) theta_t, V_0 = 0."),
    "init": ("topics", "Std or limit of an initialiser, from the fans or from a layer of a spec."),
    "dropout": ("topics", "Dropout: mask, scaling, outputs in training and at test time, and the expected value "
                              "kept."),
    "conv2d": ("cnn", "Convolution step by step: output size, padded input, each output as its sum of products."),
    "pool": ("cnn", "Max or average pooling step by step, with the chosen element of each window."),
    "conv-backward": ("cnn", "Conv backward from dL/dO: dL/dF, dL/db, dL/dX (full convolution) and an SGD step."),
    "check": ("check", "Check your answers: right, right to the decimals written, carried from an earlier slip, "
                           "or wrong"),
    "grade": ("grade", "Grade a class: every answers file (or CSV row) checked as nncalc check does, in a "
                           "gradebook"),
    "conventions": ("docs", "The conventions nncalc follows (sizes, counting, layers, losses, optimizers, ...) "
                                "and their sources."),
    "generate": ("generate", "Generate seeded exercise variants: problem files with their keys, a student sheet and "
                             "a key."),
    "convert": ("models_in", "Write an ONNX model or a Keras config as a spec (and its weights as .npz) that every command accepts."),
    "size": ("sizes", "Output sizes of conv / pool / transposed conv layers, and padding."),
    "export": ("export", "Write a network as PyTorch or Keras code (layers, forward, weight loading)."),
}
GROUPS = {"size"}  # a module whose whole app is one command group


def load_command(name: str):
    """The click command of `name`, built from its module's typer app (only that module is imported)."""
    import typer.main

    gc.disable()  # the command module's imports, as the start-up's
    try:
        module = import_module(f"nncalc_cli.{COMMANDS[name][0]}")
        module.app.rich_markup_mode = None  # plain click help, as the top level (rich's boxes pad every line)
        group = typer.main.get_group(module.app)
    finally:
        gc.enable()  # the command itself runs with the collector on
    if name in GROUPS:
        group.name = name
        return group
    return group.commands.get(name)


class LazyGroup(NumbersGroup):
    """Lists commands from COMMANDS and builds one only when it is asked for."""

    def list_commands(self, ctx) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx, cmd_name: str):
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            command = load_command(cmd_name)
            if command is not None:
                self.commands[cmd_name] = command
        return super().get_command(ctx, cmd_name)  # NumbersGroup: -1.7 is a value, never an option

    def format_commands(self, ctx, formatter) -> None:
        make_default_short_help = click_module("utils").make_default_short_help

        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, make_default_short_help(text, limit)) for name, (_, text) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


app = typer.Typer(
    name="nncalc",
    cls=LazyGroup,
    help="Network calculator and exercise solver for deep learning: sizes, parameters, MACs, "
    "and step-by-step worked solutions.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=True,
    context_settings=HELP_OPTIONS,
)
gc.enable()  # importing cli leaves no process-wide state behind


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


def main(fast_exit: bool = False) -> None:
    """Run one command: every user error is one line on stderr with exit code 2. It ends with
    SystemExit, as a library call should; the installed script (console) exits faster."""
    errors = click_module("exceptions")  # click's errors as typer raises them (nncalc_cli/common.py)
    NoArgsIsHelpError, UsageError = errors.NoArgsIsHelpError, errors.UsageError  # noqa: N806

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
    except BrokenPipeError:  # `nncalc ... | head`: the reader left; nothing more to say
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit's flush stays quiet
        sys.exit(0)
    except Exception as exc:  # a bug, not a user error: the safety net, never the fix
        sys.exit(internal_error(exc))
    finish(code if isinstance(code, int) else 0, fast_exit)


def console() -> None:
    """The installed ``nncalc`` script (and ``python cli.py``): main() with the fast exit."""
    main(fast_exit=True)


def finish(code: int, fast_exit: bool) -> None:
    """Exit; with ``fast_exit``, without the interpreter's teardown of a hundred modules (about
    15 ms of a 100 ms start-up): the output is flushed first, and nncalc registers no exit
    handlers. Only the console script asks for it, so a program calling main() lives on."""
    import os

    if not fast_exit:
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        os._exit(0)
    os._exit(code)


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
    console()
