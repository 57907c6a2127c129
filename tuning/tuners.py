"""keras-tuner's engine as the zoo uses it: oracles, tuners, one in-process search, its result.

keras-tuner is the engine: its oracles sample and schedule the trials (random search and grid
search as in the lectures, Bergstra & Bengio 2012; Hyperband, Li et al. 2018; Bayesian
optimisation with a Gaussian process), and its project directory stores every trial. This
module holds what the zoo adds to it, shared by `zoo.tuning.search` (one process, or one
process of keras-tuner's chief/worker mode) and `zoo.tuning.parallel` (a chief and N workers on
one machine):

- the oracles (`RandomSearchOracle`, `BayesianOptimizationOracle`, `HyperbandOracle`,
  `ResumableGridSearchOracle`): keras-tuner's, saved again after every trial ends, reloaded
  without rerunning finished trials or handing a running one to a second worker (so a chief
  can be killed and restarted mid-search), and the grid oracle's position persisted so a grid
  search resumes (keras-tuner #1055);
- a worker's calls to the chief sent again when the chief drops them (`_ReconnectingStub`,
  keras-tuner #915);
- the tuners (`ZooTuner`, `ZooHyperband`): the Keras session cleared after every trial, the
  trials a worker runs logged;
- the garbage collector kept off the objects that outlive the search (`_heap_frozen`), so the
  four full collections of every trial walk only what the trials make;
- `make_tuner` (a tuner by name, `TUNERS`, reloading a saved project) and `run_search` (build
  the tuner and run ``tuner.search`` in this process, on arguments `zoo.tuning.search` has
  already checked);
- `SearchResult` and its `TrialRecord` rows, read back from the project directory;
- atomic JSON saves: keras-tuner writes ``oracle.json``, ``trial.json`` and the tuner's state
  by truncating the file and writing it again, so a ``kill -9`` in between would leave a file
  no rerun can read. `atomic_save_json` (installed as keras-tuner's ``utils.save_json`` on
  import) writes local files aside, fsyncs and renames them into place.

It imports no other module of `zoo.tuning`; `zoo.tuning.search` and `zoo.tuning.parallel`
import it (and search imports parallel), so there is no cycle.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import functools
import gc
import glob
import json
import math
import os
import pathlib
import time
import warnings
from typing import TYPE_CHECKING

import keras
import keras_tuner
from keras_tuner.src import utils as keras_tuner_utils
from keras_tuner.src.distribute import utils as distribute_utils

from zoo.validation import check_choice, check_image_path

if TYPE_CHECKING:
    from zoo.tuning.hypermodel import ZooHyperModel

_save_json_in_place = keras_tuner_utils.save_json


def atomic_save_json(path, obj) -> str:
    """keras-tuner's ``save_json`` made atomic for local paths: the JSON is written to a
    temporary file beside ``path``, fsynced and renamed over it, so ``path`` holds the old
    or the new state whole at every instant. Remote paths (``gs://...``) keep keras-tuner's
    own write. Returns the JSON text, as keras-tuner's does."""
    if "://" in os.fspath(path):
        return _save_json_in_place(path, obj)
    text = json.dumps(obj)
    temporary = f"{os.fspath(path)}.{os.getpid()}.tmp"
    try:
        with open(temporary, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return text


keras_tuner_utils.save_json = atomic_save_json

TUNERS = ("random", "grid", "hyperband", "bayesian")
HYPERBAND_FACTOR = 3
_TRIAL_STATUS = keras_tuner.engine.trial.TrialStatus
_FINISHED = (_TRIAL_STATUS.COMPLETED, _TRIAL_STATUS.FAILED)


class _SaveAfterEndTrial:
    """Saves the oracle again once a trial has ended, and reloads it so that a restarted chief
    neither reruns a finished trial nor hands a running one to a second worker.

    keras-tuner's ``Oracle.end_trial`` saves its state before it removes the trial from the
    ongoing ones; in-process the tuner saves again right after, but in chief/worker mode
    nothing does, so ``oracle.json`` would keep the last trial as running and a resumed
    search would run it again.
    """

    @keras_tuner.synchronized
    def end_trial(self, trial):
        known = self.trials.get(trial.trial_id)
        if known is not None and known.status in _FINISHED and trial.trial_id in self.end_order:
            # A worker that sent EndTrial to a chief killed before it answered sends it again
            # to the restarted chief, which has the trial's result from its file already.
            return
        super().end_trial(trial)
        self.save()

    def reload(self):
        """Reload the saved search; the files on disk are the truth (keras-tuner #915).

        - A finished trial stays finished. ``Oracle.end_trial`` writes the trial's final
          ``trial.json`` before ``oracle.json``; a process killed in between leaves it listed as
          running, and keras-tuner's ``reload`` would queue it to run again.
        - In a chief (keras-tuner's chief/worker mode), a running trial stays its worker's.
          keras-tuner's ``reload`` queues every running trial for the next worker that asks,
          while after a chief restart the worker running it is still at it (and reconnects,
          `_ReconnectingStub`): the trial would run twice. Kept in ``ongoing_trials`` under its
          tuner id, it goes to that worker: the one still running it, or the same tuner id
          restarted (a rerun job, a rerun of ``parallel_trials`` with as many workers), which
          runs it again. A search resumed in one process runs every such trial itself.
        - A trial saved as running but given to no worker (a chief killed inside
          ``create_trial``, between the trial's file and ``oracle.json``) is queued.
        """
        super().reload()
        for trial_id in list(self._retry_queue):
            if self.trials[trial_id].status in _FINISHED:
                self._retry_queue.remove(trial_id)
                self._ended_before_reload(trial_id)
        if distribute_utils.is_chief_oracle():
            owners = keras_tuner_utils.load_json(self._get_oracle_fname())["ongoing_trials"]
            for tuner_id, trial_id in owners.items():
                if trial_id in self._retry_queue:
                    self._retry_queue.remove(trial_id)
                    self.ongoing_trials[tuner_id] = self.trials[trial_id]
        assigned = {trial.trial_id for trial in self.ongoing_trials.values()}
        for trial_id, trial in self.trials.items():
            if (
                trial.status == _TRIAL_STATUS.RUNNING
                and trial_id not in assigned
                and trial_id not in self._retry_queue
            ):
                self._retry_queue.append(trial_id)

    def _ended_before_reload(self, trial_id):
        """Record a trial that ended before a kill as ``end_trial`` would have."""
        if trial_id not in self.end_order:
            self.end_order.append(trial_id)


class RandomSearchOracle(_SaveAfterEndTrial, keras_tuner.oracles.RandomSearchOracle):
    """keras-tuner's random search oracle with `_SaveAfterEndTrial`."""


class BayesianOptimizationOracle(
    _SaveAfterEndTrial, keras_tuner.oracles.BayesianOptimizationOracle
):
    """keras-tuner's Bayesian optimisation oracle with `_SaveAfterEndTrial`."""


class HyperbandOracle(_SaveAfterEndTrial, keras_tuner.oracles.HyperbandOracle):
    """keras-tuner's Hyperband oracle with `_SaveAfterEndTrial`."""


class ResumableGridSearchOracle(_SaveAfterEndTrial, keras_tuner.oracles.GridSearchOracle):
    """keras-tuner's grid search oracle, with its position saved in ``oracle.json``.

    keras-tuner 1.4.8 keeps the grid's order of tried trials and the queue of trials whose
    next combination is pending only in memory (issue #1055), so a search reloaded with
    ``overwrite=False`` either stops at once or fails with ``KeyError`` in
    ``populate_space``. This oracle adds both to its saved state; a state saved without them
    is rebuilt from the trials (sorted in grid order, every finished trial queued again,
    which the oracle skips when its next combination is already taken).
    """

    def get_state(self):
        state = super().get_state()
        ordered = []
        if self.start_order:
            ordered.append(self.start_order[0])
            while (following := self._ordered_ids.next(ordered[-1])) is not None:
                ordered.append(following)
        state["ordered_ids"] = ordered
        state["populate_next"] = list(self._populate_next)
        return state

    def set_state(self, state):
        super().set_state(state)
        ordered = state.get("ordered_ids")
        if ordered is None:
            compare = functools.cmp_to_key(
                lambda a, b: self._compare(
                    self.trials[a].hyperparameters.values, self.trials[b].hyperparameters.values
                )
            )
            ordered = sorted(self.start_order, key=compare)
        self._ordered_ids = type(self._ordered_ids)()
        for trial_id in ordered:
            self._ordered_ids.insert(trial_id)
        self._populate_next = list(state.get("populate_next", self.end_order))

    def _ended_before_reload(self, trial_id):
        super()._ended_before_reload(trial_id)
        if trial_id not in self._populate_next:  # its next combination is still to come
            self._populate_next.append(trial_id)


class _ZooTunerMixin:
    """Clears the Keras session after every trial; a worker logs the trials it runs.

    keras-tuner 1.4.8 imports ``tensorboard`` before every trial under the TensorFlow backend,
    which TensorFlow 2.21 does not install; the import now happens only when a
    ``keras.callbacks.TensorBoard`` is among the callbacks (it then needs ``tensorboard``).
    """

    def _configure_tensorboard_dir(self, callbacks, trial, execution=0):
        if any(isinstance(c, keras.callbacks.TensorBoard) for c in callbacks):
            super()._configure_tensorboard_dir(callbacks, trial, execution)

    def on_trial_begin(self, trial):
        super().on_trial_begin(trial)
        if self._is_worker():
            print(f"[{self.tuner_id}] trial {int(trial.trial_id) + 1} begins", flush=True)

    def on_trial_end(self, trial):
        super().on_trial_end(trial)
        if self._is_worker():
            print(f"[{self.tuner_id}] trial {int(trial.trial_id) + 1} {trial.status}", flush=True)
        keras.backend.clear_session()
        gc.collect()


class ZooTuner(_ZooTunerMixin, keras_tuner.Tuner):
    """keras-tuner's ``Tuner`` (random, grid or Bayesian oracle) with `_ZooTunerMixin`."""


class ZooHyperband(_ZooTunerMixin, keras_tuner.Hyperband):
    """keras-tuner's ``Hyperband`` tuner with `_ZooTunerMixin`, on a given `HyperbandOracle`.

    ``keras_tuner.Hyperband.__init__`` only creates its oracle, so it is skipped here.
    """

    def __init__(self, oracle, **kwargs):
        keras_tuner.Tuner.__init__(self, oracle=oracle, **kwargs)


RECONNECT_PATIENCE_S = 600.0
"""How long a worker keeps retrying a call its chief dropped (a chief being restarted)."""


class _ReconnectingStub:
    """A worker's gRPC stub to the chief that retries a call the chief dropped.

    keras-tuner's ``OracleClient`` waits for a chief that is not up yet (``wait_for_ready``)
    but a call in flight when the chief dies fails with ``UNAVAILABLE`` and ends the worker
    (keras-tuner #915). Retried, it reaches the restarted chief, which has reloaded the search
    from disk (`_SaveAfterEndTrial.reload`): every call is one the chief answers alike twice
    (``CreateTrial`` gives the tuner id its ongoing trial, a repeated ``EndTrial`` is ignored).
    """

    def __init__(self, stub, tuner_id: str, patience_s: float = RECONNECT_PATIENCE_S):
        self._stub = stub
        self._tuner_id = tuner_id
        self._patience_s = patience_s

    def __getattr__(self, name):
        import grpc

        call = getattr(self._stub, name)

        @functools.wraps(call)
        def retrying(*args, **kwargs):
            deadline = time.monotonic() + self._patience_s
            delay = 0.2
            while True:
                try:
                    return call(*args, **kwargs)
                except grpc.RpcError as error:
                    if error.code() != grpc.StatusCode.UNAVAILABLE or time.monotonic() > deadline:
                        raise
                    print(
                        f"[{self._tuner_id}] the chief dropped {name} ({error.details()}); "
                        "retrying",
                        flush=True,
                    )
                    time.sleep(delay)
                    delay = min(2 * delay, 5.0)

        return retrying


def make_tuner(
    kind: str,
    model: ZooHyperModel,
    *,
    objective,
    max_trials: int,
    epochs: int,
    directory,
    project_name: str,
    overwrite: bool = False,
    seed: int | None = None,
    distribution_strategy=None,
    max_consecutive_failed_trials: int = 3,
):
    """The keras-tuner tuner of ``kind`` for ``model`` (arguments: `zoo.tuning.search`'s).

    Hyperband runs brackets of successive halving up to ``epochs`` per trial; ``max_trials``
    caps the number of trials it starts (keras-tuner's own ``Oracle.max_trials`` check).
    """
    check_choice("tuner", kind, TUNERS)
    oracle_args = {
        "objective": objective,
        "seed": seed,
        "max_consecutive_failed_trials": max_consecutive_failed_trials,
    }
    tuner_args = {
        "hypermodel": model,
        "directory": os.fspath(directory),
        "project_name": project_name,
        "overwrite": overwrite,
        "distribution_strategy": distribution_strategy,
    }
    if kind == "hyperband":
        oracle = HyperbandOracle(
            max_epochs=epochs,
            factor=HYPERBAND_FACTOR,
            hyperband_iterations=max_trials,
            **oracle_args,
        )
        oracle.max_trials = max_trials
        tuner = ZooHyperband(oracle, **tuner_args)
    else:
        oracle_class = {
            "random": RandomSearchOracle,
            "grid": ResumableGridSearchOracle,
            "bayesian": BayesianOptimizationOracle,
        }[kind]
        tuner = ZooTuner(oracle=oracle_class(max_trials=max_trials, **oracle_args), **tuner_args)
    if tuner._is_worker():
        tuner.oracle.stub = _ReconnectingStub(tuner.oracle.stub, tuner.tuner_id)
    # keras-tuner reloads only when this tuner id saved a file; after a parallel search the
    # worker that would have saved "tuner0.json" may have died before its first trial ended.
    saved_oracle = os.path.join(tuner.project_dir, "oracle.json")
    if not (overwrite or tuner._is_worker() or tuner.oracle.trials) and os.path.exists(
        saved_oracle
    ):
        tuner.oracle.reload()
    if kind == "hyperband":
        tuner.oracle.hyperband_iterations = max(tuner.oracle.hyperband_iterations, max_trials)
    return tuner


@dataclasses.dataclass(frozen=True)
class TrialRecord:
    """One row of `SearchResult.trials`.

    ``trial_id`` is keras-tuner's own (``"0"``, ``"1"``, ... zero-padded to the width of
    ``max_trials``: the trial's folder ``trial_<id>``); ``number`` is the trial's 1-based number
    as keras-tuner prints it ("Running Trial #1" is trial id ``"0"``), used wherever the zoo
    prints or plots a trial.
    """

    trial_id: str
    status: str
    score: float | None
    hyperparameters: dict

    @property
    def number(self) -> int:
        """The 1-based trial number of keras-tuner's progress output."""
        return int(self.trial_id) + 1


class SearchResult:
    """The trials of a search, read from keras-tuner's project directory.

    Attributes:
        objective: the metric searched (``keras_tuner.Objective``: name and direction).
        trials: `TrialRecord` rows (id, status, score, hyperparameter values) in trial order.
            A trial whose worker died while running it has status ``"LOST"``.
        messages: what happened to workers during a parallel search (empty otherwise).
        project_dir: the keras-tuner project directory.

    Retrain the best configuration on all the data for the final model (keras-tuner's advice):
    ``hypermodel(name, seed=s).build(result.best_hyperparameters)`` starts from the same
    weights as the trial did when the search used ``seed=s``.

    Args:
        tuner_factory: returns the search's keras-tuner tuner (for `best_model`).
        objective: as above.
        project_dir: as above.
        finished: the search's processes have all ended, so a trial still marked as running
            was lost with its worker.
        messages: reports to keep.
    """

    def __init__(self, tuner_factory, objective, project_dir, *, finished=False, messages=()):
        self._tuner_factory = tuner_factory
        self.objective = objective
        self.project_dir = pathlib.Path(project_dir)
        self._trials = [
            keras_tuner.engine.trial.Trial.load(path)
            for path in sorted(glob.glob(os.path.join(project_dir, "trial_*", "trial.json")))
        ]
        self._trials.sort(key=lambda t: int(t.trial_id))
        self.trials = [
            TrialRecord(
                trial_id=t.trial_id,
                status="LOST" if finished and t.status == _TRIAL_STATUS.RUNNING else t.status,
                score=t.score if t.status == _TRIAL_STATUS.COMPLETED else None,
                hyperparameters=dict(t.hyperparameters.values),
            )
            for t in self._trials
        ]
        lost = [t.number for t in self.trials if t.status == "LOST"]
        self.messages = (
            *messages,
            *(f"trial {i} was lost with its worker; rerun to retry it" for i in lost),
        )

    def _best(self):
        scored = [
            t
            for t in self._trials
            if t.status == _TRIAL_STATUS.COMPLETED
            and t.score is not None
            and math.isfinite(t.score)
        ]
        if not scored:
            raise RuntimeError(
                f"No trial of the search in {self.project_dir} completed with a score; "
                f"statuses: {[t.status for t in self.trials]}."
            )
        sign = 1.0 if self.objective.direction == "max" else -1.0
        return max(scored, key=lambda t: (sign * t.score, -int(t.trial_id)))

    @property
    def best_trial(self) -> TrialRecord:
        """The completed trial with the best score (the earliest one on ties)."""
        best_id = self._best().trial_id
        return next(t for t in self.trials if t.trial_id == best_id)

    @property
    def best_score(self) -> float:
        return self._best().score

    @property
    def best_hyperparameters(self) -> keras_tuner.HyperParameters:
        """The best trial's ``keras_tuner.HyperParameters`` (``.values`` is a dict)."""
        return self._best().hyperparameters

    def best_model(self) -> keras.Model:
        """The best trial's model with the weights of its best epoch (keras-tuner checkpoint)."""
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            return self._tuner_factory().load_model(self._best())

    def rows(self) -> list[dict]:
        """The trials as flat dicts: trial_id (keras-tuner's), number (1-based, as printed),
        status, score and one key per hyperparameter."""
        names = []
        for trial in self.trials:
            names.extend(n for n in trial.hyperparameters if n not in names)
        return [
            {
                "trial_id": t.trial_id,
                "number": t.number,
                "status": t.status,
                "score": t.score,
                **{n: t.hyperparameters.get(n) for n in names},
            }
            for t in self.trials
        ]

    def to_csv(self, path) -> pathlib.Path:
        """Write `rows` to a CSV file; returns its path."""
        path = pathlib.Path(path)
        rows = self.rows()
        fields = list(rows[0]) if rows else ["trial_id", "number", "status", "score"]
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
        return path

    def plot(self, path) -> pathlib.Path:
        """Draw the score of every completed trial and the best so far; returns ``path``.

        The x axis is the trial number as keras-tuner prints it (1-based, integer ticks); the
        best so far is a step line (``drawstyle="steps-post"``: it holds until a trial beats
        it). Drawn on a matplotlib ``Figure`` of its own (Agg), so no pyplot state is touched.
        """
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator

        path = pathlib.Path(path)
        done = [(t.number, t.score) for t in self.trials if t.score is not None]
        better = max if self.objective.direction == "max" else min
        best, running = [], None
        for _, score in done:
            running = score if running is None else better(running, score)
            best.append(running)
        figure = Figure(figsize=(6, 4))
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        numbers = [n for n, _ in done]
        axes.plot(numbers, [s for _, s in done], "o", label="trial")
        axes.plot(numbers, best, "-", drawstyle="steps-post", label="best so far")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel("trial")
        axes.set_ylabel(self.objective.name)
        direction = "higher" if self.objective.direction == "max" else "lower"
        axes.set_title(
            f"{self.project_dir.name}: {self.objective.name} per trial ({direction} is better)"
        )
        if done:
            axes.legend()
        figure.tight_layout()
        figure.savefig(check_image_path("path", path))
        return path

    def table(self, limit: int | None = None) -> str:
        """A text table of the completed trials, best first (then the others), ``limit`` rows;
        trials by their 1-based number, as keras-tuner's progress output prints them."""
        reverse = self.objective.direction == "max"
        done = sorted(
            (t for t in self.trials if t.score is not None),
            key=lambda t: t.score,
            reverse=reverse,
        )
        rest = [t for t in self.trials if t.score is None]
        shown = (done + rest)[:limit]
        lines = [f"{'trial':>6}  {'status':<10}{self.objective.name:>14}  hyperparameters"]
        for t in shown:
            score = "-" if t.score is None else f"{t.score:.4f}"
            values = ", ".join(
                f"{k}={_short(v)}"
                for k, v in t.hyperparameters.items()
                if not k.startswith("tuner/")
            )
            lines.append(f"{t.number:>6}  {t.status:<10}{score:>14}  {values}")
        return "\n".join(lines)

    def __str__(self):
        return self.table()

    def __repr__(self):
        done = sum(t.status == _TRIAL_STATUS.COMPLETED for t in self.trials)
        return f"<SearchResult {len(self.trials)} trials, {done} completed, in {self.project_dir}>"


def _short(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def input_shape_of(data):
    """The input shape (without the batch) of a data set or ``(x, y)`` arrays, or None."""
    spec = getattr(data, "element_spec", None)
    if spec is not None:
        features = spec[0] if isinstance(spec, tuple) else spec
        return tuple(features.shape[1:])
    if isinstance(data, (tuple, list)) and hasattr(data[0], "shape"):
        return tuple(data[0].shape[1:])
    return None


def _fit_arguments(train, validation):
    """``(args, kwargs)`` for ``tuner.search``: a data set, or ``(x, y)`` arrays."""
    if isinstance(train, (tuple, list)):
        return list(train), {"validation_data": validation}
    return [train], {"validation_data": validation}


@contextlib.contextmanager
def _heap_frozen():
    """Collect once, then keep the objects alive now out of every collection until the end.

    keras-tuner runs ``clear_session()`` and ``gc.collect()`` before every build and the tuners
    again after every trial: four full collections per trial, each walking every object of
    TensorFlow, Keras and the data (about 0.2 s apiece on a 2-core machine, a third of a small
    model's trial). ``gc.freeze`` moves what is alive before the first trial out of their reach;
    ``gc.unfreeze`` gives it back at the end. A heap the caller froze already is left as it is.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.collect()  # what is already garbage is freed now, not held frozen for the whole search
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def run_search(
    kind: str,
    model: ZooHyperModel,
    train,
    validation=None,
    *,
    objective,
    max_trials: int,
    epochs: int,
    directory,
    project_name: str,
    overwrite: bool = False,
    seed: int | None = None,
    distribution_strategy=None,
    max_consecutive_failed_trials: int = 3,
    callbacks=(),
    verbose=1,
) -> SearchResult:
    """Run a keras-tuner search of ``model`` in this process; its `SearchResult`.

    `make_tuner` builds the tuner (reloading a saved project unless ``overwrite``) and
    ``tuner.search`` runs the trials. The arguments are `zoo.tuning.search`'s, already checked
    there; ``distribution_strategy`` is the ``tf.distribute`` strategy for keras-tuner (or
    None). With keras-tuner's ``KERASTUNER_*`` environment set this process is the chief (it
    serves the oracle) or a worker; a worker never overwrites the project, which is the chief's.
    A configuration the builder rejects while the tuner is set up raises ``ValueError``.
    The trials run with the objects alive before them frozen out of the collector
    (`_heap_frozen`).
    """
    is_worker = distribute_utils.has_chief_oracle() and not distribute_utils.is_chief_oracle()
    try:
        tuner = make_tuner(
            kind,
            model,
            objective=objective,
            max_trials=max_trials,
            epochs=epochs,
            directory=directory,
            project_name=project_name,
            overwrite=overwrite and not is_worker,
            seed=seed,
            distribution_strategy=distribution_strategy,
            max_consecutive_failed_trials=max_consecutive_failed_trials,
        )
    except keras_tuner.errors.FailedTrialError as error:
        raise ValueError(str(error)) from None
    args, kwargs = _fit_arguments(train, validation)
    kwargs.update(epochs=epochs, callbacks=list(callbacks), verbose=verbose)
    with _heap_frozen():
        tuner.search(*args, **kwargs)
    return SearchResult(lambda: tuner, tuner.oracle.objective, tuner.project_dir)
