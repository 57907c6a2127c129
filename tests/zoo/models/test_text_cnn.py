"""text_cnn (Kim 2014): parameter count by formula, masking of padding, max-norm, errors."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import zoo
from tests.helpers.model_checks import check_round_trip, check_training_step


def kim_parameters(vocab, k, widths, filters, classes):
    """V k (embedding) + sum_w (w k F + F) (convolutions) + 3F C + C (softmax)."""
    convolutions = sum(w * k * filters + filters for w in widths)
    return vocab * k + convolutions + len(widths) * filters * classes + classes


def test_default_is_kims_cnn_rand_and_matches_the_formula():
    model = zoo.build("text_cnn")
    assert model.count_params() == kim_parameters(18_765, 300, (3, 4, 5), 100, 2) == 5_990_402
    for width in (3, 4, 5):
        conv = model.get_layer(f"conv{width}")
        assert conv.kernel_size == (width,) and conv.filters == 100
        assert conv.get_config()["activation"] == "relu"
    assert model.get_layer("dropout").rate == 0.5
    assert tuple(model.output.shape) == (None, 2)


@pytest.mark.parametrize(
    ("vocab", "k", "widths", "filters", "classes"),
    [(50, 8, (2, 3), 6, 4), (1000, 16, (3, 4, 5), 10, 2), (30, 4, (7,), 3, 5)],
)
def test_parameter_count_by_formula(vocab, k, widths, filters, classes):
    model = zoo.build(
        "text_cnn",
        vocab_size=vocab,
        embedding_dim=k,
        filter_sizes=widths,
        num_filters=filters,
        num_classes=classes,
        input_shape=(20,),
    )
    assert model.count_params() == kim_parameters(vocab, k, widths, filters, classes)


def _randomised(model, seed=0):
    """Random weights everywhere, biases and the padding row included, so padding would show."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    return model


def test_padding_changes_nothing():
    model = _randomised(
        zoo.build("text_cnn", vocab_size=12, embedding_dim=4, num_filters=5, input_shape=(None,))
    )
    sentence = np.array([[3, 5, 7, 2, 9]], dtype="int32")
    expected = keras.ops.convert_to_numpy(model(sentence))
    for padded in ([[3, 5, 7, 2, 9, 0, 0, 0, 0, 0, 0]], [[0, 0, 0, 3, 5, 7, 2, 9]]):
        actual = keras.ops.convert_to_numpy(model(np.array(padded, dtype="int32")))
        np.testing.assert_allclose(actual, expected, rtol=1e-5)


def test_short_sentences_and_all_padding():
    features = _randomised(
        zoo.build(
            "text_cnn",
            vocab_size=12,
            embedding_dim=4,
            num_filters=5,
            input_shape=(10,),
            include_top=False,
        )
    )
    out = keras.ops.convert_to_numpy(features(np.array([[4] + [0] * 9, [0] * 10], dtype="int32")))
    assert out.shape == (2, 15)
    assert np.all(np.isfinite(out)) and np.any(out[0] != 0)
    np.testing.assert_array_equal(out[1], 0.0)


def test_trains_one_step_and_round_trips(tmp_path):
    keras.utils.set_random_seed(0)
    model = zoo.build(
        "text_cnn", vocab_size=20, embedding_dim=6, num_filters=4, input_shape=(9,), num_classes=3
    )
    x = np.random.default_rng(0).integers(1, 20, size=(4, 9)).astype("int32")
    x[1, 5:] = 0
    check_training_step(model, x, np.array([0, 1, 2, 1]))
    check_round_trip(model, x, tmp_path)


def test_max_norm_bounds_each_class_weight_vector():
    keras.utils.set_random_seed(0)
    model = zoo.build(
        "text_cnn", vocab_size=20, embedding_dim=6, num_filters=4, input_shape=(9,), dropout=0.0
    )
    model.compile(keras.optimizers.SGD(50.0), "sparse_categorical_crossentropy")
    x = np.random.default_rng(1).integers(1, 20, size=(8, 9)).astype("int32")
    model.fit(x, np.arange(8) % 2, epochs=3, verbose=0)
    kernel = keras.ops.convert_to_numpy(model.get_layer("predictions").kernel)
    norms = np.linalg.norm(kernel, axis=0)
    np.testing.assert_allclose(norms, 3.0, rtol=1e-4)  # pushed far past 3, clipped back
    unconstrained = zoo.build("text_cnn", vocab_size=20, input_shape=(9,), max_norm=None)
    assert unconstrained.get_layer("predictions").kernel_constraint is None


@pytest.mark.parametrize(
    ("config", "argument"),
    [
        ({"vocab_size": 1}, "vocab_size"),
        ({"num_filters": 0}, "num_filters"),
        ({"filter_sizes": []}, "filter_sizes"),
        ({"filter_sizes": [3, 3]}, "filter_sizes"),
        ({"embedding_dim": -1}, "embedding_dim"),
        ({"max_norm": 0}, "max_norm"),
        ({"dropout": -0.1}, "dropout"),
        ({"input_shape": (10, 4)}, "input_shape"),
    ],
)
def test_bad_arguments_name_the_argument(config, argument):
    with pytest.raises(ValueError, match=argument):
        zoo.build("text_cnn", **config)
