"""Subprocess helpers of the fault tests: children that are SIGKILLed at seeded random points.

A child (`tests.helpers.children.Child`: forked from a zygote that has imported TensorFlow,
Keras and zoo, or a fresh ``python`` with ``ZOO_TEST_NO_FORK_SERVER=1``) reports its progress by
appending lines to a file; the parent polls that file and kills the child with SIGKILL once a
seeded target is reached (plus a seeded jitter), so the kill lands at a reproducible *kind* of
point (a batch, a trial, the middle of an export) whatever the machine's load.
"""

from __future__ import annotations

import pathlib
import random
import signal
import textwrap

import pytest

from tests.helpers.children import Child


def count_lines(path: pathlib.Path, prefix: str = "") -> int:
    try:
        with open(path) as file:
            return sum(1 for line in file if line.startswith(prefix) and line.endswith("\n"))
    except FileNotFoundError:
        return 0


@pytest.fixture
def spawn(tmp_path):
    """``spawn(name, script, *args)`` starts a `Child` in ``tmp_path`` (killed at the end)."""
    children = []

    def start(name, script, *args):
        child = Child(tmp_path, name, script, *args)
        children.append(child)
        return child

    yield start
    for child in children:
        child.kill()


def seeded(seed: int) -> random.Random:
    return random.Random(f"reliability-{seed}")


# Prepended to a child script: counts the process's write steps (each call of the functions
# given to `after_step`), logs them to $ZOO_TEST_STEP_LOG and SIGKILLs the process right after
# step $ZOO_TEST_KILL_AT (1-based; 0 never). A run with 0 lists the steps; a run with k kills
# the process at the k-th, deterministically, whatever the machine's load.
STEP_INJECTOR = """
import functools as _functools, os as _os, signal as _signal

_KILL_AT = int(_os.environ.get("ZOO_TEST_KILL_AT", "0"))
_STEP_LOG = _os.environ.get("ZOO_TEST_STEP_LOG")
_steps = [0]


def note(text):
    if _STEP_LOG:
        with open(_STEP_LOG, "a") as _log:
            _log.write(text + "\\n")


def after_step(owner, attribute, label=None):
    original = getattr(owner, attribute)

    @_functools.wraps(original)
    def step(*args, **kwargs):
        result = original(*args, **kwargs)
        _steps[0] += 1
        note(f"step {_steps[0]} {label or attribute}")
        if _steps[0] == _KILL_AT:
            _os.kill(_os.getpid(), _signal.SIGKILL)
        return result

    setattr(owner, attribute, step)


import shutil as _shutil

for _name in ("replace", "rename", "fsync", "unlink"):
    after_step(_os, _name, f"os.{_name}")
after_step(_shutil, "rmtree", "shutil.rmtree")
"""


def run_steps(directory: pathlib.Path, name: str, script: str, *args, kill_at: int = 0):
    """Run ``STEP_INJECTOR + script`` to its end (or its kill at step ``kill_at``); return
    (exit code, the step log's lines). Its stdout and stderr go to ``name.out`` and ``name.err``."""
    log = pathlib.Path(directory) / f"{name}.steps"
    log.unlink(missing_ok=True)
    env = {"ZOO_TEST_KILL_AT": str(kill_at), "ZOO_TEST_STEP_LOG": str(log)}
    child = Child(directory, name, STEP_INJECTOR + textwrap.dedent(script), *args, env=env)
    code = child.wait()
    if code not in (0, -signal.SIGKILL):
        raise AssertionError(f"{name} exited with {code}:\n{child.stderr()}")
    lines = log.read_text().splitlines() if log.exists() else []
    return code, lines
