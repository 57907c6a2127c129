"""`zoo.build(name, weights=TAG)` end to end, with the tag's file pre-placed in Keras' cache.

keras.applications' MobileNet (its tag publishes no hash, so a randomised file in the official
layout stands in for the download) is loaded through the whole path: the cache, the
conversion, the ReLU6 the tag sets, its [-1, 1] preprocessing inside the model, a fresh head,
the backbone alone and the feature pyramid. Every weight of the stand-in is random, BatchNorm's
moving statistics included, so a layer loaded from the wrong place changes the outputs.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import zoo
from tests.helpers.weights import official_h5_layout, randomise
from zoo.weights import _fetch, _table
from zoo.weights._assign import layer_arrays
from zoo.weights._keras_applications import source_model

TAG = _table.resolve("mobilenet", "imagenet", {}, {})


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A randomised keras.applications MobileNet (logits) and its file in the official layout."""
    folder = tmp_path_factory.mktemp("keras_home")
    model = randomise(source_model("mobilenet", classifier_activation=None))
    model.save(folder / "full.h5")
    (folder / "models").mkdir()
    official_h5_layout(folder / "full.h5", folder / "models" / TAG.file_name)
    return model, folder


@pytest.fixture(scope="module")
def cached(source):
    """The source model, its file in Keras' cache ($KERAS_HOME), and no network."""
    model, folder = source
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KERAS_HOME", str(folder))
        patch.setattr(keras.utils, "get_file", lambda *a, **k: pytest.fail("downloaded"))
        yield model


@pytest.fixture(scope="module")
def plain(cached):
    """The tag, loaded once: logits, no preprocessing."""
    return zoo.build("mobilenet", weights="imagenet", classifier_activation=None)


IMAGES = np.random.default_rng(0).uniform(0, 255, (2, 224, 224, 3)).astype("float32")


def test_the_tag_gives_the_sources_outputs_with_its_preprocessing_inside(cached, plain):
    model = zoo.build(
        "mobilenet", weights="imagenet", include_preprocessing=True, classifier_activation=None
    )
    assert _fetch.fetch(TAG).parent.parent == _fetch.cache_dir()
    assert [layer.name for layer in model.layers[1:3]] == ["rescaling", "conv1"]
    scaled = keras.applications.mobilenet.preprocess_input(IMAGES.copy())
    theirs = cached.predict(scaled, verbose=0)
    assert np.abs(plain.predict(scaled, verbose=0) - theirs).max() <= 1e-4
    # raw 0-255 RGB in: the model's own [-1, 1] (x * (1 / 127.5) - 1, within a float32 ulp of
    # keras' x / 127.5 - 1), then exactly the converted network
    inside = keras.Model(model.inputs, model.get_layer("rescaling").output).predict(IMAGES)
    np.testing.assert_allclose(inside, scaled, atol=1e-6)
    ours = model.predict(IMAGES, verbose=0)
    np.testing.assert_allclose(ours, plain.predict(inside, verbose=0), atol=1e-6)


def test_another_num_classes_keeps_every_weight_but_a_fresh_head(plain):
    tagged = layer_arrays(plain)
    model = zoo.build("mobilenet", weights="imagenet", num_classes=10)
    arrays = layer_arrays(model)
    assert arrays["predictions"][0].shape == (1024, 10)
    assert not np.allclose(arrays["predictions"][0], tagged["predictions"][0][:, :10])
    for name, values in arrays.items():
        if name != "predictions":
            for ours, theirs in zip(values, tagged[name], strict=True):
                np.testing.assert_array_equal(ours, theirs)


def test_the_backbone_and_the_feature_pyramid_load_without_the_top(plain):
    tagged = layer_arrays(plain)
    backbone = zoo.build(
        "mobilenet", weights="imagenet", include_top=False, pooling="avg", input_shape=(96, 96, 3)
    )
    features = zoo.build("mobilenet", weights="imagenet", features_only=True, out_indices=[-1])
    for model in (backbone, features):
        arrays = layer_arrays(model)
        assert "predictions" not in arrays and len(arrays) == len(tagged) - 1
        np.testing.assert_array_equal(arrays["conv_pw_13"][0], tagged["conv_pw_13"][0])


def test_a_configuration_the_weights_do_not_fit_is_refused_by_name(cached):
    with pytest.raises(ValueError, match=r"activation='relu' \(the weights need activation="):
        zoo.build("mobilenet", weights="imagenet", activation="relu")
