"""ExplicitConv2D: a 2-D convolution layer whose forward and backward passes are written by hand.

Keras' convolutions are cross-correlations. For an input x of shape (batch, H, W, C_in) (zero
padded first for ``padding="same"``), a kernel W of shape (k_h, k_w, C_in, C_out) and strides
(s_h, s_w), the forward pass is

    s[b, i, j, f] = sum_{k, l, c} x[b, i s_h + k, j s_w + l, c] W[k, l, c, f] + bias[f]
    a = h(s)

written as the im2col matrix product: every receptive field ("patch") of x becomes a row
P[(b, i, j), (k, l, c)], and s = P W with W reshaped to (k_h k_w C_in, C_out), exactly the
lectures' fully connected layer applied at every position with shared weights (seed 000
section 4.1 "CONV layer"; seed 001 "A typical example": y = f(sum_Omega w_j x_j + b),
"3D convolution": sum over the input channels, and "Why do we use convolution?": "transform
the similarity calculation to matrix multiplication form").

The lecture notes' *convolution* flips the kernel by 180 degrees: seed 001's
``h[m, n] = sum f[m - k1, n - k2] g[k1, k2]`` and its Matlab ``conv2(A, B, 'valid')`` example
(A 4x4, B 3x3 -> [[-3, 0], [4, 3]]). ``conv2(A, B, mode)`` equals this layer's output with the
kernel ``rot180(B)`` (``B[::-1, ::-1]``), and the notes' "similarity" (cross-correlation) is the
layer with B itself; ``mode='full'`` is ``padding="valid"`` on A padded by k-1 on every side.

Backward, given the upstream gradient g = dL/da (seed 001 "Gradient and local sensitivity",
dE/dw = delta times the input, dE/db = delta, summed over the positions that share the weight,
and "Backward computation"; seed 000 section 4.4):

    delta = g * h'(s)                         dL/ds (softmax over the filters: its JVP)
    dW[k, l, c, f] = sum_{b, i, j} delta[b, i, j, f] x[b, i s_h + k, j s_w + l, c]
                   = (P^T delta) reshaped      every position's patch times its delta
    dbias[f] = sum_{b, i, j} delta[b, i, j, f]
    dx[b, p, q, c] = sum over the (i, j, k, l) with i s_h + k = p, j s_w + l = q of
                     (delta W^T)[b, i, j, k, l, c]     every delta sent back onto its patch

that is, dx is the adjoint of im2col ("col2im"): each position's delta[b, i, j, :] W^T, a
k_h x k_w x C_in block, is scatter-added onto the patch it was computed from (`col2im`), and the
rows and columns of the "same" padding are cropped away. Equivalently (seed 000 section 4.4,
``dl/dh = sum_k C * W``), dx is the "full" cross-correlation of delta, dilated by the strides
(s - 1 zeros between entries) and zero padded by k - 1, with the kernel rotated by 180 degrees
(input and output channels swapped); the tests check both forms.

"same" padding is Keras' (TensorFlow's): along a dimension of size n, kernel k and stride s,
pad_total = max((ceil(n / s) - 1) s + k - n, 0), pad_before = pad_total // 2 and the rest after,
so the output has ceil(n / s) positions; "valid" gives floor((n - k) / s) + 1.

The activations and their derivatives are `ExplicitDense`'s (the lecture table in
`zoo.layers.activations`). The backward pass is wired in with `keras.ops.custom_gradient`, so
``fit`` trains the layer with these formulas; ``forward(x)`` and ``backward(x, upstream)`` expose
the two passes for teaching. The spatial size of the input must be known when the layer is
called (the batch size may be None); the layout is channels_last.
"""

from __future__ import annotations

import functools
import math
import numbers

import keras
import numpy as np
from keras import ops

from zoo.layers.explicit_dense import (
    ExplicitDense,
    _activation_name,
    _forward_activation,
    _matmul,
)
from zoo.validation import (
    check_bool,
    check_choice,
    check_keras_object,
    check_keras_objects,
    check_size,
)

PADDINGS = ("valid", "same")


# ------------------------------------------------------------------------ geometry helpers


def _pair(name: str, value) -> tuple[int, int]:
    """A positive int or a pair of them as ``(rows, cols)``; ValueError naming ``name``."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value, value)
    if (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value)
        and all(v >= 1 for v in value)
    ):
        return (check_size(name, value[0]), check_size(name, value[1]))
    raise ValueError(f"{name} must be a positive integer or a pair of them, got {value!r}.")


def _padding(value) -> str:
    name = value.lower() if isinstance(value, str) else value
    return check_choice("padding", name, PADDINGS)


def same_padding(n: int, k: int, s: int) -> tuple[int, int]:
    """Keras' "same" padding ``(before, after)`` of a dimension of size n, window k, stride s."""
    total = max((math.ceil(n / s) - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def output_size(n, k: int, s: int, padding: str):
    """Output positions along a dimension of size n (None stays None)."""
    if n is None:
        return None
    if padding == "same":
        return math.ceil(n / s)
    return (n - k) // s + 1 if n >= k else 0


def _spatial_size(shape, who: str) -> tuple[int, int]:
    if len(shape) != 4:
        raise ValueError(f"{who} takes inputs (batch, rows, cols, channels), got shape {shape}.")
    rows, cols = shape[1], shape[2]
    if rows is None or cols is None:
        raise ValueError(
            f"{who} needs known spatial sizes (the batch may be None), got shape {tuple(shape)}."
        )
    return int(rows), int(cols)


def _geometry(shape, kernel_size, strides, padding, who):
    """``(pads, out)``: pads ((top, bottom), (left, right)), out (rows, cols)."""
    sizes = _spatial_size(shape, who)
    pads, out = [], []
    for n, k, s in zip(sizes, kernel_size, strides, strict=True):
        pads.append(same_padding(n, k, s) if padding == "same" else (0, 0))
        out.append(output_size(n, k, s, padding))
    if min(out) < 1:
        raise ValueError(
            f"{who}: the window {kernel_size} does not fit into the input's spatial size {sizes} "
            f"with padding='valid'."
        )
    return tuple(pads), tuple(out)


def pad_spatial(x, pads, value=0.0):
    """x (batch, rows, cols, channels) padded by ``pads`` = ((top, bottom), (left, right))."""
    if not any(p for pair in pads for p in pair):
        return x
    return ops.pad(x, [[0, 0], list(pads[0]), list(pads[1]), [0, 0]], constant_values=value)


@functools.lru_cache(maxsize=256)
def patch_indices(padded_size, kernel_size, strides, out) -> np.ndarray:
    """The im2col index table: for every output position (i, j) and window offset (k, l), in
    that (row-major) order, the flat spatial index (i s_h + k) W_p + (j s_w + l) of the padded
    input (W_p its column count) that it reads."""
    (kh, kw), (sh, sw), (ho, wo) = kernel_size, strides, out
    i, j, k, l = np.meshgrid(  # noqa: E741 - the lecture's index names
        np.arange(ho), np.arange(wo), np.arange(kh), np.arange(kw), indexing="ij"
    )
    return ((i * sh + k) * padded_size[1] + (j * sw + l)).reshape(-1).astype(np.int32)


def patches(x, kernel_size, strides, out):
    """The receptive fields of x: shape (batch, out_rows, out_cols, k_h, k_w, channels).

    ``patches[b, i, j, k, l, c] = x[b, i s_h + k, j s_w + l, c]`` (x already padded), gathered
    with `patch_indices` in one ``keras.ops.take``.
    """
    rows, cols, channels = (int(d) for d in x.shape[1:])
    table = patch_indices((rows, cols), tuple(kernel_size), tuple(strides), tuple(out))
    flat = ops.reshape(x, (-1, rows * cols, channels))
    fields = ops.take(flat, ops.convert_to_tensor(table), axis=1)
    return ops.reshape(fields, (-1, *out, *kernel_size, channels))


@functools.lru_cache(maxsize=256)
def col2im_indices(padded_size, kernel_size, strides, out) -> np.ndarray:
    """The inverse table of `patch_indices`, shape (rows cols, k_h k_w): for every padded input
    position p and window offset (k, l), the flat index (i, j, k, l) of the window entry that
    reads p at that offset, or the number of entries (a zero slot) where no window does."""
    table = patch_indices(padded_size, kernel_size, strides, out)
    offsets = kernel_size[0] * kernel_size[1]
    inverse = np.full((padded_size[0] * padded_size[1], offsets), table.size, np.int32)
    inverse[table, np.arange(table.size) % offsets] = np.arange(table.size)
    return inverse


def col2im(dpatches, kernel_size, strides, padded_size):
    """The adjoint of `patches`: add every window's gradient back onto the positions it read.

    dpatches (batch, out_rows, out_cols, k_h, k_w, channels) -> (batch, rows, cols, channels) of
    the padded input of spatial size ``padded_size``; a position in several windows gets the
    sum of what they send. Written as a gather (`col2im_indices`) and a sum rather than a
    scatter-add, so it stays exact in float64 under every backend.
    """
    out, channels = tuple(int(d) for d in dpatches.shape[1:3]), int(dpatches.shape[-1])
    inverse = col2im_indices(tuple(padded_size), tuple(kernel_size), tuple(strides), out)
    rows, cols = padded_size
    flat = ops.reshape(dpatches, (-1, math.prod(out) * math.prod(kernel_size), channels))
    flat = ops.concatenate([flat, ops.zeros_like(flat[:, :1])], axis=1)  # the zero slot
    gathered = ops.take(flat, ops.convert_to_tensor(inverse.reshape(-1)), axis=1)
    summed = ops.sum(ops.reshape(gathered, (-1, rows * cols, inverse.shape[1], channels)), axis=2)
    return ops.reshape(summed, (-1, rows, cols, channels))


def crop_spatial(x, pads, size):
    """The inverse of `pad_spatial`: rows pads[0][0] .. + size[0], likewise columns; rows past
    the end of x (never reached by a window) come back as zeros."""
    pieces = []
    for axis, ((before, _), n) in enumerate(zip(pads, size, strict=True), start=1):
        available = int(x.shape[axis])
        stop = min(before + n, available)
        x = x[:, before:stop] if axis == 1 else x[:, :, before:stop]
        pieces.append((0, before + n - stop))
    return pad_spatial(x, tuple(pieces))


# ------------------------------------------------------------------------ shared layer plumbing


class _ExplicitLayer(keras.layers.Layer):
    """What the Explicit* layers share: float inputs, and `forward` kept clear of torch's
    ``Module.forward`` route (under torch, ``Layer.__call__`` reaches ``call`` through it)."""

    _float_input = ExplicitDense._float_input
    _weight = ExplicitDense._weight

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._in_layer_call = 0  # > 0 while Layer.__call__ runs (see `forward`)

    def __call__(self, *args, **kwargs):
        self._in_layer_call += 1
        try:
            return super().__call__(*args, **kwargs)
        finally:
            self._in_layer_call -= 1

    def _torch_route(self, *args, **kwargs):
        return super().forward(*args, **kwargs)

    def _compute_input(self, inputs):
        x = self._float_input(inputs)
        if x.dtype != self.compute_dtype:
            x = ops.cast(x, self.compute_dtype)
        return x


def _explicit_name(activation, who: str) -> str:
    try:
        return _activation_name(activation)
    except ValueError as error:
        raise ValueError(str(error).replace("ExplicitDense", who)) from None


@keras.saving.register_keras_serializable(package="lecture_zoo")
class ExplicitConv2D(_ExplicitLayer):
    """2-D convolution (cross-correlation) ``a = h(x (*) W + b)`` with a hand-written backward.

    Args:
        filters: positive int, the number of output channels C_out.
        kernel_size: int or pair (k_h, k_w).
        strides: int or pair (s_h, s_w), default 1.
        padding: ``"valid"`` (no padding) or ``"same"`` (Keras' zero padding, output
            ceil(n / s)).
        activation: one of `zoo.layers.explicit_dense.SUPPORTED_ACTIVATIONS` or ``None``
            (softmax runs over the filters).
        use_bias: add the bias b.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, bias_constraint: as in `keras.layers.Conv2D`.

    Weights are laid out as `keras.layers.Conv2D`'s (kernel (k_h, k_w, C_in, C_out), bias
    (C_out,)), channels_last: with the same weights the outputs and gradients are equal.
    The notes' convolution flips the kernel (see the module docstring): to reproduce seed 001's
    ``conv2(A, B, 'valid')``, give the layer ``B[::-1, ::-1]``.

    Example (seed 001's conv2 example):
        >>> layer = ExplicitConv2D(1, 3, use_bias=False)
        >>> layer.build((None, 4, 4, 1))
        >>> layer.kernel.assign(np.rot90(B, 2)[:, :, None, None])
        >>> layer.forward(A[None, :, :, None])[0, :, :, 0]     # [[-3, 0], [4, 3]]
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        activity_regularizer = check_keras_object(
            "activity_regularizer", activity_regularizer, "regularizer"
        )
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = check_size("filters", filters)
        self.kernel_size = _pair("kernel_size", kernel_size)
        self.strides = _pair("strides", strides)
        self.padding = _padding(padding)
        self.activation_name = _explicit_name(activation, "ExplicitConv2D")
        self.activation = _forward_activation(self.activation_name)
        self.use_bias = check_bool("use_bias", use_bias)
        objects = check_keras_objects(
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
        )
        for name, value in objects.items():
            setattr(self, name, value)
        self.input_spec = keras.InputSpec(ndim=4)

    local_sensitivity = ExplicitDense.local_sensitivity  # delta = g h'(s); softmax: its JVP

    def build(self, input_shape):
        _geometry(input_shape, self.kernel_size, self.strides, self.padding, "ExplicitConv2D")
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(
                f"ExplicitConv2D needs a known channel dimension, got shape {input_shape}."
            )
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, channels, self.filters),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.filters,),
                name="bias",
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.input_spec = keras.InputSpec(ndim=4, axes={-1: channels})

    # ---------------------------------------------------------------- the two passes, by hand

    def _forward_cache(self, x, kernel, bias):
        """``(s, a, rows)``: pre-activation, activation and the im2col matrix P."""
        pads, out = _geometry(x.shape, self.kernel_size, self.strides, self.padding, self.name)
        fields = patches(pad_spatial(x, pads), self.kernel_size, self.strides, out)
        rows = ops.reshape(fields, (-1, math.prod(int(d) for d in fields.shape[3:])))
        s = _matmul(rows, ops.reshape(kernel, (rows.shape[-1], self.filters)))
        s = ops.reshape(s, (-1, *out, self.filters))
        if bias is not None:
            s = ops.add(s, bias)
        return s, self.activation(s), rows

    def forward(self, x, *args, kernel=None, bias=None, **kwargs):
        """a = h(x (*) W + b), computed in the dtype of ``x`` (the layer's weights unless given).

        A plain function of the weights: no custom gradient, no dtype policy.
        """
        if self._in_layer_call:
            return self._torch_route(x, *args, **kwargs)
        if args or kwargs:
            raise TypeError(f"forward() takes x, kernel= and bias=; got extra {args or kwargs}.")
        x = self._float_input(x)
        kernel = self._weight(kernel, self.kernel, x.dtype)
        bias = self._weight(bias, self.bias, x.dtype) if self.use_bias else None
        return self._forward_cache(x, kernel, bias)[1]

    def backward(self, x, upstream, *, kernel=None, bias=None, cache=None, input_gradient=True):
        """The conv layer's local sensitivities: ``(dx, dkernel, dbias)`` for the upstream dL/da.

        Args:
            x: the layer's input, (batch, rows, cols, C_in).
            upstream: dL/da, (batch, out_rows, out_cols, filters).
            kernel, bias: weights to use (default: the layer's), cast to the dtype of ``x``.
            cache: the forward pass's ``(s, a, rows)`` (the training path passes it); ``None``
                recomputes it.
            input_gradient: compute ``dx``; ``False`` returns ``None`` for it.

        ``dbias`` is ``None`` when ``use_bias=False``.
        """
        x = self._float_input(x)
        kernel = self._weight(kernel, self.kernel, x.dtype)
        if cache is None:
            bias = self._weight(bias, self.bias, x.dtype) if self.use_bias else None
            cache = self._forward_cache(x, kernel, bias)
        s, a, rows = cache
        upstream = ops.cast(ops.convert_to_tensor(upstream), a.dtype)

        delta = self.local_sensitivity(upstream, s, a)
        delta_rows = ops.reshape(delta, (-1, self.filters))
        dkernel = ops.reshape(_matmul(ops.transpose(rows), delta_rows), kernel.shape)
        dbias = ops.sum(delta_rows, axis=0) if self.use_bias else None
        dx = self._input_gradient(x, delta, kernel) if input_gradient else None
        return dx, dkernel, dbias

    def _input_gradient(self, x, delta, kernel):
        """dx: every position's delta W^T scattered back onto its patch, cropped to x."""
        pads, out = _geometry(x.shape, self.kernel_size, self.strides, self.padding, self.name)
        rows, cols = _spatial_size(x.shape, self.name)
        channels = int(kernel.shape[2])
        kernel_rows = ops.reshape(kernel, (-1, self.filters))  # (k_h k_w C_in, C_out)
        dfields = _matmul(ops.reshape(delta, (-1, self.filters)), ops.transpose(kernel_rows))
        dfields = ops.reshape(dfields, (-1, *out, *self.kernel_size, channels))
        padded = (rows + sum(pads[0]), cols + sum(pads[1]))
        dx = col2im(dfields, self.kernel_size, self.strides, padded)
        return crop_spatial(dx, pads, (rows, cols))

    def _with_explicit_gradient(self, x, kernel, *bias):
        """Forward pass returning ``(a, grad_fn)`` for `keras.ops.custom_gradient`."""
        cache = self._forward_cache(x, kernel, bias[0] if bias else None)

        def grad_fn(*args, upstream=None):
            # TensorFlow and JAX call grad_fn(upstream); torch calls grad_fn(*inputs, upstream=).
            if upstream is None:
                (upstream,) = args
            input_gradient = getattr(x, "requires_grad", True)
            dx, dkernel, dbias = self.backward(
                x, upstream, kernel=kernel, cache=cache, input_gradient=input_gradient
            )
            return (dx, dkernel, dbias) if bias else (dx, dkernel)

        return cache[1], grad_fn

    # ---------------------------------------------------------------- Keras layer API

    def call(self, inputs):
        x = self._compute_input(inputs)
        params = [ops.cast(ops.convert_to_tensor(self.kernel), self.compute_dtype)]
        if self.use_bias:
            params.append(ops.cast(ops.convert_to_tensor(self.bias), self.compute_dtype))
        return ops.custom_gradient(self._with_explicit_gradient)(x, *params)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        rows, cols = (
            output_size(n, k, s, self.padding)
            for n, k, s in zip(input_shape[1:3], self.kernel_size, self.strides, strict=True)
        )
        return (input_shape[0], rows, cols, self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "activation": self.activation_name,
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": keras.regularizers.serialize(self.activity_regularizer),
                "kernel_constraint": keras.constraints.serialize(self.kernel_constraint),
                "bias_constraint": keras.constraints.serialize(self.bias_constraint),
            }
        )
        return config
