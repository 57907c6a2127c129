"""The fork server that starts the fault tests' children (`tests.helpers.fork_server`).

A zygote that preloads nothing heavy: what is checked is the forking, not the imports.
"""

from __future__ import annotations

import json
import os
import signal
import textwrap

import pytest

from tests.helpers.children import CHILD_TIMEOUT, child_env
from tests.helpers.fork_server import AVAILABLE, ForkServer

SCRIPT = """
import json, os, sys, time

print(json.dumps({"argv": sys.argv, "cwd": os.getcwd(), "name": __name__,
                  "env": os.environ.get("ZOO_TEST_FORKED"), "seed": os.environ["PYTHONHASHSEED"]}))
print("on stderr", file=sys.stderr)
mode = sys.argv[1]
if mode == "crash":
    raise ValueError("the child crashed")
if mode == "hang":
    time.sleep(600)
if mode != "end":
    sys.exit(int(mode))
"""


@pytest.mark.skipif(not AVAILABLE, reason="the fork server runs on Linux only")
def test_forked_children_run_like_fresh_processes(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(SCRIPT))
    work = tmp_path / "work"
    work.mkdir()
    server = ForkServer(child_env(), preload=("json",), timeout=CHILD_TIMEOUT)

    def spawn(name, mode):
        out, err = tmp_path / f"{name}.out", tmp_path / f"{name}.err"
        child = server.spawn(
            script, [mode], cwd=work, stdout=out, stderr=err, env={"ZOO_TEST_FORKED": mode}
        )
        return child, out, err

    try:
        exits, out, err = spawn("exits", "3")
        ends, _, _ = spawn("ends", "end")
        crashes, _, crash_err = spawn("crashes", "crash")
        killed, _, _ = spawn("killed", "hang")
        orphan, _, _ = spawn("orphan", "hang")
        killed.send_signal(signal.SIGKILL)
        assert killed.wait(30) == -signal.SIGKILL
        assert exits.wait(30) == 3
        assert ends.wait(30) == 0
        assert json.loads(out.read_text()) == {
            "argv": [str(script), "3"],
            "cwd": str(work),
            "name": "__main__",
            "env": "3",
            "seed": "0",
        }
        assert err.read_text() == "on stderr\n"
        assert crashes.wait(30) == 1
        assert "Traceback" in crash_err.read_text()
        assert crash_err.read_text().endswith("ValueError: the child crashed\n")
        assert orphan.poll() is None
    finally:
        server.close()
    with pytest.raises(ProcessLookupError):  # the zygote killed and reaped it as it ended
        os.kill(orphan.pid, 0)
