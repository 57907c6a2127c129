"""A parallel search that survives losing its chief: keras-tuner's chief SIGKILLed ten times
in the middle of a search (at seeded random moments after it serves, and right after it writes
a trial's file), each time restarted with the same command, while its two workers live on.

The workers reconnect (`zoo.tuning.tuners._ReconnectingStub`: a call in flight when the chief
died is sent again), the restarted chief reloads the search from disk and keeps each running
trial with the worker running it (`_SaveAfterEndTrial.reload`), and the search ends with every
trial completed once: none lost, none run twice. Chief and workers are forked from the zygote
that has imported TensorFlow, Keras, zoo and keras-tuner (`tests.helpers.children`), so a
restart costs the chief's reload, not a TensorFlow import.
"""

from __future__ import annotations

import json
import pathlib
import time

import pytest

from tests.helpers.children import Child
from zoo.tuning import parallel

from .conftest import seeded

pytestmark = pytest.mark.slow

MAX_TRIALS = 14
KILLS = 10
SEARCH_TIMEOUT = 420.0  # seconds from a child's start: nothing may hang the suite

TUNE_SCRIPT = """
import sys
from zoo.training import data
from zoo.tuning import search

train = data.load("digits", "train", batch_size=128, seed=0, image_size=8)
validation = data.load("digits", "test", batch_size=360, shuffle=False, image_size=8)
search("mlp", train, validation, tuner="random", max_trials=int(sys.argv[2]), epochs=2,
       directory=sys.argv[1], seed=1, verbose=0, units_1=16, units_2=16, units_3=16)
print("search returned", flush=True)
"""


def _serving(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _newest_trial_file(project: pathlib.Path) -> float:
    return max((p.stat().st_mtime for p in project.glob("trial_*/trial.json")), default=0.0)


def _wait(condition, chief: Child, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert chief.process.poll() is None, f"the chief exited:\n{chief.stderr()}"
        assert time.monotonic() < deadline, f"the chief never {what}"
        time.sleep(0.01)


def test_a_search_survives_ten_kills_of_its_chief(tmp_path):
    rng = seeded(0)
    port = parallel.free_port()

    def start(tuner_id: str, name: str) -> Child:
        env = {
            "KERASTUNER_TUNER_ID": tuner_id,
            "KERASTUNER_ORACLE_IP": "127.0.0.1",
            "KERASTUNER_ORACLE_PORT": str(port),
        }
        return Child(tmp_path, name, TUNE_SCRIPT, "search", MAX_TRIALS, env=env)

    project = tmp_path / "search" / "mlp_random"
    chief = start("chief", "chief-0")
    workers = [start(f"tuner{i}", f"tuner{i}") for i in range(2)]
    children = [chief, *workers]
    kills = []
    try:
        for kill in range(KILLS):
            _wait(lambda: _serving(port), chief, "served")
            if kill % 2:
                written = _newest_trial_file(project)
                _wait(
                    lambda after=written: _newest_trial_file(project) > after,
                    chief,
                    "wrote a trial",
                )
                how = "right after a trial file was written"
            else:
                delay = rng.uniform(0.2, 2.0)
                time.sleep(delay)
                how = f"{delay:.2f} s after it served"
            assert chief.process.poll() is None, "the search ended before the tenth kill"
            chief.kill()
            finished = sum(
                json.loads(p.read_text())["status"] == "COMPLETED"
                for p in project.glob("trial_*/trial.json")
            )
            kills.append(f"kill {kill + 1}: {how}, {finished} trials finished")
            chief = start("chief", f"chief-{kill + 1}")
            children.append(chief)
            assert all(w.process.poll() is None for w in workers), "a worker died with the chief"
        for child in (*workers, chief):
            code = child.wait(timeout=SEARCH_TIMEOUT)
            assert code == 0, f"{child.name} exited with {code}:\n{child.stderr()}"
        assert "search returned" in chief.stdout()
    finally:
        for child in children:
            child.kill()
    retried = sum(worker.stdout().count("the chief dropped") for worker in workers)
    print("\n".join(kills), f"\ncalls the workers sent again: {retried}")
    trials = {
        p.parent.name: json.loads(p.read_text())["status"]
        for p in project.glob("trial_*/trial.json")
    }
    assert sorted(trials.values()) == ["COMPLETED"] * MAX_TRIALS, trials
    begun = [
        line.split()[2]
        for worker in workers
        for line in worker.stdout().splitlines()
        if line.endswith(" begins")
    ]
    assert sorted(begun, key=int) == [str(n) for n in range(1, MAX_TRIALS + 1)]  # each once
