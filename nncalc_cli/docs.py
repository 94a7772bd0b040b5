"""`nncalc conventions`: the conventions page shipped with the package, printed as plain text."""


from typing import Annotated

import typer

app = typer.Typer()


@app.command()
def conventions(
    topic: Annotated[str | None, typer.Argument(metavar="[SECTION]", help="Only one section: sizes, counting, arithmetic, losses, normalisation, optimizers, initialisation, numbers or vocabulary.")] = None,
) -> None:
    """The conventions nncalc follows (sizes, counting, layers, losses, optimizers, ...) and their sources."""
    from calc.conventions import conventions as page

    print(page(topic), end="")
