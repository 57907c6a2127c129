"""Registry behaviour: names, aliases, patterns, filters, suggestions and argument checks."""

from __future__ import annotations

import dataclasses
import re

import keras
import numpy as np
import pytest

import zoo
from zoo.models import _registry as registry


def test_aliases_case_and_dashes_resolve_to_one_canonical_name():
    assert zoo.info("lenet").name == "lenet5"
    assert zoo.info("LeNet5").name == "lenet5"
    assert zoo.info("mnist-cnn").name == "mnist_cnn"
    assert zoo.info(" MLP ").name == "mlp"
    assert zoo.build("LENET", num_classes=3).name == "lenet5"


def test_list_models_sorted_canonical_with_patterns_and_filters():
    names = zoo.list_models()
    assert names == sorted(names)
    assert {"softmax_regression", "mlp", "lenet5", "mnist_cnn"} <= set(names)
    assert zoo.list_models("lenet*") == ["lenet5"]
    assert zoo.list_models("LeNet") == ["lenet5"]  # an alias matches, the canonical name returns
    assert zoo.list_models("mnist-*") == ["mnist_cnn"]
    assert zoo.list_models("no_such_*") == []
    assert zoo.list_models(family="mlp") == ["mlp", "softmax_regression"]
    image = zoo.list_models(task="image_classification")
    assert "lenet5" in image and all(zoo.info(n).task == "image_classification" for n in image)


@pytest.mark.parametrize(
    ("kwargs", "phrase"),
    [({"task": "regression"}, "task must be one of"), ({"family": "nope"}, "family must be")],
)
def test_list_models_rejects_unknown_filters(kwargs, phrase):
    with pytest.raises(ValueError, match=phrase):
        zoo.list_models(**kwargs)


@pytest.mark.parametrize(
    ("typo", "suggestion"), [("lenett", "'lenet"), ("mnist_cn", "'mnist_cnn'"), ("mpl", "'mlp'")]
)
def test_unknown_name_suggests_the_closest(typo, suggestion):
    with pytest.raises(
        ValueError, match=re.escape(f"Unknown model '{typo}'. Did you mean {suggestion}")
    ):
        zoo.build(typo)
    with pytest.raises(ValueError, match="Did you mean"):
        zoo.info(typo)


def test_unknown_name_without_close_match_lists_the_models():
    with pytest.raises(ValueError, match=r"Known models: .*lenet5"):
        zoo.info("qqqqqqqqqq")


@pytest.mark.parametrize("name", zoo.list_models())
def test_info_fields_are_filled(name):
    info = zoo.info(name)
    assert info.name == name and info.family and info.paper and info.description
    assert info.task in zoo.TASKS
    assert 1940 < info.year <= 2026
    assert all(isinstance(d, int) and d > 0 for d in info.default_input_shape)
    # num_params (a build at the default configuration) is compared with the built model's
    # count in tests/zoo/test_models.py.
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.name = "other"


@pytest.mark.parametrize(
    ("name", "kwargs", "phrase"),
    [
        (
            "mlp",
            {"hidden_units": [0]},
            r"hidden_units must be a list of positive integers, got \[0\]",
        ),
        ("mlp", {"hidden_units": 5}, "hidden_units must be a list"),
        ("mlp", {"dropout": 1.0}, r"dropout must be in \[0.0, 1.0\), got 1.0"),
        ("mlp", {"activation": "sigmoidd"}, "activation must be one of .*Keras activation name"),
        ("mlp", {"num_classes": 0}, "num_classes must be an integer >= 1, got 0"),
        ("mlp", {"num_classes": 2.5}, "num_classes must be an integer >= 1, got 2.5"),
        (
            "lenet5",
            {"input_shape": (15, 15, 1)},
            "too small for 'lenet5'.*minimum spatial size is 16x16",
        ),
        ("lenet5", {"input_shape": (32, 32)}, "input_shape must have 3 dimensions"),
        (
            "lenet5",
            {"input_shape": (32, -1, 1)},
            "input_shape must be a tuple of positive integers",
        ),
        ("lenet5", {"subsampling": "median"}, "subsampling must be one of 'avg', 'max'"),
        ("lenet5", {"pooling": "avg"}, "pooling='avg' applies only with include_top=False"),
        ("lenet5", {"include_top": False, "pooling": "mean"}, "pooling must be one of"),
        ("lenet5", {"classifier_activation": "softmaxx"}, "classifier_activation must be None"),
        ("lenet5", {"include_top": "no"}, "include_top must be True or False"),
        ("lenet5", {"hidden_units": [3]}, "Unknown argument 'hidden_units' for model 'lenet5'"),
        ("mnist_cnn", {"input_shape": (3, 3, 1)}, "minimum spatial size is 4x4"),
        ("softmax_regression", {"dropout": 0.5}, "its own arguments are: none"),
    ],
)
def test_bad_arguments_raise_value_errors_naming_them(name, kwargs, phrase):
    with pytest.raises(ValueError, match=phrase):
        zoo.build(name, **kwargs)


def test_minimum_input_size_is_exact_for_lenet5():
    model = zoo.build("lenet5", input_shape=(16, 16, 1))
    assert model.output.shape == (None, 10)


def test_name_sets_the_keras_model_name_and_num_classes_the_output():
    model = zoo.build("mlp", name="digits_net", num_classes=7, input_shape=(8, 8, 1))
    assert model.name == "digits_net"
    assert model.output.shape == (None, 7)


def test_include_preprocessing_rescales_raw_pixels_inside_the_model():
    plain = zoo.build("lenet5")
    scaled = zoo.build("lenet5", include_preprocessing=True)
    scaled.set_weights(plain.get_weights())
    pixels = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 1)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(scaled(pixels)),
        keras.ops.convert_to_numpy(plain(pixels / 255.0)),
        rtol=1e-5,
        atol=1e-6,
    )
    assert scaled.get_layer("rescaling").scale == pytest.approx(1 / 255)


def test_weights_file_loads_into_the_same_configuration(tmp_path):
    source = zoo.build("mlp", hidden_units=[16], input_shape=(8, 8, 1))
    path = tmp_path / "mlp.weights.h5"
    source.save_weights(path)
    restored = zoo.build("mlp", hidden_units=[16], input_shape=(8, 8, 1), weights=path)
    for a, b in zip(source.get_weights(), restored.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_bad_weights_argument(tmp_path):
    with pytest.raises(ValueError, match=r"'\.weights\.h5' file"):
        zoo.build("mlp", weights="imagenet")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        zoo.build("mlp", weights=tmp_path / "missing.weights.h5")
    zoo.build("mlp", hidden_units=[16]).save_weights(tmp_path / "other.weights.h5")
    with pytest.raises(ValueError, match="does not match model"):
        zoo.build("mlp", hidden_units=[32], weights=tmp_path / "other.weights.h5")


def test_register_refuses_taken_and_malformed_names():
    with pytest.raises(ValueError, match="already registered"):
        registry.register(
            "lenet",
            family="x",
            task="image_classification",
            paper="p",
            year=2000,
            default_input_shape=(8, 8, 1),
        )
    with pytest.raises(ValueError, match="lower case with underscores"):
        registry.register(
            "Bad-Name",
            family="x",
            task="image_classification",
            paper="p",
            year=2000,
            default_input_shape=(8, 8, 1),
        )
    with pytest.raises(ValueError, match="task must be one of"):
        registry.register(
            "fresh_name",
            family="x",
            task="detection",
            paper="p",
            year=2000,
            default_input_shape=(8, 8, 1),
        )
    assert "fresh_name" not in zoo.list_models()
