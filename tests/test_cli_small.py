"""Small things that make the CLI feel finished (issue 9) and issue 10 item 12: --version, -h
everywhere, --markdown FILE says what it wrote and never overwrites an input, '--markdown -'
never shares stdout with --json; specs take `input: 28x28x1`, hint at channels-first inputs, and
report a misspelt required key as the unknown key."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAZUR = ROOT / "examples" / "mazur.yaml"


def test_version_long_and_short(cli):
    from importlib.metadata import version

    for flag in ("--version", "-V"):
        code, out, _ = cli(flag)
        assert code == 0 and out.strip() == f"nncalc {version('nncalc')}"


def test_dash_h_is_help_for_every_command(cli):
    import typer

    import cli as cli_module

    def paths(command, path):
        yield path
        for name, sub in getattr(command, "commands", {}).items():
            yield from paths(sub, path + [name])

    for path in paths(typer.main.get_command(cli_module.app), []):
        code, out, err = cli(*path, "-h")
        long = cli(*path, "--help")
        assert code == 0 and out.startswith("Usage: ") and out == long[1], (path, err)


def test_markdown_file_prints_one_line_instead_of_the_output(cli, tmp_path):
    target = tmp_path / "out.md"
    done = subprocess.run([sys.executable, "-c", "import cli; cli.main()", "softmax", "1", "2", "--markdown",
                           str(target)], capture_output=True, text=True, cwd=ROOT)
    lines = target.read_text(encoding="utf-8").count("\n")
    assert done.returncode == 0 and done.stdout == "" and done.stderr == f"wrote {target} (Markdown, {lines} lines)\n"
    assert "e^" in target.read_text(encoding="utf-8") or "exp" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize("command", [["summary", "{spec}"], ["backprop", "{spec}", "-x", "0.05,0.1", "-t", "0.01,0.99"],
                                     ["init", "he-normal", "--spec", "{spec}", "--layer", "fc1"]])
def test_markdown_never_overwrites_the_file_it_reads(command, tmp_path):
    spec = tmp_path / "x.yaml"
    spec.write_text(MAZUR.read_text(encoding="utf-8"), encoding="utf-8")
    before = spec.read_bytes()
    args = [a.replace("{spec}", str(spec)) for a in command]
    done = subprocess.run([sys.executable, "-c", "import cli; cli.main()", *args, "--markdown", str(spec)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "is the file this command reads" in done.stderr
    assert spec.read_bytes() == before


def test_markdown_dash_with_json_is_refused(cli):
    for args in (["softmax", "1", "2"], ["summary", str(MAZUR)], ["size", "conv", "-i", "28", "-k", "3"]):
        code, out, err = cli(*args, "--json", "--markdown", "-")
        assert code == 2 and out == "" and "--markdown - and --json" in err


def test_markdown_file_with_json_keeps_stdout_json(tmp_path):
    target = tmp_path / "s.md"
    done = subprocess.run([sys.executable, "-c", "import cli; cli.main()", "summary", str(MAZUR), "--json",
                           "--markdown", str(target)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0
    assert json.loads(done.stdout)["name"] == "mazur"
    assert done.stderr.startswith(f"wrote {target}") and target.read_text(encoding="utf-8").startswith("#")


def spec(tmp_path, text: str) -> str:
    path = tmp_path / "n.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_spec_input_written_as_on_the_command_line(cli, tmp_path):
    # 28x28x1, conv 4 filters 3x3: output 26 x 26 x 4; params 4 * (9 + 1) = 40
    for written in ("28x28x1", "[28, 28, 1]", "28 x 28 x 1"):
        code, out, err = cli("summary", spec(tmp_path, f"input: {written}\nlayers:\n  - conv: {{filters: 4, kernel: 3}}\n"),
                             "--json")
        assert code == 0, err
        data = json.loads(out)
        assert data["input_shape"] == [28, 28, 1] and data["total_params"] == 40


def test_channels_first_input_gets_a_hint(cli, tmp_path):
    code, out, err = cli("summary", spec(tmp_path, "input: [1, 28, 28]\nlayers:\n  - conv: {filters: 4, kernel: 3}\n"))
    assert code == 2 and "write [28, 28, 1]" in err
    code, out, err = cli("summary", spec(tmp_path, "input: [3, 224, 224]\nlayers:\n  - flatten\n  - dense: {units: 2}\n"),
                         "--json")
    assert code == 0 and any("write [224, 224, 3]" in w for w in json.loads(out)["warnings"])
    code, out, _ = cli("summary", spec(tmp_path, "input: [28, 28, 1]\nlayers:\n  - flatten\n"), "--json")
    assert code == 0 and json.loads(out)["warnings"] == []


def test_misspelt_required_key_is_reported_as_unknown(cli, tmp_path):
    code, _, err = cli("summary", spec(tmp_path, "input: 28x28x1\nlayers:\n  - conv: {filter: 4, kernel: 3}\n"))
    assert code == 2 and "unknown option 'filter' for conv (did you mean 'filters'?)" in err
    assert "missing" not in err
