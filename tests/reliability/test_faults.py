"""Fault tests: children SIGKILLed at seeded random points, then rerun.

- `zoo.training.fit` with ``checkpoint_dir``: a run killed anywhere (mid-batch, mid-checkpoint)
  and resumed ends with exactly the weights of an uninterrupted run, and its ``history.csv``
  has every epoch once.
- `zoo.tuning.search`: a search killed anywhere (mid-trial, while a trial's results are saved)
  and rerun with ``overwrite=False`` repeats no finished trial, loses no finished result and
  ends with every trial completed.
- `zoo.export`: an export killed anywhere leaves at ``path`` a whole SavedModel (the old one,
  or the new one when the kill came after the atomic swap), never a partial one or none; the
  next export succeeds and clears the killed one's marked staging leftovers.

Each scenario runs for three seeds; the seed draws the kill point (a batch, a trial end or a
delay) and its jitter. Children are forked from a zygote that has imported TensorFlow, Keras
and zoo (`conftest.fork_server`; ``ZOO_TEST_NO_FORK_SERVER=1`` starts fresh processes, 5-8 s
each), yet each still builds and traces its models, so their number is kept small: one
uninterrupted reference run is shared by the three fit seeds.
"""

from __future__ import annotations

import csv
import json
import pathlib
import signal
import time

import numpy as np
import pytest

from tests.helpers.children import Child

from .conftest import count_lines, seeded

pytestmark = pytest.mark.slow

SEEDS = (0, 1, 2)

# ---- fit + checkpoint_dir ------------------------------------------------------------------

EPOCHS = 4
BATCHES_PER_EPOCH = 12  # 1,437 digits in batches of 128

FIT_SCRIPT = """
import json, sys, time
import numpy as np
import keras
import tensorflow as tf

keras.utils.set_random_seed(0)
tf.config.experimental.enable_op_determinism()
from zoo.training import data, fit

checkpoint_dir, out, progress, linger = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]


class Progress(keras.callbacks.Callback):
    # Runs before fit's own CSVLogger and checkpoint callbacks: an "epoch" line is written
    # just before the epoch's checkpoint, so a kill soon after lands inside the checkpoint.
    def on_train_batch_end(self, batch, logs=None):
        with open(progress, "a") as file:
            file.write(f"batch {batch}\\n")
        time.sleep(0.004)

    def on_epoch_end(self, epoch, logs=None):
        with open(progress, "a") as file:
            file.write(f"epoch {epoch}\\n")


model = keras.Sequential(
    [
        keras.Input((8, 8, 1)),
        keras.layers.Flatten(),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dropout(0.3),  # its random state must survive the kill too
        keras.layers.Dense(10, activation="softmax"),
    ]
)
train = data.load("digits", batch_size=128, seed=0, image_size=8)
test = data.load("digits", "test", batch_size=256, shuffle=False, image_size=8)
history = fit(model, train, test, epochs=EPOCHS, optimizer="momentum", learning_rate=0.05,
              schedule="cosine", checkpoint_dir=checkpoint_dir, callbacks=[Progress()],
              verbose=0)
np.savez(out, *model.get_weights())
print(json.dumps({"epochs": history.epoch}), flush=True)
if linger == "1":  # wait to be killed: the kill never misses, even after the last epoch
    time.sleep(600)
""".replace("EPOCHS", str(EPOCHS))


@pytest.fixture(scope="module")
def reference_fit(tmp_path_factory):
    """The uninterrupted run, started once and shared (it runs beside the first seed's)."""
    directory = tmp_path_factory.mktemp("reference_fit")
    child = Child(directory, "reference", FIT_SCRIPT, "run", "weights.npz", "progress", "0")
    yield lambda: (child.check(), np.load(directory / "weights.npz"))
    child.kill()


def _epochs_in_csv(path: pathlib.Path) -> list[int]:
    with open(path) as file:
        return [int(row["epoch"]) for row in csv.DictReader(file)]


@pytest.mark.parametrize("seed", SEEDS)
def test_fit_killed_at_a_random_point_resumes_to_the_uninterrupted_weights(
    seed, tmp_path, spawn, reference_fit
):
    rng = seeded(seed)
    progress = tmp_path / "progress"
    if rng.random() < 0.5:  # somewhere in a batch
        target, prefix = rng.randint(1, EPOCHS * BATCHES_PER_EPOCH - 1), "batch"
        jitter = rng.uniform(0.0, 0.02)
    else:  # right after an epoch's last batch: inside the checkpoint writes
        target, prefix = rng.randint(1, EPOCHS - 1), "epoch"
        jitter = rng.uniform(0.0, 0.25)
    killed = spawn("killed", FIT_SCRIPT, "run", "killed.npz", progress, "1")
    # It lingers once done, so the kill always lands on a running process.
    assert killed.kill_when(lambda: count_lines(progress, prefix) >= target, jitter=jitter)
    assert not (tmp_path / "killed.npz").exists()  # the killed run got no result out
    state_path = tmp_path / "run" / "state.json"
    done = json.loads(state_path.read_text())["epoch"] if state_path.exists() else 0
    print(f"seed {seed}: killed after {prefix} {target} + {jitter:.3f} s, {done} epochs saved")

    resumed = spawn(
        "resumed", FIT_SCRIPT, "run", "resumed.npz", tmp_path / "progress2", "0"
    ).result()
    assert resumed["epochs"] == list(range(done, EPOCHS))  # no finished epoch was repeated
    assert json.loads(state_path.read_text())["epoch"] == EPOCHS
    out, expected = reference_fit()
    assert json.loads(out.splitlines()[-1])["epochs"] == list(range(EPOCHS))
    got = np.load(tmp_path / "resumed.npz")
    assert len(got.files) == len(expected.files) == 4
    for key in expected.files:
        np.testing.assert_array_equal(got[key], expected[key], err_msg=f"seed {seed}: {key}")
    assert _epochs_in_csv(tmp_path / "run" / "history.csv") == list(range(EPOCHS))


# ---- search --------------------------------------------------------------------------------

MAX_TRIALS = 3

SEARCH_SCRIPT = """
import importlib, json, sys, time
import keras
from zoo.training import data
from zoo.tuning import search

directory, log, progress, tuner, linger, die_after = sys.argv[1:7]


if int(die_after):  # SIGKILL itself just after the die_after-th finished trial.json is written
    import os, signal
    import keras_tuner

    written = []
    save_trial = keras_tuner.Oracle._save_trial

    def save_then_die(self, trial):
        save_trial(self, trial)
        if trial.status == "COMPLETED" and trial.trial_id not in written:
            written.append(trial.trial_id)
            if len(written) == int(die_after):
                os.kill(os.getpid(), signal.SIGKILL)

    keras_tuner.Oracle._save_trial = save_then_die


def logged(method, word):
    def wrapper(self, trial):
        with open(log, "a") as file:
            file.write(f"{word} {trial.trial_id}\\n")
        return method(self, trial)

    return wrapper


# "end" is logged before keras-tuner saves the trial's results: a kill soon after lands there.
mixin = importlib.import_module("zoo.tuning.tuners")._ZooTunerMixin
mixin.on_trial_begin = logged(mixin.on_trial_begin, "begin")
mixin.on_trial_end = logged(mixin.on_trial_end, "end")


class Progress(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        with open(progress, "a") as file:
            file.write("batch\\n")
        time.sleep(0.003)


train = data.load("digits", "train", batch_size=128, seed=0, image_size=8)
validation = data.load("digits", "test", batch_size=256, shuffle=False, image_size=8)
result = search(
    "mlp", train, validation, tuner=tuner, max_trials=MAX_TRIALS, epochs=1,
    directory=directory, seed=1, verbose=0, callbacks=[Progress()],
    num_layers=1, units_1=16, batch_size=128, learning_rate=0.05, momentum=0.9,
    weight_decay=0.0, dropout=0.0, schedule="constant",
)
print(json.dumps([[t.trial_id, t.status, t.score, t.hyperparameters] for t in result.trials]))
if linger == "1":
    time.sleep(600)
""".replace("MAX_TRIALS", str(MAX_TRIALS))

BATCHES_PER_TRIAL = BATCHES_PER_EPOCH  # one epoch per trial


def _trials_on_disk(project: pathlib.Path) -> dict[str, dict]:
    """trial id -> the saved trial.json of every trial folder."""
    return {
        path.parent.name.removeprefix("trial_"): json.loads(path.read_text())
        for path in sorted(project.glob("trial_*/trial.json"))
    }


def _ids(log: pathlib.Path, word: str) -> list[str]:
    if not log.exists():
        return []
    return [line.split()[1] for line in log.read_text().splitlines() if line.startswith(word)]


@pytest.mark.parametrize(
    ("seed", "tuner", "injected"),
    [(0, "random", False), (1, "grid", False), (3, "grid", True)],
)
def test_search_killed_at_a_random_point_repeats_and_loses_no_finished_trial(
    seed, tuner, injected, tmp_path, spawn
):
    """``injected``: the child kills itself right after a finished trial's trial.json is
    written, before the oracle's state records the trial as ended (a narrow window that random
    kills seldom hit)."""
    rng = seeded(seed)
    log, progress = tmp_path / "trials.log", tmp_path / "progress"
    if injected:
        target, counted, prefix, jitter = rng.randint(1, MAX_TRIALS - 1), None, "save", 0.0
    elif rng.random() < 0.5:
        target, counted, prefix = rng.randint(1, (MAX_TRIALS - 1) * BATCHES_PER_TRIAL), progress, ""
        jitter = rng.uniform(0.0, 0.02)
    else:  # as a trial ends: while keras-tuner writes its results and the oracle's state
        target, counted, prefix = rng.randint(1, MAX_TRIALS - 1), log, "end"
        jitter = rng.uniform(0.0, 0.05)
    die_after = target if injected else 0
    killed = spawn("killed", SEARCH_SCRIPT, "tuning", log, progress, tuner, "1", die_after)
    if injected:
        assert killed.wait() == -signal.SIGKILL, killed.stderr()
    else:
        killed.kill_when(lambda: count_lines(counted, prefix) >= target, jitter=jitter)
    project = tmp_path / "tuning" / f"mlp_{tuner}"
    before = _trials_on_disk(project)
    finished = {i: t["score"] for i, t in before.items() if t["status"] == "COMPLETED"}
    print(
        f"seed {seed}: killed after {prefix or 'batch'} {target} + {jitter:.3f} s; "
        f"finished {sorted(finished)}, begun {_ids(log, 'begin')}"
    )

    log2 = tmp_path / "trials-rerun.log"
    rows = spawn(
        "rerun", SEARCH_SCRIPT, "tuning", log2, tmp_path / "progress2", tuner, "0", 0
    ).result()
    rerun = _ids(log2, "begin")
    assert not set(rerun) & set(finished), f"finished trials run again: {rerun}"
    assert len(rerun) == len(set(rerun))
    assert [r[1] for r in rows] == ["COMPLETED"] * MAX_TRIALS, rows
    assert [r[0] for r in rows] == sorted({r[0] for r in rows}, key=int)
    scores = {r[0]: r[2] for r in rows}
    assert {i: scores[i] for i in finished} == finished  # no finished result lost or changed
    configurations = [json.dumps(r[3], sort_keys=True) for r in rows]
    assert len(set(configurations)) == MAX_TRIALS  # no configuration tried twice
    # Every trial ran to completion exactly once over the two processes.
    assert sorted(set(finished) | set(rerun), key=int) == [r[0] for r in rows]


# ---- export --------------------------------------------------------------------------------

EXPORT_NAME = "artifact"
STAGING = ".zoo-export-"  # zoo.export.STAGING_PREFIX: its marked staging folders

MODEL_CODE = """
import keras


def build(seed):
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
"""

EXPORT_SCRIPT = (
    MODEL_CODE
    + """
import pathlib, sys, time
import zoo

path, ready, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
model = build(seed)
pathlib.Path(ready).write_text("ready")
zoo.export(model, path)
print("exported", flush=True)
time.sleep(600)
"""
)


def _build(seed):
    namespace = {}
    exec(MODEL_CODE, namespace)
    return namespace["build"](seed)


def _serves_like(path: pathlib.Path, model) -> bool:
    import tensorflow as tf

    x = np.random.default_rng(0).random((3, 8, 8, 1), dtype=np.float32)
    loaded = tf.saved_model.load(str(path))  # held: serve needs its variables alive
    got = np.asarray(loaded.serve(x))
    return bool(np.allclose(got, np.asarray(model(x)), rtol=0, atol=1e-5))


@pytest.mark.parametrize("seed", SEEDS)
def test_export_killed_at_a_random_point_leaves_a_whole_artifact_or_none(seed, tmp_path, spawn):
    import zoo

    rng = seeded(seed)
    path = tmp_path / EXPORT_NAME
    old, new = _build(100 + seed), _build(200 + seed)
    started = time.monotonic()
    zoo.export(old, path)
    # A fresh process exports more slowly (its first traces): the delays reach past the end.
    duration = time.monotonic() - started
    ready = tmp_path / "ready"
    child = spawn("export", EXPORT_SCRIPT, path, ready, 200 + seed)
    delay = rng.uniform(0.0, 2.5 * duration)
    child.kill_when(ready.exists, jitter=delay)
    finished = "exported" in child.stdout()
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(STAGING))
    print(
        f"seed {seed}: killed {delay:.2f} s into an export of ~{duration:.2f} s; "
        f"finished={finished}, path exists={path.exists()}, leftovers={leftovers}"
    )

    # Always whole (the atomic exchange): the old artifact, or the new one once swapped.
    assert (path / "saved_model.pb").is_file()
    if finished:
        assert _serves_like(path, new)
    else:
        assert _serves_like(path, old) or _serves_like(path, new)
    own = {EXPORT_NAME, "ready", "export.py", "export.out", "export.err"}
    others = sorted(p.name for p in tmp_path.iterdir() if p.name not in own)
    assert others == leftovers  # anything else the export left is hidden next to path

    zoo.export(new, path)  # the next export works and clears the killed one's leftovers
    assert _serves_like(path, new)
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(STAGING)]
