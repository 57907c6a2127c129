"""Maxout units (Goodfellow et al. 2013): `Maxout` on an axis, `MaxoutDense` with weights."""

from __future__ import annotations

import numbers

import keras
from keras import ops

from zoo.validation import check_bool, check_keras_objects, check_size


def _normalize_axis(axis: int, rank: int, name: str = "axis") -> int:
    if not -rank <= axis < rank:
        raise ValueError(
            f"{name} must be in [{-rank}, {rank - 1}] for inputs of rank {rank}, got {axis}."
        )
    return axis % rank


def _check_channels(shape, axis: int, num_units: int, what: str) -> int:
    channels = shape[axis]
    if channels is None:
        raise ValueError(
            f"Maxout needs a known size along {what}, got None in input shape {tuple(shape)}."
        )
    if channels % num_units:
        raise ValueError(
            f"num_units ({num_units}) must divide the number of channels along {what} "
            f"({channels}); got {channels} % {num_units} = {channels % num_units}."
        )
    return channels // num_units


def _maxout(x, num_units: int, num_pieces: int, axis: int):
    """Unit u = max of channels u, u+N, u+2N, ...: split into k slices of N and take the max.

    Splitting (not reshaping) keeps every other dimension static, even unknown ones.
    """
    if num_pieces == 1:
        return x
    pieces = ops.split(x, num_pieces, axis=axis)
    out = pieces[0]
    for piece in pieces[1:]:
        out = ops.maximum(out, piece)
    return out


@keras.saving.register_keras_serializable(package="lecture_zoo")
class Maxout(keras.layers.Layer):
    """Maxout over one axis, without weights (TensorFlow Addons' ``Maxout`` convention).

    The axis of size C = k * N is the lecture's k x N pre-activation matrix z flattened
    row-major, and unit u is ``h_u = max_j z[j, u]``, i.e. the max of channels
    u, u + N, u + 2N, ... (Goodfellow et al. 2013, "Maxout Networks").

    Args:
        num_units: N, the number of outputs along ``axis``; must divide its size.
        axis: the axis to reduce (default the last, channels-last).

    A Keras mask over the positions passes through when ``axis`` is the last (feature) axis;
    along any other axis the positions change, so a mask is refused.

    Example:
        >>> Maxout(5)(np.array([[2.2, -1.4, 9.7, -1.3, 0, -4, -2.1, 3.8, -3, 0.2]]))
        # -> [[2.2, -1.4, 9.7, -1.3, 0.2]]
    """

    def __init__(self, num_units, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.num_units = check_size("num_units", num_units)
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise ValueError(f"axis must be an integer, got {axis!r}.")
        self.axis = int(axis)
        self.supports_masking = True

    def build(self, input_shape):
        axis = _normalize_axis(self.axis, len(input_shape))
        _check_channels(input_shape, axis, self.num_units, f"axis {self.axis}")
        self.input_spec = keras.layers.InputSpec(
            ndim=len(input_shape), axes={axis: input_shape[axis]}
        )

    def call(self, inputs):
        axis = _normalize_axis(self.axis, len(inputs.shape))
        num_pieces = _check_channels(inputs.shape, axis, self.num_units, f"axis {self.axis}")
        return _maxout(inputs, self.num_units, num_pieces, axis)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        shape = tuple(inputs.shape)
        axis = _normalize_axis(self.axis, len(shape))
        if axis != len(shape) - 1:
            raise ValueError(
                f"Maxout(axis={self.axis}) reduces axis {axis} of inputs of shape {shape}, an axis "
                "their mask covers, so it cannot pass the mask on; use axis=-1 (the features)."
            )
        return mask

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        axis = _normalize_axis(self.axis, len(shape))
        _check_channels(shape, axis, self.num_units, f"axis {self.axis}")
        shape[axis] = self.num_units
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "num_units": self.num_units, "axis": self.axis}


@keras.saving.register_keras_serializable(package="lecture_zoo")
class MaxoutDense(keras.layers.Layer):
    """A dense maxout layer: an affine map to ``units * num_pieces`` then ``Maxout(units)``.

    ``z = x W + b`` with W of shape (d, k*N); ``h_u = max_j z[j*N + u]`` (Goodfellow et al.
    2013). Acts on the last axis like ``keras.layers.Dense``, so it passes a Keras mask on.

    Args:
        units: N, the number of maxout units (outputs).
        num_pieces: k >= 2, the linear pieces each unit maximises over.
        use_bias: add the bias b.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        kernel_constraint, bias_constraint: as in ``keras.layers.Dense``.

    Example:
        >>> MaxoutDense(64, num_pieces=3)(np.zeros((8, 20))).shape   # (8, 64), 21*192 params
    """

    def __init__(
        self,
        units,
        num_pieces=2,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = check_size("units", units)
        self.num_pieces = check_size("num_pieces", num_pieces, minimum=2)
        if self.units * self.num_pieces > 2**31 - 1:
            raise ValueError(
                "units * num_pieces (the kernel's width) must be at most 2147483647, an int32 "
                f"size, got units={units!r} and num_pieces={num_pieces!r}."
            )
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
        self.input_spec = keras.layers.InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                "MaxoutDense needs a known last input dimension, got None in input shape "
                f"{tuple(input_shape)}."
            )
        width = self.units * self.num_pieces
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_dim, width),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(width,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.input_spec = keras.layers.InputSpec(min_ndim=2, axes={-1: input_dim})

    def call(self, inputs):
        z = ops.matmul(inputs, ops.cast(self.kernel, self.compute_dtype))
        if self.bias is not None:
            z = ops.add(z, ops.cast(self.bias, self.compute_dtype))
        return _maxout(z, self.units, self.num_pieces, len(z.shape) - 1)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "num_pieces": self.num_pieces,
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": keras.constraints.serialize(self.kernel_constraint),
            "bias_constraint": keras.constraints.serialize(self.bias_constraint),
        }
