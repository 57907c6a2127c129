"""Searches spread over two devices: ``tf.distribute.MirroredStrategy`` over two logical CPUs,
and on the JAX backend ``keras.distribution.DataParallel`` over two host devices; and a
``TPUStrategy`` (a stand-in: no TPU here) handed to keras-tuner unchanged.

Devices must be configured before the backend initialises, so each search runs in a fresh
interpreter.
"""

from __future__ import annotations

import keras
import keras_tuner
import pytest

from tests.helpers.children import Child
from zoo.tuning import search

from .conftest import TINY_MLP


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tf.distribute strategies")
def test_a_tpu_strategy_reaches_keras_tuner_unchanged(digits, tmp_path, monkeypatch):
    """A ``tf.distribute.TPUStrategy`` object (not connected to a TPU: it answers keras-tuner's
    questions about multi-worker mode through a one-device strategy's ``extended``) passes the
    zoo's checks and is the very object keras-tuner's tuner holds when its search starts."""
    import tensorflow as tf

    stand_in = tf.distribute.TPUStrategy.__new__(tf.distribute.TPUStrategy)
    stand_in._extended = tf.distribute.OneDeviceStrategy("/cpu:0").extended
    held = []
    monkeypatch.setattr(
        keras_tuner.Tuner, "search", lambda tuner, *a, **k: held.append(tuner.distribution_strategy)
    )
    train, validation = digits
    search(
        "mlp",
        train,
        validation,
        max_trials=1,
        epochs=1,
        directory=tmp_path,
        distribution_strategy=stand_in,
        verbose=0,
        **TINY_MLP,
    )
    assert len(held) == 1 and held[0] is stand_in


SCRIPT = """
import json, sys
import tensorflow as tf
(cpu,) = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
from zoo.training import data
from zoo.tuning import search
train = data.load("digits", "train", batch_size=32, seed=0, image_size=8)
validation = data.load("digits", "test", batch_size=128, shuffle=False, image_size=8)
result = search("mlp", train, validation, tuner="random", max_trials=2, epochs=1,
                directory=sys.argv[1], seed=1, verbose=0, distribution_strategy=strategy,
                units_1=16, units_2=16, units_3=16)
model = result.best_model()
print(json.dumps({"replicas": strategy.num_replicas_in_sync,
                  "statuses": [t.status for t in result.trials],
                  "best": result.best_score,
                  "variable_type": type(model.trainable_variables[0].value).__name__}))
"""


@pytest.mark.slow
def test_search_under_mirrored_strategy_on_two_cpus(tmp_path):
    # Forked from the zygote (TensorFlow imported, no op run): the logical CPUs can be set.
    report = Child(tmp_path, "mirrored", SCRIPT, tmp_path / "search").result()
    assert report["replicas"] == 2
    assert report["statuses"] == ["COMPLETED", "COMPLETED"]
    assert 0.0 < report["best"] <= 1.0
    assert report["variable_type"] == "MirroredVariable"  # built inside the strategy's scope


JAX_SCRIPT = """
import json
import keras
keras.distribution.set_distribution(keras.distribution.DataParallel())
from zoo.training import data
from zoo.tuning import search

class Shards(keras.callbacks.Callback):
    meshes = []
    def on_train_begin(self, logs=None):
        sharding = self.model.trainable_variables[0].value.sharding
        Shards.meshes.append(dict(sharding.mesh.shape))

train = data.load("digits", "train", batch_size=32, seed=0, image_size=8)
validation = data.load("digits", "test", batch_size=128, shuffle=False, image_size=8)
result = search("mlp", train, validation, tuner="random", max_trials=2, epochs=1,
                directory=DIRECTORY, seed=1, verbose=0, callbacks=[Shards()],
                units_1=16, units_2=16, units_3=16)
print(json.dumps({"backend": keras.backend.backend(), "meshes": Shards.meshes,
                  "statuses": [t.status for t in result.trials]}))
"""


@pytest.mark.slow
def test_search_under_jax_data_parallel_on_two_devices(tmp_path):
    """keras-tuner's clear_session between trials resets the global distribution; every
    trial must still be built on the two-device mesh (and its batches split evenly)."""
    code = JAX_SCRIPT.replace("DIRECTORY", repr(str(tmp_path / "search")))
    env = {"KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    report = Child(tmp_path, "parallel", code, env=env).result()
    assert report["backend"] == "jax"
    assert report["meshes"] == [{"batch": 2}, {"batch": 2}]
    assert report["statuses"] == ["COMPLETED", "COMPLETED"]
