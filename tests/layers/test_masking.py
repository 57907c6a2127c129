"""Keras masks through the per-position layers: ``Embedding(mask_zero=True) -> layer -> LSTM``.

A layer that acts on each position (elementwise, or along the feature axis) must pass the mask
on unchanged, so the LSTM skips the padding: its output for a right-padded sequence equals its
output for the same sequence without the padding, through the same weights. CReLU and Maxout
along a masked axis (time) would change the positions, so they refuse a mask instead.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from tests.helpers.layer_checks import to_numpy
from zoo.layers import (
    ChannelPadding,
    CReLU,
    ExplicitDense,
    LocalResponseNormalization,
    Maxout,
    MaxoutDense,
    PaddingMask,
    RReLU,
)

VOCAB, DIM, UNITS = 7, 4, 3
# Right-padded with the id 0; the words of each row are its non-zero prefix.
PADDED = np.array([[3, 1, 4, 0, 0, 0], [2, 5, 6, 1, 3, 0], [6, 0, 0, 0, 0, 0]], dtype="int32")

PASSING = {
    "rrelu": lambda: RReLU(seed=1),
    "crelu": CReLU,
    "lrn": lambda: LocalResponseNormalization(depth_radius=1, alpha=0.5),
    "maxout": lambda: Maxout(2),
    "maxout_dense": lambda: MaxoutDense(3, num_pieces=2),
    "channel_padding": lambda: ChannelPadding(1, 2),
    "explicit_dense": lambda: ExplicitDense(3, activation="tanh"),  # passed masks already
}

REFUSING = {
    "crelu_time_axis": lambda: CReLU(axis=1),
    "crelu_negative_time_axis": lambda: CReLU(axis=-2),
    "maxout_time_axis": lambda: Maxout(3, axis=1),
}


def masked_model(layer):
    """``tokens -> Embedding(mask_zero=True) -> layer -> LSTM``, and the two middle tensors."""
    keras.utils.set_random_seed(0)
    tokens = keras.Input((None,), dtype="int32")
    embedding = keras.layers.Embedding(VOCAB, DIM, mask_zero=True, name="embedding")
    embedded = embedding(tokens)
    features = layer(embedded)
    model = keras.Model(tokens, keras.layers.LSTM(UNITS)(features))
    return model, embedded, features


@pytest.mark.parametrize("factory", PASSING.values(), ids=PASSING.keys())
def test_layer_passes_the_mask_and_the_lstm_skips_the_padding(factory):
    layer = factory()
    model, embedded, features = masked_model(layer)
    assert layer.supports_masking
    assert features._keras_mask is embedded._keras_mask

    embedding = model.get_layer("embedding")
    mask = embedding.compute_mask(PADDED)
    passed = layer.compute_mask(embedding(PADDED), mask)
    np.testing.assert_array_equal(to_numpy(passed), PADDED != 0)

    padded = to_numpy(model(PADDED, training=False))
    for row, tokens in enumerate(PADDED):
        words = tokens[tokens != 0][None]
        np.testing.assert_allclose(
            padded[row], to_numpy(model(words, training=False))[0], rtol=1e-5, atol=1e-6
        )


@pytest.mark.parametrize("factory", REFUSING.values(), ids=REFUSING.keys())
def test_layer_along_a_masked_axis_refuses_the_mask(factory):
    tokens = keras.Input((6,), dtype="int32")
    embedded = keras.layers.Embedding(VOCAB, DIM, mask_zero=True)(tokens)
    with pytest.raises(ValueError, match=r"axis=-?\d.*\(None, 6, 4\).*use axis=-1"):
        factory()(embedded)
    # Without a mask the same layer works, and computes no mask.
    layer = factory()
    assert getattr(layer(keras.Input((6, DIM))), "_keras_mask", None) is None
    assert layer.compute_mask(np.zeros((2, 6, DIM), "float32"), None) is None


def test_padding_mask_passes_a_token_mask():
    tokens = PADDED[:, :4]
    layer = PaddingMask()
    assert layer.supports_masking
    mask = tokens != 0
    np.testing.assert_array_equal(to_numpy(layer.compute_mask(tokens, mask)), mask)
