"""Generated Python kept within 79 columns: a long call is broken after its opening parenthesis
and its arguments packed onto continuation lines (PEP 8's hanging indent), a long dict entry one
item a line. Text only; shared by the PyTorch and Keras writers."""

from __future__ import annotations

import re

WIDTH = 79


def in_docstring(text: str) -> str:
    """User text (a network's name) safe inside the generated file's docstring: one line, no
    backslash escapes and no closing quotes, so a name can never end the docstring and run code."""
    flat = "".join(ch if ch.isprintable() else " " for ch in str(text))
    return flat.replace("\\", "\\\\").replace('"', '\\"')


def top_level_split(text: str) -> list[str]:
    """``text`` cut at the commas outside brackets and quotes."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def _matching_open(line: str) -> int:
    """Index of the bracket that the line's last character closes (-1 if none)."""
    depth, quote = 0, ""
    for i in range(len(line) - 1, -1, -1):
        ch = line[i]
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in ")]}":
            depth += 1
        elif ch in "([{":
            depth -= 1
            if depth == 0:
                return i
    return -1


def wrap(line: str, width: int = WIDTH) -> list[str]:
    """One logical line as lines of at most ``width`` columns where its brackets allow."""
    if len(line) <= width:
        return [line]
    indent = line[: len(line) - len(line.lstrip())]
    code, comment = line, ""
    if "  # " in line:
        code, comment = line.split("  # ", 1)
        if len(code) <= width:
            return [f"{indent}# {comment}", code]
    head: list[str] = [f"{indent}# {comment}"] if comment else []
    suffix = "," if code.endswith(",") else ""
    code = code[:-1] if suffix else code
    if not code or code[-1] not in ")]}":
        return [*head, code + suffix]
    start = _matching_open(code)
    if start <= 0:
        return [*head, code + suffix]
    if code[start - 1] == ")":  # f(...)(x): break inside f's call, leaving room for (x)
        lines = wrap(code[:start], width - len(code) + start - len(suffix))
        lines[-1] += code[start:] + suffix
        return [*head, *lines]
    inner = indent + "    "
    out, cur = [code[: start + 1]], inner
    args = top_level_split(code[start + 1: -1])
    for j, arg in enumerate(args):
        piece = arg + ("," if j < len(args) - 1 else "")
        if cur.strip() and len(cur) + 1 + len(piece) > width - 1 - len(suffix):  # room for ")," at the end
            out.append(cur.rstrip())
            cur = inner
        if len(inner) + len(piece) > width and piece[-1:] in ")]},":  # one argument wider than the line
            out.extend(wrap(inner + piece, width))
            continue
        cur = f"{cur} {piece}" if cur.strip() else inner + piece
    if cur.strip():
        out.append(cur.rstrip())
    out[-1] += code[-1] + suffix
    return [*head, *out]


BIG = re.compile(r"(?<![\w.'\"])(\d{5,})(?![\w.])")


def group_digits(line: str) -> str:
    """30522 -> 30_522 in code (outside comments): big numbers read at a glance, as Python allows."""
    code, sep, comment = line.partition("  # ")
    return BIG.sub(lambda m: f"{int(m.group(1)):_}", code) + sep + comment


def wrap_all(lines: list[str], width: int = WIDTH) -> list[str]:
    return [piece for line in lines for piece in wrap(group_digits(line), width)]
