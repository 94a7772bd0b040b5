"""What every matplotlib picture shares: the optional extra's one-line hint, the file formats, the
'wrote FILE' line. matplotlib is imported here only when a picture is asked for."""

from __future__ import annotations

import sys
from pathlib import Path

from calc.errors import InputError

FORMATS = {".png": "PNG", ".svg": "SVG", ".pdf": "PDF"}


def target(path: str, option: str = "--plot") -> Path:
    """The file to write, checked before any work: a known suffix, matplotlib installed."""
    out = Path(path)
    if out.suffix.lower() not in FORMATS:
        raise InputError(f"{option} {path}: give a file ending in .png, .svg or .pdf")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise InputError(f'{option} needs matplotlib: pip install "nncalc[plot]"') from None
    return out


def saved(path: Path, option: str = "--plot") -> None:
    print(f"wrote {path} ({FORMATS[path.suffix.lower()]})", file=sys.stderr)


def save(fig, path: Path, dpi: int, option: str = "--plot") -> None:
    """Save and close; a file that cannot be written is one line, not a traceback."""
    import matplotlib.pyplot as plt

    try:
        fig.savefig(path, dpi=dpi)
    except OSError as exc:
        raise InputError(f"{option}: cannot write '{path}': {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
    saved(path, option)
