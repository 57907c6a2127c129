"""gradcheck: the gradient a layer back-propagates, against central differences in float64.

    >>> from zoo.layers import ExplicitDense, gradcheck
    >>> layer = ExplicitDense(3, activation="sigmoid")
    >>> result = gradcheck(layer, np.random.default_rng(0).standard_normal((2, 4)))
    >>> result.passed(), result.max_error          # (True, ~1e-10)
    >>> print(result)                              # one line per weight path and input

For the scalar ``L = sum(upstream * f(x))`` (``upstream`` a fixed random tensor unless given),
`gradcheck` compares

- the analytic gradient: the backend's autodiff through the layer's ``call`` (TensorFlow's
  ``GradientTape``, ``jax.grad`` or ``torch.autograd``), i.e. exactly what backpropagation and
  ``fit`` use. For the ``Explicit*`` layers that is their ``keras.ops.custom_gradient``, so the
  check covers the hand-written ``backward``;
- the numeric gradient: central differences ``(L(t + eps) - L(t - eps)) / (2 eps)`` for every
  element t of every trainable weight and every floating-point input (the difference of the two
  outputs is taken before the sum, so the large sum L does not cancel).

Everything runs in float64: a layer is copied through ``from_config(get_config())`` with every
floating dtype policy in its config set to ``float64`` (and its initializers to zeros), and
given the layer's weights cast to float64 (the layer itself is left untouched; an unbuilt layer
is first built by calling it on the inputs). While the check runs, `keras.config.floatx` and
the global dtype policy are ``float64`` (and JAX's 64-bit mode is on); all three are restored
afterwards.

The error of one tensor is the largest element-wise relative error (the cs231n criterion)

    max over elements of |a - n| / max(|a|, |n|, tiny),
    tiny = max(`FLOOR` * max over the tensor's elements of max(|a|, |n|), `TINY`),

with ``FLOOR`` = 1e-2 and ``TINY`` = 1e-10. The floor keeps entries whose true gradient is (almost)
zero from dividing round-off by round-off: with ``eps`` = 1e-6 the numeric gradient carries
round-off of about 1e-10 to 1e-9 of the tensor's largest entry (measured on small conv layers),
so the plain formula (``relative_error(a, n, floor=0)``) reports ~1e-6 for an entry that happens
to be 1e-4 of the largest one, however right it is. Entries below 1 % of the largest are thus
judged by their absolute error against 1 % of it. Read the error as: below 1e-7 fine; 1e-7 to
1e-4 suspicious (look closer); above 1e-4 wrong, for smooth functions. Kinks (relu at 0, the
arg-max of max pooling, ties) may exceed it legitimately when an input sits within ``eps`` of
one: keep test inputs away from kinks.

A `RuntimeWarning` says so when an output does not come back in float64. Keras 3.15's JAX
``ops.sin`` and ``ops.tanh`` compute float64 in float32; where such a value is later mixed with
float64 (``sin(x) * x``) the output is float64 again and only the large error shows it. Under
the torch backend, code that multiplies float64 with ``keras.ops.matmul`` (Keras' ``Dense``) is
rounded to float32 by Keras (see ``zoo.layers.explicit_dense._matmul``): central differences of
such a layer are float32 rounding there, and the errors (up to ~1) say nothing about its
gradient; check it under TensorFlow or JAX.
"""

from __future__ import annotations

import contextlib
import dataclasses
import types
import warnings
from collections.abc import Mapping

import keras
import numpy as np

from zoo.validation import check_number, check_seed

TINY = 1e-10
"""The absolute floor of the relative error's denominator (see the module docstring)."""

FLOOR = 1e-2
"""The relative floor of the denominator: this fraction of the tensor's largest gradient."""


@dataclasses.dataclass(frozen=True)
class GradcheckResult:
    """What `gradcheck` found: relative errors keyed by weight path and by input name.

    Attributes:
        weights: ``{variable path: relative error}`` for every trainable weight (in
            ``layer.trainable_weights`` order; empty for a function).
        inputs: ``{"inputs": error}`` for a single input, ``{"inputs[0]": ..., ...}`` for a
            list or tuple of inputs (non-float inputs are skipped).
        eps: the central-difference step.
        analytic, numeric: the two gradients, as float64 NumPy arrays under the same keys.
    """

    weights: Mapping[str, float]
    inputs: Mapping[str, float]
    eps: float
    analytic: Mapping[str, np.ndarray] = dataclasses.field(repr=False, compare=False)
    numeric: Mapping[str, np.ndarray] = dataclasses.field(repr=False, compare=False)

    @property
    def errors(self) -> Mapping[str, float]:
        """Weights' and inputs' errors together."""
        return types.MappingProxyType({**self.weights, **self.inputs})

    @property
    def max_error(self) -> float:
        """The largest relative error over all weights and inputs (0.0 when there are none)."""
        return max(self.errors.values(), default=0.0)

    def passed(self, tolerance: float = 1e-6) -> bool:
        """Whether every relative error is at most ``tolerance``."""
        return self.max_error <= tolerance

    def __str__(self) -> str:
        lines = [f"gradcheck (central differences, eps={self.eps:g}, float64):"]
        lines += [f"  {name}: relative error {error:.3e}" for name, error in self.errors.items()]
        lines.append(f"  max: {self.max_error:.3e}")
        return "\n".join(lines)


def relative_error(analytic, numeric, *, floor: float = FLOOR, tiny: float = TINY) -> float:
    """``max |a - n| / max(|a|, |n|, tiny)`` over the elements, ``tiny`` = the larger of
    ``floor`` times the largest ``|a|`` or ``|n|`` and the absolute ``tiny`` (0.0 for empty
    arrays). ``floor=0`` gives the plain cs231n formula."""
    a = np.asarray(analytic, np.float64)
    n = np.asarray(numeric, np.float64)
    if a.size == 0:
        return 0.0
    magnitude = np.maximum(np.abs(a), np.abs(n))
    denominator = np.maximum(magnitude, max(floor * float(np.max(magnitude)), tiny))
    return float(np.max(np.abs(a - n) / denominator))


# ------------------------------------------------------------------------ float64 set-up


@contextlib.contextmanager
def float64_mode():
    """floatx and the global dtype policy float64 (JAX: its 64-bit mode, without which it
    computes in float32), restored afterwards: where `gradcheck` runs, and where a float64
    comparison of a hand-written backward pass should (the examples use it)."""
    floatx = keras.config.floatx()
    policy = keras.config.dtype_policy()
    with contextlib.ExitStack() as stack:
        if keras.backend.backend() == "jax":
            import jax

            stack.enter_context(jax.enable_x64(True))
        try:
            keras.config.set_floatx("float64")
            keras.config.set_dtype_policy("float64")
            yield
        finally:
            keras.config.set_floatx(floatx)
            keras.config.set_dtype_policy(policy)


_FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")


def _is_float_policy(value) -> bool:
    if isinstance(value, str):
        return value in _FLOAT_DTYPES or value.startswith("mixed_")
    if isinstance(value, dict) and value.get("class_name") in ("DTypePolicy", "FloatDTypePolicy"):
        return _is_float_policy(value.get("config", {}).get("name"))
    return False


def _float64_value(key, value):
    if key == "dtype" and _is_float_policy(value):
        return "float64"
    if key.endswith("_initializer") and isinstance(value, (str, dict)):
        return "zeros"  # set_weights overwrites every weight; random initializers are slow to
        # compile under JAX for every new shape
    return _float64_config(value)


def _float64_config(config):
    """``config`` with every floating ``dtype`` entry (nested ones too) set to ``"float64"``,
    and every ``*_initializer`` to ``"zeros"`` (the copy receives the layer's weights)."""
    if isinstance(config, dict):
        return {key: _float64_value(key, value) for key, value in config.items()}
    if isinstance(config, (list, tuple)):
        return type(config)(_float64_config(value) for value in config)
    return config


def _float64_copy(layer, inputs):
    """A float64 copy of ``layer``, built, holding ``layer``'s weights cast to float64."""
    if not layer.built:
        layer(inputs)  # float32 build: the copy takes these initial weights
    weights = [
        w.astype(np.float64) if np.issubdtype(w.dtype, np.floating) else w
        for w in layer.get_weights()
    ]
    try:
        clone = layer.__class__.from_config(_float64_config(layer.get_config()))
    except Exception as error:  # any failure means: no float64 copy
        raise ValueError(
            f"gradcheck copies the layer in float64 with from_config(get_config()); that failed "
            f"for {layer.__class__.__name__}: {error}"
        ) from error
    try:  # build from the shapes: cheaper than an eager call (JAX compiles every eager op)
        clone.build(_structure(inputs, [tuple(np.shape(x)) for x in _flat(inputs)]))
    except Exception:  # some layers build only when called
        clone = layer.__class__.from_config(_float64_config(layer.get_config()))
    if not clone.built:
        clone(_structure(inputs, [_tensor(x) for x in _flat(inputs)]))
    clone.set_weights(weights)
    return clone


# ------------------------------------------------------------------------ backend switch


def _tensor(value):
    return keras.ops.convert_to_tensor(value)


def _numpy(value) -> np.ndarray:
    with warnings.catch_warnings():  # Keras 3.15's torch conversion warns under NumPy 2
        warnings.simplefilter("ignore", DeprecationWarning)
        return np.asarray(keras.ops.convert_to_numpy(value))


def _autodiff(loss, params):
    """d loss(params) / d params[k] for every k, with the backend's own autodiff."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        params = [tf.convert_to_tensor(p) for p in params]
        with tf.GradientTape() as tape:
            tape.watch(params)
            value = loss(params)
        grads = tape.gradient(value, params, unconnected_gradients=tf.UnconnectedGradients.ZERO)
        return [np.asarray(tf.convert_to_tensor(g)) for g in grads]
    if backend == "jax":
        import jax

        grads = jax.jit(jax.grad(loss))([_tensor(p) for p in params])
        return [np.asarray(g) for g in grads]
    if backend == "torch":
        import torch

        params = [_tensor(p).detach().requires_grad_(True) for p in params]
        grads = torch.autograd.grad(loss(params), params, allow_unused=True)
        return [
            np.zeros(tuple(p.shape)) if g is None else g.detach().cpu().numpy()
            for p, g in zip(params, grads, strict=True)
        ]
    raise ValueError(f"gradcheck needs autodiff; the {backend!r} backend has none.")


def vjp(function, inputs, upstream) -> list[np.ndarray]:
    """The gradients of ``sum(function(*inputs) * upstream)`` with respect to every input, by
    the backend's autodiff: what backpropagation computes, to compare a hand-written backward
    pass with (the examples do). ``inputs`` and ``upstream`` are arrays; their dtypes are kept.

    Example: ``vjp(layer.forward, [x], upstream)`` -> ``[dL/dx]``.
    """
    upstream = np.asarray(upstream)

    def loss(tensors):
        return keras.ops.sum(keras.ops.multiply(function(*tensors), _tensor(upstream)))

    return _autodiff(loss, [np.asarray(x) for x in inputs])


def _compiled(function):
    """``function`` (list of tensors -> list of tensors) compiled where the backend can."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return jax.jit(function)
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(function)
    if backend == "torch":
        import torch

        def without_grad(params):
            with torch.no_grad():
                return function(params)

        return without_grad
    return function


# ------------------------------------------------------------------------ inputs and outputs


def _flat(inputs):
    return list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]


def _structure(inputs, flat):
    return type(inputs)(flat) if isinstance(inputs, (list, tuple)) else flat[0]


def _as_float64(value):
    array = np.asarray(keras.ops.convert_to_numpy(value))
    return array.astype(np.float64) if np.issubdtype(array.dtype, np.floating) else array


def _upstream_for(outputs, upstream, seed):
    if upstream is None:
        rng = np.random.default_rng(seed)
        return [rng.standard_normal(tuple(o.shape)) for o in outputs]
    given = [np.asarray(u, np.float64) for u in keras.tree.flatten(upstream)]
    shapes = [tuple(o.shape) for o in outputs]
    if [u.shape for u in given] != shapes:
        raise ValueError(
            f"upstream must match the outputs' shapes {shapes}, got {[u.shape for u in given]}."
        )
    return given


def gradcheck(layer_or_function, inputs, *, upstream=None, eps=1e-6, seed=0) -> GradcheckResult:
    """Check the gradient of a layer or a function against central differences in float64.

    Args:
        layer_or_function: a ``keras.layers.Layer`` (a model too), called as
            ``layer(inputs)``; gradients w.r.t. every trainable weight and every float input.
            Or a function of tensors called as ``f(*inputs)`` (``f(inputs)`` for one input);
            gradients w.r.t. its float inputs. It must use ``keras.ops`` (or the backend's
            differentiable ops).
        inputs: an array (or tensor), or a list/tuple of them. Kept small: each element costs
            two forward passes.
        upstream: dL/d(output), the tensor(s) L = sum(upstream * output) is built with; by
            default standard normal with ``seed``. Its structure must flatten like the outputs'.
        eps: the central-difference step (1e-6 balances float64 truncation and round-off).
        seed: the seed of the default ``upstream``.

    Returns:
        A `GradcheckResult`: relative error per weight path and per input, ``.max_error``,
        ``.passed(tolerance=1e-6)``.
    """
    eps = check_number("eps", eps, low=0.0, low_open=True)
    seed = check_seed("seed", seed)
    is_layer = isinstance(layer_or_function, keras.layers.Layer)
    if not is_layer and not callable(layer_or_function):
        raise ValueError(
            f"layer_or_function must be a keras.layers.Layer or a callable, got "
            f"{layer_or_function!r}."
        )
    flat_inputs = [_as_float64(x) for x in _flat(inputs)]
    input_names = (
        [f"inputs[{k}]" for k in range(len(flat_inputs))]
        if isinstance(inputs, (list, tuple))
        else ["inputs"]
    )
    differentiable = [k for k, x in enumerate(flat_inputs) if np.issubdtype(x.dtype, np.floating)]

    with float64_mode():
        if is_layer:
            layer = _float64_copy(layer_or_function, _structure(inputs, flat_inputs))
            weight_names = [v.path for v in layer_or_function.trainable_weights]
            weights = [_numpy(v.value).astype(np.float64) for v in layer.trainable_variables]
            non_trainable = [v.value for v in layer.non_trainable_variables]
            num_weights = len(weights)

            def outputs_of(params):
                xs = list(params[num_weights:])
                args = [_tensor(x) for x in flat_inputs]
                for k, x in zip(differentiable, xs, strict=True):
                    args[k] = x
                out, _ = layer.stateless_call(
                    list(params[:num_weights]), non_trainable, _structure(inputs, args)
                )
                return keras.tree.flatten(out)
        else:
            function = layer_or_function
            weight_names, weights, num_weights = [], [], 0

            def outputs_of(params):
                args = [_tensor(x) for x in flat_inputs]
                for k, x in zip(differentiable, params, strict=True):
                    args[k] = x
                return keras.tree.flatten(function(*args))

        params = [*weights, *(flat_inputs[k] for k in differentiable)]
        names = [*weight_names, *(input_names[k] for k in differentiable)]
        current = [_tensor(p) for p in params]
        evaluate = _compiled(outputs_of)
        try:
            outputs = evaluate(current)
        except Exception:  # not compilable (Python control flow on values): run eagerly
            evaluate = outputs_of
            outputs = evaluate(current)
        outputs = [_numpy(o) for o in outputs]
        rounded = [str(o.dtype) for o in outputs if o.dtype != np.float64]
        if rounded:
            warnings.warn(
                f"gradcheck: outputs computed in {rounded}, not float64, so the differences "
                "are rounded (e.g. Keras 3.15's ops.tanh demotes float64 under JAX); the "
                "errors reflect that rounding, not the gradient.",
                RuntimeWarning,
                stacklevel=2,
            )
        upstream_arrays = _upstream_for(outputs, upstream, seed)

        def loss(tensors):
            total = 0.0
            for out, u in zip(outputs_of(tensors), upstream_arrays, strict=True):
                total = total + keras.ops.sum(keras.ops.multiply(out, _tensor(u)))
            return total

        analytic = _autodiff(loss, params)

        numeric = []
        for k, array in enumerate(params):
            grad = np.zeros(array.shape)
            for index in np.ndindex(array.shape):
                shifted = []
                for step in (eps, -eps):
                    # A fresh array each time: JAX may share the NumPy buffer (and runs
                    # asynchronously), so changing one in place could change the input of a
                    # computation still running.
                    point = array.copy()
                    point[index] += step
                    current[k] = _tensor(point)
                    shifted.append([_numpy(o) for o in evaluate(current)])
                up, down = shifted
                grad[index] = sum(
                    float(np.sum(u * (o_up - o_down)))
                    for u, o_up, o_down in zip(upstream_arrays, up, down, strict=True)
                ) / (2 * eps)
            current[k] = _tensor(array)
            numeric.append(grad)

    errors = {
        name: relative_error(a, n) for name, a, n in zip(names, analytic, numeric, strict=True)
    }
    return GradcheckResult(
        weights=types.MappingProxyType({n: errors[n] for n in names[:num_weights]}),
        inputs=types.MappingProxyType({n: errors[n] for n in names[num_weights:]}),
        eps=eps,
        analytic=types.MappingProxyType(dict(zip(names, analytic, strict=True))),
        numeric=types.MappingProxyType(dict(zip(names, numeric, strict=True))),
    )
