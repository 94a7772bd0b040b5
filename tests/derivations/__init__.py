"""Independent derivations of the expected answers in problems/{networks, softmax, losses,
perceptrons, cnn, counting}.

Each function recomputes one problem from its source's numbers with plain Python (Decimal at 60
digits, Fraction, math) or PyTorch — never with nncalc — and returns {answer name: value}. The
problem files' ``expected:`` blocks were written from these (rounded to 12 significant digits);
tests/test_derivations.py checks that they still agree. Print one problem's values with

    python -m tests.derivations networks/mazur
"""

from __future__ import annotations

DERIVATIONS: dict = {}


def derivation(name: str):
    def register(fn):
        DERIVATIONS[name] = fn
        return fn
    return register


def load_all() -> dict:
    from tests.derivations import cnn, cnn_networks, counting, losses, networks, perceptrons, softmax, upsampling  # noqa: F401

    return DERIVATIONS


def yaml_block(values: dict, keys=None, digits: int = 12) -> str:
    """The expected: block for a problem file."""
    lines = ["expected:"]
    for k in keys or values:
        v = values[k]
        if isinstance(v, bool):
            text = str(v).lower()
        elif isinstance(v, (list, tuple)):  # a matrix or shape: nested lists of numbers
            text = str(_nested(v, digits))
        elif isinstance(v, int):
            text = str(v)
        else:
            text = f"{float(v):.{digits}g}"
        key = k if all(c.isalnum() or c in "._/+," for c in k) else f'"{k}"'
        lines.append(f"  {key}: {text}")
    return "\n".join(lines)


def _nested(value, digits: int):
    if isinstance(value, (list, tuple)):
        return [_nested(v, digits) for v in value]
    return int(value) if float(value).is_integer() else float(f"{float(value):.{digits}g}")
