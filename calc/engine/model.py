"""A runnable network: the spec's layer tree plus parameters on a backend.

    model = Model(load_network("mnist-mlp"), seed=0)
    y = model.forward(x)            # x: (N, *input_shape), H x W x C maps
    dx = model.backward(dL_dy)      # fills every layer's .grads

Parameters live on the layer objects (as in PyTorch modules); ``state`` names them
``fc1.weight``, ``bn1.running_mean`` ... for saving, loading and optimizers.
"""

from __future__ import annotations

from calc.engine.context import Ctx
from calc.errors import InputError
from calc.network import Network
from calc.shapes import fmt_shape


class Model:
    def __init__(self, network: Network, ctx: Ctx | None = None):
        self.network = network
        self.ctx = ctx or Ctx()
        self.layers = network.leaves()
        for layer in self.layers:
            layer.init_params(self.ctx)

    @property
    def backend(self):
        return self.ctx.backend

    def check_input(self, x) -> None:
        want = tuple(self.network.input_shape)
        if tuple(x.shape[1:]) != want:
            raise InputError(f"input has shape {fmt_shape(tuple(x.shape))}, expected N x {fmt_shape(want)} "
                             f"({self.network.name} takes {fmt_shape(want)} per sample)")

    def forward(self, x, training: bool = False, record: bool = False):
        """Output for a batch; with ``record`` every leaf's output is kept in ``self.activations``."""
        self.check_input(x)
        self.ctx.training = training
        self.ctx.record = {} if record else None
        y = self.network.root.forward(x, self.ctx)
        self.activations = self.ctx.record
        return y

    def backward(self, dy, skip_last: bool = False):
        """Back-propagate dL/d(output); returns dL/d(input), parameter gradients in layer.grads.
        ``skip_last``: dy is the gradient at the input of the last top-level layer (a fused loss
        gives dL/dz at the final softmax's input)."""
        return self.network.root.backward(dy, self.ctx, skip_last=skip_last)

    def parameters(self):
        """(qualified name, layer, param name) for every learnable tensor, in layer order."""
        for layer in self.layers:
            for name in layer.params:
                yield f"{layer.name}.{name}", layer, name

    def state(self) -> dict:
        """Every parameter and buffer by qualified name (backend arrays)."""
        out = {}
        for layer in self.layers:
            for name, value in {**layer.params, **layer.buffers}.items():
                out[f"{layer.name}.{name}"] = value
        return out

    def set_state(self, values: dict) -> None:
        """Replace parameters/buffers by qualified name (backend arrays of the right shapes)."""
        for layer in self.layers:
            for store in (layer.params, layer.buffers):
                for name in store:
                    key = f"{layer.name}.{name}"
                    if key in values:
                        store[name] = values[key]
