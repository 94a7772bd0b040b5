"""Shared test helpers: build networks from inline YAML, run the CLI in-process."""

from __future__ import annotations

import textwrap

import pytest


def net_from(yaml_text: str, name: str = "test.yaml"):
    from calc.network import network_from_text

    return network_from_text(textwrap.dedent(yaml_text), name)


@pytest.fixture
def cli():
    """Run `nncalc ARGS` in-process; returns (exit_code, stdout, stderr)."""
    from typer.testing import CliRunner

    import cli as cli_module

    runner = CliRunner()

    def run(*args: str, env: dict | None = None):
        # main() turns NNCalcError into exit 2; CliRunner calls the app, so mimic main here
        from calc.errors import NNCalcError

        try:
            result = runner.invoke(cli_module.app, list(args), env={"COLUMNS": "100", **(env or {})},
                                   catch_exceptions=False)
        except NNCalcError as exc:
            return 2, "", f"nncalc: error: {exc}\n"
        return result.exit_code, result.stdout, result.stderr if hasattr(result, "stderr") else ""

    return run
