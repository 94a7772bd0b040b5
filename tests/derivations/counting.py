"""The counting problems by hand: o = floor((i + 2p - k)/s) + 1, conv parameters k*k*Cin*Cout + Cout,
dense in*out + out, multiplications Ho*Wo*Cout*k*k*Cin (bias adds not counted), receptive fields
r += (k - 1) * jump, jump *= s. Plain integers, no nncalc."""

from __future__ import annotations

from tests.derivations import derivation


def out(i: int, k: int, s: int = 1, p: int = 0) -> int:
    return (i + 2 * p - k) // s + 1


def conv_params(k: int, cin: int, cout: int, bias: bool = True) -> int:
    return k * k * cin * cout + (cout if bias else 0)


def conv_mults(o: int, k: int, cin: int, cout: int) -> int:
    return o * o * cout * k * k * cin


@derivation("counting/alexnet")
def alexnet():
    sizes = {}
    s = sizes["conv1"] = out(227, 11, 4)                  # 55
    sizes["pool1"] = out(s, 3, 2)                         # 27
    sizes["conv2"] = out(sizes["pool1"], 5, 1, 2)         # 27
    sizes["pool2"] = out(sizes["conv2"], 3, 2)            # 13
    sizes["conv5"] = 13
    sizes["pool3"] = out(13, 3, 2)                        # 6
    channels = {"conv1": 96, "pool1": 96, "conv2": 256, "pool2": 256, "conv5": 256, "pool3": 256}
    params = {"conv1": conv_params(11, 3, 96), "conv2": conv_params(5, 96, 256), "conv3": conv_params(3, 256, 384),
              "conv4": conv_params(3, 384, 384), "conv5": conv_params(3, 384, 256),
              "fc1": 6 * 6 * 256 * 4096 + 4096, "fc2": 4096 * 4096 + 4096, "fc3": 4096 * 1000 + 1000}
    mults = (conv_mults(55, 11, 3, 96) + conv_mults(27, 5, 96, 256) + conv_mults(13, 3, 256, 384)
             + conv_mults(13, 3, 384, 384) + conv_mults(13, 3, 384, 256) + 9216 * 4096 + 4096 * 4096 + 4096 * 1000)
    r, jump = 1, 1
    for k, s in ((11, 4), (3, 2), (5, 1), (3, 2), (3, 1), (3, 1), (3, 1), (3, 2)):  # conv1 ... pool3
        r, jump = r + (k - 1) * jump, jump * s
    result = {f"{n}.output_shape": [sizes[n], sizes[n], channels[n]] for n in sizes}
    result.update({f"{n}.params": v for n, v in params.items()})
    result.update(total_params=sum(params.values()), multiplications=mults, receptive_field=r,
                  **{"conv1.multiplications": conv_mults(55, 11, 3, 96), "conv1.receptive_field": 11})
    return result


@derivation("counting/q1-cnn-146-params")
def q1_146():
    o = out(5, 3, 2, 1)  # 3
    p = out(o, 2, 1)  # 2
    params = {"conv1.params": conv_params(3, 3, 2), "fc1.params": p * p * 2 * 8 + 8, "fc2.params": 8 * 2 + 2}
    return {"conv1.output_shape": [o, o, 2], "pool1.output_shape": [p, p, 2], "flatten1.output_shape": [p * p * 2],
            **params, "total_params": sum(params.values())}


@derivation("counting/backprop-cnn-15-params")
def binary_15():
    o = out(6, 3)
    return {"conv1.output_shape": [o, o, 1], "pool1.output_shape": [o // 2, o // 2, 1], "conv1.params": 10,
            "fc1.params": 4 + 1, "total_params": 9 + 1 + 4 + 1}


@derivation("counting/conv-10-filters-280")
def ten_filters():
    return {"conv1.params": conv_params(3, 3, 10), "total_params": conv_params(3, 3, 10)}


@derivation("counting/mnist-codelab")
def mnist_codelab():
    params = {"conv1.params": conv_params(3, 1, 12), "conv2.params": conv_params(6, 12, 24),
              "conv3.params": conv_params(6, 24, 32), "fc1.params": 7 * 7 * 32 * 200 + 200, "fc2.params": 200 * 10 + 10}
    return {"conv1.output_shape": [28, 28, 12], "conv2.output_shape": [-(-28 // 2)] * 2 + [24],
            "conv3.output_shape": [-(-14 // 2)] * 2 + [32], "flatten1.output_shape": [7 * 7 * 32], **params,
            "total_params": sum(params.values())}


@derivation("counting/keras-mnist-convnet")
def keras_mnist():
    c1 = out(28, 3)
    p1 = out(c1, 2, 2)
    c2 = out(p1, 3)
    p2 = out(c2, 2, 2)
    params = {"conv1.params": conv_params(3, 1, 32), "conv2.params": conv_params(3, 32, 64),
              "fc1.params": p2 * p2 * 64 * 10 + 10}
    return {"conv1.output_shape": [c1, c1, 32], "pool1.output_shape": [p1, p1, 32], "conv2.output_shape": [c2, c2, 64],
            "pool2.output_shape": [p2, p2, 64], "flatten1.output_shape": [p2 * p2 * 64], **params,
            "total_params": sum(params.values())}


@derivation("counting/conv-5x5-multiplications")
def conv_5x5():
    return {"conv1.output_shape": [28, 28, 32], "multiplications": conv_mults(28, 5, 192, 32)}


@derivation("counting/one-by-one-32-multiplications")
def one_by_one_32():
    return {"conv1.output_shape": [28, 28, 32], "multiplications": conv_mults(28, 1, 192, 32)}


@derivation("counting/bottleneck-multiplications")
def bottleneck():
    a, b = conv_mults(28, 1, 192, 16), conv_mults(28, 5, 16, 32)
    return {"conv1.multiplications": a, "conv2.multiplications": b, "multiplications": a + b,
            "conv1.output_shape": [28, 28, 16], "conv2.output_shape": [28, 28, 32]}


@derivation("counting/inception-naive-ops")
def inception_naive():
    return {"multiplications": conv_mults(28, 1, 256, 128) + conv_mults(28, 3, 256, 192) + conv_mults(28, 5, 256, 96),
            "output_shape": [28, 28, 128 + 192 + 96 + 256]}


@derivation("counting/inception-bottleneck-ops")
def inception_bottleneck():
    ops = (3 * conv_mults(28, 1, 256, 64) + conv_mults(28, 1, 256, 128) + conv_mults(28, 3, 64, 192)
           + conv_mults(28, 5, 64, 96))
    return {"multiplications": ops, "output_shape": [28, 28, 128 + 192 + 96 + 64]}


@derivation("counting/conv-3x3-multiplications")
def conv_3x3_192():
    return {"multiplications": conv_mults(32, 3, 128, 192)}


@derivation("counting/conv-5x5-32ch-multiplications")
def conv_5x5_192():
    return {"multiplications": conv_mults(32, 5, 32, 192)}


@derivation("counting/strided-output-size")
def strided_28():
    o = out(28, 3, 2, 1)
    return {"conv1.output_size": o, "conv1.output_shape": [o, o, 1]}


@derivation("counting/receptive-field-stacked-3x3")
def stacked_3x3():
    fields, r, jump = {}, 1, 1
    for name, k, s in (("conv1", 3, 1), ("conv2", 3, 1), ("conv3", 3, 1), ("pool1", 2, 2), ("conv4", 3, 1)):
        r, jump = r + (k - 1) * jump, jump * s
        fields[f"{name}.receptive_field"] = r
    return {**fields, "receptive_field": fields["conv3.receptive_field"], "total_params": 4 * conv_params(3, 64, 64, False)}
