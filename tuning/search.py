"""`search`: a keras-tuner search over one zoo model, resumable, on one device, under a
distribution strategy, or as N parallel trials (keras-tuner's chief/worker mode).

keras-tuner is the engine: its oracles sample and schedule the trials (random search and grid
search as in the lectures, Bergstra & Bengio 2012; Hyperband, Li et al. 2018; Bayesian
optimisation with a Gaussian process), and its project directory stores every trial. This
module adds the zoo's search space (`zoo.tuning.hypermodel`), checks the arguments, persists the
grid oracle's position so a grid search resumes (keras-tuner #1055), and reads the results back
as a `SearchResult`.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import gc
import glob
import math
import os
import pathlib
import warnings

import keras
import keras_tuner
from keras_tuner.src.distribute import utils as distribute_utils

from zoo.tuning.hypermodel import ZooHyperModel, hypermodel
from zoo.validation import check_choice, check_positive_int

TUNERS = ("random", "grid", "hyperband", "bayesian")
HYPERBAND_FACTOR = 3
_TRIAL_STATUS = keras_tuner.engine.trial.TrialStatus


class _SaveAfterEndTrial:
    """Saves the oracle again once a trial has ended.

    keras-tuner's ``Oracle.end_trial`` saves its state before it removes the trial from the
    ongoing ones; in-process the tuner saves again right after, but in chief/worker mode
    nothing does, so ``oracle.json`` would keep the last trial as running and a resumed
    search would run it again.
    """

    @keras_tuner.synchronized
    def end_trial(self, trial):
        super().end_trial(trial)
        self.save()

    def reload(self):
        """Reload, without queueing finished trials for a rerun.

        ``Oracle.end_trial`` writes the trial's final ``trial.json`` before ``oracle.json``; a
        process killed in between leaves the finished trial listed as running, and keras-tuner's
        ``reload`` queues every such trial to run again. Its result is saved: keep it instead.
        """
        super().reload()
        finished = (_TRIAL_STATUS.COMPLETED, _TRIAL_STATUS.FAILED)
        for trial_id in list(self._retry_queue):
            if self.trials[trial_id].status in finished:
                self._retry_queue.remove(trial_id)
                self._ended_before_reload(trial_id)

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
            print(f"[{self.tuner_id}] trial {trial.trial_id} begins", flush=True)

    def on_trial_end(self, trial):
        super().on_trial_end(trial)
        if self._is_worker():
            print(f"[{self.tuner_id}] trial {trial.trial_id} {trial.status}", flush=True)
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
    """The keras-tuner tuner of ``kind`` for ``model`` (see `search` for the arguments).

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
    """One row of `SearchResult.trials`."""

    trial_id: str
    status: str
    score: float | None
    hyperparameters: dict


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
        lost = [t.trial_id for t in self.trials if t.status == "LOST"]
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
        """The trials as flat dicts: trial_id, status, score and one key per hyperparameter."""
        names = []
        for trial in self.trials:
            names.extend(n for n in trial.hyperparameters if n not in names)
        return [
            {
                "trial_id": t.trial_id,
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
        fields = list(rows[0]) if rows else ["trial_id", "status", "score"]
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
        return path

    def plot(self, path) -> pathlib.Path:
        """Draw the score of every completed trial and the best so far (matplotlib, Agg)."""
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot

        path = pathlib.Path(path)
        done = [(int(t.trial_id), t.score) for t in self.trials if t.score is not None]
        better = max if self.objective.direction == "max" else min
        best, running = [], None
        for _, score in done:
            running = score if running is None else better(running, score)
            best.append(running)
        figure, axes = pyplot.subplots(figsize=(6, 4))
        axes.plot([i for i, _ in done], [s for _, s in done], "o", label="trial")
        axes.plot([i for i, _ in done], best, "-", label="best so far")
        axes.set_xlabel("trial")
        axes.set_ylabel(self.objective.name)
        axes.legend()
        figure.tight_layout()
        figure.savefig(path)
        pyplot.close(figure)
        return path

    def table(self, limit: int | None = None) -> str:
        """A text table of the completed trials, best first (then the others), ``limit`` rows."""
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
            lines.append(f"{t.trial_id:>6}  {t.status:<10}{score:>14}  {values}")
        return "\n".join(lines)

    def __str__(self):
        return self.table()

    def __repr__(self):
        done = sum(t.status == _TRIAL_STATUS.COMPLETED for t in self.trials)
        return f"<SearchResult {len(self.trials)} trials, {done} completed, in {self.project_dir}>"


def _short(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _input_shape(data):
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


def _check_strategy(distribution_strategy):
    """``(tf.distribute strategy for keras-tuner, keras.distribution for the builds)``."""
    keras_distributions = (keras.distribution.DataParallel, keras.distribution.ModelParallel)
    if distribution_strategy is None:
        return None, keras.distribution.distribution()
    if isinstance(distribution_strategy, keras_distributions):
        return None, distribution_strategy
    if keras.backend.backend() != "tensorflow":
        raise ValueError(
            f"distribution_strategy must be a keras.distribution (DataParallel, ModelParallel) "
            f"on the {keras.backend.backend()} backend, where tf.distribute strategies do not "
            f"apply; got {distribution_strategy!r}."
        )
    import tensorflow as tf

    if not isinstance(distribution_strategy, tf.distribute.Strategy):
        raise ValueError(
            "distribution_strategy must be a tf.distribute.Strategy (MirroredStrategy, "
            "TPUStrategy) or a keras.distribution (DataParallel, ModelParallel); got "
            f"{distribution_strategy!r}."
        )
    return distribution_strategy, None


def search(
    name: str,
    train,
    validation=None,
    *,
    tuner: str = "random",
    max_trials: int = 10,
    epochs: int = 5,
    objective="val_accuracy",
    directory,
    project_name: str | None = None,
    overwrite: bool = False,
    distribution_strategy=None,
    parallel_trials: int | None = None,
    seed: int | None = None,
    callbacks=(),
    input_shape=None,
    num_classes=None,
    max_consecutive_failed_trials: int = 3,
    timeout: float | None = None,
    verbose=1,
    **fixed,
) -> SearchResult:
    """Search the hyperparameters of zoo model ``name`` with keras-tuner.

    The space is `zoo.tuning.hypermodel`'s (the family's knobs and the lectures' training
    hyperparameters); keyword arguments not listed below fix hyperparameters or builder knobs.
    keras-tuner clears the Keras session before every build, and so does the tuner after every
    trial, so memory stays flat over a long search. A trial whose configuration the builder
    rejects is recorded as failed (``keras_tuner.errors.FailedTrialError``) and the search goes
    on; ``max_consecutive_failed_trials`` failures in a row stop it (``RuntimeError``).

    Args:
        name: a registered model name or alias.
        train: a batched ``tf.data.Dataset`` of ``(inputs, labels)`` (re-batched to each
            trial's batch size) or an ``(x, y)`` tuple of arrays.
        validation: the data scored for the objective (same forms), or None.
        tuner: ``"random"``, ``"grid"``, ``"hyperband"`` or ``"bayesian"``.
        max_trials: the number of trials (configurations) to run, >= 1.
        epochs: epochs per trial (Hyperband: the most epochs a trial reaches).
        objective: a metric the model logs: ``"val_accuracy"``, ``"val_loss"``, ``"accuracy"``,
            ``"loss"`` for classifiers, ``mae`` instead of accuracy for regression tasks; or a
            ``keras_tuner.Objective`` on one of them.
        directory: where keras-tuner keeps the project (trials, checkpoints, oracle state).
        project_name: the project's folder (default ``"<model>_<tuner>"``).
        overwrite: start afresh; with False (the default) a rerun resumes the search: finished
            trials are not run again and an interrupted one is retried.
        distribution_strategy: a ``tf.distribute.Strategy`` for every trial (MirroredStrategy
            on GPUs, TPUStrategy on TPUs), passed to keras-tuner. keras-tuner knows only
            tf.distribute strategies; on the JAX backend call
            ``keras.distribution.set_distribution(keras.distribution.DataParallel())`` before
            the search (or pass the distribution here): it is put back before every build,
            since the ``clear_session()`` between trials resets it.
        parallel_trials: run N trials at once on this machine: keras-tuner's chief and N
            worker processes on 127.0.0.1, worker i pinned to GPU i (``CUDA_VISIBLE_DEVICES``,
            memory growth on; on CPU-only machines the workers share the CPU); see
            `zoo.tuning.parallel`.
        seed: the oracle's seed, and ``keras.utils.set_random_seed(seed)`` before every build.
        callbacks: Keras callbacks for every trial's ``fit`` (picklable with parallel_trials).
        input_shape: the model's input shape (default: read from ``train``).
        num_classes: classifier size (default: the model's).
        max_consecutive_failed_trials: keras-tuner's stop rule for failing configurations.
        timeout: with ``parallel_trials``, the most seconds to wait for the workers.
        verbose: keras-tuner's and Keras' progress output (0 for none).
        **fixed: hyperparameters or builder knobs fixed to a value (see `hypermodel`).

    Returns:
        A `SearchResult`.

    Example:
        ``result = search("mlp", train, test, tuner="random", max_trials=10, epochs=3,
        directory="tuning", optimizer="adam")``; ``print(result)``.
    """
    check_choice("tuner", tuner, TUNERS)
    max_trials = check_positive_int("max_trials", max_trials)
    epochs = check_positive_int("epochs", epochs)
    max_consecutive_failed_trials = check_positive_int(
        "max_consecutive_failed_trials", max_consecutive_failed_trials
    )
    if parallel_trials is not None:
        parallel_trials = check_positive_int("parallel_trials", parallel_trials)
    if directory is None:
        raise ValueError("directory must be a folder for keras-tuner's project, got None.")
    if input_shape is None:
        input_shape = _input_shape(train)
    model = hypermodel(name, input_shape=input_shape, num_classes=num_classes, seed=seed, **fixed)
    objective_name = objective.name if isinstance(objective, keras_tuner.Objective) else objective
    logged = model.logged_metrics(validation is not None)
    if objective_name not in logged:
        raise ValueError(
            f"objective {objective_name!r} is not a metric {model.info.name!r} logs"
            f"{'' if validation is not None else ' without validation data'}; allowed: "
            f"{', '.join(repr(n) for n in logged)}."
        )
    strategy, model.distribution = _check_strategy(distribution_strategy)
    project_name = project_name or f"{model.info.name}_{tuner}"
    settings = {
        "objective": objective,
        "max_trials": max_trials,
        "epochs": epochs,
        "directory": os.path.abspath(os.fspath(directory)),
        "project_name": project_name,
        "seed": seed,
        "max_consecutive_failed_trials": max_consecutive_failed_trials,
    }
    if parallel_trials is not None:
        if distribution_strategy is not None:
            raise ValueError(
                "parallel_trials and distribution_strategy do not combine: each worker runs "
                "its trials on its own device."
            )
        if distribute_utils.has_chief_oracle():
            raise ValueError(
                "parallel_trials starts its own chief and workers; unset the KERASTUNER_* "
                "environment variables (or drop parallel_trials to run as one of them)."
            )
        from zoo.tuning import parallel

        return parallel.run(
            kind=tuner,
            name=model.info.name,
            train=train,
            validation=validation,
            count=parallel_trials,
            overwrite=overwrite,
            callbacks=list(callbacks),
            input_shape=input_shape,
            num_classes=num_classes,
            fixed=fixed,
            timeout=timeout,
            verbose=verbose,
            **settings,
        )
    is_worker = distribute_utils.has_chief_oracle() and not distribute_utils.is_chief_oracle()
    factory = functools.partial(
        make_tuner,
        tuner,
        model,
        distribution_strategy=strategy,
        **settings,
    )
    try:
        keras_tuner_object = factory(overwrite=overwrite and not is_worker)
    except keras_tuner.errors.FailedTrialError as error:
        raise ValueError(str(error)) from None
    args, kwargs = _fit_arguments(train, validation)
    kwargs.update(epochs=epochs, callbacks=list(callbacks), verbose=verbose)
    keras_tuner_object.search(*args, **kwargs)
    return SearchResult(
        lambda: keras_tuner_object,
        keras_tuner_object.oracle.objective,
        keras_tuner_object.project_dir,
    )
