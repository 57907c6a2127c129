"""ExplicitMaxPooling2D and ExplicitAveragePooling2D: pooling with a hand-written backward pass.

Both cut the (padded) input of shape (batch, rows, cols, channels) into windows of
``pool_size`` = (k_h, k_w) every ``strides`` = (s_h, s_w) positions (the same im2col `patches`
as `zoo.layers.ExplicitConv2D`, window sizes and "same" padding exactly as Keras':
output floor((n - k) / s) + 1 for "valid", ceil(n / s) for "same"), and reduce every window
channel by channel. A pooling layer has no weights, so its backward pass only maps the upstream
gradient g = dL/dy of every window back to the window's inputs and adds up what overlapping
windows send to the same input (`col2im`, a scatter-add):

- max pooling (seed 001 "Pooling"; seed 000 section 4.4): y = max of the window; the whole of g
  goes to the window's arg-max, every other input of the window gets 0 ("the gradient is routed
  to the arg-max"). Ties: the first maximum in row-major window order (top row first, left to
  right) gets all of g, which is what TensorFlow's and JAX's autodiff of
  `keras.layers.MaxPooling2D` do as well (tested). "same" padding pads with -inf, so padding
  never wins a window.
- average pooling: y = the mean of the window's elements, so each of them gets g / (number of
  elements). With "same" padding Keras (TensorFlow) averages over the window's elements that
  lie inside the input, ignoring the padding, and so does this layer: the count varies at
  the borders.

The backward pass is wired in with `keras.ops.custom_gradient`; ``forward(x)`` and
``backward(x, upstream) -> dx`` expose the two passes for teaching. Spatial sizes must be known
when the layer is called; the layout is channels_last.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from zoo.layers.explicit_conv import (
    _ExplicitLayer,
    _geometry,
    _padding,
    _pair,
    _spatial_size,
    col2im,
    crop_spatial,
    output_size,
    pad_spatial,
    patches,
)


class _ExplicitPooling2D(_ExplicitLayer):
    """The shared plumbing: arguments, windows, custom gradient, shapes and config."""

    _pad_value = 0.0

    def __init__(self, pool_size=2, strides=None, padding="valid", **kwargs):
        super().__init__(**kwargs)
        self.pool_size = _pair("pool_size", pool_size)
        self.strides = self.pool_size if strides is None else _pair("strides", strides)
        self.padding = _padding(padding)
        self.input_spec = keras.InputSpec(ndim=4)

    def build(self, input_shape):
        _geometry(input_shape, self.pool_size, self.strides, self.padding, type(self).__name__)

    def _windows(self, x):
        """``(windows, pads, out)``: windows (batch, out_rows, out_cols, k_h * k_w, channels)."""
        pads, out = _geometry(x.shape, self.pool_size, self.strides, self.padding, self.name)
        fields = patches(pad_spatial(x, pads, self._pad_value), self.pool_size, self.strides, out)
        kh, kw = self.pool_size
        return ops.reshape(fields, (-1, *out, kh * kw, int(x.shape[-1]))), pads, out

    def _scatter(self, x, window_grads, pads):
        """dx from the gradient of every window element (batch, rows', cols', k_h k_w, C)."""
        kh, kw = self.pool_size
        rows, cols = _spatial_size(x.shape, self.name)
        channels = int(x.shape[-1])
        fields = ops.reshape(window_grads, (-1, *window_grads.shape[1:3], kh, kw, channels))
        padded = (rows + sum(pads[0]), cols + sum(pads[1]))
        return crop_spatial(
            col2im(fields, self.pool_size, self.strides, padded), pads, (rows, cols)
        )

    def forward(self, x, *args, **kwargs):
        """The pooled x, computed in the dtype of ``x`` (no custom gradient, no dtype policy)."""
        if self._in_layer_call:
            return self._torch_route(x, *args, **kwargs)
        if args or kwargs:
            raise TypeError(f"forward() takes only x; got extra {args or kwargs}.")
        return self._forward_cache(self._float_input(x))[0]

    def backward(self, x, upstream, *, cache=None):
        """dL/dx for the upstream gradient dL/dy, shape (batch, out_rows, out_cols, channels).

        ``cache`` is the forward pass's (the training path passes it); ``None`` recomputes it.
        """
        x = self._float_input(x)
        if cache is None:
            cache = self._forward_cache(x)
        upstream = ops.cast(ops.convert_to_tensor(upstream), x.dtype)
        return self._backward_from(x, upstream, cache)

    def _with_explicit_gradient(self, x):
        cache = self._forward_cache(x)

        def grad_fn(*args, upstream=None):
            # TensorFlow and JAX call grad_fn(upstream); torch calls grad_fn(*inputs, upstream=).
            if upstream is None:
                (upstream,) = args
            return self.backward(x, upstream, cache=cache)

        return cache[0], grad_fn

    def call(self, inputs):
        return ops.custom_gradient(self._with_explicit_gradient)(self._compute_input(inputs))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        rows, cols = (
            output_size(n, k, s, self.padding)
            for n, k, s in zip(input_shape[1:3], self.pool_size, self.strides, strict=True)
        )
        return (input_shape[0], rows, cols, input_shape[3])

    def get_config(self):
        config = super().get_config()
        config.update(
            {"pool_size": self.pool_size, "strides": self.strides, "padding": self.padding}
        )
        return config


@keras.saving.register_keras_serializable(package="lecture_zoo")
class ExplicitMaxPooling2D(_ExplicitPooling2D):
    """Max pooling whose backward pass routes the upstream gradient to each window's arg-max.

    Args:
        pool_size: int or pair (k_h, k_w), default 2.
        strides: int or pair, default ``pool_size`` (non-overlapping windows).
        padding: ``"valid"`` or ``"same"`` (padded with -inf, as Keras does in effect).

    Outputs equal `keras.layers.MaxPooling2D`'s. Ties: the first maximum of the window in
    row-major order gets the whole gradient (the rule of TensorFlow's and JAX's autodiff).
    """

    _pad_value = float("-inf")

    def _forward_cache(self, x):
        windows, pads, _ = self._windows(x)
        return ops.max(windows, axis=3), windows, pads

    def winners(self, windows, pooled):
        """1 at each window's first arg-max (row-major order), 0 elsewhere, in pooled's dtype."""
        is_max = ops.cast(ops.equal(windows, ops.expand_dims(pooled, 3)), "int32")
        first = ops.logical_and(ops.equal(is_max, 1), ops.equal(ops.cumsum(is_max, axis=3), 1))
        return ops.cast(first, pooled.dtype)

    def _backward_from(self, x, upstream, cache):
        pooled, windows, pads = cache
        routed = ops.multiply(self.winners(windows, pooled), ops.expand_dims(upstream, 3))
        return self._scatter(x, routed, pads)


@keras.saving.register_keras_serializable(package="lecture_zoo")
class ExplicitAveragePooling2D(_ExplicitPooling2D):
    """Average pooling whose backward pass spreads the upstream gradient evenly over each window.

    Args:
        pool_size: int or pair (k_h, k_w), default 2.
        strides: int or pair, default ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (the mean over the elements inside the input, as in
            Keras).

    Outputs equal `keras.layers.AveragePooling2D`'s.
    """

    def counts(self, shape):
        """The number of input elements in every window, (out_rows, out_cols) as NumPy."""
        pads, out = _geometry(shape, self.pool_size, self.strides, self.padding, self.name)
        per_axis = []
        for n, k, s, (before, _), m in zip(
            _spatial_size(shape, self.name), self.pool_size, self.strides, pads, out, strict=True
        ):
            starts = np.arange(m) * s - before
            per_axis.append(np.minimum(starts + k, n) - np.maximum(starts, 0))
        return np.outer(*per_axis).astype(np.float64)

    def _forward_cache(self, x):
        windows, pads, _ = self._windows(x)
        counts = ops.convert_to_tensor(self.counts(x.shape)[None, :, :, None], dtype=x.dtype)
        return ops.divide(ops.sum(windows, axis=3), counts), counts, pads

    def _backward_from(self, x, upstream, cache):
        _, counts, pads = cache
        share = ops.expand_dims(ops.divide(upstream, counts), 3)  # g / count for every element
        spread = ops.repeat(share, self.pool_size[0] * self.pool_size[1], axis=3)
        return self._scatter(x, spread, pads)
