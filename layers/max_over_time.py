"""Max-over-time pooling that ignores padding (Kim 2014), and the padding mask it reads.

`PaddingMask` turns token ids into a float mask (1 for a word, 0 for the padding id 0);
`MaskedMaxOverTime` takes the maximum of a wide convolution's feature maps over the windows that
touch a word, so adding or removing padding never changes the result (`zoo.models.text_cnn`).
"""

from __future__ import annotations

import keras
from keras import ops

from zoo.validation import check_positive_int


@keras.saving.register_keras_serializable(package="lecture_zoo")
class PaddingMask(keras.layers.Layer):
    """Token ids (batch, T) -> float mask (batch, T, 1): 1 for a word, 0 for padding (id 0)."""

    def call(self, tokens):
        return ops.expand_dims(ops.cast(ops.not_equal(tokens, 0), self.compute_dtype), -1)

    def compute_output_shape(self, input_shape):
        return (*input_shape, 1)


@keras.saving.register_keras_serializable(package="lecture_zoo")
class MaskedMaxOverTime(keras.layers.Layer):
    """Max over time of a wide convolution's feature maps, over the windows that touch a word.

    Inputs ``[features, mask]``: features (batch, T + w - 1, C) of a width-``window_size``
    convolution over the sequence zero-padded by w - 1 on each side, and the `PaddingMask`
    (batch, T, 1). Returns (batch, C); 0 for a sequence that is all padding.

    Args:
        window_size: the convolution's width w.
    """

    def __init__(self, window_size: int, **kwargs):
        super().__init__(**kwargs)
        self.window_size = check_positive_int("window_size", window_size)

    def call(self, inputs):
        features, mask = inputs
        mask = ops.cast(mask, features.dtype)
        pad = self.window_size - 1
        padded = ops.pad(mask, [[0, 0], [pad, pad], [0, 0]])
        touches_word = ops.max_pool(padded, self.window_size, strides=1, padding="valid") > 0
        floor = ops.min(features, axis=1, keepdims=True)
        pooled = ops.max(ops.where(touches_word, features, floor), axis=1)
        any_word = ops.cast(ops.any(touches_word, axis=1), features.dtype)
        return pooled * any_word

    def compute_output_shape(self, input_shape):
        features_shape, _ = input_shape
        return (features_shape[0], features_shape[-1])

    def get_config(self):
        return {**super().get_config(), "window_size": self.window_size}
