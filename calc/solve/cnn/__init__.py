"""Worked solutions of convolution and pooling problems (conv, pool, conv_backward, edge,
cnn_count) and the helpers they share: the given maps and kernels, the terms of each sum."""
