"""zoo.weights._keras_applications: keras.applications' weights give the zoo twins its outputs.

Parity on random weights: every array of the source (BatchNorm's moving statistics and scales
included, whose defaults 0/1 would hide a mix-up) is drawn at random, then the converted zoo
model must give the source's logits (``classifier_activation=None`` on both sides) with the top,
at the default input, and the source's pooled features without it, at the minimum input.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from tests.helpers.weights import official_h5_layout, randomise
from zoo.weights._keras_applications import SOURCES, source_model
from zoo.weights.convert import arrays_from_keras_applications, from_keras_applications

TOLERANCE = 1e-4
MIN_SIZES = {"mobilenet": 32, "vgg_d": 32, "vgg_e": 32, "inception_v3": 75, "xception": 71}


def _difference(source, model, seed=1):
    x = np.random.default_rng(seed).uniform(-1, 1, (2, *source.input_shape[1:]))
    x = x.astype("float32")
    theirs = keras.ops.convert_to_numpy(source(x))
    ours = keras.ops.convert_to_numpy(model(x))
    assert ours.shape == theirs.shape
    return float(np.abs(ours - theirs).max())


@pytest.mark.parametrize("name", list(SOURCES))
def test_twin_gives_the_sources_outputs_with_and_without_the_top(name):
    source = randomise(source_model(name, classifier_activation=None))
    model = from_keras_applications(name, source, classifier_activation=None)
    assert model.count_params() == source.count_params()
    assert _difference(source, model) <= TOLERANCE

    size = MIN_SIZES[name]
    source = randomise(
        source_model(name, include_top=False, input_shape=(size, size, 3), pooling="avg"), seed=2
    )
    model = from_keras_applications(name, source, pooling="avg")
    assert "predictions" not in [layer.name for layer in model.layers]
    assert _difference(source, model) <= TOLERANCE


def _mobilenet(include_top, **kwargs):
    """A small randomised keras.applications MobileNet (alpha 0.25, 32x32)."""
    kwargs = {"alpha": 0.25, "input_shape": (32, 32, 3), **kwargs}
    return randomise(source_model("mobilenet", include_top=include_top, **kwargs))


def test_arrays_are_the_sources_in_the_zoo_layout():
    source = _mobilenet(True, classes=10)
    arrays = arrays_from_keras_applications("mobilenet_v1", source, alpha=0.25)
    head = source.get_layer("conv_preds").get_weights()
    np.testing.assert_array_equal(arrays["predictions"][0], head[0][0, 0])
    np.testing.assert_array_equal(arrays["predictions"][1], head[1])
    bn = source.get_layer("conv_pw_13_bn").get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(arrays["conv_pw_13_bn"], bn, strict=True))


@pytest.mark.parametrize(
    ("name", "source", "config", "phrase"),
    [
        ("mobilenet", "MobileNet", {"alpha": 0.5}, r"alpha and depth_multiplier\).*'conv1'"),
        ("vgg_e", "VGG16", {}, "13 Conv2D weighted layers, the zoo model 16 Conv2D"),
        ("xception", "MobileNet", {}, "is not keras.applications.Xception"),
    ],
)
def test_a_source_of_another_architecture_is_refused(name, source, config, phrase):
    source = getattr(keras.applications, source)(
        weights=None, include_top=False, input_shape=(71, 71, 3), **config
    )
    with pytest.raises(ValueError, match=phrase):
        from_keras_applications(name, source)


def test_a_source_without_its_top_gives_no_head_and_other_names_are_refused():
    source = _mobilenet(False)
    with pytest.raises(ValueError, match="it has no top; build it with include_top=False"):
        from_keras_applications("mobilenet", source, alpha=0.25, include_top=True, num_classes=3)
    with pytest.raises(ValueError, match=r"'resnet50' has no keras\.applications twin"):
        from_keras_applications("ResNet-50", source)


def test_a_legacy_h5_file_is_read_with_its_top_and_classes_or_without(tmp_path):
    top, notop = _mobilenet(True, classes=10, classifier_activation=None), _mobilenet(False)
    top.save(tmp_path / "top.h5")
    notop.save(tmp_path / "mobilenet_notop.h5")
    for source, path in (
        (top, official_h5_layout(tmp_path / "top.h5", tmp_path / "mobilenet_tf.h5")),
        (notop, tmp_path / "mobilenet_notop.h5"),
    ):
        model = from_keras_applications(
            "mobilenet", path, alpha=0.25, input_shape=(32, 32, 3), classifier_activation=None
        )
        assert model.output_shape == source.output_shape
        assert _difference(source, model) <= TOLERANCE
