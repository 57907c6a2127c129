"""Shared test set-up: quiet TensorFlow, fresh Keras state for every test, repo paths, the
backend skips, and the fast tier (``--fast``, ``--store-durations``: `tests.helpers.fast_tier`)."""

from __future__ import annotations

import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import pytest

from tests.helpers import fast_tier

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


def pytest_addoption(parser):
    group = parser.getgroup("zoo")
    group.addoption(
        "--fast",
        action="store_true",
        help="run the fast tier only (make test-fast): no slow test, none recorded over "
        f"{fast_tier.BUDGET} s, and at least one test of every file and of every model",
    )
    group.addoption(
        "--store-durations",
        action="store_true",
        help=f"record every test's duration in tests/{fast_tier.DURATIONS.name} (for --fast)",
    )


def pytest_configure(config):
    global _DURATIONS
    _DURATIONS = {} if config.getoption("store_durations") else None


_DURATIONS: dict[str, float] | None = None


def pytest_runtest_logreport(report):
    """Sum setup, call and teardown per test (in the xdist controller: from every worker)."""
    if _DURATIONS is not None:
        _DURATIONS[report.nodeid] = _DURATIONS.get(report.nodeid, 0.0) + report.duration


def pytest_sessionfinish(session, exitstatus):
    if _DURATIONS and not hasattr(session.config, "workerinput"):
        fast_tier.store(_DURATIONS)


def pytest_collection_modifyitems(config, items):
    if config.getoption("fast"):
        _keep_the_fast_tier(config, items)
    _skip_under_other_backends(items)


def _keep_the_fast_tier(config, items):
    slow = {item.nodeid for item in items if item.get_closest_marker("slow")}
    import zoo

    ids = [item.nodeid for item in items]
    kept = fast_tier.select(ids, fast_tier.load(), slow, zoo.list_models())
    config.hook.pytest_deselected(items=[item for item in items if item.nodeid not in kept])
    items[:] = [item for item in items if item.nodeid in kept]


def _skip_under_other_backends(items):
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
