"""show_and_tell (Vinyals et al. 2015): any image backbone feeding an LSTM captioner."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import zoo
from tests.helpers.model_checks import check_round_trip, check_training_step
from zoo.models._sequence import START_ID
from zoo.models.show_and_tell import caption

VOCAB = 12
LENGTH = 6


def tiny_captioner(**config):
    """MobileNet at alpha 0.25 on 32x32 images and an 8-unit LSTM: the tiny configuration."""
    settings = {
        "input_shape": (32, 32, 3),
        "backbone_config": {"alpha": 0.25},
        "vocab_size": VOCAB,
        "embedding_dim": 8,
        "units": 8,
        "max_length": LENGTH,
        **config,
    }
    return zoo.build("show_and_tell", **settings)


def images(n, shape=(32, 32, 3), seed=0):
    return np.random.default_rng(seed).random((n, *shape), dtype=np.float32)


def test_builds_with_a_tiny_backbone_and_the_image_is_the_first_input():
    model = tiny_captioner()
    assert tuple(model.inputs[0].shape) == (None, 32, 32, 3)
    assert tuple(model.inputs[1].shape) == (None, LENGTH)
    assert tuple(model.output.shape) == (None, LENGTH, VOCAB)
    backbone = model.get_layer("backbone")
    assert tuple(backbone.output.shape) == (None, 256)  # MobileNet's 1024 channels x alpha
    lstm = model.get_layer("decoder_lstm1")
    assert lstm.count_params() == 4 * 8 * (8 + 8 + 1)


@pytest.mark.parametrize(
    ("backbone", "shape"), [("lenet5", (32, 32, 1)), ("mnist_cnn", (28, 28, 1))]
)
def test_any_registered_image_backbone(backbone, shape):
    model = tiny_captioner(backbone=backbone, backbone_config=None, input_shape=shape)
    assert model.get_layer("backbone").name == "backbone"
    assert caption(model, images(2, shape)).shape == (2, LENGTH)


def test_caption_returns_token_ids_of_the_requested_length():
    keras.utils.set_random_seed(0)
    model = tiny_captioner()
    batch = images(3)
    for length in (1, 4, LENGTH):
        tokens = caption(model, batch, length)
        assert tokens.shape == (3, length) and tokens.dtype == np.int32
        assert np.all((tokens >= 0) & (tokens < VOCAB))
    assert caption(model, batch).shape == (3, LENGTH)
    with pytest.raises(ValueError, match=r"length=7.*max_length=6"):
        caption(model, batch, 7)


def test_greedy_caption_agrees_with_the_teacher_forced_graph():
    keras.utils.set_random_seed(4)
    model = tiny_captioner()
    batch = images(4, seed=1)
    tokens = caption(model, batch)
    caption_input = np.concatenate([np.full((4, 1), START_ID, "int32"), tokens[:, :-1]], axis=1)
    graph = keras.ops.convert_to_numpy(model([batch, caption_input])).argmax(axis=-1)
    np.testing.assert_array_equal(graph, tokens)


def test_trains_one_step_and_round_trips(tmp_path):
    keras.utils.set_random_seed(0)
    model = tiny_captioner(dropout=0.1)
    batch = images(2)
    captions = np.array([[1, 4, 5, 6, 2, 0], [1, 7, 2, 0, 0, 0]], dtype="int32")
    targets = np.array([[4, 5, 6, 2, 0, 0], [7, 2, 0, 0, 0, 0]], dtype="int32")
    check_training_step(model, [batch, captions], targets)
    loaded = check_round_trip(model, [batch, captions], tmp_path)
    np.testing.assert_array_equal(caption(loaded, batch), caption(model, batch))


def test_caption_padding_changes_nothing_before_it():
    keras.utils.set_random_seed(0)
    model = tiny_captioner()
    batch = images(1)
    short = np.array([[1, 4, 5, 0, 0, 0]], dtype="int32")
    other = np.array([[1, 4, 5, 9, 3, 3]], dtype="int32")
    out_short = keras.ops.convert_to_numpy(model([batch, short]))
    out_other = keras.ops.convert_to_numpy(model([batch, other]))
    np.testing.assert_allclose(out_short[:, :3], out_other[:, :3], rtol=1e-6)


def test_default_uses_mobilenet():
    model = zoo.build("show_and_tell")
    assert tuple(model.inputs[0].shape) == (None, 224, 224, 3)
    assert tuple(model.get_layer("backbone").output.shape) == (None, 1024)
    assert tuple(model.output.shape) == (None, 20, 10_000)


@pytest.mark.parametrize(
    ("config", "pattern"),
    [
        ({"backbone": "lstm"}, "backbone must be an image model"),
        ({"backbone": "char_rnn"}, "backbone must be an image model"),
        ({"backbone": "mobilnet"}, "backbone.*Did you mean"),
        ({"backbone": 3}, "backbone"),
        ({"backbone_config": {"alphaa": 1}}, "backbone_config"),
        ({"vocab_size": 1}, "vocab_size"),
        ({"units": 0}, "units"),
        ({"cell": "transformer"}, "cell"),
        ({"max_length": 0}, "max_length"),
        ({"include_top": False}, "include_top"),
    ],
)
def test_bad_arguments_name_the_argument(config, pattern):
    with pytest.raises(ValueError, match=pattern):
        tiny_captioner(**config)
