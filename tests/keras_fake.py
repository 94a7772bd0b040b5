"""A tiny stand-in for the Keras 3 API (Keras is not installed here): each layer computes its output
shape and its weight count by the rules of the Keras documentation, so exported Keras code can be
run and its model compared with nncalc's shapes and parameter counts. Shapes are per sample (no
batch). Lambda functions and slices run on NumPy zeros of batch 1 (keras.ops is NumPy here)."""

from __future__ import annotations

import types

import numpy as np


class Tensor:
    def __init__(self, shape):
        self.shape = tuple(int(v) for v in shape)

    def zeros(self):
        return np.zeros((1, *self.shape))

    def __getitem__(self, index):
        return Tensor(self.zeros()[index].shape[1:])


class Layer:
    trainable = 0
    frozen = 0

    def __init__(self, *args, name=None, **kwargs):
        self.args, self.kwargs, self.name = args, kwargs, name

    def __call__(self, x, *more, **options):
        self.built_on = x
        out = self.build(x, *more, **options)
        return out

    def arg(self, i, key, default=None):
        return self.args[i] if len(self.args) > i else self.kwargs.get(key, default)


def pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def window(n, k, s, d=1):
    return (n - d * (k - 1) - 1) // s + 1


class Conv2D(Layer):
    def build(self, x):
        f, (kh, kw) = self.arg(0, "filters"), pair(self.arg(1, "kernel_size"))
        (sh, sw), (dh, dw) = pair(self.kwargs.get("strides", 1)), pair(self.kwargs.get("dilation_rate", 1))
        groups, h, w, c = self.kwargs.get("groups", 1), *x.shape
        assert c % groups == 0 and f % groups == 0
        assert max(sh, sw) == 1 or max(dh, dw) == 1, "Keras refuses strides > 1 with dilation_rate > 1"
        self.trainable = kh * kw * (c // groups) * f + (f if self.kwargs.get("use_bias", True) else 0)
        return Tensor((window(h, kh, sh, dh), window(w, kw, sw, dw), f))


class Conv1D(Layer):
    def build(self, x):
        f, k = self.arg(0, "filters"), self.arg(1, "kernel_size")
        s, d, groups = self.kwargs.get("strides", 1), self.kwargs.get("dilation_rate", 1), self.kwargs.get("groups", 1)
        n, c = x.shape
        assert s == 1 or d == 1, "Keras refuses strides > 1 with dilation_rate > 1"
        self.trainable = k * (c // groups) * f + (f if self.kwargs.get("use_bias", True) else 0)
        return Tensor((window(n, k, s, d), f))


class ZeroPadding2D(Layer):
    def build(self, x):
        (t, b), (left, r) = self.arg(0, "padding")
        h, w, c = x.shape
        return Tensor((h + t + b, w + left + r, c))


class ZeroPadding1D(Layer):
    def build(self, x):
        a, b = self.arg(0, "padding")
        return Tensor((x.shape[0] + a + b, x.shape[1]))


class Pool2D(Layer):
    def build(self, x):
        (kh, kw) = pair(self.arg(0, "pool_size"))
        (sh, sw) = pair(self.kwargs.get("strides") or (kh, kw))
        h, w, c = x.shape
        return Tensor((window(h, kh, sh), window(w, kw, sw), c))


class Pool1D(Layer):
    def build(self, x):
        k = self.arg(0, "pool_size")
        s = self.kwargs.get("strides") or k
        return Tensor((window(x.shape[0], k, s), x.shape[1]))


class GlobalAveragePooling2D(Layer):
    def build(self, x):
        return Tensor((1, 1, x.shape[-1]) if self.kwargs.get("keepdims") else (x.shape[-1],))


class GlobalAveragePooling1D(Layer):
    def build(self, x):
        return Tensor((x.shape[-1],))


class Dense(Layer):
    def build(self, x):
        units = self.arg(0, "units")
        self.trainable = x.shape[-1] * units + (units if self.kwargs.get("use_bias", True) else 0)
        return Tensor((*x.shape[:-1], units))


class Flatten(Layer):
    def build(self, x):
        return Tensor((int(np.prod(x.shape)),))


class Permute(Layer):
    def build(self, x):
        return Tensor(tuple(x.shape[d - 1] for d in self.arg(0, "dims")))


class BatchNormalization(Layer):
    def build(self, x):
        c = x.shape[-1]
        self.trainable = c * (self.kwargs.get("center", True) + self.kwargs.get("scale", True))
        self.frozen = 2 * c
        return x


class GroupNormalization(Layer):
    def build(self, x):
        c = x.shape[-1]
        assert c % self.arg(0, "groups") == 0
        self.trainable = c * (self.kwargs.get("center", True) + self.kwargs.get("scale", True))
        return x


class LayerNormalization(GroupNormalization):
    def build(self, x):
        c = x.shape[-1]
        self.trainable = c * (self.kwargs.get("center", True) + self.kwargs.get("scale", True))
        return x


class Same(Layer):
    def build(self, x):
        return x


class UpSampling2D(Layer):
    def build(self, x):
        sh, sw = pair(self.arg(0, "size"))
        h, w, c = x.shape
        return Tensor((h * sh, w * sw, c))


class Lambda(Layer):
    def build(self, x):
        return Tensor(np.asarray(self.arg(0, "function")(x.zeros())).shape[1:])


class Embedding(Layer):
    def build(self, x):
        vocab, dim = self.arg(0, "input_dim"), self.arg(1, "output_dim")
        self.trainable = vocab * dim
        return Tensor((*x.shape, dim))


class Recurrent(Layer):
    gates = 1

    def build(self, x):
        hidden, features = self.arg(0, "units"), x.shape[-1]
        biases = (2 if self.kwargs.get("reset_after", True) and self.gates == 3 else 1) * self.kwargs.get("use_bias", True)
        self.trainable = self.gates * (features * hidden + hidden * hidden + biases * hidden)
        seq = self.kwargs.get("return_sequences", False)
        return Tensor((x.shape[0], hidden) if seq else (hidden,))


class LSTM(Recurrent):
    gates = 4


class GRU(Recurrent):
    gates = 3


class Bidirectional(Layer):
    def build(self, x):
        inner = self.arg(0, "layer")
        out = inner(x)
        self.trainable = 2 * inner.trainable
        return Tensor((*out.shape[:-1], 2 * out.shape[-1]))


class MultiHeadAttention(Layer):
    def build(self, query, value, **options):
        heads, key_dim = self.arg(0, "num_heads"), self.arg(1, "key_dim")
        f, bias = query.shape[-1], self.kwargs.get("use_bias", True)
        self.trainable = 3 * (f * heads * key_dim + bias * heads * key_dim) + heads * key_dim * f + bias * f
        return query


class Merge(Layer):
    def build(self, xs):
        return Tensor(np.broadcast_shapes(*[t.shape for t in xs]))


class Concatenate(Layer):
    def build(self, xs):
        return Tensor(np.concatenate([t.zeros() for t in xs], axis=self.kwargs.get("axis", -1)).shape[1:])


class Model:
    def __init__(self, inputs, outputs, name=None):
        self.inputs, self.outputs, self.name = inputs, outputs, name


def Input(shape, dtype=None):  # noqa: N802 - Keras' name
    return Tensor(shape)


def make_keras():
    """A module object standing for `keras`, with every layer it creates recorded in ``created``."""
    created = []

    def recorded(cls):
        class Recorded(cls):
            def __init__(self, *a, **k):
                super().__init__(*a, **k)
                created.append(self)
        Recorded.__name__ = cls.__name__
        return Recorded

    classes = {"Conv2D": Conv2D, "Conv1D": Conv1D, "ZeroPadding2D": ZeroPadding2D, "ZeroPadding1D": ZeroPadding1D,
               "MaxPooling2D": Pool2D, "AveragePooling2D": Pool2D, "MaxPooling1D": Pool1D,
               "AveragePooling1D": Pool1D, "GlobalAveragePooling2D": GlobalAveragePooling2D,
               "GlobalAveragePooling1D": GlobalAveragePooling1D, "Dense": Dense, "Flatten": Flatten,
               "Permute": Permute, "BatchNormalization": BatchNormalization, "GroupNormalization": GroupNormalization,
               "LayerNormalization": LayerNormalization, "Dropout": Same, "Activation": Same, "LeakyReLU": Same,
               "ELU": Same, "Softmax": Same, "UpSampling2D": UpSampling2D, "Lambda": Lambda, "Embedding": Embedding,
               "SimpleRNN": Recurrent, "LSTM": LSTM, "GRU": GRU, "Bidirectional": Bidirectional,
               "MultiHeadAttention": MultiHeadAttention, "Add": Merge, "Multiply": Merge,
               "Concatenate": Concatenate}
    layers = types.SimpleNamespace(**{name: recorded(cls) for name, cls in classes.items()})
    ops = types.SimpleNamespace(pad=lambda t, widths, constant_values=0: np.pad(t, widths),
                                reshape=np.reshape, transpose=np.transpose)
    activations = types.SimpleNamespace(gelu=lambda t, approximate=False: t)
    keras = types.SimpleNamespace(Input=Input, Model=Model, layers=layers, ops=ops, activations=activations)
    return keras, created
