"""Fault tests at every write step, injected deterministically (`conftest.STEP_INJECTOR`).

A first run of each child lists its write steps (every ``os.replace``, ``os.rename``,
``os.fsync``, ``os.unlink`` and ``shutil.rmtree``, plus export's own ``_write`` and
``_exchange``); then one child per step is SIGKILLed right after that step, and the state on
disk is checked against each promise:

- `zoo.export` over an existing artifact (atomic exchange, the two-rename fallback, a file
  format): at every step up to the install, and in its clean-up, ``path`` holds the old or
  the new artifact whole (or, between the fallback's two renames only, nothing, with the old
  one restored by `zoo.export.recover`); nothing is left but marked staging folders, which
  the next export sweeps away.
- `zoo.training.fit` with ``checkpoint_dir``, killed at each write of its second epoch's
  checkpoint: the folder always reads as a consistent state, and resuming ends with exactly the
  uninterrupted run's weights and one history row per epoch.
- `zoo.tuning.search`, killed after each save of its second trial (keras-tuner's JSON states,
  made atomic by `zoo.tuning.tuners.atomic_save_json`): rerun, it ends with every trial
  completed once and no finished trial run again.

Children are forked from a zygote that has imported TensorFlow, Keras and zoo and run no op
(`conftest.fork_server`), so each starts in milliseconds instead of the 5-7 s of a fresh import,
and is still a process of its own that the injected SIGKILL ends right after its write step;
``ZOO_TEST_NO_FORK_SERVER=1`` runs fresh processes instead. Each child still traces its models
(about 2 s), so the kill points are those of one epoch / one trial (the others run the same
code), and the resumes of one scenario share one process.
"""

from __future__ import annotations

import csv
import importlib
import json
import pathlib
import signal

import numpy as np
import pytest

import zoo

from .conftest import run_steps
from .test_faults import MODEL_CODE, _build, _serves_like

export_module = importlib.import_module("zoo.export")  # zoo.export is also the function


def _steps(lines) -> list[str]:
    return [line.split(" ", 2)[2] for line in lines if line.startswith("step ")]


# ---- export --------------------------------------------------------------------------------


def _through_install(steps: list[str], install: str) -> list[int]:
    """Every step up to the last ``install`` step, and the first after it: the clean-up
    that follows deletes one file after the other, and a kill anywhere there leaves the
    same kind of state (a marked staging folder, partly deleted)."""
    last = len(steps) - steps[::-1].index(install)
    return list(range(1, min(last + 1, len(steps)) + 1))


EXPORT_CHILD = (
    MODEL_CODE
    + """
import importlib, sys
import zoo

exporting = importlib.import_module("zoo.export")
path, seed, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if mode == "two-renames":
    exporting._exchange = lambda first, second: False
after_step(exporting, "_write", "keras wrote the artifact")
after_step(exporting, "_exchange", "exchange")
zoo.export(build(seed), path, format="onnx" if mode == "file" else "tf_saved_model")
"""
)


def _onnx_serves_like(path: pathlib.Path, model) -> bool:
    import onnxruntime

    x = np.random.default_rng(0).random((3, 8, 8, 1), dtype=np.float32)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    return bool(np.allclose(got, np.asarray(model(x)), rtol=0, atol=1e-4))


@pytest.mark.parametrize("mode", ["exchange", "two-renames", "file"])
def test_export_killed_at_every_write_step_keeps_a_whole_artifact(mode, tmp_path):
    folder = tmp_path / "served"
    folder.mkdir()
    path = folder / ("model.onnx" if mode == "file" else "model")
    format = "onnx" if mode == "file" else "tf_saved_model"
    old, new = _build(1), _build(2)
    serves = _onnx_serves_like if mode == "file" else _serves_like

    def reset():
        zoo.export(old, path, format=format)

    reset()
    status, lines = run_steps(tmp_path, "export", EXPORT_CHILD, path, 2, mode)
    assert status == 0 and serves(path, new)
    steps = _steps(lines)
    expected = {"exchange": "exchange", "two-renames": "os.rename", "file": "os.replace"}[mode]
    assert "keras wrote the artifact" in steps and expected in steps, steps
    for kill_at in _through_install(steps, expected):
        reset()
        status, _ = run_steps(tmp_path, "export", EXPORT_CHILD, path, 2, mode, kill_at=kill_at)
        assert status == -signal.SIGKILL
        where = f"killed after step {kill_at} ({steps[kill_at - 1]})"
        leftovers = sorted(p.name for p in folder.iterdir() if p != path)
        assert all(n.startswith(export_module.STAGING_PREFIX) for n in leftovers), where
        if not path.exists():
            # Only between the fallback's two renames; the old artifact waits, marked.
            assert mode == "two-renames" and steps[kill_at - 1] == "os.rename", where
            assert export_module.recover(folder) == [path]
            assert serves(path, old), where
        else:
            assert serves(path, old) or serves(path, new), where
        export_module.recover(folder)
        assert [p.name for p in folder.iterdir()] == [path.name], where
    zoo.export(new, path, format=format)  # and the next export works
    assert serves(path, new)


# ---- fit + checkpoint_dir ------------------------------------------------------------------

FIT_EPOCHS = 3
FIT_CODE = """
import sys
import numpy as np
import keras
import tensorflow as tf

tf.config.experimental.enable_op_determinism()
from zoo.training import data, fit


class Marks(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        note(f"epoch {epoch}")


def train(checkpoint_dir, out):
    keras.utils.set_random_seed(0)
    layers = [keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")]
    model = keras.Sequential([keras.Input((8, 8, 1)), *layers])
    stream = data.load("digits", batch_size=256, seed=0, image_size=8)
    fit(model, stream, epochs=EPOCHS, learning_rate=0.1, checkpoint_dir=checkpoint_dir,
        callbacks=[Marks()], verbose=0)
    np.savez(out, *model.get_weights())
""".replace("EPOCHS", str(FIT_EPOCHS))

FIT_CHILD = FIT_CODE + "\ntrain(sys.argv[1], sys.argv[2])\n"
RESUME_CHILD = FIT_CODE + "\nfor folder in sys.argv[1:]:\n    train(folder, folder + '.npz')\n"


def test_fit_killed_at_every_checkpoint_write_resumes_to_the_same_weights(tmp_path):
    from zoo.training.callbacks import ResumableCheckpoint

    status, lines = run_steps(tmp_path, "fit", FIT_CHILD, "reference", "reference.npz")
    assert status == 0
    reference = np.load(tmp_path / "reference.npz")
    # The write steps of the second epoch's checkpoint (the others run the same code).
    second = lines[lines.index("epoch 1") + 1 : lines.index("epoch 2")]
    kill_points = [int(line.split()[1]) for line in second if line.startswith("step ")]
    assert {"os.fsync", "os.replace", "os.unlink"} <= set(_steps(second)), second
    folders = []
    for kill_at in kill_points:
        folder = f"run{kill_at}"
        status, _ = run_steps(tmp_path, "fit", FIT_CHILD, folder, "x.npz", kill_at=kill_at)
        assert status == -signal.SIGKILL
        done = ResumableCheckpoint(tmp_path / folder).epochs_done()  # consistent, or raises
        assert done in (1, 2), (kill_at, done)
        folders.append(folder)
    status, _ = run_steps(tmp_path, "resume", RESUME_CHILD, *folders)
    assert status == 0
    for folder in folders:
        got = np.load(tmp_path / f"{folder}.npz")
        for key in reference.files:
            np.testing.assert_array_equal(got[key], reference[key], err_msg=folder)
        with open(tmp_path / folder / "history.csv") as file:
            assert [int(row["epoch"]) for row in csv.DictReader(file)] == list(range(FIT_EPOCHS))


# ---- search --------------------------------------------------------------------------------

SEARCH_TRIALS = 2
SEARCH_CODE = """
import importlib, json, sys
from zoo.training import data
from zoo.tuning import search

mixin = importlib.import_module("zoo.tuning.tuners")._ZooTunerMixin
begin = mixin.on_trial_begin


def noted_begin(self, trial):
    note(f"begin {trial.trial_id}")
    return begin(self, trial)


mixin.on_trial_begin = noted_begin
train = data.load("digits", "train", batch_size=256, seed=0, image_size=8)
validation = data.load("digits", "test", batch_size=512, shuffle=False, image_size=8)


def run(directory):
    result = search(
        "mlp", train, validation, tuner="random", max_trials=TRIALS, epochs=1,
        directory=directory, seed=1, verbose=0, num_layers=1, units_1=8, batch_size=256,
        learning_rate=0.05, momentum=0.9, weight_decay=0.0, dropout=0.0, schedule="constant",
    )
    return [[t.trial_id, t.status] for t in result.trials]
""".replace("TRIALS", str(SEARCH_TRIALS))

SEARCH_CHILD = SEARCH_CODE + "\nrun(sys.argv[1])\n"
RERUN_CHILD = (
    SEARCH_CODE
    + "\nfor directory in sys.argv[1:]:\n"
    + "    note('search ' + directory)\n"
    + "    note('result ' + json.dumps(run(directory)))\n"
)


def _completed_on_disk(project: pathlib.Path) -> set[str]:
    done = set()
    for trial in project.glob("trial_*/trial.json"):
        state = json.loads(trial.read_text())
        if state["status"] == "COMPLETED":
            done.add(state["trial_id"])
    return done


def test_search_killed_at_every_write_of_a_trial_loses_and_repeats_nothing(tmp_path):
    status, lines = run_steps(tmp_path, "search", SEARCH_CHILD, "reference")
    assert status == 0
    begins = [i for i, line in enumerate(lines) if line.startswith("begin ")]
    assert len(begins) == SEARCH_TRIALS
    second = lines[begins[1] + 1 :]  # the second trial's writes, to the end of the search
    steps = [line.split() for line in second if line.startswith("step ")]
    # Every save is a temporary file fsynced, then renamed: a kill after each rename (each
    # state that becomes visible), and one between a fsync and its rename (a temporary left
    # beside the old state; every save leaves the same kind).
    kill_points = [int(n) for _, n, label in steps if label == "os.replace"]
    kill_points.append(int(next(n for _, n, label in steps if label == "os.fsync")))
    assert len(kill_points) >= 3, second
    before = {}
    for kill_at in kill_points:
        directory = f"search{kill_at}"
        status, _ = run_steps(tmp_path, "search", SEARCH_CHILD, directory, kill_at=kill_at)
        assert status == -signal.SIGKILL
        before[directory] = _completed_on_disk(tmp_path / directory / "mlp_random")
    status, lines = run_steps(tmp_path, "rerun", RERUN_CHILD, *before)
    assert status == 0
    runs = "\n".join(lines).split("search ")[1:]
    assert len(runs) == len(before)
    for chunk in runs:
        directory, *rest = chunk.splitlines()
        rerun = {line.split()[1] for line in rest if line.startswith("begin ")}
        result = json.loads(next(line for line in rest if line.startswith("result "))[7:])
        assert sorted(status for _, status in result) == ["COMPLETED"] * SEARCH_TRIALS, chunk
        assert len({trial_id for trial_id, _ in result}) == SEARCH_TRIALS
        assert not rerun & before[directory], f"{directory}: finished trials ran again"


def test_the_step_injector_kills_where_it_is_told(tmp_path):
    script = "import os\nfor i in range(3):\n    os.fsync(os.open('f', os.O_WRONLY | os.O_CREAT))\n"
    listed = [f"step {i} os.fsync" for i in (1, 2, 3)]
    assert run_steps(tmp_path, "count", script) == (0, listed)
    assert (tmp_path / "f").is_file()  # in the child's cwd
    status, lines = run_steps(tmp_path, "count", script, kill_at=2)
    assert status == -signal.SIGKILL and lines == ["step 1 os.fsync", "step 2 os.fsync"]
    # Each child wraps its own os functions (forked or fresh): no wrapper reaches the next one,
    # which would log every step twice.
    assert run_steps(tmp_path, "count", script) == (0, listed)
