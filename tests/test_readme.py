"""Every command the README shows runs, exits 0 (or the code its '# exit N' comment names) and prints
what the README says it prints."""

import pytest

from tests.readme_tool import README, examples, normalise, run

EXAMPLES = examples(README.read_text())


def test_readme_has_examples():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("command,shown,expected", EXAMPLES, ids=[c for c, _, _ in EXAMPLES])
def test_readme_example(command, shown, expected):
    code, output = run(command)
    assert code == expected, output
    assert output == normalise(shown), f"README output of '{command}' is stale: python -m tests.readme_tool --update"
