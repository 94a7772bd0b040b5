"""What a forward/backward pass needs besides the arrays: backend, mode, randomness, initialiser."""

from __future__ import annotations

from dataclasses import dataclass, field

from calc.backend import Backend, get_backend
from calc.engine.observer import Observer


@dataclass
class Ctx:
    backend: Backend = field(default_factory=get_backend)
    training: bool = False
    seed: int = 0
    init: str = "torch_default"  # weight initialiser; biases: torch_default keeps PyTorch's, others zeros
    record: dict | None = None  # name -> output of every leaf, when asked for
    rng: object = None
    observer: Observer | None = None  # a worked solution watching the pass (calc.engine.observer)
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
        """Containers call this after each leaf's forward. The observer may pass another value on;
        the layer then uses that value in its own backward too (``Layer.output_replaced``)."""
        if self.observer is not None:
            new = self.observer.output(layer, y)
            if new is not y:
                layer.output_replaced(y, new)
                y = new
        if self.record is not None:
            self.record[layer.name] = y
        return y

    def seen_grad(self, layer, dy):
        """Containers call this before each leaf's backward with dL/d(its output)."""
        return dy if self.observer is None else self.observer.grad(layer, dy)

    def stage(self, layer, name: str, value):
        """A named value inside a layer (batch norm's stages, an activation's da/dz): the
        observer may pass another value on, so that later stages follow from it."""
        return value if self.observer is None else self.observer.stage(layer, name, value)

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
