"""seq2seq (Sutskever et al. 2014): learns to reverse digit sequences; decode, masking, errors."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import zoo
from tests.helpers.model_checks import check_round_trip, check_training_step
from zoo.models._sequence import START_ID
from zoo.models.seq2seq import decode

DIGITS = 10
FIRST_DIGIT = 2  # ids: 0 padding, 1 start, 2..11 the digits 0..9
VOCAB = FIRST_DIGIT + DIGITS


def reversal_data(rng, n, length):
    source = rng.integers(FIRST_DIGIT, VOCAB, size=(n, length)).astype("int32")
    target = source[:, ::-1]
    decoder_input = np.concatenate([np.full((n, 1), START_ID, "int32"), target[:, :-1]], axis=1)
    return source, decoder_input, target


def tiny_model(cell="lstm", source_length=5, target_length=5, **config):
    settings = {"embedding_dim": 8, "units": 8, "num_layers": 2, **config}
    return zoo.build(
        "seq2seq",
        input_shape=(source_length,),
        source_vocab_size=VOCAB,
        target_vocab_size=VOCAB,
        cell=cell,
        target_length=target_length,
        **settings,
    )


@pytest.mark.slow
def test_learns_to_reverse_digit_sequences():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    length = 5
    source, decoder_input, target = reversal_data(rng, 3000, length)
    held_out, _, held_out_target = reversal_data(np.random.default_rng(1), 500, length)
    model = tiny_model(embedding_dim=16, units=64, num_layers=1)
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    model.fit([source, decoder_input], target, batch_size=64, epochs=8, verbose=0)
    accuracy = float((decode(model, held_out) == held_out_target).mean())
    print(f"seq2seq reversal: greedy token accuracy on 500 held-out sequences = {accuracy:.4f}")
    assert accuracy >= 0.95


@pytest.mark.parametrize("cell", ["lstm", "gru", "peephole_lstm", "simple_rnn"])
def test_trains_one_step_round_trips_and_decodes_the_same(cell, tmp_path):
    keras.utils.set_random_seed(0)
    model = tiny_model(cell, dropout=0.1)
    source, decoder_input, target = reversal_data(np.random.default_rng(0), 4, 5)
    source[0, 3:] = 0
    check_training_step(model, [source, decoder_input], target)
    loaded = check_round_trip(model, [source, decoder_input], tmp_path)
    np.testing.assert_array_equal(decode(loaded, source), decode(model, source))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_greedy_decode_agrees_with_the_teacher_forced_graph(cell):
    """Feeding decode's own output back as the decoder input, the graph's argmax is that output."""
    keras.utils.set_random_seed(3)
    model = tiny_model(cell)
    source = reversal_data(np.random.default_rng(2), 6, 5)[0]
    source[:2, 3:] = 0
    tokens = decode(model, source)
    decoder_input = np.concatenate([np.full((6, 1), START_ID, "int32"), tokens[:, :-1]], axis=1)
    graph = keras.ops.convert_to_numpy(model([source, decoder_input])).argmax(axis=-1)
    np.testing.assert_array_equal(graph, tokens)


def test_source_padding_changes_nothing():
    keras.utils.set_random_seed(1)
    model = tiny_model(source_length=None)
    decoder_input = np.array([[START_ID, 4, 5, 6, 7]], dtype="int32")
    short = np.array([[3, 4, 5]], dtype="int32")
    padded = np.array([[3, 4, 5, 0, 0, 0]], dtype="int32")

    def run(source):
        return keras.ops.convert_to_numpy(model([source, decoder_input]))

    np.testing.assert_allclose(run(padded), run(short), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(decode(model, padded), decode(model, short))


def test_shapes_and_defaults():
    model = tiny_model(target_length=7)
    assert [tuple(i.shape) for i in model.inputs] == [(None, 5), (None, 7)]
    assert tuple(model.output.shape) == (None, 7, VOCAB)
    assert zoo.info("seq2seq").task == "language_model"
    encoder = tiny_model(include_top=False)
    assert tuple(encoder.output.shape) == (None, 2 * 2 * 8)  # (h, c) of two LSTM layers
    default = zoo.build("seq2seq")
    lstm = 4 * 256 * (256 + 256 + 1)
    assert default.count_params() == 2 * 10_000 * 256 + 4 * lstm + 256 * 10_000 + 10_000


def test_decode_respects_lengths_and_the_end_token():
    model = tiny_model(target_length=6)
    source = np.array([[3, 4, 5]], dtype="int32")
    assert decode(model, source).shape == (1, 6)
    assert decode(model, source, 2).shape == (1, 2)
    tokens = decode(model, source)
    end = tokens[0, 1]
    ended = decode(model, source, end_id=end)[0]
    first = int(np.flatnonzero(tokens[0] == end)[0])
    np.testing.assert_array_equal(ended[: first + 1], tokens[0, : first + 1])
    np.testing.assert_array_equal(ended[first + 1 :], 0)


def test_decode_refuses_sequences_longer_than_the_model():
    model = tiny_model(target_length=6)
    with pytest.raises(ValueError, match=r"sources.*max_length=5"):
        decode(model, np.ones((1, 7), "int32"))
    with pytest.raises(ValueError, match=r"length=9.*max_length=6"):
        decode(model, np.ones((1, 5), "int32"), 9)
    free = tiny_model(target_length=None)
    with pytest.raises(ValueError, match="length"):
        decode(free, np.ones((1, 5), "int32"))
    assert decode(free, np.ones((1, 5), "int32"), 9).shape == (1, 9)


@pytest.mark.parametrize(
    ("config", "argument"),
    [
        ({"source_vocab_size": 1}, "source_vocab_size"),
        ({"target_vocab_size": 1}, "target_vocab_size"),
        ({"units": 0}, "units"),
        ({"num_layers": 0}, "num_layers"),
        ({"cell": "transformer"}, "cell"),
        ({"target_length": 0}, "target_length"),
        ({"input_shape": (5, 2)}, "input_shape"),
    ],
)
def test_bad_arguments_name_the_argument(config, argument):
    with pytest.raises(ValueError, match=argument):
        zoo.build("seq2seq", **config)
