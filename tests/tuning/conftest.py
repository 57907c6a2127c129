"""Shared set-up of the tuning tests: digits at 8x8 (a 64-input problem), tiny MLP widths."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ..conftest import REPO

TINY_MLP = {"units_1": 16, "units_2": 16, "units_3": 16}
"""Fixed widths that keep every mlp trial small (depth, activation etc. stay tuned)."""


@pytest.fixture(scope="session")
def digits():
    """``(train, validation)``: the digits train split (batches of 32) and its test split."""
    from zoo.training import data

    train = data.load("digits", "train", batch_size=32, seed=0, image_size=8)
    validation = data.load("digits", "test", batch_size=128, shuffle=False, image_size=8)
    return train, validation


def python_env(**extra) -> dict:
    """The environment for a child Python: quiet TensorFlow, the repo importable."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **extra}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    return env


def run_python(code: str, *, timeout: float, env=None) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter (a hard ``timeout``: nothing can hang the suite)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or python_env(),
        cwd=REPO,
    )
