"""`fit`: the lectures' training run around Keras' own ``model.fit``.

It compiles and schedules the model with `zoo.training.recipe` (optimizer and schedule by their
lecture names, a loss matched to the model's output and to the labels, warmup), and trains with
the safety nets a long run needs: ``TerminateOnNaN``, the learning rate in the
logs, a CSV history, TensorBoard, a checkpoint that resumes after ``kill -9`` with the weights an
uninterrupted run would have reached, mixed precision and data-parallel distribution.
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import sys
import warnings

import keras

from zoo.training import callbacks as callbacks_lib
from zoo.training import data as data_lib
from zoo.training import recipe
from zoo.training.checks import check_dataset, checked_batches, data_error
from zoo.validation import (
    check_callbacks,
    check_choice,
    check_folder,
    check_positive_int,
    check_verbose,
)

MIXED_POLICIES = ("mixed_float16", "mixed_bfloat16")
HISTORY_FILE = "history.csv"


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite and ``TerminateOnNaN`` stopped the run.

    Attributes: ``epoch`` (1-based, the epoch that diverged), ``checkpoint_epoch`` (the last
    good epoch the checkpoint keeps, ``None`` without ``checkpoint_dir``) and ``history``
    (Keras' ``History`` of the run). ``zoo train`` turns it into exit status 1 and one line.
    """

    def __init__(self, message: str, *, epoch: int, checkpoint_epoch, history):
        super().__init__(message)
        self.epoch = epoch
        self.checkpoint_epoch = checkpoint_epoch
        self.history = history


def _raise_if_diverged(history, initial_epoch: int, checkpoint) -> None:
    losses = history.history.get("loss", [])
    if not losses or math.isfinite(float(losses[-1])):
        return
    epoch = initial_epoch + len(losses)
    if checkpoint is None:
        kept = "nothing was checkpointed (no checkpoint_dir)"
        done = None
    else:
        done = checkpoint.epochs_done()
        kept = (
            f"the checkpoint in {str(checkpoint.directory)!r} keeps epoch {done}, the last "
            "good one (rerun with a lower learning_rate, clipnorm or warmup_steps to resume "
            "from it)"
            if done
            else f"the checkpoint in {str(checkpoint.directory)!r} holds no finished epoch"
        )
    raise TrainingDiverged(
        f"training diverged: the loss became {float(losses[-1])} in epoch {epoch} and "
        f"TerminateOnNaN stopped the run; {kept}.",
        epoch=epoch,
        checkpoint_epoch=done,
        history=history,
    )


def _mixed_policy(mixed_precision) -> str | None:
    if mixed_precision is None or mixed_precision is False:
        return None
    if mixed_precision is True:
        return "mixed_float16" if _has_gpu() else "mixed_bfloat16"
    allowed = (True, False, *MIXED_POLICIES)
    if not isinstance(mixed_precision, str):  # 1 == True would pass check_choice
        shown = ", ".join(map(repr, allowed))
        raise ValueError(f"mixed_precision must be one of {shown}; got {mixed_precision!r}.")
    return check_choice("mixed_precision", mixed_precision, allowed)


def _has_gpu() -> bool:
    try:
        return bool(keras.distribution.list_devices("gpu"))
    except (RuntimeError, ValueError):
        return False


def _is_tf_strategy(distribution) -> bool:
    if "tensorflow" not in sys.modules:
        return False
    import tensorflow as tf

    return isinstance(distribution, tf.distribute.Strategy)


def _is_keras_distribution(distribution) -> bool:
    """A ``keras.distribution`` DataParallel / ModelParallel (their base class is not public)."""
    return all(
        hasattr(distribution, attribute)
        for attribute in ("device_mesh", "get_variable_layout", "distribute_dataset", "scope")
    )


def _processes(distribution) -> tuple[int, int]:
    """``(index, count)`` of this process among the processes training one model: a
    ``keras.distribution`` over several JAX processes (``keras.distribution.initialize``);
    ``(0, 1)`` for every other run."""
    if (
        distribution is None
        or keras.backend.backend() != "jax"
        or not _is_keras_distribution(distribution)
    ):
        return 0, 1
    import jax

    return jax.process_index(), jax.process_count()


def _refuse_multi_worker(strategy) -> None:
    """A ``MultiWorkerMirroredStrategy`` over several workers: Keras 3 cannot train under it."""
    in_multi_worker_mode = getattr(strategy.extended, "_in_multi_worker_mode", None)
    if in_multi_worker_mode is not None and in_multi_worker_mode():
        raise ValueError(
            f"distribution: Keras {keras.__version__} cannot train under a "
            "tf.distribute.MultiWorkerMirroredStrategy over several workers (model.fit fails "
            "reducing the first distributed batch, keras-team/keras#20585); train over several "
            "processes on the JAX backend instead (keras.distribution.initialize, then "
            "distribution=keras.distribution.DataParallel()), or on one host with "
            "MirroredStrategy."
        )


def _whole_batches(data, what: str, processes: int) -> tuple[int, int]:
    """``(batch size, whole batches per pass)`` of ``data`` in a run over ``processes``.

    Keras splits every batch of a multi-process run into one equal piece per process
    (``DataParallel.distribute_dataset``: ``rebatch`` then ``shard``), which needs the batch
    size in the data set's graph and leaves the processes out of step on a last batch of at
    most half the size. So such a run trains on each pass's whole batches only, as
    ``drop_remainder=True`` would (`_cut`): every step is one whole global batch, split evenly.
    """
    import tensorflow as tf

    one_pass = getattr(data, data_lib.EPOCH_PASS, None)
    if one_pass is None:
        raise ValueError(
            f"{what}: a run over {processes} processes needs a data set from "
            "zoo.training.data.load (or holdout, transform), whose every pass is the same in "
            f"every process; got {data!r}."
        )
    steps = recipe.steps_per_epoch(data)
    sample = one_pass(0)

    def batch_size(batch) -> int:
        return int(tf.nest.flatten(batch)[0].shape[0])

    size = batch_size(next(iter(sample)))
    if size % processes:
        raise ValueError(
            f"{what}: batches of {size} do not split evenly over {processes} processes; use a "
            f"batch size that is a multiple of {processes}."
        )
    return size, steps - (batch_size(next(iter(sample.skip(steps - 1)))) != size)


def _cut(data, size: int, whole: int, first_epoch: int | None = None):
    """``data``'s first pass (``first_epoch=None``), or its passes from ``first_epoch`` on as
    one endless stream, each cut to its ``whole`` batches, with the batch size ``size`` static
    (the form `_whole_batches` explains)."""
    import tensorflow as tf

    one_pass = getattr(data, data_lib.EPOCH_PASS)
    if first_epoch is None:
        passes = one_pass(0).take(whole)
    else:
        passes = tf.data.Dataset.counter(first_epoch).flat_map(lambda e: one_pass(e).take(whole))
    return passes.unbatch().batch(size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def _built_in_scope(model, strategy) -> bool:
    """Whether every variable of ``model`` was created under ``strategy`` (e.g. mirrored)."""
    return bool(model.variables) and all(
        getattr(variable.value, "distribute_strategy", None) is strategy
        for variable in model.variables
    )


def _distribution_scope(distribution):
    """The context in which the model is compiled and trained, and whether it must be cloned."""
    if distribution is None:
        return contextlib.nullcontext(), False
    backend = keras.backend.backend()
    if _is_keras_distribution(distribution):
        if backend != "jax":
            raise ValueError(
                "distribution: a keras.distribution.Distribution needs KERAS_BACKEND=jax "
                f"(the backend is {backend!r}); use a tf.distribute.Strategy with TensorFlow."
            )
        return distribution.scope(), True
    if _is_tf_strategy(distribution):
        if backend != "tensorflow":
            raise ValueError(
                "distribution: a tf.distribute.Strategy needs KERAS_BACKEND=tensorflow "
                f"(the backend is {backend!r})."
            )
        _refuse_multi_worker(distribution)
        return distribution.scope(), True
    raise ValueError(
        "distribution must be a tf.distribute.Strategy (TensorFlow backend) or a "
        "keras.distribution.Distribution such as DataParallel (JAX backend), got "
        f"{distribution!r}."
    )


def _clone(model: keras.Model, policy: str | None) -> keras.Model:
    """``model`` rebuilt in the current scope (and dtype policy), with the same weights.

    Layers that produce the model's outputs keep float32 so that softmax is never computed in 16
    bits (Keras' mixed-precision guide).
    """
    outputs = {id(tensor) for tensor in model.outputs}
    output_layers = set()
    for layer in model.layers:
        try:
            produced = keras.tree.flatten(layer.output)
        except (AttributeError, ValueError):  # a layer called more than once has no one output
            continue
        if any(id(tensor) in outputs for tensor in produced):
            output_layers.add(id(layer))

    def clone_layer(layer):
        config = layer.get_config()
        mixed = policy is not None and id(layer) not in output_layers and "dtype" in config
        if mixed and not isinstance(layer, keras.layers.InputLayer):
            config["dtype"] = policy
        return layer.__class__.from_config(config)

    try:
        clone = keras.models.clone_model(model, clone_function=clone_layer)
    except (ValueError, TypeError, NotImplementedError) as error:
        raise ValueError(
            "mixed_precision and distribution rebuild the model from its config, which failed "
            f"({error}); build a functional or Sequential model, or build it yourself under the "
            "dtype policy / inside the distribution's scope."
        ) from None
    clone.set_weights(model.get_weights())
    return clone


def _epoch_stream(train, initial_epoch: int, *, resumable: bool):
    """``(data, steps_per_epoch)`` for ``model.fit``, starting at epoch ``initial_epoch``.

    A data set carrying `zoo.training.data.EPOCH_PASS` (made by ``data.load``, ``holdout`` or
    ``transform``) becomes its `epoch_stream`: epoch e's order and augmentation are a pure
    function of (seed, e), so a resumed run, a distributed run and an uninterrupted one see the
    same epochs. Another finite tf.data set (e.g. a loaded one after ``.map()``) is given as
    ``train.repeat()`` with ``steps_per_epoch`` (Keras keeps one iterator, epoch k is the k-th
    pass), after `_fast_forward` skipped the finished epochs' passes: tf.data draws a seeded
    shuffle's order per pass, so this replays the orders in one process layout (not across
    tf.distribute's rewrites of the data set). A ``resumable`` run says so in one warning.
    """
    steps = recipe.steps_per_epoch(train)
    if steps is None or not hasattr(train, "repeat"):
        return train, None
    stream = data_lib.epoch_stream(train, initial_epoch)
    if stream is not None:
        return stream, steps
    if resumable and hasattr(train, "element_spec"):
        warnings.warn(
            "fit: train has no epoch_pass (it is not a data set from zoo.training.data.load, or "
            "a transformation such as .map() dropped it), so a resumed run replays the finished "
            "epochs' passes to reach the same order, exact in one process layout only; "
            "zoo.training.data.transform(train, fn) keeps exact resume.",
            stacklevel=3,
        )
    _fast_forward(train, initial_epoch)
    return train.repeat(), steps


def _fast_forward(train, epochs_done: int) -> None:
    """Draw (and drop) one iterator per finished epoch, counting from 0 in every process."""
    if hasattr(train, "element_spec"):
        for _ in range(epochs_done):
            iter(train)


def _trim_history(path, epochs_done: int) -> None:
    """Keep only the rows of the ``epochs_done`` checkpointed epochs in the CSV history.

    The CSV row of an epoch is written just before its checkpoint: a run killed between the
    two logged an epoch that the resumed run trains again (and a kill may tear a row).
    """
    if epochs_done == 0 or not path.exists():
        return
    with open(path, newline="") as file:
        lines = file.read().splitlines(keepends=True)
    rows = [lines[0]] if lines else []
    for line in lines[1:]:
        if not line.endswith("\n"):
            break
        epoch = line.split(",", 1)[0]
        if epoch.isdigit() and int(epoch) < epochs_done:
            rows.append(line)
    if len(rows) != len(lines):
        callbacks_lib._atomic_write_text(path, "".join(rows))


def fit(
    model: keras.Model,
    train,
    validation_data=None,
    *,
    epochs: int,
    optimizer="sgd",
    learning_rate=None,
    schedule=None,
    warmup_steps: int = 0,
    momentum: float = recipe.DEFAULT_MOMENTUM,
    weight_decay: float = 0.0,
    l2: float = 0.0,
    l1: float = 0.0,
    clipnorm=None,
    mixed_precision=False,
    jit_compile="auto",
    checkpoint_dir=None,
    tensorboard_dir=None,
    distribution=None,
    callbacks=(),
    loss=None,
    verbose="auto",
    validation=None,  # the earlier keyword spelling of validation_data, still accepted
) -> keras.callbacks.History:
    """Compile ``model`` for classification and train it; returns Keras' ``History``.

    The model is compiled and scheduled by `zoo.training.recipe` (the recipe the tuner and the
    CLI share): every run logs ``learning_rate`` each epoch and stops on a NaN loss
    (``TerminateOnNaN``). A named schedule is built by `zoo.training.schedules.get` with
    ``learning_rate`` as its peak and the run's length (``epochs`` x batches per epoch) as
    ``total_steps``, behind ``warmup_steps`` of linear warmup; the optimizer holds it, unless
    ``callbacks`` contain ``ReduceLROnPlateau`` (which needs a settable rate) or ``optimizer`` is
    an instance: then a `ScheduleCallback` drives it (same trajectory).

    With ``checkpoint_dir`` the run writes ``state.json`` + the latest weights every epoch
    (`ResumableCheckpoint`, atomic), ``best.keras`` (best ``val_loss``, or ``loss`` without
    validation) and ``history.csv``; calling `fit` again with the same arguments after an
    interruption (even ``kill -9``) resumes at the last finished epoch and ends with the same
    weights as an uninterrupted run, provided ``train`` is shuffled with a fixed seed (e.g.
    ``data.load(..., seed=0)``) and the randomness is seeded (``keras.utils.set_random_seed``;
    ``tf.config.experimental.enable_op_determinism()`` for bitwise equality).

    ``mixed_precision`` and ``distribution`` rebuild the model from its config inside the dtype
    policy / the distribution's scope (a model arrives already built, and its variables, like the
    optimizer's and the metrics', must be created there), train that copy (``history.model``)
    and write its weights back into ``model``; ``model`` is then compiled (fresh optimizer) for
    ``evaluate``. A model built inside the tf.distribute strategy's scope is trained as it is.

    A run whose loss becomes NaN or infinite stops (``TerminateOnNaN``) and raises
    `TrainingDiverged` after the weights are written back; the diverged epoch is not
    checkpointed, so the checkpoint keeps the last good one. One folder serves one run at a
    time: a second `fit` on a ``checkpoint_dir`` in use raises `CheckpointError` at once.

    Args:
        model: a Keras model (e.g. from ``zoo.build``).
        train: a ``tf.data.Dataset`` of ``(inputs, labels)`` batches.
        validation_data: optional data set evaluated after every epoch (Keras' own name; also
            the third positional argument).
        epochs: number of passes over ``train``.
        optimizer: a lecture optimizer name (``sgd`` is plain SGD, ``momentum``, ``nesterov``,
            ``rmsprop``, ``adam``, ``adamax``, ``adadelta``: `zoo.training.recipe`) or a Keras
            optimizer.
        learning_rate: the step size (the peak of a named schedule); None: the optimizer's
            default (`zoo.training.recipe.DEFAULT_LEARNING_RATES`: 0.01 for sgd, momentum and
            nesterov, 0.001 for rmsprop and adam, 0.002 for adamax, 1.0 for adadelta; an
            instance's own rate).
        schedule: a schedule name (``constant``, ``step``, ``fractional``, ``exponential``,
            ``cosine``, ``sgdr``, ``cyclic``, ``one_cycle``) or a ``LearningRateSchedule``.
        warmup_steps: steps of linear warmup from 0 to ``learning_rate`` (or to the schedule)
            before the schedule starts (`zoo.training.recipe.run_schedule`).
        momentum: gamma of ``momentum`` and ``nesterov`` (0.9); another value with another
            optimizer is refused (0.0 is accepted with ``sgd``).
        weight_decay: Keras' decoupled weight decay of the kernels, p <- p - eta lambda p
            every step besides the optimizer's update (the L2 penalty only for plain SGD;
            AdamW for Adam).
        l2, l1: the lectures' penalty l2/2 ||W||^2 + l1 ||W||_1 on the weights (kernels, not
            biases nor normalisation parameters) added to the cost of every batch
            (`zoo.training.recipe.attach_weight_penalty`): every optimizer then sees the
            gradient g + l2 W + l1 sign(W). It holds for this run only (the model is given back
            without it, and nothing of it is saved with the model). The reported ``loss``
            includes it, as with Keras' ``kernel_regularizer``.
        clipnorm: clip each variable's gradient to this norm before the step (Keras'
            ``clipnorm``); None: no clipping.
        mixed_precision: False, True (``mixed_float16`` on GPU, ``mixed_bfloat16`` otherwise) or
            a policy name.
        jit_compile: passed to ``model.compile`` (``"auto"``, True or False).
        checkpoint_dir: folder of the resumable checkpoint, ``best.keras`` and ``history.csv``.
        tensorboard_dir: folder of TensorBoard logs.
        distribution: a ``tf.distribute.Strategy`` (TensorFlow backend: Mirrored, TPU) or a
            ``keras.distribution.Distribution`` such as ``DataParallel`` (JAX backend). Global
            batches must split evenly for DataParallel. Several hosts: call
            ``keras.distribution.initialize(...)`` in every process first (JAX); each process
            then runs the same `fit` on the same data set from `zoo.training.data.load`, every
            pass is cut to its whole batches (`_whole_batches`), and only process 0 writes
            ``checkpoint_dir`` (shared), the history and the logs. Keras 3 cannot train under
            a MultiWorkerMirroredStrategy over several workers (keras-team/keras#20585): it is
            refused.
        callbacks: extra Keras callbacks.
        loss: override the default cross-entropy (`zoo.training.recipe.default_loss`).
        verbose: Keras' progress output (``"auto"``: a progress bar per epoch).

    Example: ``zoo.training.fit(zoo.build("lenet5"), train, epochs=15, learning_rate=0.05,
    schedule="cosine", checkpoint_dir="runs/lenet5")``.
    """
    if validation is not None:
        if validation_data is not None:
            raise ValueError(
                "fit got both validation_data= and validation= (the same argument under its "
                "earlier name); pass validation_data= only."
            )
        validation_data = validation
    validation = validation_data
    epochs = check_positive_int("epochs", epochs)
    user_callbacks = check_callbacks("callbacks", callbacks)
    verbose = check_verbose("verbose", verbose)
    if jit_compile != "auto" and not isinstance(jit_compile, bool):
        raise ValueError(f"jit_compile must be 'auto', True or False; got {jit_compile!r}.")
    checkpoint_dir = check_folder("checkpoint_dir", checkpoint_dir, none=True)
    tensorboard_dir = check_folder("tensorboard_dir", tensorboard_dir, none=True)
    if learning_rate is None:
        learning_rate = recipe.default_learning_rate(optimizer)
    # The optimizer's arguments and the penalty are checked before anything is built or read.
    recipe.make_optimizer(
        optimizer, learning_rate, momentum=momentum, weight_decay=weight_decay, clipnorm=clipnorm
    )
    recipe.WeightPenalty(l2, l1)
    steps = recipe.steps_per_epoch(train)
    process, processes = _processes(distribution)
    if processes > 1:
        batch_size, steps = _whole_batches(train, "train", processes)
        if validation is not None:
            validation_cut = _whole_batches(validation, "validation_data", processes)
    schedule = recipe.run_schedule(
        schedule,
        learning_rate=learning_rate,
        total_steps=None if steps is None else steps * epochs,
        warmup_steps=warmup_steps,
    )
    plateau = any(isinstance(c, keras.callbacks.ReduceLROnPlateau) for c in user_callbacks)
    drive_by_callback = schedule is not None and (plateau or not isinstance(optimizer, str))
    # Driven by ScheduleCallback, the optimizer starts from a float that the callback overwrites
    # before the first step.
    optimizer_rate = schedule if schedule is not None and not drive_by_callback else learning_rate
    if tensorboard_dir is not None and importlib.util.find_spec("tensorboard") is None:
        raise ModuleNotFoundError(
            "tensorboard_dir needs the tensorboard package (pip install tensorboard); "
            "TensorFlow no longer installs it."
        )
    policy = _mixed_policy(mixed_precision)
    scope, must_clone = _distribution_scope(distribution)
    if _is_tf_strategy(distribution) and _built_in_scope(model, distribution):
        must_clone = False
    check_dataset(model, train, "train", labels=loss is None)
    if validation is not None:
        check_dataset(model, validation, "validation", labels=loss is None)
    labels = loss is None
    loss = loss if loss is not None else recipe.default_loss(model, train)
    # Every batch is checked inside the input pipeline (labels in range, finite inputs): a bad
    # value in batch 6 is one ValueError naming it, not a backend error deep inside Keras.
    train = checked_batches(model, train, "train", labels=labels)
    if validation is not None:
        validation = checked_batches(model, validation, "validation", labels=labels)

    def compile_model(target, mixed):
        recipe.compile_model(
            target,
            optimizer=optimizer,
            learning_rate=optimizer_rate,
            momentum=momentum,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            loss=loss,
            jit_compile=jit_compile,
            loss_scale=mixed == "mixed_float16",
        )

    if not isinstance(optimizer, str) and (policy is not None or must_clone):
        raise ValueError(
            "optimizer must be a name when mixed_precision or distribution is used (the "
            "optimizer's variables are created inside their scope)."
        )

    # In a multi-process run the first process writes the checkpoint, the history and the
    # logs; the others read the checkpoint to resume at the same epoch and write nothing.
    writer = process == 0
    lock = (
        contextlib.nullcontext()
        if checkpoint_dir is None or not writer
        else callbacks_lib.checkpoint_lock(checkpoint_dir)
    )
    with lock, scope, contextlib.ExitStack() as run:
        working = _clone(model, policy) if (policy is not None or must_clone) else model
        # The lectures' penalty on the weights, for this run only (removed on the way out).
        run.callback(recipe.attach_weight_penalty(working, l2=l2, l1=l1))
        compile_model(working, policy)
        checkpoint = None
        initial_epoch = 0
        if checkpoint_dir is not None:
            monitor = "val_loss" if validation is not None else "loss"
            checkpoint = callbacks_lib.ResumableCheckpoint(
                checkpoint_dir, monitor=monitor, writes=writer
            )
            initial_epoch = checkpoint.restore(working)
        if processes > 1:
            stream = _cut(train, batch_size, steps, initial_epoch)
            if validation is not None:
                validation = _cut(validation, *validation_cut)
        else:
            stream, steps = _epoch_stream(train, initial_epoch, resumable=checkpoint is not None)
        run_callbacks = recipe.run_callbacks(schedule if drive_by_callback else None)
        run_callbacks.extend(user_callbacks)
        if checkpoint is not None and writer:
            _trim_history(checkpoint.directory / HISTORY_FILE, initial_epoch)
            run_callbacks.append(
                keras.callbacks.CSVLogger(
                    str(checkpoint.directory / HISTORY_FILE), append=initial_epoch > 0
                )
            )
        if checkpoint is not None:
            run_callbacks.append(checkpoint)
        if tensorboard_dir is not None and writer:
            run_callbacks.append(keras.callbacks.TensorBoard(log_dir=str(tensorboard_dir)))
        if initial_epoch < epochs:
            try:
                history = working.fit(
                    stream,
                    validation_data=validation,
                    epochs=epochs,
                    steps_per_epoch=steps,
                    initial_epoch=initial_epoch,
                    callbacks=run_callbacks,
                    verbose=verbose,
                    shuffle=not hasattr(train, "element_spec"),
                )
            except Exception as error:
                problem = data_error(error)
                if problem is None:
                    raise
                raise problem from None
        else:
            history = keras.callbacks.History()
            history.set_model(working)
    if working is not model:
        model.set_weights(working.get_weights())
        compile_model(model, None)
    _raise_if_diverged(history, initial_epoch, checkpoint)
    return history
