"""One output path for every command (issue 11): the --markdown / --json rules hold for each command
that offers them, because nncalc_cli/output.py emit() applies them once; the command modules
never import each other (the import-linter contract covers every module of cli.COMMANDS)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cli as cli_module
from tests.width_cases import DIRECT, ROOT

ONE_CHECK = ["check", "softmax/softmax-worksheet", "--answers", "examples/handwritten/softmax-worksheet.yaml"]
CASES = DIRECT + [["solve", "networks/mazur"], ["summary", "alexnet"], ONE_CHECK]


def _options(args: list[str]) -> set[str]:
    """The option names of the command that `args` runs (from its click definition)."""
    command = cli_module.load_command(args[0])
    if args[0] in cli_module.GROUPS:
        command = command.commands[args[1]]
    return {name for param in command.params for name in getattr(param, "opts", [])}


def _ids(case: list[str]) -> str:
    return " ".join(case[:2])


@pytest.mark.parametrize("args", [c for c in CASES if "--markdown" in _options(c)], ids=_ids)
def test_markdown_file_is_one_line_on_stderr_and_nothing_on_stdout(cli, args, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    target = tmp_path / "out.md"
    code, out, err = cli(*args, "--markdown", str(target))
    text = target.read_text(encoding="utf-8")
    lines = text.count("\n")
    assert code in (0, 1) and out == "", out[:200]
    assert err == f"wrote {target} (Markdown, {lines} line{'s' if lines != 1 else ''})\n"
    assert text.startswith("#") and lines > 2


@pytest.mark.parametrize("args", [c for c in CASES if "--markdown" in _options(c)], ids=_ids)
def test_markdown_dash_with_json_is_refused_everywhere(cli, args, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, err = cli(*args, "--markdown", "-", "--json")
    assert code == 2 and out == "" and "--markdown - and --json" in err


@pytest.mark.parametrize("args", [c for c in CASES if "--json" in _options(c)], ids=_ids)
def test_json_is_one_document(cli, args, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, _ = cli(*args, "--json")
    assert code in (0, 1)
    json.loads(out)  # nothing else on stdout


def test_every_result_type_has_terminal_and_json():
    from nncalc_cli.output import RENDERERS

    assert all({"terminal", "json"} <= set(formats) for formats in RENDERERS.values()), RENDERERS


def test_the_independence_contract_names_every_command_module():
    """A new command module must be added to the contract, or it could import another unseen."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    config = tomllib.loads(Path(ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    independent = next(c for c in contracts if c["type"] == "independence")
    assert set(independent["modules"]) == {f"nncalc_cli.{module}" for module, _ in cli_module.COMMANDS.values()}
