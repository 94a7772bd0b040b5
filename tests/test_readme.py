"""Every command that README.md and docs/*.md show runs, exits 0 (or the code its '# exit N' comment
names) and prints what the page says it prints, at 80 columns."""

import pytest

from tests.readme_tool import README, ROOT, examples, normalise, pages, run

EXAMPLES = [(page.relative_to(ROOT).as_posix(), command, shown, code)
            for page in pages() for command, shown, code in examples(page.read_text())]


def test_readme_has_examples():
    assert len(examples(README.read_text())) >= 3
    assert len(EXAMPLES) >= 35  # the 35 of the README before it was split into docs/, and the tour


def test_every_docs_page_is_linked_from_the_readme():
    text = README.read_text()
    for page in pages()[1:]:
        assert f"docs/{page.name}" in text, page.name


@pytest.mark.parametrize("page,command,shown,expected", EXAMPLES, ids=[f"{p}: {c}" for p, c, _, _ in EXAMPLES])
def test_docs_example(page, command, shown, expected):
    code, output = run(command)
    assert code == expected, output
    assert output == normalise(shown), f"{page}: output of '{command}' is stale: python -m tests.readme_tool --update"
