"""`nncalc conventions` prints the page shipped as package data; docs/conventions.md is the same
page; bundled networks that are one variant of a published design say which, where their numbers
are shown."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "calc" / "docs" / "conventions.md"


def test_docs_page_is_the_shipped_page():
    assert (ROOT / "docs" / "conventions.md").read_text() == PAGE.read_text()


def test_page_stands_alone_and_fits_80_columns():
    text = PAGE.read_text()
    assert "../shared" not in text and "seed 00" not in text.lower()
    assert max(len(line) for line in text.splitlines()) <= 80
    for heading in ("## Sizes", "## Counting", "## Arithmetic of the layers", "## Losses",
                    "## Normalisation", "## Optimizers", "## Initialisation", "## Numbers"):
        assert heading in text


def test_conventions_command_prints_the_page(cli):
    code, out, _ = cli("conventions")
    page, vocabulary = out.split("\n## Vocabulary\n")  # the page as shipped, then the names from calc.vocabulary
    assert code == 0 and page == PAGE.read_text() and "- softmax_ce:" in vocabulary


def test_one_section_by_any_word_of_its_heading(cli):
    code, out, _ = cli("conventions", "layers")
    assert code == 0 and out.startswith("## Arithmetic of the layers") and "## Losses" not in out
    code, out, _ = cli("conventions", "optimizer")
    assert code == 0 and "Adam (Kingma & Ba, 2015)" in out and "## Numbers" not in out


def test_unknown_section_is_one_line_with_the_choices(cli):
    code, _, err = cli("conventions", "xyz")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "sizes, counting" in err


def test_googlenet_says_it_is_torchvisions_variant(cli):
    code, zoo, _ = cli("zoo")
    assert code == 0 and "googlenet: torchvision's, not the paper's" in " ".join(zoo.split())
    code, summary, _ = cli("summary", "googlenet")
    assert code == 0 and '3x3 in the "5x5" branch' in " ".join(summary.split())
    code, other, _ = cli("summary", "resnet18")
    assert "variant:" not in other


def test_the_vocabulary_section_lists_every_accepted_name_within_80_columns():
    from calc.conventions import conventions
    from calc.vocabulary import LOSSES, OPTIMIZERS, REDUCTIONS

    text = conventions("vocabulary")
    assert text.startswith("## Vocabulary") and all(len(line) <= 80 for line in text.splitlines())
    flat = " ".join(text.split())
    for vocab in (LOSSES, REDUCTIONS, OPTIMIZERS):
        for name, aliases in vocab.names.items():
            assert f"- {name}" in flat and all(alias in flat for alias in aliases)
