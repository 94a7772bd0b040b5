"""Direct commands for convolution, pooling and CNN backpropagation worked solutions (issue 5)."""

from __future__ import annotations

import typer

app = typer.Typer()
