"""Safe YAML reading that remembers where every value came from.

Mappings become ``LocMap`` and sequences ``LocList``: ordinary dicts and lists that also carry the
1-based line of each entry, so validation errors can name ``file:line: layers[3].conv.kernel``.
Floats keep the text they were written as (``ExactFloat.src``) because ``0.1`` must become the
fraction 1/10 in exact worked solutions, not the binary double nearest to it. Duplicate keys are
an error instead of PyYAML's silent last-one-wins.
"""

from __future__ import annotations

import re

import yaml

from calc.errors import SpecError, Where

try:  # the C scanner/parser is several times faster on big specs
    _Base = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Base = yaml.SafeLoader


class LocMap(dict):
    """A dict with ``line`` (of the mapping) and ``lines[key]`` (of each value)."""

    line: int | None = None
    lines: dict

    def line_of(self, key) -> int | None:
        return getattr(self, "lines", {}).get(key, self.line)


class LocList(list):
    """A list with ``line`` (of the sequence) and ``lines[i]`` (of each item)."""

    line: int | None = None
    lines: list

    def line_of(self, index: int) -> int | None:
        lines = getattr(self, "lines", [])
        return lines[index] if 0 <= index < len(lines) else self.line


class ExactFloat(float):
    """A float that remembers its source text, e.g. ``'0.1'``, for exact arithmetic."""

    src: str

    def __new__(cls, value: float, src: str) -> ExactFloat:
        obj = super().__new__(cls, value)
        obj.src = src
        return obj

    def __reduce__(self):
        return (ExactFloat, (float(self), self.src))


class _Loader(_Base):  # type: ignore[misc, valid-type]
    file_name: str | None = None


def _map(loader: _Loader, node: yaml.MappingNode) -> LocMap:
    loader.flatten_mapping(node)
    out = LocMap()
    out.line = node.start_mark.line + 1
    out.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            hash(key)
        except TypeError:
            raise SpecError("a mapping key must be a plain value", Where(loader.file_name, line)) from None
        if key in out:
            raise SpecError(f"duplicate key '{key}'", Where(loader.file_name, line))
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = line
    return out


def _seq(loader: _Loader, node: yaml.SequenceNode) -> LocList:
    out = LocList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.lines = [child.start_mark.line + 1 for child in node.value]
    return out


def _float(loader: _Loader, node: yaml.ScalarNode) -> float:
    value = yaml.SafeLoader.construct_yaml_float(loader, node)
    text = str(node.value).replace("_", "")
    return ExactFloat(value, text)


def _int(loader: _Loader, node: yaml.ScalarNode) -> int:
    """An integer of at most calc.exact.MAX_DIGITS digits (Python refuses to read 4,300)."""
    from calc.exact import MAX_DIGITS

    digits = sum(c.isalnum() for c in str(node.value))
    if digits > MAX_DIGITS:
        raise SpecError(f"an integer of {digits} digits (at most {MAX_DIGITS})",
                        Where(loader.file_name, node.start_mark.line + 1))
    return yaml.SafeLoader.construct_yaml_int(loader, node)


_Loader.add_constructor("tag:yaml.org,2002:int", _int)
# YAML 1.1 (PyYAML) reads 1e-5 and 1e999 as text: only 1.0e-5 is a float there. Specs write
# eps: 1e-5, data files 1e999; both are numbers (kept exact through ExactFloat.src).
_Loader.add_implicit_resolver("tag:yaml.org,2002:float",
                              re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
                              list("-+0123456789."))
_Loader.add_constructor("tag:yaml.org,2002:map", _map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _seq)
_Loader.add_constructor("tag:yaml.org,2002:float", _float)


def load_yaml_text(text: str, file_name: str | None = None):
    """Parse YAML text safely; syntax errors become one-line SpecErrors with file and line."""

    class Loader(_Loader):
        pass

    Loader.file_name = file_name
    try:
        return yaml.load(text, Loader=Loader)  # noqa: S506 - Loader derives from SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise SpecError(f"YAML syntax error: {problem}", Where(file_name, line)) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"YAML error: {exc}", Where(file_name)) from None
    except RecursionError:  # PyYAML builds nested values recursively
        raise SpecError("YAML nested too deeply", Where(file_name)) from None


def load_yaml_file(path) -> object:
    """Read and parse a YAML file; unreadable files are SpecErrors, not tracebacks."""
    name = str(path)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise SpecError("no such file", Where(name)) from None
    except IsADirectoryError:
        raise SpecError("is a directory, expected a YAML file", Where(name)) from None
    except UnicodeDecodeError:
        raise SpecError("not a UTF-8 text file", Where(name)) from None
    except OSError as exc:
        raise SpecError(f"cannot read: {exc.strerror}", Where(name)) from None
    return load_yaml_text(text, name)
