"""Max-over-time pooling that ignores padding (Kim 2014), and the padding mask it reads.

`PaddingMask` turns token ids into a float mask (1 for a word, 0 for the padding id 0);
`MaskedMaxOverTime` takes the maximum of a wide convolution's feature maps over the windows that
touch a word, so adding or removing padding never changes the result (`zoo.models.text_cnn`).
"""

from __future__ import annotations

import keras
from keras import ops

from zoo.validation import check_size


@keras.saving.register_keras_serializable(package="lecture_zoo")
class PaddingMask(keras.layers.Layer):
    """Token ids (batch, T) -> float mask (batch, T, 1): 1 for a word, 0 for padding (id 0).

    Per position, so a Keras mask on the tokens passes through unchanged.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.input_spec = keras.layers.InputSpec(ndim=2)
        self.supports_masking = True

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
        self.window_size = check_size("window_size", window_size)
        self.input_spec = [keras.layers.InputSpec(ndim=3), keras.layers.InputSpec(ndim=3)]

    def _check_shapes(self, features_shape, mask_shape):
        features_shape, mask_shape = tuple(features_shape), tuple(mask_shape)
        steps, length = features_shape[1], mask_shape[1]
        if mask_shape[-1] not in (None, 1) or (
            steps is not None and length is not None and steps != length + self.window_size - 1
        ):
            raise ValueError(
                f"MaskedMaxOverTime(window_size={self.window_size}) needs features "
                "(batch, T + window_size - 1, C) and a mask (batch, T, 1), got features of shape "
                f"{features_shape} and a mask of shape {mask_shape}."
            )

    def build(self, input_shape):
        self._check_shapes(*input_shape)

    def call(self, inputs):
        features, mask = inputs
        self._check_shapes(features.shape, mask.shape)
        mask = ops.cast(mask, features.dtype)
        pad = self.window_size - 1
        padded = ops.pad(mask, [[0, 0], [pad, pad], [0, 0]])
        touches_word = ops.max_pool(padded, self.window_size, strides=1, padding="valid") > 0
        floor = ops.min(features, axis=1, keepdims=True)
        pooled = ops.max(ops.where(touches_word, features, floor), axis=1)
        any_word = ops.cast(ops.any(touches_word, axis=1), features.dtype)
        return pooled * any_word

    def compute_output_shape(self, input_shape):
        features_shape, mask_shape = input_shape
        self._check_shapes(features_shape, mask_shape)
        return (features_shape[0], features_shape[-1])

    def get_config(self):
        return {**super().get_config(), "window_size": self.window_size}
