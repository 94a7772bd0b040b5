"""Every command the README shows runs, exits 0 and prints what the README says it prints."""

import pytest

from tests.readme_tool import README, examples, normalise, run

EXAMPLES = examples(README.read_text())


def test_readme_has_examples():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("command,shown", EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_example(command, shown):
    code, output = run(command)
    assert code == 0, output
    assert output == normalise(shown), f"README output of '{command}' is stale: python -m tests.readme_tool --update"
