"""`search`: a keras-tuner search over one zoo model, resumable, on one device, under a
distribution strategy, or as N parallel trials (keras-tuner's chief/worker mode).

keras-tuner is the engine: its oracles sample and schedule the trials, and its project
directory stores every trial. This module checks the arguments, builds the zoo's search space
(`zoo.tuning.hypermodel`), and hands the search to `zoo.tuning.tuners.run_search` (in this
process) or to `zoo.tuning.parallel.run` (a chief and N workers). The oracles and tuners
(``make_tuner``, `TUNERS`, the grid oracle that resumes, keras-tuner #1055) and `SearchResult`
live in `zoo.tuning.tuners`; `TUNERS` and `SearchResult` are re-exported by `zoo.tuning`.

Imports: search -> parallel -> tuners and search -> tuners (parallel never imports search).
"""

from __future__ import annotations

import os

import keras
import keras_tuner
from keras_tuner.src.distribute import utils as distribute_utils

from zoo.tuning.hypermodel import hypermodel
from zoo.tuning.tuners import TUNERS, SearchResult, input_shape_of, run_search
from zoo.validation import (
    check_bool,
    check_callbacks,
    check_folder,
    check_name,
    check_number,
    check_positive_int,
    check_verbose,
)


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
    trial, so memory stays flat over a long search. Before the first trial the arguments are
    checked and ``train`` and ``validation`` are read once, every batch checked as
    `zoo.training.fit` checks them (`ZooHyperModel.check_data`): bad data raise ``ValueError``
    before anything is written. A trial whose configuration the builder
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
    check_name("tuner", tuner, TUNERS)
    max_trials = check_positive_int("max_trials", max_trials)
    epochs = check_positive_int("epochs", epochs)
    max_consecutive_failed_trials = check_positive_int(
        "max_consecutive_failed_trials", max_consecutive_failed_trials
    )
    if parallel_trials is not None:
        parallel_trials = check_positive_int("parallel_trials", parallel_trials)
    if timeout is not None:
        if parallel_trials is None:
            raise ValueError("timeout applies to parallel_trials only; drop it or set both.")
        timeout = check_number("timeout", timeout, low=0.0, low_open=True)
    directory = check_folder("directory", directory, what="a folder for keras-tuner's project")
    if project_name is not None and (not isinstance(project_name, str) or not project_name):
        raise ValueError(f"project_name must be a non-empty str or None, got {project_name!r}.")
    overwrite = check_bool("overwrite", overwrite)
    callbacks = check_callbacks("callbacks", callbacks)
    check_verbose("verbose", verbose)
    if input_shape is None:
        input_shape = input_shape_of(train)
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
        "directory": os.path.abspath(directory),
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
    model.check_data(train, validation)
    if parallel_trials is not None:
        # Imported here: ``python -m zoo.tuning.parallel`` (each worker) imports the package
        # first, and runpy warns when the module it runs is already in sys.modules.
        from zoo.tuning import parallel

        return parallel.run(
            kind=tuner,
            name=model.info.name,
            train=train,
            validation=validation,
            count=parallel_trials,
            overwrite=overwrite,
            callbacks=callbacks,
            input_shape=input_shape,
            num_classes=num_classes,
            fixed=fixed,
            timeout=timeout,
            verbose=verbose,
            **settings,
        )
    return run_search(
        tuner,
        model,
        train,
        validation,
        overwrite=overwrite,
        distribution_strategy=strategy,
        callbacks=callbacks,
        verbose=verbose,
        **settings,
    )
