"""Rich terminal output of `nncalc run` (outputs, activations) and `nncalc train` (loss per
epoch, final evaluation, a progress bar on a terminal). Formats only; calc.engine computes."""

from __future__ import annotations

from contextlib import contextmanager

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from calc.numfmt import DEFAULT_DECIMALS, fmt
from calc.render.fit import fit
from calc.render.wording import run_conventions, train_conventions
from calc.shapes import fmt_shape

MAX_VALUES = 8  # values shown per sample unless --full
MAX_COLUMNS = 10  # one column per output up to this many outputs
MAX_ROWS = 20  # samples shown on the terminal unless --full (--json has them all)


def shown_rows(n: int, full: bool) -> int:
    return n if full else min(n, MAX_ROWS)


def cap_line(n: int, full: bool, what: str = "samples"):
    """'showing 20 of 1,000,000 samples; --full or --json for all', or None when all are shown."""
    if shown_rows(n, full) == n:
        return None
    return Text(f"showing {MAX_ROWS} of {n:,} {what}; --full or --json for all", style="italic")


def _values(row, decimals: int, full: bool) -> str:
    flat = row.reshape(-1).tolist()
    if full or len(flat) <= MAX_VALUES:
        return fmt(flat, decimals)
    shown = fmt(flat[:MAX_VALUES], decimals)[:-1]
    return f"{shown}, ... ({len(flat)} values)]"


def _conventions(lines: list[str]):
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=3, justify="right")
    grid.add_column(ratio=1)
    for line in lines:
        grid.add_row("-", Text(line))  # Text: formulas hold brackets that are not rich markup
    return Group(Text("Conventions", style="bold"), grid)


def run_renderable(result, decimals: int = DEFAULT_DECIMALS, full: bool = False):
    n = len(result.outputs)
    title = (f"{result.network}: {n} sample{'s' if n != 1 else ''}, input {fmt_shape(result.input_shape)} "
             f"-> output {fmt_shape(result.output_shape)}")
    outputs = result.outputs.reshape(n, -1)[:shown_rows(n, full)]  # the head; --full or --json for all
    argmax = result.classes is not None
    if len(result.output_shape) == 1 and outputs.shape[1] <= MAX_COLUMNS:  # one column per output, if it fits
        vector = _outputs_table(result, outputs, decimals, True, False, argmax)
        table = fit(_outputs_table(result, outputs, decimals, full, True, argmax), vector)
    else:
        table = fit(_outputs_table(result, outputs, decimals, full, False, argmax))
    parts = [Text(title, style="bold"), table, *filter(None, [cap_line(n, full)])]
    if result.activations:
        parts += [Text("Activations (every layer's output)", style="bold"), activations_table(result, decimals, full)]
    parts.append(_conventions(run_conventions(result)))
    return Group(*parts)


def _outputs_table(result, outputs, decimals: int, full: bool, columns: bool, argmax: bool):
    """Sample | y1 .. yn | class, or Sample | Output (the values as one wrapping list) | class."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Sample", justify="right", no_wrap=True)
    if columns:
        for j in range(outputs.shape[1]):
            table.add_column(f"y{j + 1}", justify="right", no_wrap=True)
    else:
        table.add_column("Output", overflow="fold")
    if argmax:
        table.add_column("class", justify="right", no_wrap=True)
    for i, row in enumerate(outputs):
        cells = [fmt(v, decimals) for v in row.tolist()] if columns else [_values(row, decimals, full)]
        table.add_row(str(i + 1), *cells, *([str(result.classes[i])] if argmax else []))
    return table


def activations_table(result, decimals: int, full: bool):
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for name, justify in (("Layer", "left"), ("Type", "left"), ("Shape", "right"), ("Sample", "right"),
                          ("Values", "left")):
        table.add_column(name, justify=justify, no_wrap=name != "Values", overflow="fold")
    rows = [("input", "", result.inputs)] + list(result.activations)
    for name, kind, values in rows:
        for i, sample in enumerate(values[:shown_rows(len(values), full)]):
            first = i == 0
            table.add_row(name if first else "", kind if first else "", fmt_shape(sample.shape) if first else "",
                          str(i + 1), _values(sample, decimals, full))
    return fit(table)


def _pick_epochs(epochs: list, every: int | None) -> list:
    """Every epoch up to 20, else about 10 evenly spaced ones (always the first and the last)."""
    if every:
        picked = [e for e in epochs if e.number % every == 0 or e.number == 1]
    elif len(epochs) <= 20:
        picked = list(epochs)
    else:
        step = max(1, len(epochs) // 10)
        picked = [e for e in epochs if e.number == 1 or e.number % step == 0]
    if picked[-1] is not epochs[-1]:
        picked.append(epochs[-1])
    return picked


def _percent(value) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def train_renderable(result, decimals: int = DEFAULT_DECIMALS, every: int | None = None):
    data = result.data
    title = f"{result.network}: {len(result.epochs)} epochs on {data.source} ({len(data)} samples)"
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Epoch", justify="right")
    table.add_column("Loss", justify="right")
    has_acc = result.epochs[-1].accuracy is not None
    if has_acc:
        table.add_column("Accuracy", justify="right")
    for e in _pick_epochs(result.epochs, every):
        table.add_row(str(e.number), fmt(e.loss, decimals), *([_percent(e.accuracy)] if has_acc else []))
    final = result.final
    summary = f"After training (eval mode): loss {fmt(final.loss, decimals)}"
    if final.accuracy is not None:
        summary += f", accuracy {_percent(final.accuracy)} ({final.errors} of {len(data)} misclassified)"
    parts = [Text(title, style="bold"), fit(table), Text(summary, style="bold")]
    if len(data) <= 16 and data.x[0].size <= 8:
        parts.append(predictions_table(result, decimals))
    else:
        parts.append(Text(""))
    if result.saved:
        parts.append(Text(f"Weights saved to {result.saved}"))
    parts.append(_conventions(train_conventions(result)))
    return Group(*parts)


def predictions_table(result, decimals: int):
    data, outputs = result.data, result.final.outputs
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Input")
    table.add_column("Target", justify="right")
    table.add_column("Output", justify="right")
    for x, t, y in zip(data.x, data.t, outputs):
        table.add_row(fmt(x.reshape(-1).tolist(), decimals), fmt(t.reshape(-1).tolist(), decimals),
                      fmt(y.reshape(-1).tolist(), decimals))
    return fit(table)


@contextmanager
def epoch_progress(total: int, enabled: bool):
    """A transient progress bar on stderr (only on a terminal); yields a per-epoch callback."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from calc.render.terminal import make_console

    columns = (TextColumn("epoch"), BarColumn(), MofNCompleteColumn(), TextColumn("loss {task.fields[loss]}"),
               TimeRemainingColumn())
    with Progress(*columns, console=make_console(stderr=True), transient=True) as progress:
        task = progress.add_task("train", total=total, loss="")

        def update(epoch):
            progress.update(task, advance=1, loss=fmt(epoch.loss))

        yield update
