"""A one-unit output (logistic regression, seed 001) trains with binary cross-entropy: the loss
and metric `zoo.training.recipe` picks, and the 0-1 labels `zoo.training.checks` admits."""

import keras
import pytest

import zoo
from zoo.training import checks, data, fit, recipe


def test_a_one_unit_output_gets_binary_cross_entropy():
    sigmoid = zoo.build("logistic_regression", input_shape=(4,))
    logits = zoo.build("logistic_regression", input_shape=(4,), classifier_activation=None)
    loss = recipe.default_loss(sigmoid)
    assert isinstance(loss, keras.losses.BinaryCrossentropy) and not loss.from_logits
    assert recipe.default_loss(logits).from_logits
    assert recipe.metrics_for(model=sigmoid) == ["accuracy"]
    (accuracy,) = recipe.metrics_for(model=logits)
    assert isinstance(accuracy, keras.metrics.BinaryAccuracy) and accuracy.threshold == 0.0
    assert isinstance(
        recipe.default_loss(zoo.build("softmax_regression", input_shape=(4,))),
        keras.losses.SparseCategoricalCrossentropy,
    )


@pytest.mark.parametrize("column", [False, True])
def test_fit_trains_logistic_regression_on_binary_labels(column):
    train = data.load("digits", batch_size=64, seed=0, image_size=8)

    def zero_or_not(d):
        d = d.map(lambda x, y: (x, keras.ops.cast(y == 0, "int32")))
        return d.map(lambda x, y: (x, y[:, None])) if column else d

    model = zoo.build("logistic_regression", input_shape=(8, 8, 1))
    history = fit(
        model,
        data.transform(train, zero_or_not),
        epochs=2,
        optimizer="adam",
        learning_rate=0.05,
        verbose=0,
    )
    assert isinstance(model.loss, keras.losses.BinaryCrossentropy)
    assert history.history["accuracy"][-1] > 0.95


def test_labels_outside_zero_one_are_refused_for_a_one_unit_output():
    model = zoo.build("logistic_regression", input_shape=(8, 8, 1))
    with pytest.raises(ValueError, match=r"label \d+ in batch 0 .* must lie in \[0, 1\]"):
        checks.check_dataset(model, data.load("digits", batch_size=64, seed=0, image_size=8))
