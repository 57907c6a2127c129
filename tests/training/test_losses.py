"""zoo.training.losses against the lecture's formulas written in numpy."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from zoo.training import losses


def features(seed, shape=(2, 5, 4, 3)):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def numpy_gram(f):
    """G_ij = sum_k F_ik F_jk with F the N x M matrix (channels x positions) of each example."""
    f = f.astype("float64")
    flat = f.reshape(f.shape[0], -1, f.shape[-1]).transpose(0, 2, 1)  # (batch, N, M)
    return np.einsum("bik,bjk->bij", flat, flat)


def numpy_style(a, x):
    n = a.shape[-1]
    m = np.prod(a.shape[1:-1])
    return ((numpy_gram(x) - numpy_gram(a)) ** 2).sum(axis=(1, 2)) / (4 * n**2 * m**2)


def to_numpy(x):
    return keras.ops.convert_to_numpy(x)


def assert_close(actual, expected):
    np.testing.assert_allclose(to_numpy(actual), expected, rtol=1e-5, atol=1e-5)


def test_gram_matrix():
    f = features(0)
    assert_close(losses.gram_matrix(f), numpy_gram(f))
    assert_close(losses.gram_matrix(f, normalize=True), numpy_gram(f) / (5 * 4 * 3))
    assert to_numpy(losses.gram_matrix(features(1, (3, 7, 2)))).shape == (3, 2, 2)  # 1-D maps


def test_content_loss():
    p, x = features(0), features(1)
    expected = 0.5 * ((x - p) ** 2).sum(axis=(1, 2, 3))
    assert_close(losses.content_loss(p, x), expected)


def test_style_loss_has_the_1_over_4_n2_m2_factor():
    a, x = features(2), features(3)
    assert_close(losses.style_loss(a, x), numpy_style(a, x))
    assert_close(losses.style_loss(a, a), 0.0)


def test_style_loss_over_layers_is_the_weighted_sum():
    a = [features(4), features(5, (2, 3, 3, 6))]
    x = [features(6), features(7, (2, 3, 3, 6))]
    per_layer = [numpy_style(a[0], x[0]), numpy_style(a[1], x[1])]
    assert_close(losses.style_loss(a, x), (per_layer[0] + per_layer[1]) / 2)
    assert_close(losses.style_loss(a, x, weights=[0.2, 3.0]), 0.2 * per_layer[0] + 3 * per_layer[1])


@pytest.mark.parametrize("beta", [2.0, 1.0, 3.0])
def test_total_variation_loss(beta):
    x = features(8, (2, 6, 5, 3))
    right = x[:, :-1, 1:] - x[:, :-1, :-1]
    down = x[:, 1:, :-1] - x[:, :-1, :-1]
    expected = ((right**2 + down**2) ** (beta / 2)).sum(axis=(1, 2, 3))
    assert_close(losses.total_variation_loss(x, beta=beta), expected)
    flat = np.ones((1, 4, 4, 3), "float32")
    assert to_numpy(losses.total_variation_loss(flat))[0] == 0.0


def test_losses_are_float32_and_differentiable_from_half_precision_features():
    a = keras.ops.cast(features(9), "float16")
    x = keras.Variable(features(10))
    for value in (
        losses.content_loss(a, x),
        losses.style_loss(a, x),
        losses.total_variation_loss(x, beta=1.0),
    ):
        assert keras.backend.standardize_dtype(value.dtype) == "float32"
        assert np.all(np.isfinite(to_numpy(value)))


def test_as_a_keras_loss():
    """Each returns one value per example, so it compiles as a Keras loss."""
    model = keras.Sequential([keras.Input((4, 4, 2)), keras.layers.Conv2D(2, 1)])
    model.compile("sgd", loss=losses.style_loss)
    target = features(11, (3, 4, 4, 2))
    loss = model.train_on_batch(target * 0.5, target)
    assert np.isfinite(loss)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: losses.gram_matrix(np.ones((2, 3), "float32")), "features"),
        (lambda: losses.style_loss([features(0)], features(1)), "generated_features"),
        (lambda: losses.style_loss([features(0)], [features(1)], weights=[1, 2]), "weights"),
        (lambda: losses.style_loss(features(0), features(1), weights=[1]), "weights"),
        (lambda: losses.total_variation_loss(features(0), beta=0), "beta"),
        (lambda: losses.total_variation_loss(np.ones((2, 3, 3), "float32")), "images"),
    ],
)
def test_bad_arguments_name_the_argument(call, argument):
    with pytest.raises(ValueError, match=argument):
        call()
