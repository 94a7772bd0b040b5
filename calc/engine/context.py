"""What a forward/backward pass needs besides the arrays: backend, mode, randomness, initialiser."""

from __future__ import annotations

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
    drawn: list = field(default_factory=list)  # parameters drawn by the initialiser ('fc1.weight')
    defaults: list = field(default_factory=list)  # parameters set by their layer's rule (BN gamma = 1)

    def __post_init__(self):
        import numpy as np

        from calc.engine import init

        self.init = init.check(self.init)  # an unknown name fails here, even if every weight is given
        if self.rng is None:
            self.rng = np.random.default_rng(self.seed)

    @property
    def xp(self):
        return self.backend.xp

    def scalar(self, value):
        return self.backend.scalar(value)

    def init_param(self, layer, name: str, shape: tuple):
        """Draw a parameter: the layer's own rule (BN gamma = 1, ...) or the initialiser."""
        from calc.engine import init

        own = layer.default_param(name, shape) if hasattr(layer, "default_param") else None
        if own is not None:
            self.defaults.append(f"{layer.name}.{name}")
            return self.backend.asarray(own)
        self.drawn.append(f"{layer.name}.{name}")
        fan_in, fan_out = layer.fans()
        if fan_in <= 0 and "weight" in layer.param_shapes():
            fan_in, fan_out = init.torch_fans(layer.param_shapes()["weight"])
        rule = getattr(layer, "init", None) or self.init
        if name != "weight":
            rule = "torch_default" if rule in ("torch_default", "default", "pytorch") else "zeros"
        return self.backend.asarray(init.draw(rule, shape, fan_in, fan_out, self.rng))

    def init_buffer(self, layer, name: str, shape: tuple):
        """Buffers (batch-norm running statistics) start at the layer's own values."""
        own = layer.default_buffer(name, shape)
        return self.backend.asarray(own)
