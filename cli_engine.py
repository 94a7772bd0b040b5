"""`nncalc run`, `nncalc train`: run specs forward/backward and train them (issue 3)."""

from __future__ import annotations

import typer

app = typer.Typer()
