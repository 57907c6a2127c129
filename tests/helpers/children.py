"""Child processes of the suite: scripts forked from a pre-imported zygote, or fresh Pythons.

A child is a Python script (a string written to a folder) run under the TensorFlow backend
(or the one its ``KERAS_BACKEND`` names), quiet, with the repository importable; its stdout and
stderr go to files. Children are forked from a zygote (`tests.helpers.fork_server`, one per
pytest process and backend, started on first use) that has imported TensorFlow, Keras, zoo,
keras-tuner and the exporters (under JAX: TensorFlow for tf.data, JAX, Keras and zoo) but run no
op: a fork made before any op is safe and starts in milliseconds, where a fresh interpreter
spends 5-10 s on those imports. A forked child is a real process, so a SIGKILL ends it mid-write
as it would a fresh one. ``ZOO_TEST_NO_FORK_SERVER=1`` (or a platform other than Linux) runs
every child as a fresh ``python`` instead, as does a child of another backend (torch).
Example: ``Child(tmp_path, "hello", "print('hi')").check() == "hi\\n"``.
"""

from __future__ import annotations

import functools
import json
import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import time

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
# The JAX zygote's: no JAX backend is initialised by them, so a child may still choose its
# devices (``XLA_FLAGS``) and join a multi-process run (``keras.distribution.initialize``).
PRELOAD_JAX = ("numpy", "tensorflow", "jax", "keras", "zoo", "zoo.training")


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
def fork_server(backend: str = "tensorflow") -> ForkServer | None:
    """This process's zygote for the Keras ``backend`` (it starts on the first child), or
    None: fresh processes (always for a backend other than ``"tensorflow"`` and ``"jax"``)."""
    preload = {"tensorflow": PRELOAD, "jax": PRELOAD_JAX}.get(backend)
    if preload is None or not AVAILABLE or os.environ.get("ZOO_TEST_NO_FORK_SERVER") == "1":
        return None
    return ForkServer(child_env(KERAS_BACKEND=backend), preload, timeout=CHILD_TIMEOUT)


def start_child(path: pathlib.Path, args, *, stdout, stderr, env: dict):
    """Run the script ``path`` with ``args`` in its folder, ``env`` added to `child_env`:
    forked by the `fork_server` of its ``KERAS_BACKEND``, or a fresh ``python``; returns its
    `subprocess.Popen` (or twin)."""
    server = fork_server(env.get("KERAS_BACKEND", "tensorflow"))
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

    def output(self) -> str:
        """Its stdout, then its stderr."""
        return self.stdout() + self.stderr_path.read_text()

    def check(self, timeout: float = CHILD_TIMEOUT) -> str:
        """Wait for a clean exit; returns stdout."""
        code = self.wait(timeout)
        assert code == 0, f"child {self.name} exited with {code}:\n{self.stderr()}"
        return self.stdout()

    def result(self, timeout: float = CHILD_TIMEOUT):
        """Wait for a clean exit; the JSON value on the last line of its stdout."""
        return json.loads(self.check(timeout).strip().splitlines()[-1])

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
