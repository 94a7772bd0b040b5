"""Narrators: how each layer kind explains its part of a worked network solution.

The network solver (calc.solve.network.solver) runs the spec's layers through calc.engine.model.Model on
the exact backend; every value it reports comes from the layers. A *narrator* only turns those
values into steps: the formula, the formula with the numbers substituted, the result and its
answer name. One narrator per layer kind, looked up in ``NARRATORS``:

    @narrates("conv")
    class ConvNarrator(Narrator):
        def forward(self, nar, view, x, y): ...

or one for a whole family of layer classes (``@narrates(family=Activation)``: every activation
without a narrator of its own). Modules named ``calc/solve/narrate/*.py`` are imported on first
use, so a new layer kind gets its narrator by adding such a module (DEVELOPING.md, "Narrators").
A kind or family claimed by two narrators is an error at import: which one wins never depends on
the order modules are imported in. A kind without a narrator is still solved: the fallback
shows its output and gradients as vectors (tests/test_layer_conformance.py lists the kinds that
rely on it on purpose).

Answer names (the keys learners use in ``nncalc check``) are built from ``Slot``s: the values
leaving a dense layer are ``fc1.z1``, ``fc1.z2``; after its activation ``fc1.a1``; the gradient
dL/dz is ``fc1.delta1`` and dL/da ``dL/dfc1.a1``; the network input is ``x1``.
"""

from __future__ import annotations

import pkgutil
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from calc.solve.step import Solution, Step
from calc.solve.text import Writer

NARRATORS: dict[str, type[Narrator]] = {}
FAMILIES: dict[type, type[Narrator]] = {}  # a layer base class -> the narrator of its subclasses
_LOADED = False


def narrates(*kinds: str, family: type | None = None):
    """Class decorator: the narrator of these layer kinds (the YAML names of calc.layers) and/or of
    a family (every subclass of a layer class without a narrator of its own). Claiming a kind or
    family that already has a narrator raises at import."""
    def register(cls):
        for kind in kinds:
            _claim(NARRATORS, kind, f"layer kind '{kind}'", cls)
        if family is not None:
            _claim(FAMILIES, family, f"layer family {family.__name__}", cls)
        return cls
    return register


def _claim(table: dict, key, what: str, cls) -> None:
    if key in table and table[key] is not cls:
        raise RuntimeError(f"{what} has two narrators: {table[key].__module__}.{table[key].__qualname__} "
                           f"and {cls.__module__}.{cls.__qualname__}; one kind, one narrator")
    table[key] = cls


def load_narrators() -> None:
    """Import every module of calc/solve/narrate/ once: each registers its narrators."""
    global _LOADED
    if not _LOADED:
        import calc.solve.narrate

        for info in pkgutil.iter_modules(calc.solve.narrate.__path__):
            if info.name != "base":
                import_module(f"calc.solve.narrate.{info.name}")
        _LOADED = True


def narrator_class(layer_type: type) -> type[Narrator] | None:
    """The narrator of a layer class: its kind's own, else its nearest family's; None: the fallback."""
    load_narrators()
    if layer_type.kind in NARRATORS:
        return NARRATORS[layer_type.kind]
    return next((FAMILIES[base] for base in layer_type.__mro__ if base in FAMILIES), None)


def narrator_for(layer) -> Narrator:
    return (narrator_class(type(layer)) or Narrator)()


def _index(i) -> str:
    """1-based element index as written in names: 3, or 2,1,3 for a map position."""
    return str(i) if isinstance(i, int) else ",".join(str(k) for k in i)


@dataclass(frozen=True)
class Slot:
    """The names of the values leaving a layer (or entering the network).

    owner 'fc1', symbol 'a', level 1 -> key 'fc1.a2', text 'a2[1]', LaTeX 'a_{2}^{[1]}'.
    """

    owner: str  # '' for the network input
    symbol: str  # x (input), z (dense output), a (after an activation), y (other layers)
    level: int | None = None  # l of the superscript [l]; None for the input

    def key(self, i) -> str:
        name = f"{self.symbol}{_index(i)}"
        return f"{self.owner}.{name}" if self.owner else name

    def text(self, i) -> str:
        return f"{self.symbol}{_index(i)}" + (f"[{self.level}]" if self.level else "")

    def tex(self, i) -> str:
        return f"{self.symbol}_{{{_index(i)}}}" + (f"^{{[{self.level}]}}" if self.level else "")

    def grad_key(self, i) -> str:
        """dL/dz of a dense layer is its delta; every other gradient is dL/d<key>."""
        if self.symbol == "z" and self.owner:
            return f"{self.owner}.delta{_index(i)}"
        return f"dL/d{self.key(i)}"

    def grad_text(self, i) -> str:
        if self.symbol == "z" and self.owner:
            return f"delta{_index(i)}" + (f"[{self.level}]" if self.level else "")
        return f"dL/d{self.text(i)}"

    def grad_tex(self, i) -> str:
        if self.symbol == "z" and self.owner:
            return rf"\delta_{{{_index(i)}}}" + (f"^{{[{self.level}]}}" if self.level else "")
        return rf"\frac{{\partial L}}{{\partial {self.tex(i)}}}"


@dataclass
class View:
    """One leaf layer as the narration sees it: the names of its input and output values."""

    layer: Any
    inp: Slot
    out: Slot
    title: str  # section title, e.g. "fc1 (dense 2 -> 2) + sigmoid"


@dataclass
class Narration:
    """Where narrators put their steps: the solution, the current section and name prefix."""

    solution: Solution
    writer: Writer
    backend: Any
    prefix: str = ""  # 'sample2.' for the second sample of a batch, 'step2.' for a second SGD step
    section: str = ""
    aliases: dict[str, list[str]] = field(default_factory=dict)  # canonical name -> the source's names
    extra: dict[str, Any] = field(default_factory=dict)  # solver facts narrators may use (loss name...)
    carry: Any = None  # calc.solve.carry.Carry of nncalc check, or None

    def take(self, key: str, value):
        """The learner's value of ``prefix + key`` when nncalc check carries one, else ``value``."""
        return self.carry.take(self.prefix + key, value) if self.carry else value

    def add(self, key: str, formula: str, substituted: str, result, latex: str = "",
            latex_substituted: str = "", note: str = "") -> Step:
        """A step answering ``prefix + key``; its label is that name (and the source's alias)."""
        name = self.prefix + key
        label = name + "".join(f" ({a})" for a in self.aliases.get(name, []))
        step = Step(label, formula, substituted, result, name=name, latex=latex,
                    latex_substituted=latex_substituted, note=note, section=self.section)
        self.solution.add(step)
        return step


def positions(shape) -> list:
    """1-based element indices of one sample's values: 1..n for vectors, (h, w, c) for maps."""
    import itertools

    if len(shape) == 1:
        return list(range(1, shape[0] + 1))
    return [tuple(k + 1 for k in idx) for idx in itertools.product(*(range(n) for n in shape))]


def at(array, i):
    """The element of one sample's array at a 1-based index from ``positions``."""
    if isinstance(i, int):
        return array[i - 1]
    return array[tuple(k - 1 for k in i)]


class Narrator:
    """The fallback: a layer's output and gradients as vectors, without formulas.

    Subclasses override what they can explain. ``forward`` and ``backward`` narrate one sample
    (arrays without the batch axis); ``gradients`` the whole batch; ``param_key`` names the
    elements of a parameter for the gradient and update steps.
    """

    def slot(self, layer, previous: Slot, level: int) -> tuple[Slot, bool]:
        """The output slot of this layer, and whether it starts a new level (a dense layer does)."""
        return Slot(layer.name, "y"), False

    def title(self, layer) -> str:
        text = layer.describe() if hasattr(layer, "describe") else ""
        return f"{layer.name} ({layer.kind}{', ' + text if text else ''})"

    def forward(self, nar: Narration, view: View, x, y) -> None:
        for i in positions(y.shape):
            nar.add(view.out.key(i), f"{view.out.text(i)} = {view.layer.kind}(...)", "", at(y, i),
                    latex=view.out.tex(i))

    def backward(self, nar: Narration, view: View, x, y, dy, dx, params) -> None:
        for i in positions(dx.shape):
            nar.add(view.inp.grad_key(i), f"{view.inp.grad_text(i)} (backward of {view.layer.kind})", "",
                    at(dx, i), latex=view.inp.grad_tex(i))

    def gradients(self, nar: Narration, view: View, xs, dys, grads: dict) -> None:
        for pname, g in grads.items():
            for idx in positions(g.shape):
                key, text, tex = self.param_key(view, pname, idx)
                nar.add(f"dL/d{key}", f"dL/d{text}", "", at(g, idx), latex=rf"\frac{{\partial L}}{{\partial {tex}}}")

    def param_key(self, view: View, pname: str, idx) -> tuple[str, str, str]:
        """(answer key, plain text, LaTeX) of one element of a parameter tensor."""
        key = f"{view.layer.name}.{pname}{_index(idx)}"
        return key, key, rf"\text{{{view.layer.name}.{pname}}}_{{{_index(idx)}}}"
