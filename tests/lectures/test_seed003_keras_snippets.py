"""Every Keras code snippet of seed 003 (EE599 notes, "Coding: Keras" and "RNN") runs on Keras 3.

The snippets are copied from ../shared/seeds/003_73fd5c26cbb63079.txt (line numbers cited) and
executed on tiny random data. Changes to the notes' text are marked in comments and are of two
kinds only:

- text extraction: the PDF-to-text step joined some lines ("...import Sequential from
  keras.layers import ...# create model"); they are split again, nothing else changes;
- Keras 3: nothing had to change in the code. Passing ``input_shape=`` to the first layer of a
  ``Sequential`` model still works but warns ("Do not pass an `input_shape`/`input_dim` argument
  to a layer"; Keras 3 prefers ``keras.Input(shape)`` first): the tests assert the warning, so a
  Keras that removes the argument shows up here. What Keras 3 did remove is the optimizers'
  ``decay=`` argument behind the notes' "fractional decay ... Used in Keras" (lines 1027-1036):
  it is now ignored with a warning; `test_fractional_decay_used_in_keras_is_now_a_schedule`
  shows the replacement.

The second snippet (lines 1559-1578, Keras' old ``cifar10_cnn.py`` example) uses ``Activation``,
``MaxPooling2D`` and ``Dropout`` without importing them and is never compiled in the notes: the
test adds that import and compiles it like the first snippet to run one training step.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import zoo.layers

# Seed 003 lines 1550-1559 ("Coding / Keras / a basic model").
IMPORTS = """
from keras.models import Sequential
from keras.layers import Dense, Conv2D, Flatten
"""
BASIC_MODEL = (
    IMPORTS
    + """# create model
model = Sequential()
# add model layers
model.add(Conv2D(64, kernel_size=3, activation='relu', input_shape=(28,28,1)))
model.add(Conv2D(32, kernel_size=3, activation='relu'))
model.add(Flatten())
model.add(Dense(10, activation='softmax'))
# Compiling the model takes three parameters: optimizer, loss and metrics.
model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])
# train the model
model.fit(X_train, y_train, validation_data=(X_test, y_test), epochs=3)
# predict first 4 images in the test set
predictions = model.predict(X_test[:4])
"""
)
# Line 1551 holds the two imports and "# create model" on one line, line 1552 "model =
# Sequential()#add model layers", lines 1556-1559 the comments after the code: split (text
# extraction). Line 1559 ends "model.predict(X_test[:4]) model = Sequential()", the start of the
# next snippet; the prediction is kept as `predictions` to check it.

# Seed 003 lines 1559-1572 and 1576-1578 (the second model, in two code fences).
CIFAR_MODEL = """
from keras.layers import Activation, Dropout, MaxPooling2D  # added: the notes never import them
model = Sequential()
model.add(Conv2D(32, (3, 3), padding='same', input_shape=x_train.shape[1:]))
model.add(Activation('relu'))
model.add(Conv2D(32, (3, 3)))
model.add(Activation('relu'))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Dropout(0.25))
model.add(Conv2D(64, (3, 3), padding='same'))
model.add(Activation('relu'))
model.add(Conv2D(64, (3, 3)))
model.add(Activation('relu'))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Dropout(0.25))
model.add(Flatten())
model.add(Dense(512))
model.add(Activation('relu'))
model.add(Dropout(0.5))
model.add(Dense(num_classes))
model.add(Activation('softmax'))
"""
# Line 1577 holds three statements and line 1578 two: split (text extraction).

# Seed 003 lines 1633-1640 ("Keras code" of the vanilla RNN): the full signature, as the notes
# list it (the last line, 1640, outside the code fence).
SIMPLE_RNN_SIGNATURE = """
keras.layers.SimpleRNN(units, activation='tanh', use_bias=True,
kernel_initializer='glorot_uniform', recurrent_initializer='orthogonal', bias_initializer='zeros',
kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, return_sequences=False, return_state=False, go_backwards=False, stateful=False, unroll=False)
"""  # noqa: E501  (the notes' line, as it is)

# Seed 003 line 1650.
SIMPLE_RNN = "keras.layers.SimpleRNN(units)"


def _images(n, side, channels, classes, seed):
    rng = np.random.default_rng(seed)
    x = rng.random((n, side, side, channels), dtype=np.float32)
    y = np.eye(classes, dtype=np.float32)[rng.integers(0, classes, n)]  # one-hot: categorical
    return x, y


def _run(snippet: str, **names) -> dict:
    namespace = {"keras": keras, **names}
    with pytest.warns(UserWarning, match="Do not pass an `input_shape`"):
        exec(compile(snippet, "<seed 003 snippet>", "exec"), namespace)
    return namespace


def test_basic_model_snippet_trains_and_predicts():
    """Lines 1550-1559: Conv2D(64, 3) -> Conv2D(32, 3) -> Flatten -> Dense(10, softmax) on 28 x
    28 x 1, compiled with adam and categorical cross-entropy, trained 3 epochs with validation
    data, predicting 4 test images. 640 + 18,464 + 184,330 = 203,434 parameters."""
    keras.utils.set_random_seed(0)
    x_train, y_train = _images(16, 28, 1, 10, seed=1)
    x_test, y_test = _images(8, 28, 1, 10, seed=2)
    namespace = _run(BASIC_MODEL, X_train=x_train, y_train=y_train, X_test=x_test, y_test=y_test)
    model = namespace["model"]
    assert model.count_params() == (9 * 64 + 64) + (9 * 64 * 32 + 32) + (24 * 24 * 32 * 10 + 10)
    assert model.count_params() == 203_434
    assert len(model.history.history["val_accuracy"]) == 3
    predictions = namespace["predictions"]
    assert predictions.shape == (4, 10)
    np.testing.assert_allclose(predictions.sum(axis=1), 1.0, rtol=1e-5)


def test_cifar_model_snippet_builds_and_trains_a_step():
    """Lines 1559-1578: the CIFAR-10 network of Keras' old examples (two 32-filter and two
    64-filter 3 x 3 convolutions, max pooling, dropout, Dense 512, softmax) on x_train's 32 x 32 x
    3 images: 1,250,858 parameters. Compiled as in lines 1556-1557 for one training step."""
    keras.utils.set_random_seed(0)
    x_train, y_train = _images(8, 32, 3, 10, seed=3)
    # It follows the first snippet in the notes: that snippet's imports are in scope.
    model = _run(IMPORTS + CIFAR_MODEL, x_train=x_train, num_classes=10)["model"]
    assert model.output_shape == (None, 10)
    assert model.count_params() == 1_250_858
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_simple_rnn_signature_snippet_lists_keras_3s_defaults():
    """Lines 1633-1640: every keyword of the notes' SimpleRNN signature is still accepted, and
    its values are still Keras' defaults (the configuration equals ``SimpleRNN(units)``'s, line
    1650). With M inputs and N units the layer has (m + n) * n weights + n biases (line 1670)."""
    units, m = 5, 3
    listed = eval(SIMPLE_RNN_SIGNATURE.strip(), {"keras": keras, "units": units})
    plain = eval(SIMPLE_RNN, {"keras": keras, "units": units})
    ignore = {"name"}
    listed_config = {k: v for k, v in listed.get_config().items() if k not in ignore}
    assert listed_config == {k: v for k, v in plain.get_config().items() if k not in ignore}
    inputs = keras.Input((7, m))
    model = keras.Model(inputs, plain(inputs))
    assert model.output_shape == (None, units)  # y_n = s_{n+1}, the last state
    assert plain.count_params() == (m + units) * units + units
    x = np.random.default_rng(4).random((2, 7, m), dtype=np.float32)
    assert np.asarray(model(x)).shape == (2, units)


def test_lstm_parameter_count_and_the_experimental_peephole_layer():
    """Lines 1782-1807: "the Keras version will use more parameters (4 * n * (m + n + 1))"
    (keras.layers.LSTM), and the peephole LSTM "is an experimental layer type in keras"
    (tf.keras.experimental.PeepholeLSTMCell, gone from Keras 3: `zoo.layers.PeepholeLSTMCell`
    replaces it, adding the 3 n diagonal peephole weights)."""
    m, n = 3, 4
    lstm = keras.layers.LSTM(n)
    lstm.build((None, 6, m))
    assert lstm.count_params() == 4 * n * (m + n + 1)
    assert not hasattr(keras.layers, "PeepholeLSTMCell")
    peephole = zoo.layers.PeepholeLSTM(n)
    peephole.build((None, 6, m))
    assert peephole.count_params() == 4 * n * (m + n + 1) + 3 * n


def test_fractional_decay_used_in_keras_is_now_a_schedule():
    """Lines 1027-1036: fractional decay eta_t = eta_0 / (1 + k t), "Used in Keras": Keras 2's
    optimizers applied it through their ``decay=`` argument. Keras 3 ignores that argument
    (with a warning; the rate stays eta_0); keras.optimizers.schedules.InverseTimeDecay(eta_0,
    decay_steps=1, decay_rate=k) is the same rule (and `zoo.training.schedules.get("fractional")`
    builds it)."""
    with pytest.warns(UserWarning, match="`decay` is no longer supported"):
        ignored = keras.optimizers.SGD(0.1, decay=0.5)
    assert float(ignored.learning_rate) == pytest.approx(0.1)
    schedule = keras.optimizers.schedules.InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)
    for t in (0, 1, 4, 10):
        assert float(schedule(t)) == pytest.approx(0.1 / (1 + 0.5 * t))
