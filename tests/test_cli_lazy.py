"""The lazy command table in cli.py: it matches the commands the modules define, and start-up
imports only the command that runs (issue 9: `nncalc --help` and `nncalc size conv` stay fast)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import cli

ROOT = Path(__file__).resolve().parents[1]
AREAS = ["nncalc_cli.networks", "nncalc_cli.engine", "nncalc_cli.solve", "nncalc_cli.topics", "nncalc_cli.cnn",
         "nncalc_cli.check", "nncalc_cli.docs"]
AREAS += ["nncalc_cli.grade"]
AREAS += ["nncalc_cli.generate"]
AREAS += ["nncalc_cli.export"]
AREAS += ["nncalc_cli.models_in"]
AREAS += ["nncalc_cli.pictures"]  # issue 14: draw
COMMAND_MODULES = set(AREAS) | {"nncalc_cli.sizes"}


def _defined() -> dict[str, tuple[str, str]]:
    """name -> (module, first help line) of every command the area modules register."""
    import typer.main

    found = {}
    for module_name in AREAS + ["nncalc_cli.sizes"]:
        group = typer.main.get_group(importlib.import_module(module_name).app)
        if module_name == "nncalc_cli.sizes":
            found["size"] = ("sizes", group.help.strip().splitlines()[0])
            continue
        for name, command in group.commands.items():
            found[name] = (module_name.removeprefix("nncalc_cli."), (command.help or "").strip().splitlines()[0])
    return found


def test_the_table_names_every_command_with_its_help():
    assert cli.COMMANDS == _defined()


def _modules_after(*args: str) -> set[str]:
    code = ("import sys, json, cli; from typer.testing import CliRunner; "
            f"r = CliRunner().invoke(cli.app, {list(args)!r}); assert r.exit_code == 0, r.output; "
            "print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_help_imports_no_command_module():
    loaded = _modules_after("--help")
    assert {m for m in loaded if m.startswith("nncalc_cli")} == {"nncalc_cli", "nncalc_cli.common"}  # no command module
    assert not loaded & {"yaml", "numpy", "sympy", "calc.layers"}


def test_size_conv_imports_only_its_module():
    loaded = _modules_after("size", "conv", "--input", "227", "--kernel", "11", "--stride", "4")
    assert loaded & COMMAND_MODULES == {"nncalc_cli.sizes"}  # and the shared options, output
    assert not loaded & {"yaml", "numpy", "sympy", "calc.layers"}


@pytest.mark.parametrize("args, code, first", [
    ([], 0, "Usage: nncalc [OPTIONS] COMMAND [ARGS]..."),
    (["size"], 0, "Usage: nncalc size [OPTIONS] COMMAND [ARGS]..."),
    (["sizee"], 2, "nncalc: error: No such command 'sizee' (see 'nncalc --help')"),
    (["size", "conv", "--input", "3"], 2, "nncalc: error: Missing option '--kernel' / '-k' "
                                         "(see 'nncalc size conv --help')"),
    (["summary", "no-such-net"], 2, "nncalc: error:"),
])
def test_main_keeps_help_and_one_line_errors(args, code, first):
    proc = subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, cwd=ROOT)
    text = proc.stdout if code == 0 else proc.stderr
    assert proc.returncode == code
    assert text.startswith(first) and (code == 0 or text.count("\n") == 1), text


def test_main_output_is_complete_when_piped():
    """main() leaves without the interpreter's teardown: what it printed must all be there."""
    from tests.width_cases import render

    env = {"COLUMNS": "80", "NO_COLOR": "1", "TERM": "dumb", "PATH": ""}
    proc = subprocess.run([sys.executable, "-m", "cli", "summary", "resnet152"], capture_output=True, text=True,
                          cwd=ROOT, env=env)
    assert proc.returncode == 0
    assert proc.stdout == render(["summary", "resnet152"], 80)[1]
    assert proc.stdout.count("\n") > 600  # 500+ layer rows, totals and conventions


def test_main_in_process_exits_normally(monkeypatch, capsys):
    """Under pytest main() raises SystemExit (its fast os._exit would end the test process)."""
    monkeypatch.setattr(sys, "argv", ["nncalc", "size", "conv", "--input", "227", "--kernel", "11", "--stride", "4"])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 0
    assert "55" in capsys.readouterr().out  # floor((227 - 11) / 4) + 1 = 55


def test_importing_cli_leaves_the_garbage_collector_on():
    """Start-up turns cycle collection off while it imports; a library user or test process that
    imports cli must not inherit that."""
    out = subprocess.run([sys.executable, "-c", "import gc, cli; print(gc.isenabled())"], capture_output=True,
                         text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "True"
