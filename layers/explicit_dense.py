"""ExplicitDense: a Dense layer whose backward pass is the lectures' delta recursion, by hand.

Forward (seed 000 eq. 16, seed 004's example), for inputs x of shape (..., m):

    s = x W + b            pre-activation ("u" in seed 001, "z" in seed 000)
    a = h(s)               activation

Backward, given the upstream gradient g = dL/da (seed 001 "local sensitivity", seed 003
"delta recursion"; rows are samples, so the notes' column-vector W^t delta is delta W^T here):

    delta = g * h'(s)                         local sensitivity dL/ds (element-wise h)
    delta = a * (g - sum(g * a, axis=-1))     softmax: the full Jacobian-vector product
    dW    = x^T delta                         (leading dimensions of x flattened into the batch)
    db    = sum of delta over the batch
    dx    = delta W^T                         the upstream gradient of the layer below

The backward pass is wired in with `keras.ops.custom_gradient`, so backpropagation, and with it
`model.fit`, uses exactly these formulas rather than the backend's autodiff. `forward` and
`backward` expose the two passes for teaching, e.g. to check them against finite differences.

Supported activations (each with a hand-written derivative): linear (``None``), sigmoid, tanh,
relu, leaky_relu (slope `zoo.layers.activations.LEAKY_RELU_SLOPE` = 0.01, the package's one slope,
not Keras' default 0.2), elu (alpha 1), softplus, softmax (last axis). The element-wise
derivatives come from the lecture table in `zoo.layers.activations`.
"""

from __future__ import annotations

import keras
from keras import ops

from zoo.layers import activations as lecture_activations
from zoo.validation import check_bool, check_keras_object, check_keras_objects, check_size

SUPPORTED_ACTIVATIONS = (
    "linear",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "softplus",
    "softmax",
)


def _activation_name(activation) -> str:
    """The supported activation name for ``activation`` (a name, a Keras function or None)."""
    if activation is None:
        return "linear"
    if isinstance(activation, str):
        name = activation.lower()
        known = name in SUPPORTED_ACTIVATIONS
    else:  # a function: Keras' own or the lecture table's, never an unknown look-alike
        name = getattr(activation, "__name__", None)
        known = name in SUPPORTED_ACTIVATIONS and (
            activation is keras.activations.get(name)
            or (name in lecture_activations.names() and activation is lecture_activations.get(name))
        )
    if known:
        return name
    shown = ", ".join(repr(n) for n in SUPPORTED_ACTIVATIONS)
    raise ValueError(
        f"activation must be one of {shown} (or None), the activations whose derivative "
        f"ExplicitDense writes by hand; got {activation!r}."
    )


def _forward_activation(name: str):
    """h for the supported ``name``: Keras' function, but leaky ReLU with the package's slope."""
    if name == "leaky_relu":
        return lecture_activations.leaky_relu  # slope LEAKY_RELU_SLOPE (Keras' default is 0.2)
    return keras.activations.get(name)


def _matmul(a, b):
    """a @ b for a of shape (..., i) and b of shape (i, j), keeping float64 exact.

    Under the torch backend `keras.ops.matmul` computes float64 operands in float32 (Keras 3.15);
    `forward`/`backward` in float64 (finite-difference checks) take the einsum route instead.
    """
    if keras.backend.standardize_dtype(a.dtype) == "float64":
        return ops.einsum("...i,ij->...j", a, b)
    return ops.matmul(a, b)


@keras.saving.register_keras_serializable(package="lecture_zoo")
class ExplicitDense(keras.layers.Layer):
    """Fully connected layer ``a = h(x W + b)`` with a hand-written (delta recursion) backward.

    Args:
        units: positive int, the output size n.
        activation: one of `SUPPORTED_ACTIVATIONS` (a name or the Keras function), or ``None``
            for linear. Anything else raises ``ValueError``: its derivative is not written.
        use_bias: add the bias b.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, bias_constraint: as in `keras.layers.Dense`.

    With the same weights and activation its outputs equal `keras.layers.Dense`'s, and so do its
    gradients, though they are computed by `backward` instead of autodiff.

    Example (seed 004's forward example):
        >>> layer = ExplicitDense(3, activation="sigmoid", use_bias=False)
        >>> layer.build((None, 2))
        >>> layer.kernel.assign([[1.2, 2.1, -1.5], [-0.3, -0.7, 0.3]])
        >>> layer.forward([[1.0, -0.5]])            # sigma(1.35, 2.45, -1.65) = 0.79, 0.92, 0.16
    """

    def __init__(
        self,
        units,
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
        self.units = check_size("units", units)
        self.activation_name = _activation_name(activation)
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
        self.input_spec = keras.InputSpec(min_ndim=2)
        self.supports_masking = True
        self._in_layer_call = 0  # > 0 while Layer.__call__ runs (see `forward`)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"ExplicitDense needs a known last input dimension, got shape {input_shape}."
            )
        self.kernel = self.add_weight(
            shape=(input_dim, self.units),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,),
                name="bias",
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.input_spec = keras.InputSpec(min_ndim=2, axes={-1: input_dim})

    # ---------------------------------------------------------------- the two passes, by hand

    def _float_input(self, x):
        x = ops.convert_to_tensor(x)
        if not keras.backend.is_float_dtype(x.dtype):
            x = ops.cast(x, self.compute_dtype)
        return x

    def _weight(self, value, variable, dtype):
        """``value`` (or the layer's ``variable`` when None) as a tensor of ``dtype``."""
        if value is None:
            if variable is None:
                return None
            value = variable
        return ops.cast(ops.convert_to_tensor(value), dtype)

    def _affine_activation(self, x, kernel, bias):
        s = _matmul(x, kernel)
        if bias is not None:
            s = ops.add(s, bias)
        return s, self.activation(s)

    def local_sensitivity(self, upstream, s, a):
        """delta = dL/ds from the upstream gradient g = dL/da: g * h'(s), or softmax's JVP."""
        name = self.activation_name
        if name == "linear":
            return upstream
        if name == "softmax":
            # J = diag(a) - a a^T, so J g = a * (g - <g, a>) for every row.
            inner = ops.sum(ops.multiply(upstream, a), axis=-1, keepdims=True)
            return ops.multiply(a, ops.subtract(upstream, inner))
        return ops.multiply(upstream, lecture_activations.derivative(name)(s))

    def forward(self, x, *args, kernel=None, bias=None, **kwargs):
        """a = h(x W + b), computed in the dtype of ``x`` (the layer's weights unless given).

        A plain function of the weights: no custom gradient, no dtype policy.
        """
        if self._in_layer_call:
            # torch backend: Keras layers are torch Modules, and Layer.__call__ reaches call()
            # through Module.__call__ -> forward; keep that route intact.
            return super().forward(x, *args, **kwargs)
        if args or kwargs:
            raise TypeError(f"forward() takes x, kernel= and bias=; got extra {args or kwargs}.")
        x = self._float_input(x)
        kernel = self._weight(kernel, self.kernel, x.dtype)
        bias = self._weight(bias, self.bias, x.dtype) if self.use_bias else None
        return self._affine_activation(x, kernel, bias)[1]

    def backward(self, x, upstream, *, kernel=None, bias=None, cache=None, input_gradient=True):
        """The delta recursion: returns ``(dx, dkernel, dbias)`` for the upstream dL/da.

        Args:
            x: the layer's input, shape (..., m).
            upstream: dL/da, the gradient flowing in from above, shape (..., n).
            kernel, bias: weights to use (default: the layer's), cast to the dtype of ``x``.
            cache: the forward pass's ``(s, a)``, to skip recomputing it (the training path
                passes it); ``None`` recomputes the forward pass.
            input_gradient: compute ``dx``; ``False`` returns ``None`` for it and saves a
                matmul, e.g. in the first layer, whose inputs need no gradient.

        ``dbias`` is ``None`` when ``use_bias=False``.
        """
        x = self._float_input(x)
        kernel = self._weight(kernel, self.kernel, x.dtype)
        if cache is None:
            bias = self._weight(bias, self.bias, x.dtype) if self.use_bias else None
            cache = self._affine_activation(x, kernel, bias)
        s, a = cache
        upstream = ops.cast(ops.convert_to_tensor(upstream), a.dtype)

        delta = self.local_sensitivity(upstream, s, a)
        dx = _matmul(delta, ops.transpose(kernel)) if input_gradient else None
        if len(x.shape) == 2:
            x_rows, delta_rows = x, delta
        else:  # every leading position is one more sample for the weight gradient
            x_rows = ops.reshape(x, (-1, int(kernel.shape[0])))
            delta_rows = ops.reshape(delta, (-1, int(kernel.shape[1])))
        dkernel = _matmul(ops.transpose(x_rows), delta_rows)
        dbias = ops.sum(delta_rows, axis=0) if self.use_bias else None
        return dx, dkernel, dbias

    def _with_explicit_gradient(self, x, kernel, *bias):
        """Forward pass returning ``(a, grad_fn)`` for `keras.ops.custom_gradient`."""
        s, a = self._affine_activation(x, kernel, bias[0] if bias else None)

        def grad_fn(*args, upstream=None):
            # TensorFlow and JAX call grad_fn(upstream); torch calls grad_fn(*inputs, upstream=).
            if upstream is None:
                (upstream,) = args
            # Eager torch prunes nothing: skip dx where the input needs no gradient (graph
            # backends drop the unused matmul themselves and have no such flag).
            input_gradient = getattr(x, "requires_grad", True)
            dx, dkernel, dbias = self.backward(
                x, upstream, kernel=kernel, cache=(s, a), input_gradient=input_gradient
            )
            return (dx, dkernel, dbias) if bias else (dx, dkernel)

        return a, grad_fn

    # ---------------------------------------------------------------- Keras layer API

    def __call__(self, *args, **kwargs):
        self._in_layer_call += 1
        try:
            return super().__call__(*args, **kwargs)
        finally:
            self._in_layer_call -= 1

    def call(self, inputs):
        x = self._float_input(inputs)
        if x.dtype != self.compute_dtype:
            x = ops.cast(x, self.compute_dtype)
        params = [ops.cast(ops.convert_to_tensor(self.kernel), self.compute_dtype)]
        if self.use_bias:
            params.append(ops.cast(ops.convert_to_tensor(self.bias), self.compute_dtype))
        return ops.custom_gradient(self._with_explicit_gradient)(x, *params)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-1], self.units)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
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
