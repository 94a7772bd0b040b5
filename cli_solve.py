"""`nncalc solve`, `nncalc problems` and direct commands for dense networks, graphs, softmax, batch norm, activations, optimizers, init, dropout, perceptrons, losses (issue 4)."""

from __future__ import annotations

import typer

app = typer.Typer()
