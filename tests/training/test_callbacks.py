"""ScheduleCallback, LearningRateLogger and LRFinder in real (short) training runs on digits."""

from __future__ import annotations

import csv

import keras
import numpy as np
import pytest

import zoo
from zoo.training import callbacks, data, schedules

# Keras warns that its own shuffle does not apply to tf.data sets; ours shuffle themselves.
pytestmark = pytest.mark.filterwarnings("ignore:`shuffle=True` was passed:UserWarning")

EPOCHS = 3
STEPS_PER_EPOCH = 23  # 1,437 digits in batches of 64


class RateRecorder(keras.callbacks.Callback):
    """The rate the optimizer is about to use, read at the start of every batch."""

    def __init__(self):
        super().__init__()
        self.rates = []

    def on_train_batch_begin(self, batch, logs=None):
        rate = keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)
        self.rates.append(float(np.asarray(rate)))


def small_model(optimizer):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(32, activation="tanh"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def digits(seed=0):
    return data.load("digits", batch_size=64, image_size=8, seed=seed)


def test_schedule_callback_follows_the_same_trajectory_as_the_optimizer_schedule():
    schedule = schedules.Warmup(schedules.CyclicLR(0.01, 0.2, 10, mode="triangular2"), 5)
    held = small_model(keras.optimizers.SGD(schedule, momentum=0.9))
    driven = small_model(keras.optimizers.SGD(0.5, momentum=0.9))
    runs = {}
    for name, model, extra in (
        ("held", held, []),
        ("driven", driven, [callbacks.ScheduleCallback(schedule)]),
    ):
        recorder = RateRecorder()
        history = model.fit(
            digits(),
            epochs=EPOCHS,
            verbose=0,
            callbacks=[*extra, callbacks.LearningRateLogger(), recorder],
        )
        runs[name] = (np.asarray(recorder.rates), history.history["learning_rate"])
    expected = schedules.evaluate(schedule, EPOCHS * STEPS_PER_EPOCH)
    np.testing.assert_allclose(runs["held"][0], expected, rtol=1e-6)
    np.testing.assert_allclose(runs["driven"][0], runs["held"][0], rtol=1e-6)
    # The logged rate of an epoch is the rate of its last step, identical for both drivers.
    last_steps = expected[STEPS_PER_EPOCH - 1 :: STEPS_PER_EPOCH]
    np.testing.assert_allclose(runs["held"][1], last_steps, rtol=1e-6)
    np.testing.assert_allclose(runs["driven"][1], runs["held"][1], rtol=1e-6)
    for a, b in zip(held.get_weights(), driven.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_schedule_callback_keeps_reductions_of_reduce_lr_on_plateau():
    schedule = schedules.CyclicLR(0.02, 0.2, 7)
    model = small_model(keras.optimizers.SGD(0.1))
    plateau = keras.callbacks.ReduceLROnPlateau("loss", factor=0.5, patience=0, min_delta=1e9)
    recorder = RateRecorder()
    scheduler = callbacks.ScheduleCallback(schedule)
    model.fit(digits(), epochs=4, verbose=0, callbacks=[scheduler, plateau, recorder])
    rates = np.asarray(recorder.rates).reshape(4, STEPS_PER_EPOCH)
    ratios = rates / schedules.evaluate(schedule, 4 * STEPS_PER_EPOCH).reshape(4, -1)
    # Epoch 0 sets the best loss; every later epoch end misses min_delta and halves the rate.
    np.testing.assert_allclose(ratios, np.array([[1.0], [1.0], [0.5], [0.25]]) + 0 * ratios, 1e-6)
    assert scheduler.factor == pytest.approx(0.25)


def test_reduce_lr_on_plateau_fails_on_an_optimizer_holding_a_schedule():
    """The trap `ScheduleCallback` exists for."""
    model = small_model(keras.optimizers.SGD(schedules.Constant(0.1)))
    plateau = keras.callbacks.ReduceLROnPlateau("loss", factor=0.5, patience=0, min_delta=1e9)
    with pytest.raises(TypeError, match="not settable"):
        model.fit(digits(), epochs=2, verbose=0, callbacks=[plateau])


def test_schedule_callback_refuses_an_optimizer_holding_a_schedule():
    model = small_model(keras.optimizers.SGD(schedules.Constant(0.1)))
    with pytest.raises(ValueError, match="compile with a float learning_rate"):
        model.fit(
            digits(),
            epochs=1,
            verbose=0,
            callbacks=[callbacks.ScheduleCallback(schedules.Constant(0.1))],
        )


def test_learning_rate_logger_feeds_history_and_csv(tmp_path):
    schedule = schedules.StepDecay(0.1, STEPS_PER_EPOCH, 0.5)
    model = small_model(keras.optimizers.SGD(schedule))
    path = tmp_path / "history.csv"
    history = model.fit(
        digits(),
        epochs=EPOCHS,
        verbose=0,
        callbacks=[callbacks.LearningRateLogger(), keras.callbacks.CSVLogger(str(path))],
    )
    # Epoch e's last step is STEPS_PER_EPOCH * (e + 1) - 1: still before the e+1-th drop.
    np.testing.assert_allclose(history.history["learning_rate"], [0.1, 0.05, 0.025], rtol=1e-6)
    with open(path) as file:
        logged = [float(row["learning_rate"]) for row in csv.DictReader(file)]
    np.testing.assert_allclose(logged, [0.1, 0.05, 0.025], rtol=1e-6)


def test_lr_finder_on_digits_with_lenet5(tmp_path):
    keras.utils.set_random_seed(0)
    model = zoo.build("lenet5")
    model.compile(keras.optimizers.SGD(0.01, momentum=0.9), "sparse_categorical_crossentropy")
    before = model.get_weights()
    train = data.load("digits", batch_size=32, seed=0)
    finder = callbacks.LRFinder(1e-5, 10.0, 120).run(model, train)
    assert 1e-4 <= finder.suggestion <= 1.0
    assert 20 <= len(finder.losses) == len(finder.learning_rates) == len(finder.smoothed_losses)
    assert len(finder.losses) <= 120
    assert np.all(np.diff(finder.learning_rates) > 0)
    assert finder.learning_rates[0] == pytest.approx(1e-5)
    # The curve starts near ln(10) (untrained softmax) and the test's best loss is well below.
    assert finder.smoothed_losses[0] == pytest.approx(np.log(10), abs=0.3)
    assert min(finder.smoothed_losses) < 0.6 * finder.smoothed_losses[0]
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # the range test leaves the model as it found it
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)
    path = finder.plot(tmp_path / "lr_finder.png")
    assert path.stat().st_size > 10_000
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_lr_finder_recovers_batch_losses_from_keras_running_means():
    model = small_model(keras.optimizers.SGD(0.01))
    finder = callbacks.LRFinder(1e-9, 1e-8, 10)  # rates too small to change the model
    train = data.load("digits", batch_size=64, image_size=8, shuffle=False)
    finder.run(model, train)
    x, y = next(iter(train.unbatch().batch(64 * 10)))
    per_example = keras.losses.sparse_categorical_crossentropy(y, model(x))
    batches = np.asarray(per_example).reshape(10, 64).mean(axis=1)
    np.testing.assert_allclose(finder.losses, batches, rtol=1e-4)


@pytest.mark.parametrize(
    ("kwargs", "phrase"),
    [
        ({"min_lr": 0}, r"min_lr must be in \(0.0, inf\]"),
        ({"min_lr": 1.0, "max_lr": 0.1}, r"max_lr must be > min_lr \(1.0\), got 0.1"),
        ({"num_steps": 2}, "num_steps must be an integer >= 5, got 2"),
        ({"smoothing": 1.0}, r"smoothing must be in \[0.0, 1.0\)"),
        ({"divergence": 1.0}, r"divergence must be in \(1.0, inf\]"),
    ],
)
def test_lr_finder_bad_arguments(kwargs, phrase):
    with pytest.raises(ValueError, match=phrase):
        callbacks.LRFinder(**kwargs)


def test_lr_finder_needs_a_run_before_suggesting_and_a_float_rate():
    with pytest.raises(ValueError, match="run the test first"):
        _ = callbacks.LRFinder().suggestion
    model = small_model(keras.optimizers.SGD(schedules.Constant(0.1)))
    with pytest.raises(ValueError, match="LRFinder drives the optimizer's learning rate"):
        callbacks.LRFinder().run(model, digits())
    with pytest.raises(ValueError, match=r"schedule must be a keras\.optimizers\.schedules"):
        callbacks.ScheduleCallback(0.1)


def test_a_checkpoint_that_does_not_write_restores_and_leaves_the_folder_alone(
    tmp_path, monkeypatch
):
    """The processes of a multi-process run other than the first: they resume from the shared
    folder, save into a scratch folder of their own (saving takes every process), and delete
    it when the run ends."""
    monkeypatch.setenv("TMPDIR", str(tmp_path / "scratch"))
    (tmp_path / "scratch").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    writer = small_model("sgd")
    writer.fit(
        digits(), epochs=2, callbacks=[callbacks.ResumableCheckpoint(tmp_path / "run")], verbose=0
    )
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "run").iterdir()}
    reader = small_model("sgd")
    checkpoint = callbacks.ResumableCheckpoint(tmp_path / "run", writes=False)
    assert checkpoint.restore(reader) == 2
    for a, b in zip(reader.get_weights(), writer.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    seen = []

    class Scratch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.extend(p.name for p in (tmp_path / "scratch").glob("zoo-checkpoint-*/*"))

    reader.fit(digits(), epochs=4, initial_epoch=2, callbacks=[checkpoint, Scratch()], verbose=0)
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "run").iterdir()} == before
    assert {"state.json", "epoch-0003.weights.h5", "epoch-0004.weights.h5"} <= set(seen)
    assert list((tmp_path / "scratch").iterdir()) == []  # deleted when the run ended
    with pytest.raises(ValueError, match="writes must be"):
        callbacks.ResumableCheckpoint(tmp_path / "run", writes="no")
