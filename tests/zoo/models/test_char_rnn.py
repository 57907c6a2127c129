"""char_rnn: the lecture's "hello" language model, the Vocabulary, sampling and temperature."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import zoo
from tests.helpers.model_checks import check_round_trip, check_training_step
from zoo.models.char_rnn import Vocabulary, sample, with_temperature


def test_vocabulary_of_hello_is_the_lectures():
    vocab = Vocabulary.from_text("hello")
    assert vocab.characters == "helo"
    assert vocab.size == 5  # h, e, l, o and padding
    np.testing.assert_array_equal(vocab.encode("hell"), [1, 2, 3, 3])
    assert vocab.decode([1, 2, 3, 3, 4, 0, 0]) == "hello"
    np.testing.assert_array_equal(vocab.encode("he", max_length=4), [1, 2, 0, 0])


def test_vocabulary_config_round_trip():
    vocab = Vocabulary.from_text("to be or not to be")
    assert Vocabulary.from_config(vocab.get_config()) == vocab
    assert Vocabulary.from_json(vocab.to_json()) == vocab


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda v: v.encode("hex"), "vocabulary"),
        (lambda v: v.encode("hello", max_length=3), "max_length"),
        (lambda v: v.decode([7]), "ids"),
        (lambda v: Vocabulary("hh"), "distinct"),
        (lambda v: Vocabulary.from_text(""), "text"),
    ],
)
def test_vocabulary_errors(call, argument):
    with pytest.raises(ValueError, match=argument):
        call(Vocabulary.from_text("hello"))


@pytest.fixture
def hello_model():
    """The lecture's example: an Elman RNN trained on "hello" (inputs h,e,l,l -> e,l,l,o)."""
    keras.utils.set_random_seed(0)
    vocab = Vocabulary.from_text("hello")
    model = zoo.build(
        "char_rnn",
        vocab_size=vocab.size,
        cell="simple_rnn",
        units=8,
        num_layers=1,
        input_shape=(4,),
    )
    model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy")
    inputs = np.repeat(vocab.encode("hell")[None], 150, axis=0)
    targets = np.repeat(vocab.encode("ello")[None], 150, axis=0)
    model.fit(inputs, targets, batch_size=1, epochs=1, verbose=0)
    return model, vocab


def test_hello_predicts_e_l_l_o_and_greedy_sampling_spells_hello(hello_model):
    model, vocab = hello_model
    probabilities = model.predict(vocab.encode("hell")[None], verbose=0)[0]
    assert vocab.decode(probabilities.argmax(axis=-1)) == "ello"
    assert sample(model, vocab, "h", 4, temperature=0) == "hello"
    assert sample(model, vocab, "h", 4, temperature=0, seed=123) == "hello"


def test_sampling_is_seeded_and_runs_past_the_training_length(hello_model):
    model, vocab = hello_model
    text = sample(model, vocab, "he", 12, temperature=1.5, seed=7)
    assert len(text) == 14 and text.startswith("he") and set(text) <= set("helo")
    assert sample(model, vocab, "he", 12, temperature=1.5, seed=7) == text


def _entropy(p):
    return float(-(p * np.log(np.maximum(p, 1e-300))).sum())


def test_temperature_zero_is_greedy_and_higher_spreads_the_distribution():
    p = np.array([0.1, 0.6, 0.2, 0.1])
    np.testing.assert_array_equal(with_temperature(p, 0), [0, 1, 0, 0])
    np.testing.assert_allclose(with_temperature(p, 1.0), p)
    entropies = [_entropy(with_temperature(p, t)) for t in (0.25, 0.5, 1.0, 2.0, 10.0)]
    assert entropies == sorted(entropies)
    assert entropies[-1] < np.log(4) and entropies[0] > 0
    with pytest.raises(ValueError, match="temperature"):
        with_temperature(p, -1.0)


@pytest.mark.parametrize(
    "config",
    [
        {"embedding_dim": None, "cell": "lstm", "num_layers": 2, "dropout": 0.1},
        {"embedding_dim": 5, "cell": "peephole_lstm", "num_layers": 1},
        {"embedding_dim": 5, "cell": "gru", "num_layers": 2},
    ],
)
def test_trains_one_step_and_round_trips(config, tmp_path):
    keras.utils.set_random_seed(0)
    model = zoo.build("char_rnn", vocab_size=7, units=4, input_shape=(6,), **config)
    x = np.array([[1, 2, 3, 4, 5, 6], [6, 5, 4, 0, 0, 0]], dtype="int32")
    y = np.roll(x, -1, axis=1)
    check_training_step(model, x, y)
    loaded = check_round_trip(model, x, tmp_path)
    vocab = Vocabulary("abcdef")
    assert sample(loaded, vocab, "ab", 5, seed=0) == sample(model, vocab, "ab", 5, seed=0)


def test_one_hot_input_is_a_frozen_identity_and_the_parameter_count_is_the_lectures():
    m, n = 5, 3  # the lecture's vocabulary (plus padding) and a 3-unit hidden layer
    model = zoo.build("char_rnn", vocab_size=m, cell="simple_rnn", units=n, num_layers=1)
    embedding = model.get_layer("embedding")
    assert not embedding.trainable
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(embedding.embeddings), np.eye(m))
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == n * (m + n + 1) + (n * m + m)


def test_padding_changes_nothing():
    keras.utils.set_random_seed(2)
    model = zoo.build("char_rnn", vocab_size=7, units=4, input_shape=(None,), embedding_dim=3)
    short = np.array([[1, 2, 3]], dtype="int32")
    padded = np.array([[1, 2, 3, 0, 0]], dtype="int32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model(padded))[:, :3],
        keras.ops.convert_to_numpy(model(short)),
        rtol=1e-6,
    )


def test_default_is_char_rnn_two_lstm_layers_of_128():
    info = zoo.info("char_rnn")
    model = zoo.build("char_rnn")
    assert info.task == "language_model"
    assert tuple(model.output.shape) == (None, 50, 66)
    lstm = 4 * 128 * (66 + 128 + 1) + 4 * 128 * (128 + 128 + 1)
    assert model.count_params() == 66 * 66 + lstm + 128 * 66 + 66


@pytest.mark.parametrize(
    ("config", "argument"),
    [
        ({"vocab_size": 1}, "vocab_size"),
        ({"units": 0}, "units"),
        ({"cell": "transformer"}, "cell"),
        ({"embedding_dim": 0}, "embedding_dim"),
        ({"num_layers": 0}, "num_layers"),
        ({"input_shape": (5, 3)}, "input_shape"),
        ({"include_preprocessing": True}, "include_preprocessing"),
    ],
)
def test_bad_arguments_name_the_argument(config, argument):
    with pytest.raises(ValueError, match=argument):
        zoo.build("char_rnn", **config)


def test_bad_sampling_arguments(hello_model):
    model, vocab = hello_model
    with pytest.raises(ValueError, match="length"):
        sample(model, vocab, "h", -1)
    with pytest.raises(ValueError, match="prefix"):
        sample(model, vocab, "", 3)
    with pytest.raises(ValueError, match="vocabulary"):
        sample(model, vocab, "x", 3)
