"""BuildSpec: the inputs, pooling and classifier every builder shares."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from zoo.models._spec import BuildSpec


def _spec(**overrides):
    values = dict(
        model="m",
        input_shape=(8, 8, 3),
        num_classes=5,
        include_top=True,
        pooling=None,
        classifier_activation="softmax",
        name="net",
    )
    values.update(overrides)
    return BuildSpec(**values)


@pytest.mark.parametrize(
    ("pooling", "feature_shape", "expected"),
    [
        (None, (4, 4, 6), (None, 4, 4, 6)),
        ("avg", (4, 4, 6), (None, 6)),
        ("max", (4, 4, 6), (None, 6)),
        ("avg", (7, 6), (None, 6)),
        ("max", (2, 2, 2, 6), (None, 6)),
        ("avg", (6,), (None, 6)),
    ],
)
def test_pool_reduces_every_rank(pooling, feature_shape, expected):
    features = keras.Input(feature_shape)
    assert tuple(_spec(pooling=pooling, include_top=False).pool(features).shape) == expected


def test_classifier_runs_in_float32_under_mixed_precision():
    keras.config.set_dtype_policy("mixed_bfloat16")
    inputs, x = _spec().inputs()
    hidden = keras.layers.Dense(4)(keras.layers.Flatten()(x))
    outputs = _spec().classifier(hidden)
    assert keras.backend.standardize_dtype(hidden.dtype) == "bfloat16"
    assert keras.backend.standardize_dtype(outputs.dtype) == "float32"
    assert _spec().model_from(inputs, outputs).name == "net"


def test_inputs_rescale_only_when_asked():
    inputs, x = _spec().inputs()
    assert x is inputs
    _, scaled = _spec(include_preprocessing=True).inputs()
    assert scaled is not inputs


@pytest.mark.parametrize(
    ("record", "mode"),
    [
        ("TF", "tf"),  # keras.applications' MobileNet, Inception-v3, Xception: [-1, 1]
        ("CAFFE", "caffe"),  # its VGG: BGR, minus the ImageNet mean
        ("TORCH", "torch"),  # torchvision: [0, 1], then the ImageNet mean and std
    ],
)
def test_preprocessing_inside_the_model_is_keras_applications_own(record, mode):
    """``include_preprocessing`` with a tag's `Preprocessing` maps raw 0-255 RGB exactly as
    keras.applications' ``preprocess_input(mode=...)`` does, and as the record's NumPy map."""
    from zoo.weights import _records

    preprocessing = getattr(_records, record)
    spec = _spec(include_preprocessing=True, preprocessing=preprocessing)
    inputs, x = spec.inputs()
    model = keras.Model(inputs, x)
    images = np.random.default_rng(0).uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    expected = keras.applications.imagenet_utils.preprocess_input(images.copy(), mode=mode)
    np.testing.assert_allclose(model.predict(images, verbose=0), expected, atol=1e-4)
    np.testing.assert_allclose(preprocessing.apply(images), expected, atol=1e-4)


def test_preprocessing_defaults_to_unit_scaling():
    inputs, x = _spec(include_preprocessing=True).inputs()
    images = np.full((1, 8, 8, 3), 255.0, dtype="float32")
    np.testing.assert_allclose(keras.Model(inputs, x).predict(images, verbose=0), 1.0)
