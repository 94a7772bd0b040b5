"""The conventions page users read: ``calc/docs/conventions.md``, shipped as package data.

Every worked solution states the conventions it used in one line each; this page gives the
whole picture (sizes, counting, layers, losses, normalisation, optimizers, initialisation,
numbers) with its public sources, so the installed tool needs no other document.
``docs/conventions.md`` in the repository is the same file (a test keeps them equal).
"""

from __future__ import annotations

import textwrap
from importlib import resources

from calc.errors import InputError, did_you_mean


def conventions_text() -> str:
    """The whole page, as Markdown."""
    return resources.files("calc").joinpath("docs", "conventions.md").read_text(encoding="utf-8")


def sections(text: str) -> dict[str, str]:
    """{'sizes': '## Sizes ...', ...}: the page's '## ' sections by the first word of their heading."""
    found: dict[str, str] = {}
    for part in text.split("\n## ")[1:]:
        found[part.split()[0].lower()] = "## " + part.rstrip() + "\n"
    return found


def _matches(word: str, heading: str) -> bool:
    """'layers' names 'Arithmetic of the layers'; 'optimizer' and 'normalization' count too."""
    words = [w for w in heading.lower().replace("## ", "").split() if len(w) > 3]
    return any(w.startswith(word) or word.startswith(w.rstrip("s")) or (len(word) > 6 and w[:7] == word[:7])
               for w in words)


def vocabulary_text() -> str:
    """The names every command and problem file accepts, from calc.vocabulary (the one source)."""
    from calc.vocabulary import LOSSES, OPTIMIZERS, REDUCTIONS

    lines = ["## Vocabulary", "", "One name per concept in every command and problem file; the aliases are",
             "accepted too (case and '-' / '_' ignored)."]
    for vocab in (LOSSES, REDUCTIONS, OPTIMIZERS):
        lines += ["", f"### {vocab.what.capitalize()} names", ""]
        for name, aliases in vocab.names.items():
            meaning = vocab.meanings.get(name, "")
            text = f"- {name}" + (f": {meaning}" if meaning else "") + (f" (aliases: {', '.join(aliases)})" if aliases else "")
            lines += textwrap.wrap(text, 78, subsequent_indent="  ", break_on_hyphens=False)
    return "\n".join(lines) + "\n"


def conventions(topic: str | None = None) -> str:
    """The page, or the one section whose heading has a word starting with ``topic``; the
    vocabulary section is made from calc.vocabulary, so it never goes stale."""
    text = conventions_text() + "\n" + vocabulary_text()
    if not topic:
        return text
    parts = sections(text)
    word = topic.strip().lower()
    matches = [name for name, body in parts.items() if word and _matches(word, body.splitlines()[0])]
    if len(matches) != 1:
        raise InputError(f"conventions: no section '{topic}'{did_you_mean(word, parts)}; sections: {', '.join(parts)}")
    return parts[matches[0]]
