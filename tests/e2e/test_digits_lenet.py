"""The walking skeleton on real data: LeNet-5 trained on digits, evaluated and exported."""

from __future__ import annotations

import time

import keras
import numpy as np
import tensorflow as tf

import zoo
from zoo.training import data, fit


def test_lenet5_reaches_95_percent_on_digits_and_exports(tmp_path, record_property):
    keras.utils.set_random_seed(0)
    train = data.load("digits", "train", batch_size=32, seed=0)
    test = data.load("digits", "test", batch_size=128, shuffle=False)
    model = zoo.build("lenet5")
    started = time.perf_counter()
    history = fit(model, train, epochs=15, learning_rate=0.05, momentum=0.9, verbose=0)
    seconds = time.perf_counter() - started
    _, accuracy = model.evaluate(test, verbose=0)
    record_property("test_accuracy", accuracy)
    record_property("train_seconds", seconds)
    print(f"lenet5 on digits: test accuracy {accuracy:.4f} after 15 epochs in {seconds:.1f} s")
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert accuracy >= 0.95

    path = zoo.export(model, tmp_path / "lenet5")
    images, _ = next(iter(test))
    loaded = tf.saved_model.load(str(path))  # keep a reference: its variables live with it
    served = loaded.serve(images).numpy()
    np.testing.assert_allclose(served, np.asarray(model(images)), atol=1e-5)
    assert np.mean(served.argmax(axis=1) == next(iter(test))[1].numpy()) >= 0.9
