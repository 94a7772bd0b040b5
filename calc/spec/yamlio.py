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
from calc.spec.located import ExactFloat, LocList, LocMap  # noqa: F401  (re-exported: their home was here)

try:  # the C scanner/parser is several times faster on big specs
    _Base = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Base = yaml.SafeLoader


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


EXPANDED_LIMIT = 1_000_000  # nodes after aliases are expanded, beyond those written in the file


def expanded_size(root) -> int:
    """How many nodes the document stands for once every alias is expanded, counted on the node
    graph (each distinct node once, memoised) so a "billion laughs" costs microseconds to
    measure; a node that contains itself counts as unbounded."""
    sizes: dict[int, int] = {}
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in sizes and sizes[key] >= 0:
            continue
        children = []
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        if done:
            sizes[key] = min(1 + sum(sizes[id(c)] for c in children), 1 << 62)
            continue
        if key in sizes:  # -1: still open, so the node is inside itself
            return 1 << 62
        sizes[key] = -1
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes or sizes[id(c)] < 0)
    return sizes[id(root)]


def _distinct(root) -> int:
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)
    return len(seen)


def _load_bounded(loader):
    """Compose the node graph, refuse alias expansion past EXPANDED_LIMIT, then construct."""
    node = loader.get_single_node()
    if node is None:
        return None
    total = expanded_size(node) if loader.has_aliases else 0
    if total > EXPANDED_LIMIT and total > _distinct(node):
        if total >= 1 << 62:
            raise SpecError("a YAML anchor contains an alias of itself (an endless value)", Where(loader.file_name))
        raise SpecError(f"YAML aliases expand to {total:,} values; at most {EXPANDED_LIMIT:,} are read "
                        "(a file that repeats an anchor this often is not a network spec)", Where(loader.file_name))
    return loader.construct_document(node)


def load_yaml_text(text: str, file_name: str | None = None):
    """Parse YAML text safely; syntax errors become one-line SpecErrors with file and line."""

    class Loader(_Loader):
        pass

    Loader.file_name = file_name
    try:
        loader = Loader(text)
        loader.has_aliases = "*" in text  # no '*': no alias, nothing to expand (skips the count)
        try:
            return _load_bounded(loader)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise SpecError(f"YAML syntax error: {problem}", Where(file_name, line)) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"YAML error: {exc}", Where(file_name)) from None
    except RecursionError:  # PyYAML builds nested values recursively
        raise SpecError("YAML nested too deeply", Where(file_name)) from None


def load_yaml_file(path, limit: int | None = None) -> object:
    """Read (a regular file, size-bounded: calc.files) and parse a YAML file; unreadable files
    are SpecErrors, not tracebacks."""
    from calc.files import TEXT_LIMIT, read_text

    return load_yaml_text(read_text(path, limit or TEXT_LIMIT, SpecError), str(path))
