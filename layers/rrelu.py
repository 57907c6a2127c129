"""Randomized leaky ReLU (Xu et al. 2015)."""

from __future__ import annotations

import keras
from keras import ops

from zoo.validation import check_float32, check_seed


@keras.saving.register_keras_serializable(package="lecture_zoo")
class RReLU(keras.layers.Layer):
    """Randomized leaky ReLU: ``y = x`` for x >= 0, ``y = a * x`` for x < 0.

    Training: a slope ``a ~ U(lower, upper)`` is drawn for every element of every call.
    Inference: the fixed slope ``(lower + upper) / 2``, the convention of PyTorch's
    ``nn.RReLU`` and TensorFlow Addons' ``rrelu``. Xu et al. 2015 ("Empirical Evaluation of
    Rectified Activations in Convolutional Network") instead *divide* by ``a ~ U(3, 8)`` and use
    ``x / ((3 + 8) / 2)`` at test time, a slope of 2/11; our defaults 1/8 and 1/3 are the bounds
    of their 1/a, but our test-time slope is (1/8 + 1/3) / 2 = 11/48.

    Args:
        lower: the smallest slope, >= 0.
        upper: the largest slope, >= lower.
        seed: optional int seed in [0, 2**32 - 1] for the slopes (same seed, same outputs).

    Elementwise, so a Keras mask (``Embedding(mask_zero=True)``) passes through unchanged.

    Example:
        >>> RReLU()(np.array([[-1.0, 2.0]]))                  # inference: [[-0.229, 2.0]]
        >>> RReLU(seed=1)(np.array([[-1.0, 2.0]]), training=True)   # slope in [1/8, 1/3]
    """

    def __init__(self, lower=1.0 / 8.0, upper=1.0 / 3.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.lower = check_float32("lower", lower, low=0.0)
        self.upper = check_float32("upper", upper, low=0.0)
        if self.lower > self.upper:
            raise ValueError(f"lower must be <= upper, got lower={lower!r} and upper={upper!r}.")
        self.seed = check_seed("seed", seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=None):
        if training:
            slopes = keras.random.uniform(
                ops.shape(inputs),
                minval=self.lower,
                maxval=self.upper,
                dtype="float32",
                seed=self.seed_generator,
            )
            slopes = ops.cast(slopes, inputs.dtype)
        else:
            slopes = ops.cast((self.lower + self.upper) / 2.0, inputs.dtype)
        return ops.where(inputs >= 0, inputs, ops.multiply(inputs, slopes))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "lower": self.lower, "upper": self.upper, "seed": self.seed}
