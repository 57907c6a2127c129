"""Callbacks for the lecture training recipes: per-batch schedules, learning-rate logging, the LR
range test, and a checkpoint that survives ``kill -9``.

Two ways to follow a schedule, with the same trajectory:

- give the schedule to the optimizer (``keras.optimizers.SGD(schedule)``): the simplest, and the
  rate is part of the compiled step; but the optimizer's rate can then no longer be set, so
  ``keras.callbacks.ReduceLROnPlateau`` (and anything else that assigns ``learning_rate``) fails;
- give the optimizer a float rate and `ScheduleCallback` the schedule: it writes
  ``schedule(iterations)`` into the optimizer before every batch (Keras' own
  ``LearningRateScheduler`` works per epoch). Use it when the rate must also react to training,
  e.g. with ``ReduceLROnPlateau``: a reduction made by another callback is kept as a factor on the
  schedule from then on.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import math
import os
import pathlib
import shutil
import tempfile

import keras
import numpy as np

from zoo.validation import check_bool, check_image_path, check_number, check_positive_int

LearningRateSchedule = keras.optimizers.schedules.LearningRateSchedule


def _numpy_float(value) -> float:
    return float(np.asarray(keras.ops.convert_to_numpy(value)))


def _holds_schedule(optimizer) -> bool:
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    return isinstance(getattr(inner, "_learning_rate", None), LearningRateSchedule)


def current_learning_rate(optimizer) -> float:
    """The rate the optimizer used for its latest step (its first step's rate before any).

    For an optimizer holding a schedule that is ``schedule(iterations - 1)``; Keras'
    ``optimizer.learning_rate`` would give the next step's rate instead.
    """
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    if _holds_schedule(inner):
        step = max(int(_numpy_float(inner.iterations)) - 1, 0)
        return _numpy_float(inner._learning_rate(step))
    return _numpy_float(inner.learning_rate)


def _set_learning_rate(optimizer, value: float) -> None:
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    inner.learning_rate.assign(value)


def _check_float_rate(model, who: str) -> None:
    if model.optimizer is None:
        raise ValueError(f"{who} needs a compiled model (model.compile(optimizer=...)).")
    if _holds_schedule(model.optimizer):
        raise ValueError(
            f"{who} drives the optimizer's learning rate itself: compile with a float "
            "learning_rate, not a LearningRateSchedule."
        )


class ScheduleCallback(keras.callbacks.Callback):
    """Set the optimizer's rate from a schedule before every batch.

    lr(step) = factor * schedule(optimizer.iterations), with factor = 1 until another callback
    (e.g. ``ReduceLROnPlateau``) changes the rate; such a change multiplies the factor. With a
    ``steps_per_execution`` above 1 the rate is updated once per execution.

    Args:
        schedule: a ``keras.optimizers.schedules.LearningRateSchedule`` (see
            `zoo.training.schedules`).

    Example::

        model.compile(keras.optimizers.SGD(0.1), ...)
        model.fit(train, epochs=30, callbacks=[
            ScheduleCallback(schedules.get("cosine", learning_rate=0.1, total_steps=n)),
            keras.callbacks.ReduceLROnPlateau("val_loss", factor=0.5, patience=3)])
    """

    def __init__(self, schedule):
        super().__init__()
        if not isinstance(schedule, LearningRateSchedule):
            raise ValueError(
                "schedule must be a keras.optimizers.schedules.LearningRateSchedule, got "
                f"{schedule!r}."
            )
        self.schedule = schedule
        self.factor = 1.0
        self._last_set = None

    def on_train_begin(self, logs=None):
        _check_float_rate(self.model, "ScheduleCallback")
        self._last_set = None

    def on_train_batch_begin(self, batch, logs=None):
        optimizer = self.model.optimizer
        if self._last_set is not None:
            current = np.float32(_numpy_float(optimizer.learning_rate))
            if current != self._last_set and self._last_set > 0:
                self.factor *= float(current) / float(self._last_set)
        step = int(_numpy_float(optimizer.iterations))
        rate = self.factor * _numpy_float(self.schedule(step))
        _set_learning_rate(optimizer, rate)
        self._last_set = np.float32(rate)


class LearningRateLogger(keras.callbacks.Callback):
    """Put the rate of each epoch's last step into the logs as ``learning_rate``.

    Place it before ``History``, ``CSVLogger`` and ``TensorBoard`` in the callback list (Keras
    appends ``History`` last) so they record it; works for float rates and schedules alike.

    Example: ``model.fit(train, epochs=5, callbacks=[LearningRateLogger(), csv_logger])``.
    """

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None and self.model.optimizer is not None:
            logs["learning_rate"] = current_learning_rate(self.model.optimizer)


class LRFinder(keras.callbacks.Callback):
    """The learning-rate range test (L. N. Smith 2015, section 3.3; fastai's ``lr_find``).

    Step i of ``num_steps`` trains with lr_i = min_lr * (max_lr / min_lr)^(i / (num_steps - 1))
    and records the batch loss; the loss is smoothed with a bias-corrected exponential moving
    average (beta = ``smoothing``). The test stops after ``num_steps`` batches or when the
    smoothed loss exceeds ``divergence`` times its minimum, and restores the weights it started
    from. `suggestion` is the rate where the smoothed loss falls fastest against log(lr), looking
    only up to the minimum of the smoothed loss.

    Args:
        min_lr: the first rate, > 0.
        max_lr: the last rate, > min_lr.
        num_steps: batches to try (an integer >= 5).
        smoothing: beta of the moving average, in [0, 1).
        divergence: stop when the smoothed loss exceeds this multiple of its minimum (> 1).
        restore_weights: put the model's weights back after the test.

    Example::

        finder = LRFinder(1e-5, 1.0, 100).run(model, train)
        finder.plot("lr_finder.png"); best = finder.suggestion
    """

    def __init__(
        self,
        min_lr=1e-6,
        max_lr=1.0,
        num_steps=100,
        *,
        smoothing=0.9,
        divergence=4.0,
        restore_weights=True,
    ):
        super().__init__()
        self.min_lr = check_number("min_lr", min_lr, low=0.0, low_open=True)
        self.max_lr = check_number("max_lr", max_lr, low=0.0, low_open=True)
        if self.max_lr <= self.min_lr:
            raise ValueError(f"max_lr must be > min_lr ({min_lr!r}), got {max_lr!r}.")
        self.num_steps = check_positive_int("num_steps", num_steps, minimum=5)
        self.smoothing = check_number("smoothing", smoothing, low=0.0, high=1.0, high_open=True)
        self.divergence = check_number("divergence", divergence, low=1.0, low_open=True)
        self.restore_weights = bool(restore_weights)
        self.learning_rates: list[float] = []
        self.losses: list[float] = []
        self.smoothed_losses: list[float] = []

    def rate(self, i: int) -> float:
        """lr_i of the exponential sweep."""
        return self.min_lr * (self.max_lr / self.min_lr) ** (i / (self.num_steps - 1))

    def run(self, model, train, *, verbose=0):
        """Run the test on a compiled ``model`` over as many epochs of ``train`` as it needs."""
        _check_float_rate(model, "LRFinder")
        steps_per_epoch = None
        cardinality = getattr(train, "cardinality", None)
        if cardinality is not None:
            steps_per_epoch = int(keras.ops.convert_to_numpy(cardinality()))
        if steps_per_epoch is None or steps_per_epoch <= 0:
            raise ValueError("LRFinder.run needs a finite tf.data.Dataset (known cardinality).")
        epochs = math.ceil(self.num_steps / steps_per_epoch)
        model.fit(train, epochs=epochs, callbacks=[self], verbose=verbose, shuffle=False)
        return self

    def on_train_begin(self, logs=None):
        _check_float_rate(self.model, "LRFinder")
        self.learning_rates, self.losses, self.smoothed_losses = [], [], []
        self._average = 0.0
        self._best = math.inf
        self._saved = self.model.get_weights() if self.restore_weights else None
        self._initial_rate = _numpy_float(self.model.optimizer.learning_rate)

    def on_epoch_begin(self, epoch, logs=None):
        self._previous_mean = 0.0

    def on_train_batch_begin(self, batch, logs=None):
        _set_learning_rate(self.model.optimizer, self.rate(len(self.losses)))

    def on_train_batch_end(self, batch, logs=None):
        # Keras reports the running mean of the epoch; the batch's own loss is recovered from
        # two consecutive means (equal batch sizes within the epoch).
        mean = float((logs or {})["loss"])
        loss = (batch + 1) * mean - batch * self._previous_mean
        self._previous_mean = mean
        self.learning_rates.append(self.rate(len(self.losses)))
        self.losses.append(loss)
        i = len(self.losses)
        self._average = self.smoothing * self._average + (1.0 - self.smoothing) * loss
        smoothed = self._average / (1.0 - self.smoothing**i)
        self.smoothed_losses.append(smoothed)
        self._best = min(self._best, smoothed)
        diverged = not math.isfinite(smoothed) or smoothed > self.divergence * self._best
        if i >= self.num_steps or (i > 1 and diverged):
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self._saved is not None:
            self.model.set_weights(self._saved)
        _set_learning_rate(self.model.optimizer, self._initial_rate)

    @property
    def suggestion(self) -> float:
        """The rate of the steepest descent of the smoothed loss (against log10 lr)."""
        if len(self.smoothed_losses) < 5:
            raise ValueError("LRFinder has fewer than 5 recorded steps; run the test first.")
        losses = np.asarray(self.smoothed_losses)
        finite = np.isfinite(losses)
        end = int(np.argmin(np.where(finite, losses, np.inf)))
        if end < 2:
            end = len(losses) - 1
        log_rates = np.log10(np.asarray(self.learning_rates[: end + 1]))
        slopes = np.gradient(losses[: end + 1], log_rates)
        return float(self.learning_rates[int(np.argmin(slopes))])

    def plot(self, path, *, log_scale: bool = True):
        """Draw the raw and smoothed loss against the rate, marking `suggestion`; returns path."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        figure = Figure(figsize=(6, 4))
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        axes.plot(self.learning_rates, self.losses, alpha=0.35, label="batch loss")
        axes.plot(self.learning_rates, self.smoothed_losses, label="smoothed loss")
        if len(self.smoothed_losses) >= 5:
            axes.axvline(self.suggestion, color="tab:red", linestyle="--", label="suggestion")
        if log_scale:
            axes.set_xscale("log")
        finite = [v for v in self.smoothed_losses if math.isfinite(v)]
        if finite:
            axes.set_ylim(min(finite) * 0.9, min(max(finite), 4.0 * min(finite)) * 1.1)
        axes.set_xlabel("learning rate")
        axes.set_ylabel("loss")
        axes.legend()
        figure.tight_layout()
        figure.savefig(check_image_path("path", path))
        return path


class CheckpointError(ValueError):
    """A checkpoint folder that cannot be resumed from (corrupted or from another model)."""


def _sha256(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_file(path: pathlib.Path) -> None:
    with open(path, "rb") as file:
        os.fsync(file.fileno())


def _atomic_write_text(path: pathlib.Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


LOCK = ".lock"


@contextlib.contextmanager
def checkpoint_lock(directory):
    """Hold the checkpoint folder ``directory`` for one run (an exclusive ``flock`` on its
    ``.lock`` file, released when the run ends or its process dies, even by ``kill -9``).

    A second run on the same folder gets a `CheckpointError` at once instead of colliding with
    the first on the same file names.
    """
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOCK
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            holder = os.pread(handle, 32, 0).decode("ascii", "replace").strip() or "another"
            raise CheckpointError(
                f"checkpoint_dir {str(directory)!r} is in use by another run (process "
                f"{holder}); wait for it to finish or choose another checkpoint_dir."
            ) from None
        os.ftruncate(handle, 0)
        os.pwrite(handle, str(os.getpid()).encode("ascii"), 0)
        yield directory
    finally:
        os.close(handle)  # closing releases the lock


def finite_logs(logs) -> bool:
    """Whether every loss in an epoch's ``logs`` is a finite number."""
    return all(
        math.isfinite(float(value))
        for key, value in (logs or {}).items()
        if key.endswith("loss") and isinstance(value, (int, float, np.floating, np.integer))
    )


def _finite_weights(model) -> bool:
    return all(
        bool(np.all(np.isfinite(keras.ops.convert_to_numpy(v)))) for v in model.trainable_variables
    )


def _seed_states(model) -> list:
    """The states of the model's random generators (``keras.random.SeedGenerator``, e.g. in
    ``Dropout``), in a fixed order: ``save_weights`` leaves them out, yet a resumed run must
    continue their sequences to draw the masks an uninterrupted run would draw."""
    return [v for v in model.variables if v.name == "seed_generator_state"]


class ResumableCheckpoint(keras.callbacks.Callback):
    """Save the training state every epoch so that a killed run resumes where it stopped.

    After epoch e the model and optimizer variables go to ``epoch-{e+1:04d}.weights.h5`` (a new
    file each epoch), then ``state.json`` (epoch count, file name, SHA-256, best value, the states
    of the random generators such as Dropout's, which ``save_weights`` leaves out) is
    replaced atomically (written aside, fsync, ``os.replace``): a ``kill -9`` at any moment leaves
    the previous consistent state. `restore` loads it and returns the epoch to start from; the
    SHA-256 turns a damaged file into a `CheckpointError` instead of an h5py crash. The best model
    by ``monitor`` is also written atomically to ``best.keras``. An epoch that ends with a
    non-finite loss or weights (a diverged run) is not saved: the checkpoint keeps the last good
    epoch, and ``diverged_epoch`` says which epoch diverged.

    The data order is the caller's business: a data set shuffled with a fixed seed replays the
    same epoch orders when as many iterators are drawn from it first (`zoo.training.fit` does).

    Args:
        directory: the folder of the checkpoint files (created if needed).
        monitor: the logged value that selects ``best.keras`` (``val_loss``, falling back to
            ``loss`` when there is no validation).
        mode: ``"min"`` or ``"max"``: whether smaller or larger values are better.
        writes: False for a process of a multi-process run other than the first: it restores
            from ``directory`` but writes nothing there (the first process writes); it saves
            the same files into a scratch folder instead, deleted when the run ends, as
            saving takes every process of the run.

    Example::

        checkpoint = ResumableCheckpoint("runs/lenet")
        start = checkpoint.restore(model)
        model.fit(train, epochs=10, initial_epoch=start, callbacks=[checkpoint])
    """

    STATE = "state.json"
    BEST = "best.keras"

    def __init__(
        self, directory, monitor: str = "val_loss", mode: str = "min", *, writes: bool = True
    ):
        super().__init__()
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be one of 'min', 'max'; got {mode!r}.")
        self.directory = pathlib.Path(directory)
        self.monitor = monitor
        self.mode = mode
        self.writes = check_bool("writes", writes)
        self._scratch = None
        self.best = None
        self.diverged_epoch = None  # the epoch whose loss or weights were not finite

    @property
    def state_path(self) -> pathlib.Path:
        return self.directory / self.STATE

    def read_state(self) -> dict | None:
        """The saved state, ``None`` when the folder holds none yet."""
        if not self.state_path.exists():
            return None
        try:
            state = json.loads(self.state_path.read_text())
            epoch = int(state["epoch"])
            weights = self.directory / str(state["weights"])
            digest = str(state["sha256"])
        except (ValueError, KeyError, TypeError) as error:
            raise CheckpointError(
                f"checkpoint state {self.state_path} is corrupted ({error}); delete "
                f"{self.directory} to start over."
            ) from None
        if not weights.exists():
            raise CheckpointError(
                f"checkpoint {self.directory} is incomplete: {weights.name} is missing; delete "
                "the folder to start over."
            )
        if _sha256(weights) != digest:
            raise CheckpointError(
                f"checkpoint file {weights} is corrupted (its SHA-256 differs from the one "
                f"recorded in {self.STATE}); delete {self.directory} to start over."
            )
        state["epoch"] = epoch
        state["weights_path"] = weights
        return state

    def epochs_done(self) -> int:
        """The epochs the saved state holds: the epoch `restore` resumes at (0 without a state;
        `CheckpointError` for a damaged one, as `read_state`)."""
        state = self.read_state()
        return 0 if state is None else state["epoch"]

    def restore(self, model) -> int:
        """Load the saved state into a compiled ``model``; returns the epoch to resume at."""
        state = self.read_state()
        if state is None:
            return 0
        optimizer = model.optimizer
        if optimizer is not None and not optimizer.built:
            optimizer.build(model.trainable_variables)
        try:
            model.load_weights(state["weights_path"])
        except (OSError, ValueError, KeyError) as error:
            raise CheckpointError(
                f"checkpoint {state['weights_path']} does not fit this model ({error}); use "
                "another checkpoint_dir or delete this one to start over."
            ) from None
        seeds = state.get("seed_states")
        if seeds is not None:
            variables = _seed_states(model)
            if len(seeds) != len(variables):
                raise CheckpointError(
                    f"checkpoint {self.state_path} holds {len(seeds)} random generator states, "
                    f"this model has {len(variables)}; use another checkpoint_dir or delete "
                    "this one to start over."
                )
            for variable, value in zip(variables, seeds, strict=True):
                variable.assign(np.asarray(value, dtype=variable.dtype))
        self.best = state.get("best")
        return state["epoch"]

    def _improved(self, value) -> bool:
        if value is None or not math.isfinite(value):
            return False
        if self.best is None:
            return True
        return value < self.best if self.mode == "min" else value > self.best

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if not finite_logs(logs) or not _finite_weights(self.model):
            # A diverged epoch (TerminateOnNaN stops the run after it): its weights are not a
            # state to resume from; the last good epoch stays the checkpoint.
            self.diverged_epoch = epoch + 1
            return
        value = logs.get(self.monitor)
        if value is None and self.monitor.startswith("val_"):
            value = logs.get(self.monitor[len("val_") :])
        if value is not None:
            value = float(value)
        folder = self.directory if self.writes else self._scratch_folder()
        folder.mkdir(parents=True, exist_ok=True)
        if self._improved(value):
            temporary = folder / "best.tmp.keras"
            self.model.save(temporary)
            _fsync_file(temporary)
            os.replace(temporary, folder / self.BEST)
            self.best = value
        name = f"epoch-{epoch + 1:04d}.weights.h5"
        weights = folder / name
        self.model.save_weights(weights, overwrite=True)
        _fsync_file(weights)
        state = {
            "format": 1,
            "epoch": epoch + 1,
            "weights": name,
            "sha256": _sha256(weights),
            "monitor": self.monitor,
            "best": self.best,
            "seed_states": [
                np.asarray(keras.ops.convert_to_numpy(v)).tolist() for v in _seed_states(self.model)
            ],
        }
        _atomic_write_text(folder / self.STATE, json.dumps(state, indent=2))
        for stale in folder.glob("epoch-*.weights.h5"):
            if stale.name != name:
                stale.unlink()

    def _scratch_folder(self) -> pathlib.Path:
        """Where a process that does not write the checkpoint saves it all the same: saving a
        model of a multi-process JAX run takes every process (Keras gathers the arrays), so
        each one saves, and only the first one's files are the checkpoint. Deleted when the
        run ends."""
        if self._scratch is None:
            self._scratch = pathlib.Path(tempfile.mkdtemp(prefix="zoo-checkpoint-"))
        return self._scratch

    def on_train_end(self, logs=None):
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None
