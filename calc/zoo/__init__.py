"""Bundled network specs, shipped as package data (works from a non-editable install)."""

from __future__ import annotations

from importlib import resources

from calc.errors import SpecError, did_you_mean


def _dir():
    return resources.files(__name__)


def bundled_names() -> list[str]:
    return sorted(p.name[:-5] for p in _dir().iterdir() if p.name.endswith(".yaml"))


def normalise(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def read_bundled(name: str) -> tuple[str, str]:
    """(YAML text, canonical name) of a bundled network; unknown names list what exists."""
    names = bundled_names()
    key = normalise(name)
    if key.endswith((".yaml", ".yml")):
        key = key.rsplit(".", 1)[0]
    if key not in names:
        raise SpecError(f"'{name}' is neither a file nor a bundled network{did_you_mean(key, names)}; "
                        "see 'nncalc zoo'")  # one short line: zoo lists the networks
    return (_dir() / f"{key}.yaml").read_text(encoding="utf-8"), key
