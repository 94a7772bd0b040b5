"""`nncalc check`: compare a learner's answers with computed ones (issue 6)."""

from __future__ import annotations

import typer

app = typer.Typer()
