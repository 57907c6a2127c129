"""Transfer learning: `freeze`, `unfreeze` and the two-phase recipe `fine_tune`.

Features learned on one data set carry over to another: Yosinski, Clune, Bengio & Lipson 2014,
"How transferable are features in deep neural networks?" (NeurIPS) find the first layers general
and the last ones specific to the task, and that copying layers and fine-tuning them beats
training from scratch even on a distant task. Keras' transfer-learning guide
(https://keras.io/guides/transfer_learning/) gives the recipe `fine_tune` follows: freeze the
pretrained backbone and train a new head; then unfreeze (all or the top of) the backbone and
train on at a learning rate about ten times lower, with BatchNormalization kept in inference
mode. In Keras 3 a BatchNormalization layer whose ``trainable`` is False normalises with its
moving mean and variance and does not update them, even in ``fit``.

A layer is given by its name, as the `keras.layers.Layer` itself, or as a feature-stage record
(anything with a string attribute ``layer``, such as the records of ``zoo.feature_info(model)``),
and is looked up among ``model.layers`` (the functional model's topological order). A nested
model (a layer that is itself a ``keras.Model``) is one layer here, frozen or unfrozen whole.
"""

from __future__ import annotations

import difflib
import inspect

import keras

from zoo.training import recipe
from zoo.training.fit import fit
from zoo.validation import check_bool, check_number, check_path, check_positive_int

ALLOWED = (
    "a layer name (str), a keras.layers.Layer of the model, or a feature-stage record with a "
    "string attribute .layer (e.g. one of zoo.feature_info(model))"
)


def _check_model(model) -> keras.Model:
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model, got {type(model).__name__}.")
    return model


def _nested_owner(model: keras.Model, name: str) -> str | None:
    """The name of the nested model among ``model.layers`` that holds a layer ``name``."""
    for layer in model.layers:
        if isinstance(layer, keras.Model) and any(
            inner.name == name for inner in layer._flatten_layers(include_self=False)
        ):
            return layer.name
    return None


def layer_index(model: keras.Model, value, argument: str) -> int:
    """The position in ``model.layers`` of ``value``: a layer name, a layer of ``model`` or a
    record with a string attribute ``layer``; ``ValueError`` naming ``argument`` otherwise.

    Example: ``layer_index(model, "f6_act", "up_to")`` -> 11 for LeNet-5.
    """
    layers = model.layers
    if isinstance(value, keras.layers.Layer):
        for index, layer in enumerate(layers):
            if layer is value:
                return index
        raise ValueError(
            f"{argument}: the layer {value.name!r} is not one of the layers of model "
            f"{model.name!r} (model.layers); pass a layer of this model or its name."
        )
    record = not isinstance(value, str) and hasattr(value, "layer")
    name = getattr(value, "layer", None) if record else value
    if not isinstance(name, str):
        got = f"a record whose .layer is {name!r}" if record else repr(value)
        raise ValueError(f"{argument} must be {ALLOWED}; got {got}.")
    names = [layer.name for layer in layers]
    if name in names:
        return names.index(name)
    owner = _nested_owner(model, name)
    if owner is not None:
        raise ValueError(
            f"{argument}={name!r} is a layer inside the nested model {owner!r}; here a nested "
            f"model is one layer: pass {owner!r}, or call freeze/unfreeze on the nested model."
        )
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f" Close names: {', '.join(map(repr, close))}." if close else ""
    raise ValueError(
        f"{argument}={name!r} is not a layer of model {model.name!r} ({len(names)} layers, "
        f"from {names[0]!r} to {names[-1]!r}).{hint}"
    )


def _set_trainable(layer, value: bool) -> None:
    """``layer.trainable = value``, passed on to every sublayer even when ``layer``'s own flag
    already is ``value``: under TensorFlow, Keras' tracking ``__setattr__`` skips an assignment
    of the value an attribute already holds (``is``), so ``nested.trainable = True`` would not
    reach sublayers frozen one by one."""
    type(layer).trainable.fset(layer, value)


def _is_batch_norm(layer) -> bool:
    return isinstance(layer, keras.layers.BatchNormalization)


def _batch_norm_inside(layer) -> list:
    """The BatchNormalization layers inside ``layer`` (a nested model or a block layer)."""
    return [inner for inner in layer._flatten_layers(include_self=False) if _is_batch_norm(inner)]


def freeze(model: keras.Model, up_to=None) -> list[str]:
    """Set ``trainable = False`` on ``model.layers`` from the input up to and including ``up_to``
    (None: every layer); returns the names of the layers frozen, in model order.

    ``up_to`` is a layer name, a layer of ``model`` or a feature-stage record (``.layer``, as
    ``zoo.feature_info(model)`` gives). A frozen layer's weights stay as they are in ``fit``, and
    a frozen BatchNormalization runs in inference mode (moving statistics, not updated). The
    flags take effect at the next ``compile`` (`zoo.training.fit` compiles on every call).

    Example: ``freeze(model, up_to="s4")`` freezes LeNet-5's convolutional part.
    """
    model = _check_model(model)
    last = len(model.layers) - 1 if up_to is None else layer_index(model, up_to, "up_to")
    frozen = model.layers[: last + 1]
    for layer in frozen:
        _set_trainable(layer, False)
    return [layer.name for layer in frozen]


def unfreeze(model: keras.Model, after=None, *, batch_norm: bool = False) -> list[str]:
    """Set ``trainable = True`` on the layers of ``model`` after ``after`` (None: every layer);
    returns the names of the layers unfrozen, in model order.

    ``after`` is given like `freeze`'s ``up_to``; the layer itself is not unfrozen. A
    BatchNormalization layer (also one inside a nested model) keeps its flag unless
    ``batch_norm=True``: one frozen by `freeze` stays frozen, in inference mode, as the Keras
    transfer-learning guide advises for fine-tuning (its statistics, estimated on the original
    data, are not overwritten by small batches of the new data set).

    Example: ``unfreeze(model, after="conv4_block1_out")`` unfreezes ResNet's last stage.
    """
    model = _check_model(model)
    batch_norm = check_bool("batch_norm", batch_norm)
    first = 0 if after is None else layer_index(model, after, "after") + 1
    if not model.trainable:
        # model.trainable = False hides every weight whatever the layers' flags: lift it and
        # keep each layer's own flag.
        flags = [(layer, layer.trainable) for layer in model._flatten_layers(include_self=False)]
        _set_trainable(model, True)
        for layer, flag in flags:
            _set_trainable(layer, flag)
    unfrozen = []
    for layer in model.layers[first:]:
        if _is_batch_norm(layer) and not batch_norm:
            continue
        kept = [] if batch_norm else [(bn, bn.trainable) for bn in _batch_norm_inside(layer)]
        _set_trainable(layer, True)
        for inner, flag in kept:
            _set_trainable(inner, flag)
        unfrozen.append(layer.name)
    return unfrozen


def _fit_default(argument: str):
    """The default of `zoo.training.fit`'s ``argument`` (read off its signature)."""
    return inspect.signature(fit).parameters[argument].default


def _default_learning_rate(optimizer=None) -> float:
    """The rate `zoo.training.fit` trains ``optimizer`` at by default (its signature's
    ``learning_rate``; None there means the optimizer's own default,
    `zoo.training.recipe.DEFAULT_LEARNING_RATES`: 0.01 for fit's default ``sgd``)."""
    if optimizer is None:
        optimizer = _fit_default("optimizer")
    default = _fit_default("learning_rate")
    return recipe.default_learning_rate(optimizer) if default is None else default


def _phase_kwargs(fit_kwargs: dict, phase: str) -> dict:
    """``fit_kwargs`` with ``checkpoint_dir`` and ``tensorboard_dir`` moved into ``phase/``."""
    phased = dict(fit_kwargs)
    for key in ("checkpoint_dir", "tensorboard_dir"):
        if phased.get(key) is not None:
            phased[key] = check_path(key, phased[key]) / phase
    return phased


def fine_tune(
    model: keras.Model,
    train,
    validation_data=None,
    *,
    backbone,
    head_epochs: int,
    epochs: int,
    learning_rate=None,
    fine_tune_learning_rate=None,
    unfreeze_after=None,
    **fit_kwargs,
):
    """Train a new head on a pretrained backbone, then fine-tune; returns the two ``History``s.

    The recipe of Keras' transfer-learning guide (https://keras.io/guides/transfer_learning/;
    Yosinski et al. 2014 for why it works):

    1. `freeze` ``model`` up to and including ``backbone``, `unfreeze` the rest (the head)
       and train it with `zoo.training.fit` for ``head_epochs`` at ``learning_rate``;
    2. `unfreeze` the layers after ``unfreeze_after`` (None: the whole model, as the guide does;
       the output layer of the second-to-last stage unfreezes only the last stage and the head),
       BatchNormalization staying frozen, in inference mode, and train ``epochs`` more at
       ``fine_tune_learning_rate`` (default ``learning_rate / 10``).

    `fit` compiles on every call, so each phase gets a fresh optimizer that sees exactly the
    trainable weights of that phase. ``fit_kwargs`` (``optimizer`` as a name, ``schedule``,
    ``callbacks``, ``verbose``, ...) go to both calls; ``checkpoint_dir`` and
    ``tensorboard_dir`` get one subfolder per phase (``head/``, ``fine_tune/``), so a rerun
    with the same arguments resumes in whichever phase was interrupted.

    Args:
        model: the model with its new head (e.g. a pretrained backbone's layers followed by a
            freshly initialised classifier).
        train, validation_data: as for `zoo.training.fit`.
        backbone: the last layer of the pretrained part (a name, a layer of ``model`` or a
            feature-stage record with ``.layer``).
        head_epochs: epochs of phase 1 (head only), >= 1.
        epochs: epochs of phase 2 (fine-tuning), >= 1.
        learning_rate: phase 1's rate, a float or a ``LearningRateSchedule`` (default: the
            rate `fit` gives the optimizer, `zoo.training.recipe.DEFAULT_LEARNING_RATES`:
            0.01 for the default ``sgd``, 0.001 for ``adam``, ...).
        fine_tune_learning_rate: phase 2's rate (default ``learning_rate / 10``; needed when
            ``learning_rate`` is a schedule).
        unfreeze_after: the last layer that stays frozen in phase 2 (given like ``backbone``);
            None unfreezes every layer.
        **fit_kwargs: the other arguments of `zoo.training.fit`.

    Example: ``head, tuned = fine_tune(model, train, backbone="f6_act", head_epochs=3,
    epochs=5, learning_rate=0.05)``.
    """
    model = _check_model(model)
    head_epochs = check_positive_int("head_epochs", head_epochs)
    epochs = check_positive_int("epochs", epochs)
    optimizer = fit_kwargs.get("optimizer", _fit_default("optimizer"))
    if not isinstance(optimizer, str):
        raise ValueError(
            "fine_tune needs optimizer as a name (e.g. 'sgd', 'adam'): each phase builds a fresh "
            f"optimizer for its own weights and learning rate; got {optimizer!r}."
        )
    if learning_rate is None:
        learning_rate = _default_learning_rate(optimizer)
    is_schedule = isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule)
    if not is_schedule:
        learning_rate = check_number("learning_rate", learning_rate, low=0.0, low_open=True)
    if fine_tune_learning_rate is None:
        if is_schedule:
            raise ValueError(
                "fine_tune_learning_rate must be given when learning_rate is a schedule "
                "(its default, learning_rate / 10, needs a number)."
            )
        fine_tune_learning_rate = learning_rate / 10
    elif not isinstance(fine_tune_learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        fine_tune_learning_rate = check_number(
            "fine_tune_learning_rate", fine_tune_learning_rate, low=0.0, low_open=True
        )
    # Both layers are looked up before anything trains: a typo fails at once.
    layer_index(model, backbone, "backbone")
    if unfreeze_after is not None:
        layer_index(model, unfreeze_after, "unfreeze_after")

    freeze(model, up_to=backbone)
    unfreeze(model, after=backbone)  # the head trains, whatever its flags were
    head = fit(
        model,
        train,
        validation_data,
        epochs=head_epochs,
        learning_rate=learning_rate,
        **_phase_kwargs(fit_kwargs, "head"),
    )
    unfreeze(model, after=unfreeze_after)
    tuned = fit(
        model,
        train,
        validation_data,
        epochs=epochs,
        learning_rate=fine_tune_learning_rate,
        **_phase_kwargs(fit_kwargs, "fine_tune"),
    )
    return head, tuned
