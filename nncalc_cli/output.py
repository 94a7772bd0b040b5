"""The one output path of every command: `emit(result, Output(...))`.

A command computes one result (a worked Solution, a network Summary, a run or training result,
a check Report, a list of rows) and hands it here with the output the user chose. The rules hold
for every command because they are written once:

- terminal (the default): the result's rich renderable, fitted to the console width;
- `--json`: the result's JSON data on stdout;
- `--markdown FILE`: the Markdown is written to FILE and one line `wrote FILE (Markdown, N lines)`
  goes to stderr instead of the terminal output; a file the command reads is never overwritten;
- `--markdown -`: the Markdown on stdout; refused together with --json (two documents on one
  stdout). `--markdown FILE --json` writes the file and prints the JSON.

Renderers are looked up by the result's class (its qualified name, so that this module imports
nothing heavy: rich, numpy and the renderers load only when a command prints), or by an
explicit `kind` for plain lists of rows. A new result type: one `@renders(...)` function per
format below; a format a result lacks is refused with one line.
"""

import sys
from collections.abc import Callable
from dataclasses import dataclass

from calc.errors import InputError


@dataclass(frozen=True)
class Output:
    """What the user asked for: --json, --markdown FILE|-, --decimals, --template (an answers file)."""

    json: bool = False
    markdown: str | None = None
    decimals: int = 4
    template: bool = False


# result class ("module.QualName") or kind -> format -> function(result, output[, console, **view])
RENDERERS: dict[str, dict[str, Callable]] = {}


def renders(key: str, fmt: str):
    """Register the `fmt` renderer ('terminal', 'json', 'markdown', 'template') of results `key`."""
    def register(function: Callable) -> Callable:
        formats = RENDERERS.setdefault(key, {})
        if fmt in formats:
            raise ValueError(f"two {fmt} renderers for {key}")
        formats[fmt] = function
        return function

    return register


def renderers_for(result, kind: str | None = None) -> dict[str, Callable]:
    """The renderers of `kind`, else of the result's class or the nearest base class registered."""
    if kind is not None:
        return RENDERERS[kind]
    for cls in type(result).__mro__:
        found = RENDERERS.get(f"{cls.__module__}.{cls.__qualname__}")
        if found is not None:
            return found
    raise TypeError(f"no renderers for {type(result).__qualname__}")  # a programming error, not the user's


def _format(renderers: dict[str, Callable], fmt: str, option: str) -> Callable:
    if fmt not in renderers:
        raise InputError(f"{option}: this command has no {fmt} output")
    return renderers[fmt]


def emit(result, output: Output, kind: str | None = None, **view) -> None:
    """Print `result` as `output` asks (see the module docstring); `view`: terminal-only options of
    its renderer (summary's show_config, run's full, train's every)."""
    renderers = renderers_for(result, kind)
    if output.template:
        print(_format(renderers, "template", "--template")(result, output), end="")
        return
    if output.markdown:
        write_text(output.markdown, _format(renderers, "markdown", "--markdown")(result, output), output.json)
    if output.json:
        from calc.render.jsonout import dumps

        print(dumps(_format(renderers, "json", "--json")(result, output)))
    if output.json or output.markdown:
        return
    out = console()
    out.print(renderers["terminal"](result, output, out, **view))


def console():
    """The rich console every command prints to (width from COLUMNS, 80 by default)."""
    from calc.render.terminal import make_console

    return make_console()


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


def _refuse_input_file(target: str) -> None:
    """InputError when `target` is a file the running command was given to read (any other argument
    or option naming the same file): writing it would destroy the input."""
    import os

    from nncalc_cli.common import click_module

    ctx = click_module("globals").get_current_context(silent=True)
    if ctx is None or not os.path.exists(target):
        return
    for name, value in ctx.params.items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if name == "markdown" or not isinstance(item, str) or not os.path.isfile(item):
                continue
            if os.path.samefile(item, target):
                raise InputError(f"--markdown: '{target}' is the file this command reads; "
                                 "give another file name")


# --- the renderers, by result type --------------------------------------------------------------

SOLUTION = "calc.solve.step.Solution"


@renders(SOLUTION, "terminal")
def _solution_terminal(solution, output, out):
    from calc.render.terminal import solution_renderable

    return solution_renderable(solution, output.decimals)


@renders(SOLUTION, "markdown")
def _solution_markdown(solution, output):
    from calc.render.markdown import solution_markdown

    return solution_markdown(solution, output.decimals)


@renders(SOLUTION, "json")
def _solution_json(solution, output):
    from calc.render.jsonout import solution_data

    return solution_data(solution)


@renders(SOLUTION, "template")
def _solution_template(solution, output):
    from calc.render.template import answer_template

    return answer_template(solution)


SUMMARY = "calc.counting.stats.Summary"


@renders(SUMMARY, "terminal")
def _summary_terminal(summary, output, out, show_config: bool | None = None):
    from calc.render.terminal import summary_renderable

    return summary_renderable(summary, show_config=show_config, width=out.width)


@renders(SUMMARY, "markdown")
def _summary_markdown(summary, output):
    from calc.render.markdown import summary_markdown

    return summary_markdown(summary)


@renders(SUMMARY, "json")
def _summary_json(summary, output):
    from calc.render.jsonout import summary_data

    return summary_data(summary)


REPORT = "calc.check.report.Report"


@renders(REPORT, "terminal")
def _report_terminal(report, output, out):
    from calc.render.verdicts_rich import verdicts_renderable

    return verdicts_renderable(report)


@renders(REPORT, "markdown")
def _report_markdown(report, output):
    from calc.render.verdicts import verdicts_markdown

    return verdicts_markdown(report)


@renders(REPORT, "json")
def _report_json(report, output):
    from calc.render.verdicts import verdicts_data

    return verdicts_data(report)


@renders("calc.engine.api.RunResult", "terminal")
def _run_terminal(result, output, out, full: bool = False):
    from calc.render.engine import run_renderable

    return run_renderable(result, output.decimals, full)


@renders("calc.engine.api.RunResult", "json")
def _run_json(result, output):
    from calc.render.engine_json import run_data

    return run_data(result)


@renders("calc.engine.train.TrainResult", "terminal")
def _train_terminal(result, output, out, every: int | None = None):
    from calc.render.engine import train_renderable

    return train_renderable(result, output.decimals, every)


@renders("calc.engine.train.TrainResult", "json")
def _train_json(result, output):
    from calc.render.engine_json import train_data

    return train_data(result)


# Lists of rows (JSON as they are): `emit(rows, output, kind="zoo")`.

def _rows_json(rows, output):
    return rows


for _kind in ("layers", "problems"):
    renders(_kind, "json")(_rows_json)


@renders("zoo", "json")
def _zoo_json(rows, output):
    from calc.render.jsonout import zoo_data

    return zoo_data(rows)


@renders("zoo", "terminal")
def _zoo_terminal(rows, output, out):
    from calc.render.terminal import zoo_renderable

    return zoo_renderable(rows, out.width)


@renders("layers", "terminal")
def _layers_terminal(rows, output, out):
    from calc.render.terminal import layers_renderable

    return layers_renderable(rows)


@renders("problems", "terminal")
def _problems_terminal(rows, output, out):
    from calc.render.terminal import problems_renderable

    return problems_renderable(rows)


@renders("calc.interchange.onnx_convert.Converted", "terminal")
def _converted_terminal(result, output, out):
    return "\n".join(result.lines())


@renders("calc.interchange.onnx_convert.Converted", "json")
def _converted_json(result, output):
    from dataclasses import asdict

    return asdict(result)
