"""Activations: one class each with its function and derivative, written once; this module holds
the class they share, the family modules (rectifiers, saturating, linear, softmax) the types.

``function(z, be)`` and ``derivative(z, a, be)`` take a calc.backend.Backend, so the engine
(float arrays), the GPU and the exact worked solutions (Fraction arrays) all use these same
formulas. Counting: no MACs, one op per element under 'act'.

Each class also carries its text, once, for every narrator (calc.solve): ``formula`` and
``derivative_formula`` (plain), ``tex_name``/``tex_body``/``tex_derivative`` (LaTeX), the
``convention`` and ``remark`` a learner needs, and ONE method with the numbers put in,
``pieces(z, a, w)``: the branch taken and f, the branch taken and f'. Both shapes of that text
derive from it here: ``worked()`` for the standalone activation problem ('0.01*(-2) (z <= 0)')
and ``narrated()`` for a neuron of a network (the branch and the text apart, with LaTeX).
tests/test_layer_conformance.py fails for an activation without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from calc.layers.base import Layer
from calc.spec.options import Options


@dataclass(frozen=True)
class Narrated:
    """f and f' at one neuron, as a network narration writes them: the branch each takes ("z > 0",
    "z <= 0", "" for a one-piece formula), that branch with the numbers put in, and the LaTeX of f
    and f' with the numbers ("" where the class has no substituted LaTeX)."""

    f_branch: str
    f_text: str
    d_branch: str
    d_text: str
    f_tex: str = ""
    d_tex: str = ""


def branch(z, above: str, below: str) -> tuple[str, str]:
    """(the condition, the text) of a two-piece formula 'above if z > 0 else below' at z."""
    return ("z > 0", above) if z > 0 else ("z <= 0", below)


def whole(text: str) -> tuple[str, str]:
    """(no condition, the text) of a one-piece formula."""
    return "", text


class Activation(Layer):
    """An element-wise function; subclasses add their constants as options."""

    receptive = "identity"

    formula = ""  # plain text, e.g. "max(0, z)"
    derivative_formula = ""
    derivative_plain = ""  # derivative_formula without its remark, where it has one: "1 if z > 0 else 0"
    tex_name = ""  # LaTeX of the function's name, e.g. r"\sigma"
    tex_body = ""  # LaTeX of f with %s for z (each %s the same z), e.g. r"\max(0, %s)" ("": no substituted LaTeX)
    tex_derivative = ""  # LaTeX of f' with %s for a (each %s the same a), e.g. "1 - (%s)^2"
    remark = ""  # what a learner gets wrong about it, appended to its conventions line
    convention = ""  # its convention line in a worked solution; {p} is the constant shown
    kink_at_zero = False  # not differentiable at z = 0: the worked solution says which f'(0) it takes
    kinks: tuple = ()  # every z where it is not differentiable, when not only 0 (ReLU6: 0 and 6)
    constant: tuple[str, object] | None = None  # (attribute, exact default) a worked solution may set
    elementwise = True  # a_i depends on z_i alone (softmax: on every z_j)
    # As a network's last layer: the loss on its outputs that goes with it ("" none: mse by default),
    # the same loss computed from its input z (the logits: finite for any z, dL/dz the textbook
    # form), and the conventions line a worked solution gives that pair ("" none)
    paired_loss = ""
    logits_loss = ""
    paired_note = ""
    class_probabilities = False  # its outputs are class probabilities: the arg-max is the class
    zero_note = ""  # appended to its formula in a perceptron's conventions, e.g. " (z = 0 gives 0)"
    dead_note = ""  # a worked solution's finding when all its outputs are 0; {owner} names the layer

    def pieces(self, z, a, w) -> tuple[tuple[str, str], tuple[str, str]]:
        """The one text method: ((f's branch, f with the numbers), (f''s branch, f' with the
        numbers)) at one point z, a = f(z). A branch is the condition on z the class itself takes
        ("z > 0", "-3 < z < 3"), "" for a one-piece formula. ``w`` writes numbers (a
        calc.solve.text.Writer): ``w.num(v)`` alone or as a function's argument, ``w.factor(v)``
        inside a product or under a power (a negative one in parentheses)."""
        raise NotImplementedError(f"{self.kind}: no pieces() text")

    def worked(self, z, a, w) -> tuple[str, str]:
        """(f with the numbers, f' with the numbers) as the activation problem shows them: each
        followed by its branch, '0.01*(-2) (z <= 0)'."""
        (fb, f), (db, d) = self.pieces(z, a, w)
        return (f"{f} ({fb})" if fb else f), (f"{d} ({db})" if db else d)

    def kink_points(self) -> tuple:
        """The z where f' is a convention (the worked solution says which value it takes)."""
        return self.kinks or ((0,) if self.kink_at_zero else ())

    @property
    def derivative_text(self) -> str:
        """f' as a formula alone (no remark): what a network narration and its conventions show."""
        return self.derivative_plain or self.derivative_formula

    def narrated(self, z, a, w) -> Narrated:
        """f and f' at one neuron of a network (a = f(z)): the pieces, with their LaTeX."""
        f, d = self.pieces(z, a, w)
        tex_d = self.tex_derivative
        tex_f = self.tex_body
        return Narrated(*f, *d, f_tex=tex_f % ((w.factor(z),) * tex_f.count("%s")) if tex_f else "",
                        d_tex=tex_d % ((w.factor(a),) * tex_d.count("%s")) if tex_d else "")

    def hold_params(self, be) -> None:
        """Parameters for a worked solution at given points, from ``constant`` (PReLU: its learned
        slope); an activation without learned parameters has none."""

    def constants(self) -> dict:
        """Symbols of the formula texts and their values: slope, alpha, lambda."""
        out = {}
        for name, attr in (("slope", "slope"), ("alpha", "alpha"), ("lambda", "scale")):
            if hasattr(self, attr) and not callable(getattr(self, attr)):
                out[name] = getattr(self, attr)
        return out

    def costs(self) -> dict[str, int]:
        return {"act": prod(self.out_shape)}

    def function(self, z, be):
        raise NotImplementedError

    def derivative(self, z, a, be):
        """da/dz element-wise, given the input z and the output a = function(z)."""
        raise NotImplementedError

    def forward(self, x, ctx):
        self.z = x
        self.a = self.function(x, ctx.backend)
        return self.a

    def output_replaced(self, old, new) -> None:
        if self.a is old:  # f'(z) written with a (sigmoid, tanh) uses the value passed on
            self.a = new

    def backward(self, dy, ctx):
        return dy * self.local_derivative(ctx)

    def local_derivative(self, ctx):
        """da/dz at this pass's values; an observer may pass another in its place (the stage
        'derivative': nncalc check puts the learner's own da/dz there, so the delta follows)."""
        d = self.derivative(self.z, self.a, ctx.backend)
        observer = getattr(ctx, "observer", None)  # engines may pass a lighter context
        return d if observer is None else observer.stage(self, "derivative", d)


def float_options(*names_defaults):
    """from_options reading float constants, e.g. ('alpha', 1.0)."""
    @classmethod
    def from_options(cls, opts: Options):
        layer = cls(opts.where)
        for name, default in names_defaults:
            keys = (name,) + tuple(k for k in getattr(cls, "option_aliases", {}).get(name, ()))
            key = next((k for k in keys if opts.has(k)), name)
            setattr(layer, name, opts.number(key, default))
            opts._used.update(keys)
        opts.finish()
        return layer
    return from_options
