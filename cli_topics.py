"""Direct commands for graphs, batch norm, activations, optimizers, initialisation and dropout (issue 4)."""

from __future__ import annotations

import typer

app = typer.Typer()
