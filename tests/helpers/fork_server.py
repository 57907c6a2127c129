"""A fork server: child scripts forked from a zygote that has already imported the heavy modules.

A fresh Python that imports TensorFlow, Keras and zoo spends seconds on it; a fork of a process
that has done so starts at once. `ForkServer` starts the zygote (``python fork_server.py
MODULE...``) on its first `~ForkServer.spawn`: the zygote imports the modules, and nothing more,
then serves JSON-line requests on its stdin. Each request forks a child that runs a script as
``__main__`` with its argv, cwd, extra environment variables and stdout / stderr files; the zygote
answers at once with the child's pid (the parent may SIGKILL it) and, once it has reaped the child,
with its exit code, encoded as `subprocess` does (negative: the signal that ended it).

A forked child is a real process: SIGKILL ends it wherever it is, as it ends a fresh one. Forking
is only safe before any TensorFlow op has run (the op runtime's thread pools do not survive a
fork), so the zygote only imports, and refuses to serve if an import started a Python thread. It
exits, killing and reaping its children first, when its stdin closes: when its parent exits.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import json
import os
import runpy
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterable, Sequence

AVAILABLE = sys.platform.startswith("linux")  # where forking a process that imported TF is safe


class ForkedProcess:
    """A child of the zygote, driven like a `subprocess.Popen`."""

    def __init__(self, server: ForkServer, args: list[str]):
        self.args = args
        self.pid: int | None = None
        self.returncode: int | None = None
        self._server = server

    def poll(self) -> int | None:
        self._server._read(0.0)
        return self.returncode

    def wait(self, timeout: float) -> int:
        if not self._server._read_until(lambda: self.returncode is not None, timeout):
            raise subprocess.TimeoutExpired(self.args, timeout)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # reaped since: nothing to signal
                os.kill(self.pid, signum)


class ForkServer:
    """One zygote, started on the first `spawn` with ``env`` after importing ``preload``.

    ``timeout`` bounds the zygote's start and its exit. Not thread-safe: one caller at a time.
    """

    def __init__(self, env: dict[str, str], preload: Sequence[str], timeout: float):
        self.env = env
        self.preload = tuple(preload)
        self.timeout = timeout
        self._zygote: subprocess.Popen | None = None
        self._log = None
        self._buffer = b""
        self._children: dict[int, ForkedProcess] = {}  # by request id, until the exit is read
        self._requests = 0

    def spawn(
        self,
        script: os.PathLike | str,
        args: Iterable = (),
        *,
        cwd: os.PathLike | str,
        stdout: os.PathLike | str,
        stderr: os.PathLike | str,
        env: dict | None = None,
    ) -> ForkedProcess:
        """Fork a child that runs ``script`` with ``args`` in ``cwd``, ``env`` added to its
        environment, its stdout and stderr written to those files; returns once its pid is known."""
        if self._zygote is None:
            self._start()
        self._requests += 1
        script = os.path.abspath(script)
        child = ForkedProcess(self, [script, *map(str, args)])
        self._children[self._requests] = child
        request = {
            "id": self._requests,
            "argv": child.args,
            "cwd": os.path.abspath(cwd),
            "env": {name: str(value) for name, value in (env or {}).items()},
            "stdout": os.path.abspath(stdout),
            "stderr": os.path.abspath(stderr),
        }
        self._zygote.stdin.write(json.dumps(request).encode() + b"\n")
        self._zygote.stdin.flush()
        if not self._read_until(lambda: child.pid is not None, self.timeout):
            raise RuntimeError(f"the fork server gave no pid in {self.timeout} s:\n{self._tail()}")
        return child

    def close(self) -> None:
        """End the zygote (it kills and reaps its children first); a later `spawn` starts anew."""
        if self._zygote is None:
            return
        atexit.unregister(self.close)
        self._zygote.stdin.close()
        try:
            self._zygote.wait(self.timeout)
        except subprocess.TimeoutExpired:
            self._zygote.kill()
            self._zygote.wait()
        self._zygote.stdout.close()
        self._log.close()
        self._zygote, self._log, self._buffer, self._children = None, None, b"", {}

    def _start(self) -> None:
        # The zygote's own output (import errors, warnings), kept open for its lifetime.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115
        self._zygote = subprocess.Popen(
            [sys.executable, __file__, *self.preload],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=self.env,
        )
        atexit.register(self.close)

    def _tail(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-4000:]

    def _read_until(self, done, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._read(left)
        return True

    def _read(self, timeout: float) -> None:
        """Read the zygote's replies that come within ``timeout`` seconds."""
        pipe = self._zygote.stdout.fileno()
        if not select.select([pipe], [], [], timeout)[0]:
            return
        data = os.read(pipe, 65536)
        if not data:
            raise RuntimeError(f"the fork server exited ({self._zygote.wait()}):\n{self._tail()}")
        *lines, self._buffer = (self._buffer + data).split(b"\n")
        for line in lines:
            reply = json.loads(line)
            if "pid" in reply:
                self._children[reply["id"]].pid = reply["pid"]
            else:
                self._children.pop(reply["id"]).returncode = reply["returncode"]


# ---- the zygote ----------------------------------------------------------------------------


def _serve(preload: Sequence[str]) -> None:
    replies = os.dup(1)
    os.dup2(2, 1)  # what the imports print goes to the log, not among the replies
    for name in preload:
        importlib.import_module(name)
    if threading.active_count() != 1:
        raise RuntimeError(f"importing {preload} started threads: forking would lose them")
    gc.freeze()  # the children's collections skip the preloaded objects: no copy-on-write of them
    wakeup, woken = os.pipe()  # SIGCHLD writes to it: a child's exit wakes the select
    os.set_blocking(woken, False)
    signal.set_wakeup_fd(woken)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    running: dict[int, int] = {}  # pid -> request id
    buffer = b""
    try:
        while True:
            ready = select.select([0, wakeup], [], [])[0]
            if wakeup in ready:
                os.read(wakeup, 4096)
            if 0 in ready:
                data = os.read(0, 65536)
                if not data:
                    return
                *lines, buffer = (buffer + data).split(b"\n")
                for line in lines:
                    request = json.loads(line)
                    sys.stdout.flush()  # nothing buffered may be written again by the child
                    sys.stderr.flush()
                    pid = os.fork()
                    if pid == 0:
                        _run_child(request, private=(replies, wakeup, woken))
                    running[pid] = request["id"]
                    _reply(replies, id=request["id"], pid=pid)
            while running:
                pid, status = os.waitpid(-1, os.WNOHANG)
                if pid == 0:
                    break
                returncode = os.waitstatus_to_exitcode(status)
                _reply(replies, id=running.pop(pid), returncode=returncode)
    finally:
        for pid in running:
            os.kill(pid, signal.SIGKILL)
        for pid in running:
            os.waitpid(pid, 0)


def _reply(fd: int, **reply) -> None:
    os.write(fd, json.dumps(reply).encode() + b"\n")  # one short write: never interleaved


def _run_child(request: dict, private: Sequence[int]) -> None:
    """Run the requested script in this forked child, then end it with the script's exit code."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in private:
            os.close(fd)
        _redirect(0, os.devnull, os.O_RDONLY)
        _redirect(1, request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        _redirect(2, request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.environ.update(request["env"])
        tempfile.tempdir = None  # found again from this child's TMPDIR, not the zygote's
        os.chdir(request["cwd"])
        script = request["argv"][0]
        sys.argv = list(request["argv"])
        sys.path[0] = os.path.dirname(script)  # as ``python script`` has it
        if "numpy" in sys.modules:  # a fresh process's global NumPy generator, not the zygote's
            sys.modules["numpy"].random.seed()
        runpy.run_path(script, run_name="__main__")
        code = 0
    except SystemExit as exit:
        code = _exit_code(exit.code)
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _redirect(fd: int, path: str, flags: int) -> None:
    opened = os.open(path, flags, 0o666)
    os.dup2(opened, fd)
    os.close(opened)


def _exit_code(code) -> int:
    """The exit status of ``SystemExit(code)``, as the interpreter gives it."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


if __name__ == "__main__":
    _serve(sys.argv[1:])
