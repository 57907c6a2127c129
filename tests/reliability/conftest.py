"""Subprocess helpers of the fault tests: children that are SIGKILLed at seeded random points.

A child is a Python script (a string written to ``tmp_path``) run under the TensorFlow backend,
quiet, with the repository importable. It reports its progress by appending lines to a file; the
parent polls that file and kills the child with SIGKILL once a seeded target is reached (plus a
seeded jitter), so the kill lands at a reproducible *kind* of point (a batch, a trial, the middle
of an export) whatever the machine's load.

Children are forked from a zygote (`tests.helpers.fork_server`, one per pytest process, started
on first use) that has imported TensorFlow, Keras, zoo and the exporters but run no op: a fork
made before any op is safe and starts in milliseconds, where a fresh interpreter spends 5-7 s on
those imports. A forked child is a real process, so a SIGKILL ends it mid-write as it would a
fresh one. ``ZOO_TEST_NO_FORK_SERVER=1`` (or a platform other than Linux) runs every child as a
fresh ``python`` instead.
"""

from __future__ import annotations

import functools
import os
import pathlib
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tests.helpers.fork_server import AVAILABLE, ForkServer

from ..conftest import REPO

CHILD_TIMEOUT = 180.0  # seconds; nothing may hang the suite
# What the zygote imports: all the children need (they import nothing slow of their own).
PRELOAD = (
    "numpy",
    "tensorflow",
    "keras",
    "zoo",
    "zoo.export",
    "zoo.training",
    "zoo.tuning",
    "onnxruntime",
    "tf2onnx",
    "keras_tuner",
)


def child_env(**extra) -> dict:
    env = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "KERAS_BACKEND": "tensorflow",
        "CUDA_VISIBLE_DEVICES": "",
        "PYTHONHASHSEED": "0",
        **extra,
    }
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    return env


@functools.cache
def fork_server() -> ForkServer | None:
    """This process's zygote (it starts on the first child), or None: fresh processes."""
    if not AVAILABLE or os.environ.get("ZOO_TEST_NO_FORK_SERVER") == "1":
        return None
    return ForkServer(child_env(), PRELOAD, timeout=CHILD_TIMEOUT)


def start_child(path: pathlib.Path, args, *, stdout, stderr, env: dict):
    """Run the script ``path`` with ``args`` in its folder, ``env`` added to `child_env`:
    forked by `fork_server`, or a fresh ``python``; returns its `subprocess.Popen` (or twin)."""
    server = fork_server()
    if server is not None:
        return server.spawn(path, args, cwd=path.parent, stdout=stdout, stderr=stderr, env=env)
    with open(stdout, "w") as out, open(stderr, "w") as err:
        return subprocess.Popen(
            [sys.executable, str(path), *map(str, args)],
            stdout=out,
            stderr=err,
            cwd=path.parent,
            env=child_env(**env),
        )


class Child:
    """A running child script; its stdout and stderr go to files (no pipe can fill up).

    ``env``: environment variables added to `child_env`'s.
    """

    def __init__(self, directory: pathlib.Path, name: str, script: str, *args, env=None):
        self.directory = pathlib.Path(directory)
        self.name = name
        path = self.directory / f"{name}.py"
        path.write_text(textwrap.dedent(script))
        self.stdout_path = self.directory / f"{name}.out"
        self.stderr_path = self.directory / f"{name}.err"
        self.process = start_child(
            path, args, stdout=self.stdout_path, stderr=self.stderr_path, env=env or {}
        )
        self.started = time.monotonic()

    def wait(self, timeout: float = CHILD_TIMEOUT) -> int:
        try:
            return self.process.wait(timeout=max(1.0, timeout - (time.monotonic() - self.started)))
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"child {self.name} ran over {timeout} s:\n{self.stderr()}"
            ) from None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stderr(self) -> str:
        return self.stderr_path.read_text()[-4000:]

    def stdout(self) -> str:
        return self.stdout_path.read_text()

    def check(self) -> str:
        """Wait for a clean exit; returns stdout."""
        code = self.wait()
        assert code == 0, f"child {self.name} exited with {code}:\n{self.stderr()}"
        return self.stdout()

    def kill_when(self, reached, *, jitter: float, poll: float = 0.002) -> bool:
        """SIGKILL once ``reached()`` holds, ``jitter`` seconds later; True if it was running.

        Returns False when the child exited by itself first (it then must have exited cleanly).
        """
        deadline = self.started + CHILD_TIMEOUT
        while not reached():
            if self.process.poll() is not None:
                assert self.process.returncode == 0, self.stderr()
                return False
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"child {self.name} never reached its kill point")
            time.sleep(poll)
        time.sleep(jitter)
        running = self.process.poll() is None
        self.kill()
        if running:
            assert self.process.returncode == -signal.SIGKILL
        return running


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
