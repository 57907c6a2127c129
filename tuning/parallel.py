"""Parallel trials on one machine with keras-tuner's own chief/worker mode.

keras-tuner runs a search in parallel when every process sets ``KERASTUNER_TUNER_ID``
(``chief`` for the process holding the oracle, any other name for a worker),
``KERASTUNER_ORACLE_IP`` and ``KERASTUNER_ORACLE_PORT`` (where the chief serves the oracle over
gRPC); the workers ask the chief for trials and report their results. `run` does that on one
machine (keras-tuner issues #220, #413, #329: "4 GPUs, 4 trials at once"): it saves the data
where the processes can read it, starts the chief and N workers on 127.0.0.1 with a free port,
pins worker i to GPU i with ``CUDA_VISIBLE_DEVICES`` and memory growth on (so no worker grabs
every GPU's memory), and gathers the trials into one `zoo.tuning.SearchResult`.

keras-tuner's chief waits for every worker it has seen to come back, so a worker that dies in a
trial would keep it waiting forever. `run` watches the processes instead: once every worker has
exited, the chief (whose oracle state is already on disk) is stopped, and a trial a dead worker
was running is reported with status ``"LOST"``; a rerun with ``overwrite=False`` retries it.

Each process runs ``python -m zoo.tuning.parallel SPEC`` (`main`), which rebuilds the
hypermodel and calls `zoo.tuning.tuners.run_search` (the in-process part of
`zoo.tuning.search`, whose checks the parent has already done) with the environment above; its
output goes to ``<project>/logs/<tuner id>.log``.

Imports: this module uses `zoo.tuning.tuners` (tuners, `SearchResult`, `run_search`) and
`zoo.tuning.hypermodel`, never `zoo.tuning.search`, which imports it: no cycle.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import pickle
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings

import keras
import keras_tuner

from zoo.tuning.cluster import WORKER_GPU_ENV
from zoo.tuning.hypermodel import hypermodel
from zoo.tuning.tuners import SearchResult, input_shape_of, make_tuner, run_search

CHIEF = "chief"
ORACLE_IP = "127.0.0.1"
STOP_GRACE_S = 5.0
POLL_S = 0.5


def free_port(host: str = ORACLE_IP) -> int:
    """A TCP port nothing listens on now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def visible_gpus(environ) -> list[str]:
    """The GPU ids processes may use: ``CUDA_VISIBLE_DEVICES`` if set, else TensorFlow's count."""
    if "CUDA_VISIBLE_DEVICES" in environ:
        return [d.strip() for d in environ["CUDA_VISIBLE_DEVICES"].split(",") if d.strip()]
    import tensorflow as tf

    return [str(i) for i in range(len(tf.config.list_physical_devices("GPU")))]


def environments(count: int, port: int, environ=None, gpus=None) -> dict[str, dict]:
    """The environment of the chief and of each of ``count`` workers, by tuner id.

    The chief sees no GPU (it only serves the oracle); worker i sees GPU ``gpus[i % len(gpus)]``
    alone, with TensorFlow's memory growth and JAX's on-demand allocation on. Without GPUs the
    workers share the CPU.

    Example: ``environments(2, 8000, gpus=["0", "1"])["tuner1"]["CUDA_VISIBLE_DEVICES"]`` ->
    ``"1"``.
    """
    base = dict(os.environ if environ is None else environ)
    gpus = visible_gpus(base) if gpus is None else list(gpus)
    common = {
        "KERASTUNER_ORACLE_IP": ORACLE_IP,
        "KERASTUNER_ORACLE_PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }
    result = {CHIEF: {**base, **common, "KERASTUNER_TUNER_ID": CHIEF, "CUDA_VISIBLE_DEVICES": ""}}
    for index in range(count):
        env = {
            **base,
            **common,
            "KERASTUNER_TUNER_ID": f"tuner{index}",
            **WORKER_GPU_ENV,
        }
        if gpus:
            env["CUDA_VISIBLE_DEVICES"] = gpus[index % len(gpus)]
        result[f"tuner{index}"] = env
    return result


def _save_data(data, folder: pathlib.Path, label: str):
    """Write ``data`` (a tf.data.Dataset or an (x, y) tuple) for the other processes."""
    if data is None:
        return None
    if isinstance(data, (tuple, list)):
        import numpy as np

        paths = []
        for index, array in enumerate(data):
            path = folder / f"{label}_{index}.npy"
            np.save(path, np.asarray(array))
            paths.append(str(path))
        return {"kind": "arrays", "paths": paths}
    path = folder / label
    data.save(str(path))
    return {"kind": "dataset", "path": str(path)}


def _load_data(saved, *, shuffle: bool):
    if saved is None:
        return None
    if saved["kind"] == "arrays":
        import numpy as np

        return tuple(np.load(p) for p in saved["paths"])
    import tensorflow as tf

    dataset = tf.data.Dataset.load(saved["path"])
    batches = int(dataset.cardinality())
    if shuffle and batches > 1:
        dataset = dataset.shuffle(batches, reshuffle_each_iteration=True)
    return dataset


def _describe(returncode: int) -> str:
    if returncode < 0:
        with contextlib.suppress(ValueError):
            return f"signal {signal.Signals(-returncode).name}"
    return f"exit status {returncode}"


def _tail(path: pathlib.Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run(
    *,
    kind,
    name,
    train,
    validation,
    count,
    overwrite,
    callbacks,
    input_shape,
    num_classes,
    fixed,
    timeout,
    verbose,
    objective,
    max_trials,
    epochs,
    directory,
    project_name,
    seed,
    max_consecutive_failed_trials,
):
    """Run a search as a chief and ``count`` workers; see `zoo.tuning.search`'s arguments."""
    project_dir = pathlib.Path(directory) / project_name
    if overwrite and project_dir.exists():
        shutil.rmtree(project_dir)
    logs = project_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    if isinstance(objective, keras_tuner.Objective):
        objective = {"name": objective.name, "direction": objective.direction}
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="zoo-tune-"))
    processes: dict[str, subprocess.Popen] = {}
    try:
        try:
            (scratch / "callbacks.pkl").write_bytes(pickle.dumps(list(callbacks)))
        except (pickle.PicklingError, TypeError, AttributeError) as error:
            raise ValueError(
                f"callbacks must be picklable to reach the worker processes: {error}"
            ) from None
        spec = {
            "name": name,
            "model": {
                "input_shape": None if input_shape is None else list(input_shape),
                "num_classes": num_classes,
                "seed": seed,
                "fixed": fixed,
            },
            "search": {
                "kind": kind,
                "max_trials": max_trials,
                "epochs": epochs,
                "objective": objective,
                "directory": str(directory),
                "project_name": project_name,
                "seed": seed,
                "max_consecutive_failed_trials": max_consecutive_failed_trials,
                "verbose": verbose,
            },
            "train": _save_data(train, scratch, "train"),
            "validation": _save_data(validation, scratch, "validation"),
            "callbacks": str(scratch / "callbacks.pkl"),
        }
        try:
            spec_text = json.dumps(spec)
        except TypeError as error:
            raise ValueError(
                f"fixed values must be plain JSON values to reach the workers: {error}"
            ) from None
        spec_path = scratch / "spec.json"
        spec_path.write_text(spec_text)
        envs = environments(count, free_port())
        for tuner_id, env in envs.items():
            log = (logs / f"{tuner_id}.log").open("w")
            processes[tuner_id] = subprocess.Popen(
                [sys.executable, "-m", "zoo.tuning.parallel", str(spec_path)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            log.close()
        messages = _wait(processes, logs, timeout, verbose)
    finally:
        for process in processes.values():
            _stop(process)
        shutil.rmtree(scratch, ignore_errors=True)
    model_args = {"input_shape": input_shape, "num_classes": num_classes, "seed": seed}

    def factory():
        return make_tuner(
            kind,
            hypermodel(name, **model_args, **fixed),
            objective=_objective(objective),
            max_trials=max_trials,
            epochs=epochs,
            directory=directory,
            project_name=project_name,
            seed=seed,
            max_consecutive_failed_trials=max_consecutive_failed_trials,
        )

    result = SearchResult(
        factory, _objective(objective), project_dir, finished=True, messages=messages
    )
    completed = [t for t in result.trials if t.status == "COMPLETED"]
    if not completed:
        details = "\n".join(
            f"--- {tuner_id} ---\n{_tail(logs / f'{tuner_id}.log')}" for tuner_id in processes
        )
        raise RuntimeError(
            "No trial of the parallel search completed "
            f"({'; '.join(result.messages) or 'no report'}).\n"
            f"{details}"
        )
    for message in result.messages:
        warnings.warn(message, RuntimeWarning, stacklevel=3)
    return result


def _objective(objective):
    if isinstance(objective, dict):
        return keras_tuner.Objective(objective["name"], objective["direction"])
    from keras_tuner.src.engine import objective as objective_module

    return objective_module.create_objective(objective)


def _wait(processes, logs: pathlib.Path, timeout, verbose) -> list[str]:
    """Wait for the workers (reporting deaths), then stop the chief; the reports."""
    chief = processes[CHIEF]
    workers = {k: p for k, p in processes.items() if k != CHIEF}
    deadline = None if timeout is None else time.monotonic() + timeout
    messages: list[str] = []
    reported: set[str] = set()
    relay = (logs / f"{CHIEF}.log").open("rb") if verbose else None
    try:
        while True:
            if relay is not None:
                sys.stdout.write(relay.read().decode(errors="replace"))
                sys.stdout.flush()
            for tuner_id, process in workers.items():
                code = process.poll()
                if code not in (None, 0) and tuner_id not in reported:
                    reported.add(tuner_id)
                    messages.append(f"worker {tuner_id} exited with {_describe(code)}")
            if all(p.poll() is not None for p in workers.values()):
                break
            if chief.poll() is not None and chief.returncode != 0:
                messages.append(
                    f"the chief exited with {_describe(chief.returncode)}:\n"
                    f"{_tail(logs / f'{CHIEF}.log')}"
                )
                raise RuntimeError("; ".join(messages))
            if deadline is not None and time.monotonic() > deadline:
                running = [k for k, p in workers.items() if p.poll() is None]
                messages.append(
                    f"stopped workers {', '.join(running)} after the {timeout} s timeout"
                )
                break
            time.sleep(POLL_S)
        with contextlib.suppress(subprocess.TimeoutExpired):
            chief.wait(POLL_S * 2)
        if relay is not None:
            sys.stdout.write(relay.read().decode(errors="replace"))
            sys.stdout.flush()
    finally:
        if relay is not None:
            relay.close()
    return messages


def main(argv=None) -> int:
    """Entry point of one process (chief or worker): ``python -m zoo.tuning.parallel SPEC``."""
    argv = sys.argv[1:] if argv is None else argv
    spec = json.loads(pathlib.Path(argv[0]).read_text())
    is_chief = os.environ.get("KERASTUNER_TUNER_ID") == CHIEF
    train = _load_data(spec["train"], shuffle=not is_chief)
    validation = _load_data(spec["validation"], shuffle=False)
    model_args = spec["model"]
    input_shape = model_args["input_shape"]
    model = hypermodel(
        spec["name"],
        input_shape=input_shape_of(train) if input_shape is None else tuple(input_shape),
        num_classes=model_args["num_classes"],
        seed=model_args["seed"],
        **model_args["fixed"],
    )
    model.distribution = keras.distribution.distribution()  # as `zoo.tuning.search` sets it
    settings = dict(spec["search"])
    settings["objective"] = _objective(settings["objective"])
    callbacks = pickle.loads(pathlib.Path(spec["callbacks"]).read_bytes())
    run_search(
        settings.pop("kind"),
        model,
        train,
        validation,
        callbacks=callbacks,
        **settings,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
