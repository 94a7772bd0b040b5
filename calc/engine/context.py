"""What a forward/backward pass needs besides the arrays: backend, mode, randomness, initialiser."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from calc.backend import Backend, get_backend


@dataclass
class Ctx:
    backend: Backend = field(default_factory=get_backend)
    training: bool = False
    seed: int = 0
    init: str = "torch_default"  # weight initialiser; biases: torch_default keeps PyTorch's, others zeros
    record: dict | None = None  # name -> output of every leaf, when asked for
    rng: object = None
    grad_record: dict | None = None  # name -> dL/d(output) of every leaf during backward, when asked for
    rounding: Callable | None = None  # worked solutions' hand rounding: applied to every value passed on
    substitute: Callable | None = None  # nncalc check: (layer, value, "output" | "grad") -> the value passed on
    passed: dict = field(default_factory=dict)  # with record and substitute: name -> the output passed on
    drawn: list = field(default_factory=list)  # parameters drawn by the initialiser ('fc1.weight')
    defaults: list = field(default_factory=list)  # parameters set by their layer's rule (BN gamma = 1)

    def __post_init__(self):
        import numpy as np

        from calc.engine import init

        self.init = init.check(self.init)  # an unknown name fails here, even if every weight is given
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed < 2 ** 128:
            from calc.errors import InputError  # NumPy's own error names neither the option nor the range

            text = str(self.seed)
            shown = text if len(text) <= 40 else f"{text[:12]}... ({len(text)} characters)"
            raise InputError(f"seed: expected an integer from 0 to 2^128 - 1, got {shown}")
        if self.rng is None:
            self.rng = np.random.default_rng(self.seed)

    @property
    def xp(self):
        return self.backend.xp

    def scalar(self, value):
        return self.backend.scalar(value)

    def seen_output(self, layer, y):
        """Containers call this after each leaf's forward: round like a student (hand-rounding
        mode only, so the next layer and the activation's own backward see the rounded value),
        record, then pass on the learner's own values where nncalc check supplies them (the
        record keeps what the layer computed)."""
        if self.rounding is not None:
            y = self._keep(layer, y, self.rounding(y))
        if self.record is not None:
            self.record[layer.name] = y
        if self.substitute is not None:
            y = self._keep(layer, y, self.substitute(layer, y, "output"))
            if self.record is not None:  # what the next layer and the backward pass really use
                self.passed[layer.name] = y
        return y

    @staticmethod
    def _keep(layer, old, new):
        if getattr(layer, "a", None) is old:  # activations keep their output for backward
            layer.a = new
        return new

    def seen_grad(self, layer, dy):
        """Containers call this before each leaf's backward with dL/d(its output)."""
        if self.rounding is not None:
            dy = self.rounding(dy)
        if self.grad_record is not None:
            self.grad_record[layer.name] = dy
        if self.substitute is not None:
            dy = self.substitute(layer, dy, "grad")
        return dy

    def stage(self, layer, name: str, value):
        """A named value inside a layer (batch norm's mean, var, x_hat, dL/dvar ...): the computed
        value is kept in ``layer.stages`` for worked solutions; nncalc check may pass the
        learner's own value on instead (``substitute``), so later stages follow from it."""
        layer.stages[name] = value
        if self.substitute is not None:
            value = self.substitute(layer, value, name)
        return value

    def init_param(self, layer, name: str, shape: tuple):
        """Draw a parameter: the layer's own rule (BN gamma = 1, ...) or the initialiser."""
        from calc.engine import init

        own = layer.default_param(name, shape) if hasattr(layer, "default_param") else None
        if own is not None:
            self.defaults.append(f"{layer.name}.{name}")
            return self.backend.asarray(own)
        self.drawn.append(f"{layer.name}.{name}")
        fan_in, fan_out = layer.fans()
        rule = getattr(layer, "init", None) or self.init
        if name != "weight":
            rule = "torch_default" if rule in ("torch_default", "default", "pytorch") else "zeros"
        dtype = None if self.backend.exact or self.backend.name != "numpy" else self.backend.dtype
        return self.backend.asarray(init.draw(rule, shape, fan_in, fan_out, self.rng, dtype))

    def init_buffer(self, layer, name: str, shape: tuple):
        """Buffers (batch-norm running statistics) start at the layer's own values."""
        own = layer.default_buffer(name, shape)
        return self.backend.asarray(own)
