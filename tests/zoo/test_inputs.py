"""example_inputs: the one rule for a random batch of any built model."""

from __future__ import annotations

import keras
import numpy as np

from zoo.inputs import FREE_DIMENSION, example_inputs, token_limit


def test_floats_ids_and_free_dimensions():
    image = keras.Input((None, 3, 2), name="image")
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    small = keras.layers.Embedding(7, 2)(tokens)
    large = keras.layers.Embedding(50, 2)(tokens)
    model = keras.Model([image, tokens], [image, small, large])
    assert token_limit(model) == 7  # valid for every embedding
    x, ids = example_inputs(model, batch_size=4, seed=1)
    assert x.shape == (4, FREE_DIMENSION, 3, 2) and x.dtype == np.float32
    assert x.min() >= 0.0 and x.max() < 1.0
    assert ids.shape == (4, FREE_DIMENSION) and ids.dtype == np.int32
    assert ids.min() >= 1 and ids.max() < 7  # never the padding id 0
    again = example_inputs(model, batch_size=4, seed=1)
    np.testing.assert_array_equal(again[1], ids)


def test_integer_inputs_without_embeddings_get_ones():
    inputs = keras.Input((3,), dtype="int32")
    model = keras.Model(inputs, keras.layers.Identity()(inputs))
    assert token_limit(model) == 2
    (ids,) = example_inputs(model)
    np.testing.assert_array_equal(ids, np.ones((2, 3), np.int32))
