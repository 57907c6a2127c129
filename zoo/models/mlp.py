"""Fully connected networks of the lectures: logistic and softmax regression, and the
multi-layer perceptron.

All three flatten their input, so they take images or feature vectors of any shape.
"""

from __future__ import annotations

import dataclasses

import keras

from zoo.models._blocks import check_activation_name, dense_stack, hidden_dense
from zoo.models._registry import register
from zoo.models._spec import BuildSpec
from zoo.validation import check_positive_int_list, check_rate


def _mlp(spec: BuildSpec, hidden_units, activation: str, dropout: float) -> keras.Model:
    """Flatten, hidden layers ``hidden{i}`` (Dense + activation, ``dropout{i}``), classifier."""
    inputs, x = spec.inputs()
    hidden = [(f"hidden{index}", units) for index, units in enumerate(hidden_units, start=1)]
    return dense_stack(
        spec,
        inputs,
        x,
        hidden=hidden,
        layer=hidden_dense(activation),
        dropout=dropout,
        dropout_name="dropout{index}",
        owner="the MLP",
        widths="hidden_units",
    )


@register(
    "softmax_regression",
    aliases=("multinomial_logistic_regression",),
    family="mlp",
    task="image_classification",
    paper="Bishop 2006, Pattern Recognition and Machine Learning, section 4.3.4 "
    "(lecture 001, softmax regression)",
    year=2006,
    default_input_shape=(28, 28, 1),
    default_num_classes=10,
)
def softmax_regression(spec: BuildSpec) -> keras.Model:
    """Softmax regression: flatten, then one dense layer with softmax, p = softmax(Wx + b)."""
    return _mlp(spec, (), "linear", 0.0)


@register(
    "logistic_regression",
    aliases=("binary_logistic_regression",),
    family="mlp",
    task="image_classification",
    paper="Bishop 2006, Pattern Recognition and Machine Learning, section 4.3.2 "
    "(lecture 001, logistic regression)",
    year=2006,
    default_input_shape=(28, 28, 1),
    default_num_classes=1,
)
def logistic_regression(spec: BuildSpec) -> keras.Model:
    """Logistic regression: flatten, then one sigmoid unit, P(t = 1 | x) = sigmoid(w^T x + b).

    Lecture 001 ("Logistic regression"): for two classes one 0-1 unit is enough; it is trained
    with the binary cross-entropy E = -(1/N) sum t ln h + (1 - t) ln(1 - h), whose gradient is
    (1/N) sum x (h - t). With 784 inputs (the default 28x28x1) it has 785 parameters.

    ``num_classes`` (scikit-learn's ``LogisticRegression`` semantics):

    - 1 (the default) or 2: the binary model, one unit ``predictions`` of shape (N, 1), for
      labels t in {0, 1} of shape (N,) or (N, 1) and ``keras.losses.BinaryCrossentropy``. A
      softmax over one unit is constantly 1, so ``classifier_activation="softmax"`` (`zoo.build`'s
      default) means its two-class form here: softmax([s, 0])_1 = sigmoid(s). ``None`` gives the
      logit s (train with ``BinaryCrossentropy(from_logits=True)``); any other activation is used
      as given.
    - K >= 3: multinomial logistic regression, K units with softmax (the same network as
      ``softmax_regression``); with ``classifier_activation="sigmoid"`` K independent one-vs-rest
      units instead (multi-label).

    Example: ``zoo.build("logistic_regression", input_shape=(64,))`` -> 65 parameters.
    """
    if spec.include_top and spec.num_classes <= 2:
        activation = spec.classifier_activation
        spec = dataclasses.replace(
            spec,
            num_classes=1,
            classifier_activation="sigmoid" if activation == "softmax" else activation,
        )
    return _mlp(spec, (), "linear", 0.0)


@register(
    "mlp",
    aliases=("multilayer_perceptron",),
    family="mlp",
    task="image_classification",
    paper="Rumelhart, Hinton & Williams 1986, Learning representations by back-propagating "
    "errors (lecture 001, Problem 2: 784-500-10 sigmoid MLP on MNIST)",
    year=1986,
    default_input_shape=(28, 28, 1),
    default_num_classes=10,
)
def mlp(
    spec: BuildSpec,
    *,
    hidden_units=(500,),
    activation: str = "sigmoid",
    dropout: float = 0.0,
) -> keras.Model:
    """Multi-layer perceptron: flatten, dense hidden layers h(Wx + b), softmax classifier.

    The default is the lecture's MNIST MLP, 784-500-10 with sigmoid units: 397,510 parameters.

    Args:
        hidden_units: widths of the hidden layers, e.g. ``[500]`` or ``[256, 128]``.
        activation: activation of the hidden layers: a name of the block table
            (`zoo.models._blocks.ACTIVATIONS`: ``"relu"``, ``"leaky_relu"``, ``"prelu"``,
            ``"maxout"``, ...) or any Keras activation (``"sigmoid"``, ``"tanh"``, ...). Each
            hidden layer is a linear Dense ``hidden{i}`` and its activation ``hidden{i}_act``.
        dropout: rate of the Dropout after each hidden layer, in [0, 1).

    Example: ``zoo.build("mlp", hidden_units=[256, 128], activation="relu")``.
    """
    hidden_units = check_positive_int_list("hidden_units", hidden_units)
    check_activation_name("activation", activation)
    dropout = check_rate("dropout", dropout)
    return _mlp(spec, hidden_units, activation, dropout)
