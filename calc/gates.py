"""The gates of the computational graphs (calc.graph): for each, its value, its local gradient
toward each input and the formula of that gradient, worked in exact numbers, and the rule a
solution states once for it. sigmoid, tanh and relu take their value and derivative from the
activation classes (calc.layers.activation), the one place those formulas live.
"""

from __future__ import annotations

from fractions import Fraction

from calc import exact, exact_functions
from calc.errors import InputError

# short name shown per edge, and the rule stated once in the solution's conventions
GATES = {
    "add": ("add", "add gate distributes: local gradient 1, each input gets the upstream gradient"),
    "sub": ("subtract", "subtract gate: local gradient +1 for the left input, -1 for the right"),
    "mul": ("multiply", "multiply gate swaps: the local gradient of each input is the other input's value"),
    "div": ("divide", "divide gate a/b: local gradients 1/b and -a/b^2"),
    "neg": ("*-1", "negate gate (*-1): local gradient -1"),
    "scale": ("scale", "scale by a constant c: local gradient c"),
    "shift": ("add constant", "add a constant: local gradient 1, the gradient passes through"),
    "recip": ("reciprocal", "reciprocal gate c/x: local gradient -c/x^2"),
    "pow": ("power", "power gate x^c: local gradient c x^(c-1)"),
    "exp_base": ("c^x", "exponential gate c^x: local gradient c^x ln c"),
    "pow_xy": ("power", "power gate x^y: local gradients y x^(y-1) and x^y ln x"),
    "exp": ("exp", "exp gate: local gradient e^x, its own output"),
    "log": ("log", "log gate (natural log): local gradient 1/x"),
    "sqrt": ("sqrt", "sqrt gate: local gradient 1/(2 sqrt(x))"),
    "abs": ("abs", "abs gate: local gradient sign(x), 0 at x = 0 (PyTorch)"),
    "max": ("max", "max gate routes: the upstream gradient goes to the largest input, 0 to the others; "
            "a tie splits it evenly (PyTorch; mathematically undefined there)"),
    "min": ("min", "min gate routes: the upstream gradient goes to the smallest input; a tie splits it evenly"),
    "copy": ("copy", "copy gate adds: a value used by several gates gets the sum of their gradients"),
}
ACTIVATION_GATES = ("sigmoid", "tanh", "relu")


def activation_classes() -> dict:
    from calc.layers.activation.rectifiers import ReLU
    from calc.layers.activation.saturating import Sigmoid, Tanh

    return {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU}


def activation_gate(kind: str, z: Fraction) -> tuple[Fraction, Fraction, str]:
    """(a, da/dz, derivative formula) of an activation class on the exact backend."""
    from calc.backend import get_backend

    be = get_backend("exact")
    layer = activation_classes()[kind]()
    zs = be.asarray([z])
    a = layer.function(zs, be)
    return exact.keep(a[0]), exact.keep(layer.derivative(zs, a, be)[0]), layer.derivative_formula


def binary(op, x, y, x_node, y_node, text, numbers, lx, ly, show):
    """value, d/dx, d/dy, gate name and local-gradient formulas of ``x op y``."""
    try:
        if op == "+":
            gate = "add" if x_node and y_node else "shift"
            return x + y, Fraction(1), Fraction(1), gate, "1", "1"
        if op == "-":
            gate = "shift" if not y_node else "sub"
            return x - y, Fraction(1), Fraction(-1), gate, "1", "-1"
        if op == "*":
            gate = "mul" if x_node and y_node else "scale"
            return x * y, y, x, gate, ly, lx
        if op == "/":
            if y == 0:
                raise ZeroDivisionError
            gate = "div" if x_node and y_node else "scale" if x_node else "recip"
            return x / y, 1 / y, -x / (y * y), gate, f"1/{ly}", f"-{lx}/{ly}^2"
        # power
        if not y_node:
            return exact_functions.power(x, y), _slope(x, y, show), None, "pow", f"{show(y)}*{lx}^{show(y - 1)}", ""
        if x < 0 or (x == 0 and not y > 0):
            raise InputError(f"'{text}' = {numbers}: a variable exponent needs a positive base "
                             "(or 0 with a positive exponent)")
        value = exact_functions.power(x, y)
        dy = value * exact_functions.log(x) if x != 0 else Fraction(0)  # 0^y = 0 for every y > 0: flat in y
        gate = "pow_xy" if x_node else "exp_base"
        return value, _slope(x, y, show), dy, gate, f"{ly}*{lx}^({ly}-1)", f"{lx}^{ly}*ln({lx})"
    except ZeroDivisionError:
        raise InputError(f"division by zero in '{text}' = {numbers}") from None
    except InputError as exc:
        if exc.message.startswith("'"):
            raise
        raise InputError(f"'{text}' = {numbers}: {exc.message}") from None


def _slope(x, y, show) -> Fraction:
    """d(x^y)/dx = y x^(y-1): 0 at x = 0 for y > 1, 1 for y = 1, infinite for 0 < y < 1; x^0 is
    the constant 1, slope 0 (PyTorch's pow backward special-cases it too)."""
    if y in (0, 1):
        return Fraction(y)
    if x == 0 and 0 < y < 1:
        raise InputError(f"the derivative {show(y)}*x^{show(y - 1)} is infinite at x = 0")
    return y * exact_functions.power(x, y - 1)


def unary(fn, x, text, numbers):
    """value, derivative and the derivative's formula of fn at x."""
    try:
        if fn == "exp":
            value = exact_functions.exp(x)
            return value, value, f"e^{x_name(text)}"
        if fn == "log":
            return exact_functions.log(x), 1 / x if x else Fraction(0), f"1/{x_name(text)}"
        if fn == "sqrt":
            if x == 0:
                raise InputError("the derivative of sqrt is infinite at 0")
            value = exact_functions.sqrt(x)
            return value, 1 / (2 * value), f"1/(2 sqrt({x_name(text)}))"
        if fn == "abs":
            return abs(x), Fraction((x > 0) - (x < 0)), f"sign({x_name(text)})"
        value, d, formula = activation_gate(fn, x)
        return value, d, formula
    except InputError as exc:
        raise InputError(f"'{text}' = {numbers}: {exc.message}") from None


def x_name(text: str) -> str:
    """The argument of a call as written: 'exp(x + 1)' -> 'x + 1'."""
    return text[text.index("(") + 1: -1]
