"""One vocabulary (issue 9): every alias of every vocabulary works in every command and problem
file that takes that concept, gives the same result as its canonical name, and every did-you-mean
suggests a name that works. Each short flag has one meaning across all commands."""

import json
import re

import pytest

from calc.errors import Where
from calc.vocabulary import LOSSES, OPTIMIZERS, REDUCTIONS, normal

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
XOR = [str(ROOT / "examples/xor.yaml"), "--data", str(ROOT / "examples/xor.csv"), "--epochs", "2", "--lr", "0.5"]
ONE = str(ROOT / "examples/one-neuron.yaml")


def spellings(vocab):
    """(spelling, canonical): each accepted name as written, hyphenated, and upper case."""
    out = []
    for name, canonical in vocab.lookup.items():
        out += [(name, canonical), (name.replace("_", "-").upper(), canonical)]
    return out


def run_json(cli, *args):
    code, out, err = cli(*args, "--json")
    return code, (json.loads(out) if code == 0 else None), err


def comparable(data):
    """JSON output without the texts that name the loss/optimizer as the user spelled it."""
    return {k: v for k, v in data.items() if k not in ("title", "summary")} if isinstance(data, dict) else data


@pytest.mark.parametrize("spelling,canonical", spellings(LOSSES))
def test_every_loss_alias_in_the_loss_command(cli, spelling, canonical):
    code, data, err = run_json(cli, "loss", spelling, "-o", "0.7,0.2,0.1", "-t", "1,0,0")
    assert code == 0, err
    assert data["title"] == f"Loss: {canonical}"


@pytest.mark.parametrize("spelling,canonical", spellings(LOSSES))
def test_every_loss_alias_in_backprop_and_problem_files(cli, spelling, canonical):
    args = [ONE, "-x", "-1,-2", "-t", "1", "--lr", "0.1"]
    got = cli("backprop", *args, "--loss", spelling, "--json")
    want = cli("backprop", *args, "--loss", canonical, "--json")
    assert "unknown" not in got[2]
    assert got[0] == want[0] and got[1] == want[1]
    from calc.solve.network.given import read_loss

    assert read_loss({"loss": {"name": spelling, "reduction": "sum"}}, Where("p.yaml")) == (canonical, "sum")


@pytest.mark.parametrize("spelling,canonical", spellings(LOSSES))
def test_every_loss_alias_in_train(cli, spelling, canonical):
    got = cli("train", *XOR, "--loss", spelling, "--json")
    want = cli("train", *XOR, "--loss", canonical, "--json")
    assert "unknown" not in got[2]
    assert (got[0], got[1]) == (want[0], want[1])


@pytest.mark.parametrize("spelling,canonical", spellings(REDUCTIONS))
def test_every_reduction_alias_everywhere(cli, spelling, canonical):
    # mse of outputs 0.5, -1 against 0, 1: squares 0.25 and 4; half_sum 2.125, mean 2.125, sum 4.25
    expected = {"half_sum": 2.125, "mean": 2.125, "sum": 4.25}[canonical]
    for option in ("-c", "--reduction", "--convention"):
        code, data, err = run_json(cli, "loss", "mse", "-o", "0.5,-1", "-t", "0,1", option, spelling)
        assert code == 0, err
        assert data["answers"]["loss"] == pytest.approx(expected)
    args = [ONE, "-x", "-1,-2", "-t", "1"]
    assert cli("backprop", *args, "-c", spelling, "--json")[:2] == cli("backprop", *args, "-c", canonical, "--json")[:2]
    assert cli("train", *XOR, "--loss", "mse", "-c", spelling, "--json")[:2] == \
        cli("train", *XOR, "--loss", "mse", "--reduction", canonical, "--json")[:2]
    from calc.solve.loss import solve_loss_problem
    from calc.solve.registry import SolveOptions

    given = {"loss": "mse", "output": [0.5, -1], "target": [0, 1], "reduction": spelling}
    assert float(solve_loss_problem(given, Where("p.yaml"), SolveOptions()).answers["loss"]) == pytest.approx(expected)


@pytest.mark.parametrize("spelling,canonical", spellings(OPTIMIZERS))
def test_every_optimizer_alias_in_optimizer_and_train(cli, spelling, canonical):
    step = ["--grads", "0.5,-1", "--lr", "0.1"]
    code, got, err = run_json(cli, "optimizer", spelling, *step)
    assert code == 0, err
    assert comparable(got) == comparable(run_json(cli, "optimizer", canonical, *step)[1])
    assert cli("train", *XOR, "--optimizer", spelling, "--json")[:2] == \
        cli("train", *XOR, "--optimizer", canonical, "--json")[:2]
    from calc.solve.optimizer import solve_optimizer_problem
    from calc.solve.registry import SolveOptions

    given = {"optimizer": spelling, "lr": 0.1, "grads": [0.5, -1]}
    solved = solve_optimizer_problem(given, Where("p.yaml"), SolveOptions())
    assert float(solved.answers["w_final"]) == pytest.approx(got["answers"]["w_final"])


def test_adamw_in_the_optimizer_command_matches_torch(cli):
    torch = pytest.importorskip("torch")
    w = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.AdamW([w], lr=0.1, weight_decay=0.05)
    for g in (0.5, -1.0, 2.0):
        w.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
    code, data, err = run_json(cli, "optimizer", "adamw", "--grads", "0.5,-1,2", "--start", "1", "--lr", "0.1",
                               "--weight-decay", "0.05")
    assert code == 0, err
    assert data["answers"]["w_final"] == pytest.approx(w.item(), rel=1e-12)


SUGGESTED = re.compile(r"did you mean '([^']+)'")


@pytest.mark.parametrize("command,typo", [
    (["loss", "{}", "-o", "0.7,0.3", "-t", "1,0"], "cce_logit"),
    (["loss", "{}", "-o", "0.7,0.3", "-t", "1,0"], "crossentropy_logits"),
    (["loss", "{}", "-o", "0.7,0.3", "-t", "1,0"], "bce_logit"),
    (["loss", "mse", "-o", "0.7,0.3", "-t", "1,0", "-c", "{}"], "halfsum"),
    (["optimizer", "{}", "--grads", "1"], "adamm"),
    (["optimizer", "{}", "--grads", "1"], "rmsprp"),
    (["train", *XOR, "--optimizer", "{}"], "nesterv"),
    (["train", *XOR, "--loss", "{}"], "binary_crossentropyy"),
])
def test_did_you_mean_suggests_only_names_that_work(cli, command, typo):
    code, _, err = cli(*[a.replace("{}", typo) for a in command])
    assert code == 2
    match = SUGGESTED.search(err)
    assert match, err
    suggestion = match.group(1)
    code, _, err = cli(*[a.replace("{}", suggestion) for a in command])
    assert code == 0, err


def test_every_suggestion_is_an_accepted_name():
    from calc.errors import did_you_mean

    for vocab in (LOSSES, REDUCTIONS, OPTIMIZERS):
        for name in vocab.accepted():
            for typo in (name[:-1], name + "x", name.replace("_", "")):
                hint = SUGGESTED.search(did_you_mean(normal(typo), vocab.accepted()))
                assert hint is None or vocab.get(hint.group(1)) is not None


def test_help_shows_the_choices(cli):
    assert all(n in cli("loss", "--help")[1] for n in LOSSES.canonical())
    assert all(n in cli("train", "-h")[1] for n in OPTIMIZERS.canonical() + REDUCTIONS.canonical())
    assert all(n in cli("optimizer", "-h")[1] for n in OPTIMIZERS.canonical())
    assert all(n in cli("backprop", "-h")[1] for n in REDUCTIONS.canonical())


def test_each_short_flag_has_one_meaning():
    """Walk every command of the click tree: a short flag always shares a long name with itself."""
    import typer
    from typer import _click as click

    import cli as cli_module

    meanings: dict[str, list[set]] = {}

    def walk(command, path):
        if hasattr(command, "list_commands"):  # the top level builds its commands lazily
            ctx = click.Context(command)
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), path + [name])
        for param in command.params:
            names = list(getattr(param, "opts", [])) + list(getattr(param, "secondary_opts", []))
            longs = {n for n in names if n.startswith("--")}
            for short in (n for n in names if n.startswith("-") and not n.startswith("--")):
                meanings.setdefault(short, []).append(longs)

    walk(typer.main.get_command(cli_module.app), [])
    assert {"-i", "-k", "-s", "-p", "-c"} <= set(meanings)
    for short, uses in meanings.items():
        assert set.intersection(*uses), f"{short} means {uses}"
    kept = {"-o": "--output", "-b": "--bias", "-p": "--padding", "-d": "--dilation", "-t": "--target",
            "-i": "--input", "-x": "--input", "-c": "--reduction"}
    for short, long in kept.items():  # the old clashes, each with the one meaning left
        assert all(long in uses for uses in meanings[short]), f"{short}: {meanings[short]}"


def test_docs_table_lists_every_name():
    text = (ROOT / "docs" / "vocabulary.md").read_text(encoding="utf-8")
    for vocab in (LOSSES, REDUCTIONS, OPTIMIZERS):
        for canonical, aliases in vocab.names.items():
            assert f"| `{canonical}` |" in text
            assert all(f"`{a}`" in text for a in aliases)


def test_pool_type_average_is_avg(cli):
    # mean of 1, -2, 3, 4 = 1.5 (max would be 4)
    for spelling in ("avg", "average", "AVG"):
        code, data, err = run_json(cli, "pool", "-x", "1,-2;3,4", "-k", "2", "--type", spelling)
        assert code == 0 and data["answers"]["P11"] == 1.5, err
