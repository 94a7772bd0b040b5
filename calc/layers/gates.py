"""Channel mixing without weights: ShuffleNet's channel shuffle.

(The gates themselves, a branch product and squeeze-and-excitation, are containers:
calc.layers.containers.Product and SqueezeExcite.)
"""

from __future__ import annotations

from calc.layers.base import Layer, Shape, register
from calc.spec.options import Options


@register
class ChannelShuffle(Layer):
    """Channels regrouped so that the next grouped conv sees every group (Zhang et al. 2018):
    C = g x (C/g) channels read as a g x (C/g) matrix and written out transposed, so output
    channel j*g + i is input channel i*(C/g) + j (torch: view(g, C/g).transpose(0, 1))."""

    kind = "channel_shuffle"
    prefix = "shuffle"
    aliases = ("shuffle",)
    receptive = "identity"
    summary = "channel shuffle: channels regrouped across groups (ShuffleNet), no weights"

    def __init__(self, where=None, groups: int = 2):
        super().__init__(where)
        self.groups = groups

    @classmethod
    def from_options(cls, opts: Options):
        groups = opts.int("groups")
        opts.finish()
        return cls(opts.where, groups)

    def compute_shape(self, in_shape: Shape) -> Shape:
        if in_shape[-1] % self.groups:
            self.fail(f"{in_shape[-1]} channels do not divide into {self.groups} groups")
        return in_shape

    def describe(self) -> str:
        return f"{self.groups} groups"

    def forward(self, x, ctx):
        c, g = x.shape[-1], self.groups
        grouped = x.reshape(*x.shape[:-1], g, c // g)
        return ctx.xp.swapaxes(grouped, -1, -2).reshape(x.shape)

    def backward(self, dy, ctx):
        """The inverse permutation: read C as (C/g) x g and transpose back."""
        c, g = dy.shape[-1], self.groups
        grouped = dy.reshape(*dy.shape[:-1], c // g, g)
        return ctx.xp.swapaxes(grouped, -1, -2).reshape(dy.shape)
