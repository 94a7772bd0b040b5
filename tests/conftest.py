"""Shared test helpers: build networks from inline YAML, run the CLI in-process, golden files."""

from __future__ import annotations

import textwrap
from pathlib import Path

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


GOLDEN = Path(__file__).parent / "golden"


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="Rewrite tests/golden/*.txt from the current rendering instead of comparing.")


@pytest.fixture
def golden(request):
    """check(name, text): compare rendered text with tests/golden/NAME.txt (or rewrite it)."""
    update = request.config.getoption("--update-golden")

    def check(name: str, text: str) -> None:
        text = "\n".join(line.rstrip() for line in text.strip("\n").splitlines()) + "\n"
        path = GOLDEN / f"{name}.txt"
        if update:
            GOLDEN.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        assert path.exists(), f"no golden file {path.name}: run pytest --update-golden"
        assert text == path.read_text(encoding="utf-8"), \
            f"rendering of {name} changed; if that is intended: pytest --update-golden, then review the diff"

    return check
