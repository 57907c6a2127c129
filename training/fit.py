"""`fit`: the training recipe of the lectures around Keras' own ``model.fit``.

It picks the optimizer by its lecture name, compiles with a loss matched to the model's output
(probabilities or logits) and to the labels (class ids or one-hot), and trains.
"""

from __future__ import annotations

import keras

from zoo.validation import check_choice, check_number, check_positive_int

OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamax", "adadelta")


def make_optimizer(
    name, learning_rate=0.01, *, momentum: float = 0.9, weight_decay: float = 0.0
) -> keras.optimizers.Optimizer:
    """A Keras optimizer from its lecture name (lecture 003, "Optimizers").

    ``sgd`` and ``momentum`` are SGD with the given ``momentum`` (v = g v - a grad; w = w + v),
    ``nesterov`` adds Nesterov's look-ahead; ``rmsprop``, ``adam``, ``adamax`` and ``adadelta`` are
    Keras' implementations with their default moments. ``weight_decay`` is Keras' decoupled decay
    w -= lr * weight_decay * w, which equals an L2 penalty (weight_decay / 2) ||w||^2 for plain SGD.
    An optimizer instance is returned unchanged.
    """
    if isinstance(name, keras.optimizers.Optimizer):
        return name
    check_choice("optimizer", name, OPTIMIZERS)
    if not isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        check_number("learning_rate", learning_rate, low=0.0, low_open=True)
    momentum = check_number("momentum", momentum, low=0.0, high=1.0, high_open=True)
    decay = check_number("weight_decay", weight_decay, low=0.0) or None
    if name in ("sgd", "momentum", "nesterov"):
        return keras.optimizers.SGD(
            learning_rate, momentum=momentum, nesterov=name == "nesterov", weight_decay=decay
        )
    classes = {
        "rmsprop": keras.optimizers.RMSprop,
        "adam": keras.optimizers.Adam,
        "adamax": keras.optimizers.Adamax,
        "adadelta": keras.optimizers.Adadelta,
    }
    return classes[name](learning_rate, weight_decay=decay)


def _outputs_logits(model: keras.Model) -> bool:
    activation = getattr(model.layers[-1], "activation", None)
    return getattr(activation, "__name__", "linear") == "linear"


def _labels_one_hot(model: keras.Model, train) -> bool:
    element_spec = getattr(train, "element_spec", None)
    if element_spec is None:
        return False
    label_spec = element_spec[1]
    return len(label_spec.shape) == len(model.outputs[0].shape) and label_spec.dtype.is_floating


def default_loss(model: keras.Model, train) -> keras.losses.Loss:
    """Cross-entropy matched to the model's outputs (softmax or logits) and the labels."""
    from_logits = _outputs_logits(model)
    if _labels_one_hot(model, train):
        return keras.losses.CategoricalCrossentropy(from_logits=from_logits)
    return keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)


def fit(
    model: keras.Model,
    train,
    validation=None,
    *,
    epochs: int,
    optimizer="sgd",
    learning_rate=0.01,
    schedule=None,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    jit_compile="auto",
    callbacks=(),
    loss=None,
    verbose="auto",
) -> keras.callbacks.History:
    """Compile ``model`` for classification and train it; returns Keras' ``History``.

    Args:
        model: a Keras model (e.g. from ``zoo.build``).
        train: a ``tf.data.Dataset`` of ``(inputs, labels)`` batches.
        validation: optional data set evaluated after every epoch.
        epochs: number of passes over ``train``.
        optimizer: a lecture optimizer name (see `make_optimizer`) or a Keras optimizer.
        learning_rate: the step size; ignored when ``schedule`` is given.
        schedule: a ``keras.optimizers.schedules.LearningRateSchedule``, evaluated every step.
        momentum: momentum of ``sgd``/``momentum``/``nesterov``.
        weight_decay: decoupled weight decay (L2 for plain SGD).
        jit_compile: passed to ``model.compile`` (``"auto"``, True or False).
        callbacks: extra Keras callbacks.
        loss: override the default cross-entropy (`default_loss`).
        verbose: Keras' progress output (``"auto"``: a progress bar per epoch).

    Example: ``zoo.training.fit(zoo.build("lenet5"), train, epochs=15, learning_rate=0.05)``.
    """
    epochs = check_positive_int("epochs", epochs)
    if schedule is not None and not isinstance(
        schedule, keras.optimizers.schedules.LearningRateSchedule
    ):
        raise ValueError(
            f"schedule must be a keras.optimizers.schedules.LearningRateSchedule, got {schedule!r}."
        )
    opt = make_optimizer(
        optimizer,
        schedule if schedule is not None else learning_rate,
        momentum=momentum,
        weight_decay=weight_decay,
    )
    model.compile(
        optimizer=opt,
        loss=loss if loss is not None else default_loss(model, train),
        metrics=["accuracy"],
        jit_compile=jit_compile,
    )
    return model.fit(
        train, validation_data=validation, epochs=epochs, callbacks=list(callbacks), verbose=verbose
    )
