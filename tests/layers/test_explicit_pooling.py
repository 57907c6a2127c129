"""ExplicitMaxPooling2D / ExplicitAveragePooling2D: hand-written pooling backward passes vs the
Keras built-ins, autodiff and finite differences."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from tests.helpers.layer_checks import BACKEND, check_layer, random_inputs, to_numpy
from tests.layers.test_explicit_conv import gradients
from tests.layers.test_explicit_dense import float64_enabled
from zoo.layers import (
    ExplicitAveragePooling2D,
    ExplicitConv2D,
    ExplicitMaxPooling2D,
    gradcheck,
)

KINDS = {
    "max": (ExplicitMaxPooling2D, keras.layers.MaxPooling2D),
    "average": (ExplicitAveragePooling2D, keras.layers.AveragePooling2D),
}
# (pool_size, strides, padding): disjoint windows, overlapping "same" windows (the border
# windows of average pooling hold fewer elements), a 2x3 window with stride 1.
# The first runs on every backend, the others only under TensorFlow (JAX's eager mode compiles
# every new op shape, which makes each configuration cost seconds there).
HEAVY = pytest.mark.backend_heavy("the same code paths as the first configuration")
CONFIGS = [
    (3, 2, "same"),
    pytest.param((2, None, "valid"), marks=HEAVY, id="2-None-valid"),
    pytest.param(((2, 3), 1, "same"), marks=HEAVY, id="(2, 3)-1-same"),
]
INPUT_SHAPE = (2, 5, 6, 3)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(map(str, c)))
@pytest.mark.parametrize("kind", KINDS)
def test_matches_keras_autodiff_and_central_differences(kind, config):
    """Forward as the Keras built-in, backward as its autodiff (float64, 1e-10) and as central
    differences (1e-6).

    Seed 000 section 4.2 writes max pooling with stride s as max(h[si:(s+1)i, sj:(s+1)j, k])
    (section 4.3: ...(s+1)i-1): the window of output i is rows s i .. s (i + 1) - 1, i.e.
    h[si : s(i+1), sj : s(j+1)] in Python slicing; "(s+1)i" is empty for i = 0.
    """
    ours_class, keras_class = KINDS[kind]
    x = random_inputs(INPUT_SHAPE, seed=1)  # no ties: every window has one arg-max
    ours, reference = ours_class(*config), keras_class(*config)
    out = to_numpy(ours(x))
    assert out.shape == tuple(ours.compute_output_shape(INPUT_SHAPE))
    # Keras 3.15's torch AveragePooling2D pads "same" windows unlike its TensorFlow and JAX
    # backends (whose result, the mean of the real inputs, this layer follows): under torch
    # only the central differences check the average over "same" windows.
    deviant = BACKEND == "torch" and kind == "average" and config[2] == "same"
    if not deviant:
        np.testing.assert_allclose(out, to_numpy(reference(x)), rtol=1e-6, atol=1e-6)

    with float64_enabled():
        ours64, reference64 = (
            ours_class(*config, dtype="float64"),
            keras_class(*config, dtype="float64"),
        )
        x64 = x.astype(np.float64)
        ours64(x64), reference64(x64)
        upstream = random_inputs(out.shape, seed=2).astype(np.float64)
        (want,) = gradients(reference64, x64, upstream)
        (got,) = gradients(ours64, x64, upstream)
        public = to_numpy(ours64.backward(x64, upstream))
        assert got.dtype == want.dtype == public.dtype == np.float64
        np.testing.assert_allclose(public, got, rtol=1e-10, atol=1e-12)
        if not deviant:
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)

    result = gradcheck(ours, x)
    assert result.weights == {} and result.passed(1e-6), str(result)


def test_max_pooling_ties_go_to_the_first_maximum():
    """The tie rule: the first maximum in row-major window order gets the whole gradient,
    and it is the rule of the backends' autodiff of MaxPooling2D (TensorFlow, JAX)."""
    x = np.zeros((1, 4, 4, 1), "float32")
    x[0, :2, :2, 0] = 1.0  # a four-way tie
    x[0, 2:, 2:, 0] = [[0.0, 2.0], [2.0, 2.0]]  # a three-way tie
    x[0, 2:, :2, 0] = [[-1.0, -1.0], [-1.0, 3.0]]  # no tie: the maximum is last
    # the top-right window is all zeros: a four-way tie at 0
    layer = ExplicitMaxPooling2D(2)
    dx = to_numpy(layer.backward(x, np.ones((1, 2, 2, 1), "float32")))[0, :, :, 0]
    expected = np.array([[1, 0, 1, 0], [0, 0, 0, 0], [0, 0, 0, 1], [0, 1, 0, 0]], np.float32)
    np.testing.assert_array_equal(dx, expected)

    # Overlapping windows add up what they route to the same input.
    overlapping = ExplicitMaxPooling2D(3, strides=1, padding="same")
    upstream = np.ones((1, 4, 4, 1), "float32")
    routed = to_numpy(overlapping.backward(x, upstream))
    assert routed.sum() == 16.0  # every window sends its 1 somewhere
    layer(x), overlapping(x)
    for ours in (layer, overlapping):
        reference = keras.layers.MaxPooling2D(ours.pool_size, ours.strides, ours.padding)
        reference(x)
        up = np.ones(ours.compute_output_shape(x.shape), "float32")
        mine = to_numpy(ours.backward(x, up))
        if BACKEND in ("tensorflow", "jax"):
            np.testing.assert_array_equal(gradients(reference, x, up)[0], mine)
        np.testing.assert_array_equal(gradients(ours, x, up)[0], mine)


def test_average_same_padding_counts_only_inputs():
    layer = ExplicitAveragePooling2D(3, strides=2, padding="same")
    # Rows: 5, window 3, stride 2 -> pads (1, 1), windows over rows -1..1, 1..3, 3..5: 2, 3, 2
    # inside. Columns: 4 -> pads (0, 1), windows 0..2, 2..4: 3, 2 inside.
    counts = layer.counts((None, 5, 4, 1))
    np.testing.assert_array_equal(counts, [[6, 4], [9, 6], [6, 4]])
    x = random_inputs((1, 5, 4, 1), seed=5)
    upstream = random_inputs((1, 3, 2, 1), seed=6)
    want_out, want_dx = np.zeros((3, 2)), np.zeros((5, 4))
    for i, rows in enumerate((slice(0, 2), slice(1, 4), slice(3, 5))):
        for j, cols in enumerate((slice(0, 3), slice(2, 4))):
            want_out[i, j] = x[0, rows, cols, 0].mean()  # the mean of the inputs only
            want_dx[rows, cols] += upstream[0, i, j, 0] / counts[i, j]  # g / count each
    np.testing.assert_allclose(to_numpy(layer(x))[0, :, :, 0], want_out, rtol=1e-6, atol=1e-6)
    dx = to_numpy(layer.backward(x, upstream))[0, :, :, 0]
    np.testing.assert_allclose(dx, want_dx, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_custom_gradient_is_the_hand_written_backward(kind, monkeypatch):
    ours_class = KINDS[kind][0]
    ours = ours_class(3, strides=2, padding="same")
    x = random_inputs(INPUT_SHAPE, seed=3)
    ours(x)
    upstream = random_inputs(ours.compute_output_shape(INPUT_SHAPE), seed=4)
    (plain,) = gradients(ours, x, upstream)
    original = ours_class.backward
    calls = []

    def tripled(self, *args, **kwargs):
        calls.append(1)
        return 3.0 * original(self, *args, **kwargs)

    monkeypatch.setattr(ours_class, "backward", tripled)
    (patched,) = gradients(ours, x, upstream)
    assert calls, "the custom gradient never called backward"
    np.testing.assert_allclose(patched, 3.0 * plain, rtol=1e-6, atol=1e-7)


def test_fit_reduces_the_loss():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 96)
    x = rng.standard_normal((96, 8, 8, 1)) + (labels - 0.5)[:, None, None, None]  # brighter: 1
    x = x.astype("float32")
    y = np.eye(2, dtype="float32")[labels]
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            ExplicitConv2D(4, 3, padding="same", activation="elu"),
            ExplicitAveragePooling2D(2),
            ExplicitMaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="categorical_crossentropy")
    before = float(np.mean(to_numpy(keras.losses.categorical_crossentropy(y, model(x)))))
    history = model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    after = history.history["loss"][-1]
    assert np.isfinite(after) and after < 0.8 * before, (before, after)


@pytest.mark.parametrize("kind", KINDS)
def test_harness_shapes_and_config(kind, tmp_path):
    ours_class, keras_class = KINDS[kind]
    check_layer(
        lambda: ours_class((2, 3), strides=2, padding="same"),
        (2, 5, 6, 3),
        tmp_path,
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
        expected_num_seed_generators=0,
    )
    for size in ((None, 5, 6, 3), (None, None, 7, 2), (3, 8, 3, 1)):
        for pool, strides, padding in (
            (2, None, "valid"),
            ((3, 2), (1, 2), "same"),
            (3, 2, "same"),
        ):
            ours = ours_class(pool, strides, padding)
            assert ours.compute_output_shape(size) == keras_class(
                pool, strides, padding
            ).compute_output_shape(size)
    config = ours_class(3, padding="SAME", name="p").get_config()
    assert config["pool_size"] == config["strides"] == (3, 3) and config["padding"] == "same"
    assert ours_class.from_config(config).get_config() == config
    name = ours_class.__name__
    assert keras.saving.get_registered_name(ours_class) == f"lecture_zoo>{name}"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"pool_size": 0}, "pool_size"),
        ({"pool_size": (2,)}, "pool_size"),
        ({"pool_size": 1.5}, "pool_size"),
        ({"strides": 0}, "strides"),
        ({"strides": (1, 2, 3)}, "strides"),
        ({"padding": "full"}, "padding"),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
def test_bad_arguments_raise_value_error(kind, kwargs, match):
    with pytest.raises(ValueError, match=match):
        KINDS[kind][0](**kwargs)


def test_inputs_it_cannot_take_raise_value_error():
    with pytest.raises(ValueError, match="does not fit"):
        ExplicitMaxPooling2D(6).build((None, 5, 6, 3))
    with pytest.raises(ValueError, match="spatial"):
        ExplicitAveragePooling2D(2).build((None, 5, None, 3))
