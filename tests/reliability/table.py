"""The reliability table's machinery: a `Case` row, the CLI runner, the workspace snapshot.

A row is a user mistake made inside a scratch workspace, the exception type it must raise and a
phrase its message must contain. `run_case` snapshots the workspace (paths, contents,
permissions) before the call and checks it is unchanged after: a refused call leaves no partial
file, no staging directory and no modified artifact behind. CLI rows (`zoo_command`) also check
the command's contract: exit status 2 (or the row's ``status``) and exactly one line on stderr.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import pathlib
import re
from collections.abc import Callable

import keras
import pytest

from zoo import cli


class CommandFailed(Exception):
    """``zoo`` exited with a non-zero status; the message is its stderr."""

    def __init__(self, status: int, stderr: str):
        super().__init__(stderr)
        self.status = status
        self.stderr = stderr


def zoo_command(*argv: str) -> None:
    """Run ``zoo ARGV`` in this process; raise `CommandFailed` on a non-zero exit."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        status = cli.main([str(a) for a in argv])
    if status:
        raise CommandFailed(status, stderr.getvalue())


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    call: Callable[[pathlib.Path], object]
    error: type[BaseException]
    phrase: str
    setup: Callable[[pathlib.Path], None] | None = None
    status: int = 2  # the CLI's exit status, for CommandFailed rows


def ids(cases) -> list[str]:
    return [case.id for case in cases]


def snapshot(root: pathlib.Path) -> dict[str, tuple]:
    """Every path under ``root`` with its kind, permissions and content hash."""
    state = {}
    for path in sorted(root.rglob("*")):
        mode = path.lstat().st_mode
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
        state[str(path.relative_to(root))] = (path.is_dir(), mode, digest)
    return state


def run_case(case: Case, tmp_path: pathlib.Path, monkeypatch) -> BaseException:
    """Make the row's mistake in a fresh workspace; check the error and the untouched files."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    monkeypatch.chdir(workspace)
    if case.setup is not None:
        case.setup(workspace)
    keras.backend.clear_session()
    before = snapshot(workspace)
    with pytest.raises(case.error, match=re.escape(case.phrase)) as raised:
        case.call(workspace)
    if isinstance(raised.value, CommandFailed):
        assert raised.value.status == case.status
        assert len(raised.value.stderr.strip().splitlines()) == 1, raised.value.stderr
    assert snapshot(workspace) == before
    return raised.value
