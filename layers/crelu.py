"""Concatenated ReLU (Shang et al. 2016)."""

from __future__ import annotations

import numbers

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="lecture_zoo")
class CReLU(keras.layers.Layer):
    """Concatenated ReLU: ``concat(relu(x), relu(-x))`` along ``axis``, doubling its size.

    Keeps both the positive and the negative phase of the input ("two-sided ReLU"; Shang et
    al. 2016, "Understanding and Improving Convolutional Neural Networks via Concatenated
    Rectified Linear Units").

    Args:
        axis: the axis to concatenate along (default the last, channels-last).

    A Keras mask over the positions (``Embedding(mask_zero=True)``) passes through when ``axis``
    is the last (feature) axis; along any other axis the positions change, so a mask is refused.

    Example:
        >>> CReLU()(np.array([[1.0, -2.0]]))   # -> [[1.0, 0.0, 0.0, 2.0]]
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise ValueError(f"axis must be an integer, got {axis!r}.")
        self.axis = int(axis)
        self.supports_masking = True

    def _axis(self, rank):
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"axis must be in [{-rank}, {rank - 1}] for inputs of rank {rank}, got {self.axis}."
            )
        return self.axis % rank

    def build(self, input_shape):
        self._axis(len(input_shape))

    def call(self, inputs):
        axis = self._axis(len(inputs.shape))
        return ops.concatenate([ops.relu(inputs), ops.relu(ops.negative(inputs))], axis=axis)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        shape = tuple(inputs.shape)
        axis = self._axis(len(shape))
        if axis != len(shape) - 1:
            raise ValueError(
                f"CReLU(axis={self.axis}) doubles axis {axis} of inputs of shape {shape}, an axis "
                "their mask covers, so it cannot pass the mask on; use axis=-1 (the features)."
            )
        return mask

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        axis = self._axis(len(shape))
        shape[axis] = None if shape[axis] is None else 2 * shape[axis]
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
