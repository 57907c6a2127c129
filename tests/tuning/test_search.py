"""`search` with keras-tuner's four tuners on digits: results, resume, failures, bad input."""

from __future__ import annotations

import csv
import gc
import importlib
import json

import keras
import keras_tuner
import psutil
import pytest

from zoo.models import _registry as registry
from zoo.tuning import TUNERS, search

from .conftest import TINY_MLP

search_module = importlib.import_module("zoo.tuning.search")


class Trainings(keras.callbacks.Callback):
    """Counts the trainings of a search (keras-tuner deep-copies callbacks: class state).

    ``stop_at``: raise KeyboardInterrupt when that training begins (a search killed mid-way).
    """

    begun: list = []
    stop_at: int | None = None

    def on_train_begin(self, logs=None):
        Trainings.begun.append(1)
        if Trainings.stop_at is not None and len(Trainings.begun) == Trainings.stop_at:
            raise KeyboardInterrupt

    @classmethod
    def reset(cls, stop_at=None):
        cls.begun = []
        cls.stop_at = stop_at


class FrozenObjects(keras.callbacks.Callback):
    """Records how many objects the collector skips as each training begins."""

    seen: list = []

    def on_train_begin(self, logs=None):
        FrozenObjects.seen.append(gc.get_freeze_count())


def _search(digits, tmp_path, **kwargs):
    train, validation = digits
    arguments = {
        "max_trials": 2,
        "epochs": 1,
        "directory": tmp_path,
        "seed": 1,
        "verbose": 0,
        **TINY_MLP,
        **kwargs,
    }
    return search("mlp", train, validation, **arguments)


def test_result_table_csv_plot_and_best_model(digits, tmp_path):
    assert gc.get_freeze_count() == 0
    FrozenObjects.seen = []
    result = _search(digits, tmp_path, tuner="random", callbacks=[FrozenObjects()])
    # The trials ran with the objects alive before them out of the collector's walks (keras-
    # tuner's full collections), and the search gave them back.
    assert len(FrozenObjects.seen) == 2 and min(FrozenObjects.seen) > 10_000
    assert gc.get_freeze_count() == 0
    rows = list(csv.DictReader(result.to_csv(tmp_path / "trials.csv").open()))
    assert [r["trial_id"] for r in rows] == ["0", "1"]  # keras-tuner's ids
    assert [r["number"] for r in rows] == ["1", "2"]  # as its progress output numbers them
    assert {"status", "score", "optimizer", "learning_rate", "batch_size"} <= set(rows[0])
    assert result.plot(tmp_path / "trials.png").read_bytes()[:4] == b"\x89PNG"
    text = str(result)
    assert "val_accuracy" in text and "COMPLETED" in text and len(text.splitlines()) == 3
    assert sorted(line.split()[0] for line in text.splitlines()[1:]) == ["1", "2"]
    model = result.best_model()
    _, accuracy = model.evaluate(digits[1], verbose=0)
    assert accuracy == pytest.approx(result.best_score, abs=1e-6)


@pytest.mark.parametrize("tuner", TUNERS)
def test_two_trial_search_with_each_tuner_resumes_without_rerunning(digits, tmp_path, tuner):
    """A search killed as its second trial starts, rerun: only that trial runs again, the
    result is a whole two-trial search, and a third run has nothing left to do."""
    Trainings.reset(stop_at=2)  # killed as the second trial starts
    with pytest.raises(KeyboardInterrupt):
        _search(digits, tmp_path, tuner=tuner, overwrite=True, callbacks=[Trainings()])
    first = json.loads((tmp_path / f"mlp_{tuner}" / "trial_0" / "trial.json").read_text())
    assert first["status"] == "COMPLETED"
    Trainings.reset()
    result = _search(digits, tmp_path, tuner=tuner, callbacks=[Trainings()])
    assert len(Trainings.begun) == 1  # only the interrupted trial ran again
    assert [t.status for t in result.trials] == ["COMPLETED", "COMPLETED"]
    assert result.trials[0].score == first["score"]
    scores = [t.score for t in result.trials]
    assert result.best_score == max(scores)
    assert result.best_trial.score == result.best_score
    assert result.best_hyperparameters.values == result.best_trial.hyperparameters
    assert result.objective.name == "val_accuracy" and result.objective.direction == "max"
    assert result.project_dir == tmp_path / f"mlp_{tuner}"
    Trainings.reset()
    _search(digits, tmp_path, tuner=tuner, callbacks=[Trainings()])
    assert Trainings.begun == []  # a finished search has nothing left to run


def test_grid_position_survives_a_reload(digits, tmp_path):
    """keras-tuner #1055: the grid oracle's order and queue are part of its saved state.

    Here the first run's state is stripped of them, as keras-tuner itself saves it: the
    oracle rebuilds them from the trials and the longer rerun goes on where it stopped.
    """
    _search(digits, tmp_path, tuner="grid", max_trials=1)
    saved = tmp_path / "mlp_grid" / "oracle.json"
    state = json.loads(saved.read_text())
    del state["ordered_ids"], state["populate_next"]
    saved.write_text(json.dumps(state))
    result = _search(digits, tmp_path, tuner="grid", max_trials=3)
    assert [t.status for t in result.trials] == ["COMPLETED"] * 3
    schedules = [t.hyperparameters["schedule"] for t in result.trials]
    assert schedules == ["constant", "step", "fractional"]  # the grid went on, in order
    state = json.loads((tmp_path / "mlp_grid" / "oracle.json").read_text())
    assert state["ordered_ids"] == ["0", "1", "2"]


def test_failed_trial_is_recorded_and_the_search_goes_on(digits, tmp_path, monkeypatch):
    build = registry.build

    def build_without_relu(name, /, **kwargs):
        if kwargs.get("activation") == "relu":
            raise ValueError("activation 'relu' is unavailable in this test")
        return build(name, **kwargs)

    monkeypatch.setattr(registry, "build", build_without_relu)
    result = _search(
        digits,
        tmp_path,
        tuner="grid",
        max_trials=3,
        num_layers=1,
        optimizer="adam",
        adam_learning_rate=0.01,
        weight_decay=0.0,
        dropout=0.0,
        batch_size=64,
        schedule="constant",
    )
    activations = [t.hyperparameters["activation"] for t in result.trials]
    assert activations == ["sigmoid", "relu", "elu"]  # the default, then the zoo's table
    assert [t.status for t in result.trials] == ["COMPLETED", "FAILED", "COMPLETED"]
    assert result.trials[1].score is None
    assert result.best_trial.trial_id in {"0", "2"}


def _recorded_search(directory, scores):
    """A project folder holding keras-tuner trials with these scores (None: a failed trial),
    written as keras-tuner writes them, with no training."""
    for index, score in enumerate(scores):
        hp = keras_tuner.HyperParameters()
        hp.Fixed("learning_rate", 0.01 * (index + 1))
        status = "FAILED" if score is None else "COMPLETED"
        trial = keras_tuner.engine.trial.Trial(hp, trial_id=str(index), status=status)
        trial.score = score
        (directory / f"trial_{index}").mkdir(parents=True)
        trial.save(str(directory / f"trial_{index}" / "trial.json"))
    objective = keras_tuner.Objective("val_accuracy", "max")
    return search_module.SearchResult(lambda: None, objective, directory)


def test_trials_are_numbered_from_one_in_the_table_and_the_plot(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    result = _recorded_search(tmp_path / "mlp_random", [0.5, None, 0.7, 0.6, 0.65])
    assert [t.trial_id for t in result.trials] == ["0", "1", "2", "3", "4"]
    assert [t.number for t in result.trials] == [1, 2, 3, 4, 5]
    assert result.best_trial.number == 3
    table = result.table().splitlines()
    assert [line.split()[:2] for line in table[1:]] == [
        ["3", "COMPLETED"],
        ["5", "COMPLETED"],
        ["4", "COMPLETED"],
        ["1", "COMPLETED"],
        ["2", "FAILED"],
    ]
    drawn = []
    save = Figure.savefig
    monkeypatch.setattr(
        Figure, "savefig", lambda self, *a, **k: (drawn.append(self), save(self, *a, **k))
    )
    path = result.plot(tmp_path / "trials.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
    (axes,) = drawn[0].axes
    trials, best = axes.get_lines()
    assert list(trials.get_xdata()) == [1, 3, 4, 5]  # the failed trial 2 has no score
    assert list(trials.get_ydata()) == [0.5, 0.7, 0.6, 0.65]
    assert best.get_drawstyle() == "steps-post" and list(best.get_ydata()) == [0.5, 0.7, 0.7, 0.7]
    ticks = [tick for tick in axes.get_xticks() if 1 <= tick <= 5]
    assert ticks and all(float(tick).is_integer() for tick in ticks)
    assert axes.get_title() == "mlp_random: val_accuracy per trial (higher is better)"
    assert axes.get_xlabel() == "trial" and axes.get_ylabel() == "val_accuracy"


class Memory(keras.callbacks.Callback):
    rss: list = []

    def on_train_end(self, logs=None):
        Memory.rss.append(psutil.Process().memory_info().rss)


@pytest.fixture(scope="module")
def ten_trials(digits, tmp_path_factory):
    """A 10-trial random search of mlp and the default configuration (grid's first trial)."""
    directory = tmp_path_factory.mktemp("ten")
    train, validation = digits
    common = {"epochs": 2, "directory": directory, "seed": 7, "verbose": 0}
    default = search("mlp", train, validation, tuner="grid", max_trials=1, **common)
    Memory.rss = []
    tuned = search(
        "mlp", train, validation, tuner="random", max_trials=10, callbacks=[Memory()], **common
    )
    return default, tuned, list(Memory.rss)


@pytest.mark.slow
def test_memory_stays_flat_over_ten_trials(ten_trials):
    _, _, rss = ten_trials
    assert len(rss) == 10
    report = (
        f"RSS after trial 2: {rss[1] / 2**20:.0f} MiB, after trial 10: {rss[9] / 2**20:.0f} MiB"
    )
    print(f"\n{report}")
    assert rss[9] <= 1.2 * rss[1], report


@pytest.mark.slow
def test_random_search_beats_the_default_configuration(ten_trials):
    default, tuned, _ = ten_trials
    assert default.trials[0].hyperparameters["optimizer"] == "sgd"  # the default config
    print(
        f"\ndigits, mlp, 2 epochs: default configuration val_accuracy {default.best_score:.4f}; "
        f"best of a 10-trial random search {tuned.best_score:.4f} "
        f"({tuned.best_hyperparameters.values})"
    )
    assert tuned.best_score >= default.best_score


@pytest.mark.parametrize(
    ("kwargs", "phrases"),
    [
        ({"tuner": "evolution"}, ["tuner", "'evolution'", "'random'", "'grid'", "'hyperband'"]),
        ({"max_trials": 0}, ["max_trials", "0"]),
        ({"epochs": -1}, ["epochs"]),
        ({"parallel_trials": 0}, ["parallel_trials"]),
        ({"objective": "val_mae"}, ["'val_mae'", "'val_accuracy'", "'loss'"]),
        ({"objective": keras_tuner.Objective("auc", "max")}, ["'auc'", "'val_loss'"]),
        ({"depth": 3}, ["'depth'", "num_layers"]),
        ({"optimizer": "lbfgs"}, ["'lbfgs'", "'adam'"]),
        ({"distribution_strategy": "mirrored"}, ["distribution_strategy", "tf.distribute"]),
        ({"dropout": 1.5}, ["dropout"]),
    ],
)
def test_bad_input_raises_value_error(digits, tmp_path, kwargs, phrases):
    with pytest.raises(ValueError) as error:
        _search(digits, tmp_path, tuner=kwargs.pop("tuner", "random"), **kwargs)
    for phrase in phrases:
        assert phrase in str(error.value)


def test_accuracy_objective_needs_validation_data(digits, tmp_path):
    with pytest.raises(ValueError, match="without validation data"):
        search("mlp", digits[0], None, directory=tmp_path)
    assert search_module.TUNERS == ("random", "grid", "hyperband", "bayesian")
