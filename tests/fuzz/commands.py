"""Every nncalc command with its parameters, read from the typer/click command tree.

Walking the tree (not a hand-written list) means a new command or option is fuzzed the day it
is added. A parameter is described by how it is typed on a command line: a flag, a choice, an
integer (with its range), a float or free text; the fuzzer then draws values for that kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Param:
    name: str  # the python name: how the value generator recognises files and number lists
    opts: tuple  # ('--kernel', '-k'); () for an argument
    secondary: tuple  # ('--no-shuffle',) of a --x/--no-x flag
    kind: str  # flag | choice | int | float | text
    choices: tuple
    low: int | None
    high: int | None
    required: bool
    many: bool  # an argument taking several values, or a repeatable option


@dataclass(frozen=True)
class Command:
    path: tuple  # ('size', 'conv')
    params: tuple


def _param(p) -> Param:
    t = p.type  # duck-typed: typer vendors its own click
    kind = ("flag" if getattr(p, "is_flag", False) else "choice" if hasattr(t, "choices")
            else {"int": "int", "int range": "int", "float": "float", "float range": "float"}.get(t.name, "text"))
    choices = tuple(str(getattr(c, "value", c)) for c in getattr(t, "choices", ()))
    many = p.nargs == -1 or getattr(p, "multiple", False)
    return Param(p.name, tuple(p.opts) if p.param_type_name == "option" else (), tuple(p.secondary_opts), kind,
                 choices, getattr(t, "min", None), getattr(t, "max", None), bool(p.required), many)


@cache
def commands() -> tuple[Command, ...]:
    import typer.main

    import cli

    found = []

    def walk(cmd, path):
        if hasattr(cmd, "list_commands"):  # a group, possibly lazy: ask it, do not read .commands
            ctx = cmd.context_class(cmd)
            for name in sorted(cmd.list_commands(ctx)):
                walk(cmd.get_command(ctx, name), (*path, name))
        else:
            found.append(Command(path, tuple(_param(p) for p in cmd.params if p.name != "help")))

    walk(typer.main.get_command(cli.app), ())
    return tuple(found)
