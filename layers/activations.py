"""The lecture activation table as functions of tensors, each with its derivative h'.

Every function takes a tensor (or array) and returns ``h(x)`` elementwise with ``keras.ops``, so
it runs under every backend; ``<name>_derivative`` returns ``h'(x)``, and ``derivative(name)``
looks the derivative up by name (``get(name)`` the function). Table (J. Zhang's notes, after
S. Raschka; the ReLU family of the EE599 notes):

| name | h(x) | h'(x) |
| --- | --- | --- |
| heaviside | 0 (x<0), 0.5 (x=0), 1 (x>0) | 0 |
| sign | -1 (x<0), 0 (x=0), 1 (x>0) | 0 |
| linear | x | 1 |
| piecewise_linear | 0 (x<=-1/2), x+1/2, 1 (x>=1/2) | 1 on (-1/2, 1/2), else 0 |
| sigmoid | 1 / (1 + e^-x) | h (1 - h) |
| tanh | (e^x - e^-x) / (e^x + e^-x) | 1 - h^2 |
| relu | max(0, x) | 1 (x>0), else 0 |
| softplus | ln(1 + e^x) | sigmoid(x) |
| leaky_relu | x (x>=0), a x (x<0), a = `LEAKY_RELU_SLOPE` = 0.01 | 1 (x>0), else a |
| elu | x (x>=0), alpha (e^x - 1) (x<0) | 1 (x>0), else alpha e^x |

The leaky ReLU slope is `LEAKY_RELU_SLOPE` = 0.01 (Maas, Hannun & Ng 2013; the lecture 004
table's "a = 100", i.e. x/a for x < 0), the one slope of the whole package: `ExplicitDense` and the
builders' ``activation="leaky_relu"`` use it too. Keras' own ``leaky_relu`` defaults to 0.2.

At the kinks (where h is not differentiable) the derivative takes the value the notes allow
("anything in [0, 1]"): the right-hand value only where x > 0, like TensorFlow's gradients.

Example:
    >>> from zoo.layers import activations
    >>> activations.heaviside([-1.0, 0.0, 2.0])            # [0, 0.5, 1]
    >>> activations.derivative("sigmoid")([0.0])           # [0.25]
"""

from __future__ import annotations

from keras import backend, ops

__all__ = [
    "LEAKY_RELU_SLOPE",
    "derivative",
    "elu",
    "elu_derivative",
    "get",
    "heaviside",
    "heaviside_derivative",
    "leaky_relu",
    "leaky_relu_derivative",
    "linear",
    "linear_derivative",
    "names",
    "piecewise_linear",
    "piecewise_linear_derivative",
    "relu",
    "relu_derivative",
    "sigmoid",
    "sigmoid_derivative",
    "sign",
    "sign_derivative",
    "softplus",
    "softplus_derivative",
    "tanh",
    "tanh_derivative",
]

LEAKY_RELU_SLOPE = 0.01
"""The negative slope of leaky ReLU everywhere in the package (Maas et al. 2013: 0.01)."""


def _float(x):
    x = ops.convert_to_tensor(x)
    if not backend.is_float_dtype(x.dtype):
        x = ops.cast(x, backend.floatx())
    return x


def _const(value, like):
    """``value`` as a tensor of ``like``'s dtype (keeps float64 exact under torch)."""
    return ops.convert_to_tensor(value, dtype=like.dtype)


def _mask(condition, like):
    return ops.cast(condition, like.dtype)


def heaviside(x):
    """Unit step: 0 for x < 0, 0.5 at 0, 1 for x > 0."""
    x = _float(x)
    return ops.add(ops.multiply(ops.sign(x), 0.5), 0.5)


def heaviside_derivative(x):
    """0 everywhere (undefined at 0)."""
    return ops.zeros_like(_float(x))


def sign(x):
    """Signum: -1 for x < 0, 0 at 0, 1 for x > 0."""
    return ops.sign(_float(x))


def sign_derivative(x):
    """0 everywhere (undefined at 0)."""
    return ops.zeros_like(_float(x))


def linear(x):
    """Identity: x."""
    return _float(x)


def linear_derivative(x):
    """1 everywhere."""
    return ops.ones_like(_float(x))


def piecewise_linear(x):
    """0 for x <= -1/2, x + 1/2 in between, 1 for x >= 1/2."""
    return ops.clip(ops.add(_float(x), 0.5), 0.0, 1.0)


def piecewise_linear_derivative(x):
    """1 on (-1/2, 1/2), 0 elsewhere."""
    x = _float(x)
    return _mask(ops.less(ops.abs(x), 0.5), x)


def sigmoid(x):
    """Logistic function 1 / (1 + e^-x)."""
    return ops.sigmoid(_float(x))


def sigmoid_derivative(x):
    """sigmoid(x) (1 - sigmoid(x))."""
    s = ops.sigmoid(_float(x))
    return ops.multiply(s, ops.subtract(1.0, s))


def tanh(x):
    """Hyperbolic tangent."""
    return ops.tanh(_float(x))


def tanh_derivative(x):
    """1 - tanh(x)^2."""
    return ops.subtract(1.0, ops.square(ops.tanh(_float(x))))


def relu(x):
    """max(0, x)."""
    return ops.relu(_float(x))


def relu_derivative(x):
    """1 for x > 0, else 0."""
    x = _float(x)
    return _mask(ops.greater(x, 0), x)


def softplus(x):
    """ln(1 + e^x), computed stably."""
    return ops.softplus(_float(x))


def softplus_derivative(x):
    """sigmoid(x)."""
    return ops.sigmoid(_float(x))


def leaky_relu(x, negative_slope=LEAKY_RELU_SLOPE):
    """x for x >= 0, negative_slope * x for x < 0 (Maas et al. 2013: slope 0.01)."""
    x = _float(x)
    return ops.where(ops.greater_equal(x, 0), x, ops.multiply(x, _const(negative_slope, x)))


def leaky_relu_derivative(x, negative_slope=LEAKY_RELU_SLOPE):
    """1 for x > 0, else negative_slope."""
    x = _float(x)
    slope = ops.multiply(ops.ones_like(x), _const(negative_slope, x))
    return ops.where(ops.greater(x, 0), ops.ones_like(x), slope)


def _negative_part(x):
    # min(x, 0) via where: keeps the dtype (Keras' torch minimum drops float64 to float32).
    return ops.where(ops.less(x, 0), x, ops.zeros_like(x))


def elu(x, alpha=1.0):
    """x for x >= 0, alpha (e^x - 1) for x < 0 (Clevert et al. 2015)."""
    x = _float(x)
    negative = ops.multiply(_const(alpha, x), ops.expm1(_negative_part(x)))
    return ops.where(ops.greater_equal(x, 0), x, negative)


def elu_derivative(x, alpha=1.0):
    """1 for x > 0, else alpha e^x."""
    x = _float(x)
    return ops.where(
        ops.greater(x, 0),
        ops.ones_like(x),
        ops.multiply(_const(alpha, x), ops.exp(_negative_part(x))),
    )


_TABLE = {
    "heaviside": (heaviside, heaviside_derivative),
    "sign": (sign, sign_derivative),
    "linear": (linear, linear_derivative),
    "piecewise_linear": (piecewise_linear, piecewise_linear_derivative),
    "sigmoid": (sigmoid, sigmoid_derivative),
    "tanh": (tanh, tanh_derivative),
    "relu": (relu, relu_derivative),
    "softplus": (softplus, softplus_derivative),
    "leaky_relu": (leaky_relu, leaky_relu_derivative),
    "elu": (elu, elu_derivative),
}


def names() -> list[str]:
    """The activation names of the table, in the table's order."""
    return list(_TABLE)


def _lookup(name, index: int):
    if callable(name):
        for entry in _TABLE.values():
            if name is entry[0]:
                return entry[index]
    elif isinstance(name, str) and name.lower() in _TABLE:
        return _TABLE[name.lower()][index]
    raise ValueError(
        f"activation must be one of {', '.join(repr(n) for n in _TABLE)}; got {name!r}."
    )


def get(name):
    """The activation function h called ``name`` (or ``h`` itself if it is one of the table)."""
    return _lookup(name, 0)


def derivative(name):
    """The derivative h' of the activation ``name`` (a table name or one of its functions).

    Raises:
        ValueError: ``name`` is not in the table.
    """
    return _lookup(name, 1)
