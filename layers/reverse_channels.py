"""`ReverseChannels`: the channel axis in reverse order (RGB <-> BGR)."""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="lecture_zoo")
class ReverseChannels(keras.layers.Layer):
    """The last axis reversed: ``y[..., c] = x[..., C - 1 - c]``, so RGB images become BGR.

    Weights trained on BGR input (Caffe's convention, kept by keras.applications' VGG, whose
    ``preprocess_input`` flips the channels before subtracting the mean) then take RGB images.
    No weights; each position is reordered on its own, so a Keras mask passes through.

    Example: ``ReverseChannels()`` maps ``[[1., 2., 3.]]`` to ``[[3., 2., 1.]]``.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.input_spec = keras.layers.InputSpec(min_ndim=2)
        self.supports_masking = True

    def call(self, inputs):
        return keras.ops.flip(inputs, axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)
