"""simple_rnn, lstm, gru, peephole_lstm: lecture parameter formulas, masking, tasks, cuDNN trap."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import zoo
from tests.helpers.model_checks import check_round_trip, check_training_step
from zoo.models import _sequence as rnn

CELLS = ("simple_rnn", "lstm", "gru", "peephole_lstm")

# The lecture's (seed 003) parameter counts of one recurrent layer, input size m, n units.
FORMULAS = {
    "simple_rnn": lambda m, n: n * (m + n + 1),
    "lstm": lambda m, n: 4 * n * (m + n + 1),
    "peephole_lstm": lambda m, n: 4 * n * (m + n + 1) + 3 * n,
    "gru": lambda m, n: 3 * n * (m + n + 1),
}


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize(("m", "n"), [(5, 4), (3, 7)])
def test_recurrent_layer_parameters_equal_the_lecture_formulas(cell, m, n):
    model = zoo.build(cell, input_shape=(6, m), units=n, num_layers=2, num_classes=3)
    assert model.get_layer(f"{cell}1").count_params() == FORMULAS[cell](m, n)
    assert model.get_layer(f"{cell}2").count_params() == FORMULAS[cell](n, n)
    assert model.count_params() == FORMULAS[cell](m, n) + FORMULAS[cell](n, n) + n * 3 + 3


def test_keras_default_gru_has_a_second_bias():
    m, n = 5, 4
    lecture = zoo.build("gru", input_shape=(6, m), units=n)
    keras_default = zoo.build("gru", input_shape=(6, m), units=n, reset_after=True)
    assert lecture.get_layer("gru1").count_params() == 3 * n * (m + n + 1)
    assert keras_default.get_layer("gru1").count_params() == 3 * n * (m + n + 2)
    assert lecture.get_layer("gru1").reset_after is False


@pytest.mark.parametrize("cell", CELLS)
def test_bidirectional_doubles_each_layer_and_the_next_input(cell):
    m, n = 5, 4
    model = zoo.build(cell, input_shape=(6, m), units=n, num_layers=2, bidirectional=True)
    assert model.get_layer("bidirectional1").count_params() == 2 * FORMULAS[cell](m, n)
    assert model.get_layer("bidirectional2").count_params() == 2 * FORMULAS[cell](2 * n, n)
    assert tuple(model.get_layer("bidirectional2").output.shape) == (None, 2 * n)


def test_token_ids_are_embedded_and_the_embedding_is_the_recurrent_input():
    model = zoo.build("lstm", input_shape=(12,), vocab_size=50, embedding_dim=6, units=4)
    assert model.get_layer("embedding").count_params() == 50 * 6
    assert model.get_layer("lstm1").count_params() == FORMULAS["lstm"](6, 4)
    assert model.inputs[0].dtype == "int32"


def test_default_is_an_imdb_sized_sentiment_lstm():
    info = zoo.info("lstm")
    model = zoo.build("lstm")
    assert info.task == "sequence_classification"
    assert tuple(model.output.shape) == (None, 2)
    assert model.count_params() == 20_000 * 128 + FORMULAS["lstm"](128, 128) + 128 * 2 + 2


def test_aliases_and_knobs():
    assert zoo.info("elman_rnn").name == "simple_rnn"
    assert "reset_after" in zoo.info("gru").config_arguments
    assert "reset_after" not in zoo.info("lstm").config_arguments
    assert "cell" not in zoo.info("lstm").config_arguments
    assert zoo.info("peephole_lstm").description.startswith("Peephole LSTM")
    with pytest.raises(ValueError, match="reset_after"):
        zoo.build("lstm", reset_after=True)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("task", ["sequence_classification", "sequence_tagging"])
def test_output_shapes_per_task(cell, task):
    model = zoo.build(cell, input_shape=(7, 3), units=4, task=task, num_classes=5)
    expected = (None, 5) if task == "sequence_classification" else (None, 7, 5)
    assert tuple(model.output.shape) == expected
    probabilities = np.asarray(model.predict(np.ones((2, 7, 3), "float32"), verbose=0))
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    ("task", "pooling", "shape"),
    [
        ("sequence_classification", None, (None, 8)),
        ("sequence_tagging", None, (None, 7, 8)),
        ("sequence_classification", "avg", (None, 8)),
        ("sequence_tagging", "max", (None, 8)),
    ],
)
def test_feature_extractor(task, pooling, shape):
    model = zoo.build(
        "gru",
        input_shape=(7, 3),
        units=4,
        bidirectional=True,
        task=task,
        include_top=False,
        pooling=pooling,
    )
    assert tuple(model.output.shape) == shape


# One configuration per cell, so that together they cover stacking, bidirectional, dropout,
# both tasks and both input kinds.
TRAINING_CASES = {
    "simple_rnn": {"num_layers": 2, "task": "sequence_tagging"},
    "lstm": {"bidirectional": True, "dropout": 0.2},
    "gru": {"num_layers": 2, "bidirectional": True, "task": "sequence_tagging"},
    "peephole_lstm": {"num_layers": 2, "dropout": 0.1},
}


@pytest.mark.parametrize("cell", CELLS)
def test_trains_one_step_and_round_trips(cell, tmp_path):
    keras.utils.set_random_seed(0)
    config = TRAINING_CASES[cell]
    model = zoo.build(
        cell, input_shape=(6,), vocab_size=10, embedding_dim=4, units=3, num_classes=3, **config
    )
    rng = np.random.default_rng(0)
    x = rng.integers(1, 10, size=(4, 6)).astype("int32")
    x[:2, 4:] = 0
    if config.get("task") == "sequence_tagging":
        y = rng.integers(0, 3, size=(4, 6))
    else:
        y = rng.integers(0, 3, size=(4,))
    check_training_step(model, x, y)
    check_round_trip(model, x, tmp_path)


def test_feature_vector_model_trains_and_round_trips(tmp_path):
    model = zoo.build("lstm", input_shape=(5, 3), units=4, task="sequence_tagging")
    x = np.random.default_rng(0).normal(size=(4, 5, 3)).astype("float32")
    check_training_step(model, x, np.zeros((4, 5), "int32"))
    check_round_trip(model, x, tmp_path)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_changes_nothing(cell, bidirectional):
    keras.utils.set_random_seed(1)
    tokens = np.array([[3, 5, 7, 2]], dtype="int32")
    padded_after = np.array([[3, 5, 7, 2, 0, 0, 0]], dtype="int32")
    padded_before = np.array([[0, 0, 3, 5, 7, 2]], dtype="int32")
    for task in ("sequence_classification", "sequence_tagging"):
        model = zoo.build(
            cell,
            input_shape=(None,),
            vocab_size=10,
            embedding_dim=4,
            units=3,
            num_layers=2,
            bidirectional=bidirectional,
            task=task,
        )

        def run(x, model=model):
            return keras.ops.convert_to_numpy(model(x, training=False))

        if task == "sequence_classification":
            np.testing.assert_allclose(run(padded_after), run(tokens), rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(run(padded_before), run(tokens), rtol=1e-5, atol=1e-6)
        else:
            np.testing.assert_allclose(run(padded_after)[:, :4], run(tokens), rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(run(padded_before)[:, 2:], run(tokens), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("config", "argument"),
    [
        ({"vocab_size": 1}, "vocab_size"),
        ({"vocab_size": 0}, "vocab_size"),
        ({"units": 0}, "units"),
        ({"units": -3}, "units"),
        ({"units": 2.5}, "units"),
        ({"num_layers": 0}, "num_layers"),
        ({"embedding_dim": 0}, "embedding_dim"),
        ({"dropout": 1.0}, "dropout"),
        ({"bidirectional": "yes"}, "bidirectional"),
        ({"task": "translation"}, "task"),
        ({"cell": "lstm"}, "cell"),
        ({"input_shape": (4, 4, 4)}, "input_shape"),
        ({"input_shape": (4, None)}, "input_shape"),
        ({"include_preprocessing": True}, "include_preprocessing"),
    ],
)
def test_bad_arguments_name_the_argument(config, argument):
    with pytest.raises(ValueError, match=argument):
        zoo.build("lstm", **config)


def test_unknown_cell_names_the_argument():
    with pytest.raises(ValueError, match=r"cell.*'transformer'"):
        rnn.recurrent_layer("transformer", 4)
    with pytest.raises(ValueError, match="reset_after"):
        zoo.build("gru", reset_after="no")


def test_cudnn_choice_is_off_exactly_for_jax_with_bfloat16():
    assert rnn.cudnn_choice("jax", "bfloat16") is False
    assert rnn.cudnn_choice("jax", "float32") == "auto"
    assert rnn.cudnn_choice("jax", "float16") == "auto"
    assert rnn.cudnn_choice("tensorflow", "bfloat16") == "auto"
    assert rnn.cudnn_choice("torch", "bfloat16") == "auto"


def _cudnn_settings():
    return {
        layer.name: layer.use_cudnn
        for name in ("lstm", "gru")
        for layer in zoo.build(name, input_shape=(5, 3), units=4, num_layers=2).layers
        if hasattr(layer, "use_cudnn")
    }


def test_builders_disable_cudnn_under_mixed_bfloat16_on_jax(monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    keras.config.set_dtype_policy("mixed_bfloat16")
    settings = _cudnn_settings()
    assert settings == {"lstm1": False, "lstm2": False, "gru1": False, "gru2": False}
    keras.config.set_dtype_policy("float32")
    assert set(_cudnn_settings().values()) == {"auto"}


def test_builders_keep_cudnn_auto_under_mixed_bfloat16_elsewhere(monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "tensorflow")
    keras.config.set_dtype_policy("mixed_bfloat16")
    assert set(_cudnn_settings().values()) == {"auto"}


def test_mixed_bfloat16_model_runs_with_float32_probabilities():
    keras.config.set_dtype_policy("mixed_bfloat16")
    model = zoo.build("lstm", input_shape=(5,), vocab_size=10, embedding_dim=4, units=4)
    assert model.get_layer("lstm1").compute_dtype == "bfloat16"
    probabilities = model(np.array([[1, 2, 3, 0, 0]], dtype="int32"))
    assert keras.backend.standardize_dtype(probabilities.dtype) == "float32"
