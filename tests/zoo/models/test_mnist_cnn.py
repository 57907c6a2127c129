"""The lecture's MNIST CNN: 3,274,634 parameters on 28x28x1."""

from __future__ import annotations

import zoo


def test_mnist_cnn_has_3274634_parameters():
    model = zoo.build("mnist_cnn")
    conv1 = (5 * 5 * 1 + 1) * 32
    conv2 = (5 * 5 * 32 + 1) * 64
    fc1 = 7 * 7 * 64 * 1024 + 1024
    fc2 = 1024 * 10 + 10
    assert model.count_params() == conv1 + conv2 + fc1 + fc2 == 3_274_634
    assert tuple(model.get_layer("pool2").output.shape[1:]) == (7, 7, 64)


def test_mnist_cnn_dropout_and_pooling():
    model = zoo.build("mnist_cnn", dropout=0.5)
    assert model.get_layer("dropout").rate == 0.5
    features = zoo.build("mnist_cnn", include_top=False, pooling="max")
    assert features.output.shape == (None, 64)
