"""The training recipe: one place that compiles and schedules a run for fit, the tuner and CLI."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from zoo.training import callbacks, recipe, schedules


def test_run_schedule_names_instances_warmup_and_none():
    assert recipe.run_schedule(None, learning_rate=0.1, total_steps=100) is None
    warm = recipe.run_schedule(None, learning_rate=0.1, total_steps=100, warmup_steps=10)
    assert isinstance(warm, schedules.Warmup)
    assert float(warm(5)) == pytest.approx(0.05) and float(warm(50)) == pytest.approx(0.1)
    cosine = recipe.run_schedule("cosine", learning_rate=0.1, total_steps=100, warmup_steps=10)
    reference = schedules.get("cosine", 10, learning_rate=0.1, total_steps=100)
    for step in (0, 9, 10, 55, 99):
        assert float(cosine(step)) == pytest.approx(float(reference(step)))
    held = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    assert recipe.run_schedule(held, learning_rate=1.0, total_steps=None) is held
    wrapped = recipe.run_schedule(held, learning_rate=1.0, total_steps=None, warmup_steps=4)
    assert float(wrapped(4 + 10)) == pytest.approx(0.05)
    with pytest.raises(ValueError, match="schedule must be a name"):
        recipe.run_schedule(3, learning_rate=0.1, total_steps=10)
    with pytest.raises(ValueError, match="warmup_steps must be an integer >= 0, got -1"):
        recipe.run_schedule(None, learning_rate=0.1, total_steps=10, warmup_steps=-1)


def test_loss_and_metrics_follow_outputs_labels_and_task():
    inputs = keras.Input((3,))
    probabilities = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(inputs))
    logits = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    loss = recipe.default_loss(probabilities)
    assert isinstance(loss, keras.losses.SparseCategoricalCrossentropy) and not loss.from_logits
    assert recipe.default_loss(logits).from_logits
    assert isinstance(
        recipe.default_loss(logits, task="autoencoder"), keras.losses.MeanSquaredError
    )
    assert recipe.metrics_for("q_values") == ["mae"]
    assert recipe.metrics_for("image_classification") == ["accuracy"]


def test_compile_model_and_run_callbacks():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(inputs))
    recipe.compile_model(model, optimizer="nesterov", learning_rate=0.2, loss_scale=True)
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    inner = model.optimizer.inner_optimizer
    assert inner.nesterov and float(inner.learning_rate) == pytest.approx(0.2)
    kinds = [type(c) for c in recipe.run_callbacks()]
    assert kinds == [callbacks.LearningRateLogger, keras.callbacks.TerminateOnNaN]
    driven = recipe.run_callbacks(schedules.Constant(0.1))
    assert [type(c) for c in driven][1] is callbacks.ScheduleCallback
    history = model.fit(
        np.ones((8, 3), np.float32),
        np.zeros(8),
        epochs=1,
        verbose=0,
        callbacks=recipe.run_callbacks(),
    )
    assert history.history["learning_rate"] == [pytest.approx(0.2)]
