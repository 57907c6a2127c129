"""Parallel trials: keras-tuner's chief and workers on 127.0.0.1, by hand and via
``parallel_trials``, and a worker killed in the middle of a trial."""

from __future__ import annotations

import json
import re
import signal
import socket
import threading
import time

import keras
import psutil
import pytest

from tests.helpers.children import Child
from zoo.tuning import parallel, search

from .conftest import TINY_MLP

WORKER_LINE = re.compile(r"^\[(tuner\d+)\] trial (\d+) begins$", re.M)


def _trial_id(number: str) -> str:
    """keras-tuner's trial id of a trial printed (1-based) as ``number``."""
    return str(int(number) - 1)


def _trial_runs(texts) -> list[tuple[str, str]]:
    """(worker, trial id) for every trial a worker began, from the workers' output (which
    numbers trials from 1, as keras-tuner prints them)."""
    return [
        (m.group(1), _trial_id(m.group(2))) for text in texts for m in WORKER_LINE.finditer(text)
    ]


def _statuses(project) -> dict[str, str]:
    return {
        json.loads(p.read_text())["trial_id"]: json.loads(p.read_text())["status"]
        for p in project.glob("trial_*/trial.json")
    }


def test_environments_pin_one_gpu_per_worker():
    envs = parallel.environments(3, 8123, environ={"PATH": "/bin"}, gpus=["0", "1"])
    assert list(envs) == ["chief", "tuner0", "tuner1", "tuner2"]
    assert envs["chief"]["CUDA_VISIBLE_DEVICES"] == ""
    assert [envs[f"tuner{i}"]["CUDA_VISIBLE_DEVICES"] for i in range(3)] == ["0", "1", "0"]
    for tuner_id, env in envs.items():
        assert env["KERASTUNER_TUNER_ID"] == tuner_id
        assert env["KERASTUNER_ORACLE_IP"] == "127.0.0.1"
        assert env["KERASTUNER_ORACLE_PORT"] == "8123"
        assert env["PATH"] == "/bin"
    assert envs["tuner0"]["TF_FORCE_GPU_ALLOW_GROWTH"] == "true"
    cpu_only = parallel.environments(2, 8123, environ={}, gpus=[])
    assert "CUDA_VISIBLE_DEVICES" not in cpu_only["tuner1"]  # the workers share the CPU
    assert parallel.visible_gpus({"CUDA_VISIBLE_DEVICES": "2, 3"}) == ["2", "3"]
    assert parallel.visible_gpus({"CUDA_VISIBLE_DEVICES": ""}) == []


def test_free_port_can_be_bound():
    port = parallel.free_port()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))


RECIPE = """
import os, sys
import keras
from zoo.training import data
from zoo.tuning import search

class Log(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        with open(sys.argv[2], "a") as handle:
            handle.write(os.environ["KERASTUNER_TUNER_ID"] + "\\n")

train = data.load("digits", "train", batch_size=32, seed=0, image_size=8)
validation = data.load("digits", "test", batch_size=128, shuffle=False, image_size=8)
search("mlp", train, validation, tuner="random", max_trials=4, epochs=1, directory=sys.argv[1],
       seed=1, verbose=0, callbacks=[Log()], units_1=16, units_2=16, units_3=16)
"""


@pytest.mark.slow
def test_chief_and_two_workers_by_environment(tmp_path):
    """The documented recipe: every process runs the same script with KERASTUNER_* set."""
    trainings = tmp_path / "trainings.txt"
    port = str(parallel.free_port())
    processes = {}
    try:
        for tuner_id in ("chief", "tuner0", "tuner1"):
            env = {
                "KERASTUNER_TUNER_ID": tuner_id,
                "KERASTUNER_ORACLE_IP": "127.0.0.1",
                "KERASTUNER_ORACLE_PORT": port,
            }
            processes[tuner_id] = Child(
                tmp_path, tuner_id, RECIPE, tmp_path / "search", trainings, env=env
            )
        codes = {tuner_id: child.wait(timeout=300) for tuner_id, child in processes.items()}
    finally:
        for child in processes.values():
            child.kill()
    outputs = {k: child.output() for k, child in processes.items()}
    for tuner_id, code in codes.items():
        assert code == 0, f"{tuner_id}:\n{outputs[tuner_id][-3000:]}"
    runs = _trial_runs([outputs["tuner0"], outputs["tuner1"]])
    assert sorted(trial for _, trial in runs) == ["0", "1", "2", "3"]  # each exactly once
    assert sorted(trainings.read_text().split()) == sorted(worker for worker, _ in runs)
    assert _statuses(tmp_path / "search" / "mlp_random") == dict.fromkeys("0123", "COMPLETED")


@pytest.mark.slow
def test_parallel_trials_gathers_one_result(digits, tmp_path):
    train, validation = digits
    result = search(
        "mlp",
        train,
        validation,
        max_trials=4,
        epochs=1,
        directory=tmp_path,
        seed=1,
        verbose=0,
        parallel_trials=2,
        timeout=300,
        **TINY_MLP,
    )
    assert [t.status for t in result.trials] == ["COMPLETED"] * 4
    assert result.best_score == max(t.score for t in result.trials)
    assert result.messages == ()
    logs = [p.read_text() for p in sorted((result.project_dir / "logs").glob("tuner*.log"))]
    assert sorted(trial for _, trial in _trial_runs(logs)) == ["0", "1", "2", "3"]
    assert isinstance(result.best_model(), keras.Model)


class Trainings(keras.callbacks.Callback):
    begun: list = []

    def on_train_begin(self, logs=None):
        Trainings.begun.append(1)


def _kill_first_running_worker(project, search_thread) -> tuple[str, str] | None:
    """SIGKILL the first worker (a child of this process) to begin a trial; (worker, trial)."""
    while search_thread.is_alive():
        for log in sorted((project / "logs").glob("tuner*.log")):
            began = WORKER_LINE.search(log.read_text())
            if not began:
                continue
            worker, trial = began.group(1), _trial_id(began.group(2))
            for child in psutil.Process().children(recursive=True):
                try:
                    if child.environ().get("KERASTUNER_TUNER_ID") == worker:
                        child.send_signal(signal.SIGKILL)
                        return worker, trial
                except psutil.Error:
                    continue
        time.sleep(0.05)
    return None


@pytest.mark.slow
def test_killed_worker_does_not_hang_the_search(digits, tmp_path):
    train, validation = digits
    arguments = {
        "max_trials": 2,
        "epochs": 2,
        "directory": tmp_path,
        "seed": 1,
        "verbose": 0,
        **TINY_MLP,
    }
    outcome = {}

    def run():
        try:
            outcome["result"] = search(
                "mlp", train, validation, parallel_trials=2, timeout=300, **arguments
            )
        except BaseException as error:  # reported by the assertions below
            outcome["error"] = error

    searching = threading.Thread(target=run, daemon=True)
    searching.start()
    killed = _kill_first_running_worker(tmp_path / "mlp_random", searching)
    killed_at = time.monotonic()
    searching.join(timeout=360)  # the search's own timeout (300 s) stops hung workers
    assert killed is not None, "no worker began a trial"
    assert not searching.is_alive(), "the search did not end after its worker was killed"
    # It ended because the remaining worker finished, long before that timeout.
    assert time.monotonic() - killed_at < 200
    assert "error" not in outcome, repr(outcome.get("error"))
    worker, lost = killed
    result = outcome["result"]
    statuses = {t.trial_id: t.status for t in result.trials}
    assert statuses[lost] == "LOST" and list(statuses.values()).count("COMPLETED") == 1
    assert any(worker in m and "SIGKILL" in m for m in result.messages)
    assert any(f"trial {int(lost) + 1} was lost" in m for m in result.messages)
    # Resuming in one process runs the lost trial, and only it.
    Trainings.begun = []
    resumed = search("mlp", train, validation, callbacks=[Trainings()], **arguments)
    assert len(Trainings.begun) == 1
    assert [t.status for t in resumed.trials] == ["COMPLETED", "COMPLETED"]
