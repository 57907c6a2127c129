"""`ChannelPadding`: zero channels around the last axis (ResNet's option-A shortcut)."""

from __future__ import annotations

import keras

from zoo.validation import check_size


@keras.saving.register_keras_serializable(package="lecture_zoo")
class ChannelPadding(keras.layers.Layer):
    """Zero channels added before and after the last axis (ResNet's option-A shortcut).

    ``y = concat(zeros(..., before), x, zeros(..., after))`` along the channels: the identity
    shortcut of He et al. 2016 (section 4.2) when a stage doubles the width, without weights.
    Inputs have rank >= 2; each position is padded on its own, so a Keras mask passes through.

    Args:
        before: zero channels put in front.
        after: zero channels put behind.

    Example: ``ChannelPadding(8, 8)`` maps (N, 16, 16, 16) to (N, 16, 16, 32).
    """

    def __init__(self, before: int = 0, after: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.before = check_size("before", before, minimum=0)
        self.after = check_size("after", after, minimum=0)
        self.input_spec = keras.layers.InputSpec(min_ndim=2)
        self.supports_masking = True

    def call(self, inputs):
        pad = [[0, 0]] * (len(inputs.shape) - 1) + [[self.before, self.after]]
        return keras.ops.pad(inputs, pad)

    def compute_output_shape(self, input_shape):
        channels = input_shape[-1]
        return (
            *input_shape[:-1],
            None if channels is None else channels + self.before + self.after,
        )

    def get_config(self):
        return {**super().get_config(), "before": self.before, "after": self.after}
