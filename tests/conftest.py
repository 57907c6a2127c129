"""Shared test set-up: quiet TensorFlow, fresh Keras state for every test, repo paths."""

from __future__ import annotations

import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _fresh_keras_state():
    """Each test starts from the float32 policy and a cleared session, whatever the last did."""
    keras.config.set_dtype_policy("float32")
    yield
    keras.config.set_dtype_policy("float32")
    keras.backend.clear_session(free_memory=False)  # skip gc.collect: ~0.4 s per test


@pytest.fixture
def umask_022():
    """The umask 022 of most systems for the test (export permissions), restored after."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def shared_data():
    """The checksummed real data sets in ../shared/data (the test skips when absent)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is absent")
    return SHARED_DATA


def pytest_collection_modifyitems(config, items):
    """Skip `tensorflow_only` and `backend_heavy` tests under the other backends, with the reason.

    - ``@pytest.mark.tensorflow_only("why")``: the test checks TensorFlow itself (a ``tf.*``
      reference op, ``tf.function``, ``tf.data``, SavedModel), so it means nothing elsewhere.
    - ``@pytest.mark.backend_heavy("why")``: a costly test (big forward passes) whose code path
      the TensorFlow run covers and cheaper tests exercise on every backend; skipped under jax and
      torch to keep `make test-backends` within the CI budget. ``slow`` tests count as heavy.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return
    for item in items:
        for name, what in (
            ("tensorflow_only", "tests TensorFlow itself"),
            ("backend_heavy", "heavy; the TensorFlow run covers it"),
            ("slow", "slow; the TensorFlow run covers it"),
        ):
            marker = item.get_closest_marker(name)
            if marker is not None:
                why = marker.args[0] if marker.args else marker.kwargs.get("reason", "")
                reason = f"{name} ({what}{': ' + why if why else ''}); backend is {backend}"
                item.add_marker(pytest.mark.skip(reason=reason))
                break
