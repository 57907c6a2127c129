"""Local response normalization across channels (Krizhevsky et al. 2012, AlexNet)."""

from __future__ import annotations

import keras
from keras import ops

from zoo.validation import check_float32, check_size

# Up to this radius the window sum is 2r+1 shifted slices (exact); beyond it a cumulative sum.
_SLICE_SUM_MAX_RADIUS = 8


@keras.saving.register_keras_serializable(package="lecture_zoo")
class LocalResponseNormalization(keras.layers.Layer):
    """AlexNet's local response normalization over the (last) channel axis.

    ``b[..., c] = a[..., c] / (bias + alpha * sum_{j=c-r}^{c+r} a[..., j]^2) ** beta``, with the
    window clipped at the edges and ``alpha`` *not* divided by the window size (Krizhevsky,
    Sutskever and Hinton 2012 use r=2, bias k=2, alpha=1e-4, beta=0.75); identical to
    TensorFlow's ``local_response_normalization``. Channels-last; computed in float32 inside.
    Each position is normalised on its own, so a Keras mask passes through unchanged.

    Args:
        depth_radius: r >= 0, the half-width of the channel window (2r+1 channels); a window
            wider than the channels covers them all.
        bias: k >= 0, added to the scaled sum (bias and alpha must not both be 0).
        alpha: the scale of the sum of squares, >= 0.
        beta: the exponent.

    Example:
        >>> LocalResponseNormalization()(np.ones((1, 8, 8, 96))).shape   # (1, 8, 8, 96)
    """

    def __init__(self, depth_radius=2, bias=2.0, alpha=1e-4, beta=0.75, **kwargs):
        super().__init__(**kwargs)
        self.depth_radius = check_size("depth_radius", depth_radius, minimum=0)
        self.bias = check_float32("bias", bias, low=0.0)
        self.alpha = check_float32("alpha", alpha, low=0.0)
        self.beta = check_float32("beta", beta)
        if self.bias == 0.0 and self.alpha == 0.0:
            raise ValueError(
                "bias and alpha must not both be 0 (the denominator would be 0 ** beta for "
                f"every input), got bias={bias!r} and alpha={alpha!r}; use bias > 0 or alpha > 0."
            )
        self.input_spec = keras.layers.InputSpec(min_ndim=2)
        self.supports_masking = True

    def _window_sum(self, squares):
        r = self.depth_radius
        channels = squares.shape[-1]
        if channels is not None:  # the window is clipped at the edges: r >= C - 1 covers all C
            r = min(r, max(channels - 1, 0))
        if r == 0:
            return squares
        rank = len(squares.shape)
        if r <= _SLICE_SUM_MAX_RADIUS:
            padded = ops.pad(squares, [[0, 0]] * (rank - 1) + [[r, r]])
            total = squares  # the centre slice, j = r
            for j in range(2 * r + 1):
                if j == r:
                    continue
                end = j - 2 * r if j < 2 * r else None
                total = ops.add(total, padded[..., j:end])
            return total
        padded = ops.pad(squares, [[0, 0]] * (rank - 1) + [[r + 1, r]])
        cumulative = ops.cumsum(padded, axis=-1)
        return ops.subtract(cumulative[..., 2 * r + 1 :], cumulative[..., : -(2 * r + 1)])

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        window = self._window_sum(ops.square(x))
        scale = ops.power(ops.add(self.bias, ops.multiply(self.alpha, window)), -self.beta)
        return ops.cast(ops.multiply(x, scale), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "depth_radius": self.depth_radius,
            "bias": self.bias,
            "alpha": self.alpha,
            "beta": self.beta,
        }
