"""ExplicitSimpleRNN: the Elman RNN with back-propagation through time written out by hand.

Forward (seed 000 eq. 30, seed 004 "Vanilla RNN"), for inputs x of shape (batch, T, d), with
rows as samples (the notes' column vectors transposed) and h_0 = 0:

    s_t = x_t W + h_{t-1} U + b        pre-activation, t = 1..T
    h_t = act(s_t)                     the state; the layer's output is h_T (or h_1..h_T)

W is ``kernel`` (d, n), U is ``recurrent_kernel`` (n, n), b is ``bias`` (n,): the layout and the
names of `keras.layers.SimpleRNN`, so the two take the same weights. Seed 000 writes
h_t = act(W h_{t-1} + U x_t + b) with the letters the other way round: its recurrent W is our
U^T and its input U our W^T.

Backward, back-propagation through time (seed 000 eq. 34-36, seed 004 "BPTT"), given the
upstream gradient u_t = dL/dh_t that reaches each state from above (zero except at t = T when
only the last state is returned):

    g_t     = u_t + delta_{t+1} U^T     dL/dh_t: from above and from the next step (g_{T+1} = 0)
    delta_t = g_t * act'(s_t)           local sensitivity dL/ds_t
    dW      = sum_t x_t^T delta_t       the weights are shared by all steps (eq. 35): every
    dU      = sum_t h_{t-1}^T delta_t     step adds its term
    db      = sum_t sum over the batch of delta_t
    dx_t    = delta_t W^T

Unrolling g_t gives eq. 36-38: dL/dh_t = dL/dh_T [prod_{tau=T..t+1} diag(act'(s_tau)) U^T], the
same U^T T - t times; for a linear activation dL/dh_t = dL/dh_T (U^T)^(T-t). So the gradient
shrinks geometrically going back in time when the spectral radius of U (times the largest
act', 1/4 for the sigmoid, 1 for tanh) is below one, and grows when it is above: the vanishing
and exploding gradients of seed 000 section 3.2 and seed 004. `gradient_norms` returns
||dL/dh_t|| for every t to show it.

The backward pass is wired in with `keras.ops.custom_gradient`, so `model.fit` trains the layer
with exactly these formulas, not with the backend's autodiff. `forward` and `backward` expose
the two passes for teaching (e.g. in float64 against finite differences), and
`state_gradients` the g_t.

Both recursions (forward over t = 1..T, backward over t = T..1) run as one loop over the time
axis, chosen by ``unroll`` as in `keras.layers.SimpleRNN`: ``False`` (default) is
`keras.ops.scan`, a symbolic loop (``jax.lax.scan`` under JAX, a while loop under TensorFlow;
torch's is a Python loop), which works when the sequence length is unknown until run time;
``True`` is a plain Python loop over the known steps, the network unrolled in time as in the
lectures' figures (cheaper for short sequences and for eager calls, which under JAX compile
every ``lax.scan`` anew; longer to compile under ``jit`` for long ones; a length unknown when
traced falls back to the scan). Everything that is not a recursion is one batched product over
all steps: x W + b before the forward loop, and delta, dW, dU, db, dx after the backward one.

Masking (``keras.layers.Masking``, ``Embedding(mask_zero=True)``) is supported as in
`keras.layers.SimpleRNN`: at a masked step the state is carried over unchanged (h_t = h_{t-1}),
and with ``return_sequences=True`` the output there is that carried state. The backward pass
then routes g_t straight to h_{t-1} at a masked step (delta_t = 0 there), and with
``return_sequences=True`` the mask is passed on.

Supported activations (each with a hand-written derivative from the lecture table,
`zoo.layers.activations`, the same as `ExplicitDense`'s): linear (``None``), sigmoid, tanh
(the default, as in SimpleRNN), relu, leaky_relu (slope 0.01, the package's), elu, softplus. No
softmax: the state update is element-wise.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from zoo.layers import activations as lecture_activations
from zoo.layers.explicit_dense import (
    SUPPORTED_ACTIVATIONS,
    _activation_name,
    _forward_activation,
    _matmul,
)
from zoo.validation import check_bool, check_keras_object, check_keras_objects, check_size

__all__ = ["RNN_ACTIVATIONS", "ExplicitSimpleRNN", "gradient_norms"]

RNN_ACTIVATIONS = tuple(name for name in SUPPORTED_ACTIVATIONS if name != "softmax")
"""The state activations ExplicitSimpleRNN differentiates by hand (ExplicitDense's, no softmax)."""


def _rnn_activation_name(activation) -> str:
    try:
        name = _activation_name(activation)
    except ValueError:
        name = None
    if name in RNN_ACTIVATIONS:
        return name
    shown = ", ".join(repr(n) for n in RNN_ACTIVATIONS)
    raise ValueError(
        f"activation must be one of {shown} (or None for linear), the element-wise activations "
        f"whose derivative ExplicitSimpleRNN writes by hand; got {activation!r}."
    )


def _time_major(x):
    """(batch, T, ...) -> (T, batch, ...) for `keras.ops.scan`, which scans the first axis."""
    return ops.moveaxis(x, 1, 0)


def _batch_major(x):
    return ops.moveaxis(x, 0, 1)


def _recur(step, init, elems, *, reverse=False, unroll=False):
    """``carry, ys = step(carry, elems[t])`` over the first axis of ``elems`` (t = T-1..0 when
    ``reverse``), the ``ys`` stacked in step order: `keras.ops.scan`, or with ``unroll`` (and a
    known length) a Python loop."""
    length = keras.tree.flatten(elems)[0].shape[0]
    if length is None:
        step, elems = _one_sequence(step, elems)
    if not unroll or length is None:
        return ops.scan(step, init, elems, reverse=reverse)
    carry, ys = init, []
    for t in reversed(range(length)) if reverse else range(length):
        carry, y = step(carry, keras.tree.map_structure(lambda e, t=t: e[t], elems))
        ys.append(y)
    if reverse:
        ys.reverse()
    return carry, keras.tree.map_structure(lambda *y: ops.stack(y), *ys)


def _one_sequence(step, elems):
    """``(step, elems)`` rewritten to scan one tensor: the sequences of ``elems``, (T, batch, k)
    each, concatenated on the last axis (booleans as 0/1), split again inside the step.

    Keras 3.15's TensorFlow scan fails on several sequences whose length is unknown (it
    compares their lengths through ``None.assert_is_compatible_with``); one sequence passes.
    """
    flat = keras.tree.flatten(elems)
    if len(flat) == 1:
        return step, elems
    dtype = next(e.dtype for e in flat if keras.backend.standardize_dtype(e.dtype) != "bool")
    dtypes = [keras.backend.standardize_dtype(e.dtype) for e in flat]
    splits = np.cumsum([int(e.shape[-1]) for e in flat])[:-1].tolist()
    packed = ops.concatenate([ops.cast(e, dtype) for e in flat], axis=-1)

    def unpacking_step(carry, packed_t):
        parts = ops.split(packed_t, splits, axis=-1)
        parts = [
            ops.greater(p, 0) if d == "bool" else ops.cast(p, d)
            for p, d in zip(parts, dtypes, strict=True)
        ]
        return step(carry, keras.tree.pack_sequence_as(elems, parts))

    return unpacking_step, packed


def _rows(x):
    """(batch, T, k) -> (batch * T, k): every step of every sequence is one sample."""
    return ops.reshape(x, (-1, int(x.shape[-1])))


@keras.saving.register_keras_serializable(package="lecture_zoo")
class ExplicitSimpleRNN(keras.layers.Layer):
    """Elman RNN ``h_t = act(x_t W + h_{t-1} U + b)`` with a hand-written BPTT backward.

    Args:
        units: positive int, the state size n.
        activation: one of `RNN_ACTIVATIONS` (a name or the Keras function), ``None`` for
            linear; default ``"tanh"``. Anything else raises ``ValueError``.
        use_bias: add the bias b.
        return_sequences: return every state h_1..h_T, shape (batch, T, n), instead of the last
            one h_T, shape (batch, n).
        unroll: run the time loops as a Python loop over the known steps instead of
            `keras.ops.scan` (see the module docstring); the results are the same.
        kernel_initializer, recurrent_initializer, bias_initializer, kernel_regularizer,
        recurrent_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
        recurrent_constraint, bias_constraint: as in `keras.layers.SimpleRNN` (same defaults:
            glorot_uniform, orthogonal, zeros).

    Inputs are (batch, T, d) with d known; a mask of shape (batch, T) is honoured as in
    `keras.layers.SimpleRNN` (see the module docstring). There is no dropout, ``initial_state``,
    ``go_backwards`` or ``stateful``: h_0 is zero, as in the lectures. With the same weights
    the outputs, and the gradients (computed by `backward` instead of autodiff), equal
    `keras.layers.SimpleRNN`'s.

    Example:
        >>> layer = ExplicitSimpleRNN(4, activation="tanh", return_sequences=True)
        >>> x = np.random.default_rng(0).standard_normal((2, 5, 3)).astype("float32")
        >>> layer.build((None, 5, 3))
        >>> states = layer.forward(x)                               # (2, 5, 4): h_1..h_5
        >>> dx, dkernel, drecurrent, dbias = layer.backward(x, np.ones((2, 5, 4), "float32"))
        >>> gradient_norms(layer, x)                                # ||dL/dh_t||, t = 1..5
    """

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        return_sequences=False,
        unroll=False,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        activity_regularizer = check_keras_object(
            "activity_regularizer", activity_regularizer, "regularizer"
        )
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = check_size("units", units)
        self.activation_name = _rnn_activation_name(activation)
        self.activation = _forward_activation(self.activation_name)
        self.use_bias = check_bool("use_bias", use_bias)
        self.return_sequences = check_bool("return_sequences", return_sequences)
        self.unroll = check_bool("unroll", unroll)
        objects = check_keras_objects(
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
        )
        for name, value in objects.items():
            setattr(self, name, value)
        self.input_spec = keras.InputSpec(ndim=3)
        self.supports_masking = True
        self._in_layer_call = 0  # > 0 while Layer.__call__ runs (see `forward`)

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                "ExplicitSimpleRNN takes sequences of shape (batch, time, features) with a known "
                f"number of features, got shape {tuple(input_shape)}."
            )
        if input_shape[1] == 0:
            raise ValueError(
                f"ExplicitSimpleRNN needs at least one time step, got shape {tuple(input_shape)}."
            )
        input_dim = int(input_shape[-1])
        self.kernel = self.add_weight(
            shape=(input_dim, self.units),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
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
        self.input_spec = keras.InputSpec(ndim=3, axes={-1: input_dim})

    # ---------------------------------------------------------------- tensors and weights

    def _float_input(self, x):
        x = ops.convert_to_tensor(x)
        if not keras.backend.is_float_dtype(x.dtype):
            x = ops.cast(x, self.compute_dtype)
        return x

    def _weights(self, dtype, kernel=None, recurrent_kernel=None, bias=None):
        """(W, U, b) as tensors of ``dtype``: the given values, else the layer's variables."""

        def weight(value, variable):
            value = variable if value is None else value
            return ops.cast(ops.convert_to_tensor(value), dtype)

        if not self.built:
            raise ValueError(
                "ExplicitSimpleRNN is not built: call it on a sequence, or call build(shape), "
                "before forward/backward."
            )
        b = weight(bias, self.bias) if self.use_bias else None
        return weight(kernel, self.kernel), weight(recurrent_kernel, self.recurrent_kernel), b

    def _mask(self, mask, x):
        """The mask as a (batch, T) bool tensor, or None; checked against ``x``'s shape."""
        if mask is None:
            return None
        mask = ops.convert_to_tensor(mask)
        if len(mask.shape) != 2:
            raise ValueError(
                f"mask must have shape (batch, time) like the inputs' first two axes "
                f"{tuple(x.shape[:2])}, got shape {tuple(mask.shape)}."
            )
        if keras.backend.standardize_dtype(mask.dtype) != "bool":
            mask = ops.greater(mask, 0)
        return mask

    # ---------------------------------------------------------------- the two passes, by hand

    def _scan_forward(self, x, kernel, recurrent, bias, mask):
        """The forward recursion: (states h_1..h_T, pre-activations s_1..s_T), (batch, T, n)."""
        z = _matmul(x, kernel)  # x_t W (+ b) for every step at once
        if bias is not None:
            z = ops.add(z, bias)
        z_steps = _time_major(z)
        h0 = ops.zeros_like(z_steps[0])

        def activate(s):  # keep the scan's dtype (Keras' tanh returns float32 under JAX)
            return ops.cast(self.activation(s), s.dtype)

        if mask is None:

            def step(carry, z_t):
                h_prev, _ = carry
                s_t = ops.add(z_t, _matmul(h_prev, recurrent))
                h_t = activate(s_t)
                return (h_t, s_t), (h_t, s_t)

            _, (states, pre) = _recur(step, (h0, h0), z_steps, unroll=self.unroll)
        else:

            def step(carry, elems):
                h_prev, _ = carry
                z_t, m_t = elems
                s_t = ops.add(z_t, _matmul(h_prev, recurrent))
                h_t = ops.where(m_t, activate(s_t), h_prev)  # a masked step carries the state
                return (h_t, s_t), (h_t, s_t)

            m_steps = ops.expand_dims(_time_major(mask), -1)
            _, (states, pre) = _recur(step, (h0, h0), (z_steps, m_steps), unroll=self.unroll)
        return _batch_major(states), _batch_major(pre)

    def _scan_backward(self, upstream, pre, recurrent, mask):
        """The BPTT recursion: (g_t = dL/dh_t, delta_t = dL/ds_t) for every t, (batch, T, n).

        ``upstream`` is dL/dh_t from above for every step (batch, T, n).
        """
        name = self.activation_name
        slope = None if name == "linear" else lecture_activations.derivative(name)(pre)
        recurrent_t = ops.transpose(recurrent)

        def local(g, slope_t):  # delta = g * act'(s)
            return g if slope_t is None else ops.multiply(g, ops.cast(slope_t, g.dtype))

        up_steps = _time_major(upstream)
        slope_steps = None if slope is None else _time_major(slope)
        if mask is None:

            def step(from_next, elems):
                up_t, slope_t = elems if slope is not None else (elems, None)
                g_t = ops.add(up_t, from_next)  # g_t = u_t + delta_{t+1} U^T
                return _matmul(local(g_t, slope_t), recurrent_t), g_t

            elems = up_steps if slope is None else (up_steps, slope_steps)
        else:

            def step(from_next, elems):
                if slope is None:
                    (up_t, m_t), slope_t = elems, None
                else:
                    up_t, m_t, slope_t = elems
                g_t = ops.add(up_t, from_next)
                delta_t = ops.where(m_t, local(g_t, slope_t), ops.zeros_like(g_t))
                # A masked step passed h_{t-1} on unchanged: g_t flows to it as it is.
                to_prev = ops.add(
                    _matmul(delta_t, recurrent_t), ops.where(m_t, ops.zeros_like(g_t), g_t)
                )
                return to_prev, g_t

            m_steps = ops.expand_dims(_time_major(mask), -1)
            elems = (up_steps, m_steps) if slope is None else (up_steps, m_steps, slope_steps)
        start = ops.zeros_like(up_steps[0])
        _, g_steps = _recur(step, start, elems, reverse=True, unroll=self.unroll)
        g = _batch_major(g_steps)
        delta = local(g, slope)
        if mask is not None:
            delta = ops.where(ops.expand_dims(mask, -1), delta, ops.zeros_like(delta))
        return g, delta

    def _full_upstream(self, upstream, states):
        """dL/dh_t for every step: ``upstream`` as given (batch, T, n), or (batch, n) for the
        last state only, padded with zeros for the earlier steps."""
        upstream = ops.cast(ops.convert_to_tensor(upstream), states.dtype)
        if len(upstream.shape) == 2:
            earlier = ops.zeros_like(states[:, :-1])
            return ops.concatenate([earlier, ops.expand_dims(upstream, 1)], axis=1)
        if len(upstream.shape) != 3:
            raise ValueError(
                f"upstream must be dL/dh for the last state, shape (batch, units), or for every "
                f"state, shape (batch, time, units); got shape {tuple(upstream.shape)}."
            )
        return upstream

    def forward(self, x, *args, mask=None, kernel=None, recurrent_kernel=None, bias=None, **kw):
        """All the states h_1..h_T, shape (batch, T, n), in the dtype of ``x``.

        ``kernel``, ``recurrent_kernel`` and ``bias`` replace the layer's weights (cast to the
        dtype of ``x``); ``mask`` (batch, T) carries the state over masked steps. A plain
        function of the weights: no custom gradient, no dtype policy. Calling the layer returns
        this (``return_sequences=True``) or its last step.
        """
        if self._in_layer_call:
            # torch backend: Keras layers are torch Modules, and Layer.__call__ reaches call()
            # through Module.__call__ -> forward; keep that route intact.
            return super().forward(x, *args, mask=mask, **kw)
        if args or kw:
            raise TypeError(
                "forward() takes x, mask=, kernel=, recurrent_kernel= and bias=; got extra "
                f"{args or kw}."
            )
        x = self._float_input(x)
        weights = self._weights(x.dtype, kernel, recurrent_kernel, bias)
        return self._scan_forward(x, *weights, self._mask(mask, x))[0]

    def _cache(self, x, weights, mask, cache):
        return self._scan_forward(x, *weights, mask) if cache is None else cache

    def state_gradients(
        self, x, upstream, *, mask=None, kernel=None, recurrent_kernel=None, bias=None, cache=None
    ):
        """g_t = dL/dh_t for every t, shape (batch, T, n): the total gradient reaching state t,
        from above (``upstream``) and through all later steps.

        ``upstream`` is dL/dh for the last state (batch, n) or for every state (batch, T, n).
        """
        x = self._float_input(x)
        weights = self._weights(x.dtype, kernel, recurrent_kernel, bias)
        mask = self._mask(mask, x)
        states, pre = self._cache(x, weights, mask, cache)
        g, _ = self._scan_backward(self._full_upstream(upstream, states), pre, weights[1], mask)
        return g

    def backward(
        self,
        x,
        upstream,
        *,
        mask=None,
        kernel=None,
        recurrent_kernel=None,
        bias=None,
        cache=None,
        input_gradient=True,
    ):
        """Back-propagation through time: ``(dx, dkernel, drecurrent, dbias)``.

        Args:
            x: the layer's input, shape (batch, T, d).
            upstream: dL/dh from above, for the last state (batch, n), as the layer's output
                with ``return_sequences=False`` receives it, or for every state (batch, T, n).
            mask: optional (batch, T) mask, as in the forward pass.
            kernel, recurrent_kernel, bias: weights to use (default: the layer's), cast to the
                dtype of ``x``.
            cache: the forward pass's ``(states, pre_activations)``, to skip recomputing it
                (the training path passes it); ``None`` recomputes the forward pass.
            input_gradient: compute ``dx``; ``False`` returns ``None`` for it.

        ``dbias`` is ``None`` when ``use_bias=False``.
        """
        x = self._float_input(x)
        weights = self._weights(x.dtype, kernel, recurrent_kernel, bias)
        kernel, recurrent = weights[0], weights[1]
        mask = self._mask(mask, x)
        states, pre = self._cache(x, weights, mask, cache)
        _, delta = self._scan_backward(self._full_upstream(upstream, states), pre, recurrent, mask)

        # h_{t-1} for every step: h_0 = 0, then the states shifted by one.
        previous = ops.concatenate([ops.zeros_like(states[:, :1]), states[:, :-1]], axis=1)
        delta_rows = _rows(delta)
        dkernel = _matmul(ops.transpose(_rows(x)), delta_rows)  # sum_t x_t^T delta_t
        drecurrent = _matmul(ops.transpose(_rows(previous)), delta_rows)  # sum_t h_{t-1}^T delta_t
        dbias = ops.sum(delta_rows, axis=0) if self.use_bias else None
        dx = _matmul(delta, ops.transpose(kernel)) if input_gradient else None
        return dx, dkernel, drecurrent, dbias

    def _with_explicit_gradient(self, x, *params, mask=None):
        """Forward pass returning ``(output, grad_fn)`` for `keras.ops.custom_gradient`."""
        kernel, recurrent = params[0], params[1]
        bias = params[2] if self.use_bias else None
        states, pre = self._scan_forward(x, kernel, recurrent, bias, mask)
        output = states if self.return_sequences else states[:, -1]

        def grad_fn(*args, upstream=None):
            # TensorFlow and JAX call grad_fn(upstream); torch calls grad_fn(*inputs, upstream=).
            if upstream is None:
                (upstream,) = args
            input_gradient = getattr(x, "requires_grad", True)
            dx, dkernel, drecurrent, dbias = self.backward(
                x,
                upstream,
                mask=mask,
                kernel=kernel,
                recurrent_kernel=recurrent,
                bias=bias,  # never the variable: under JAX it is a tracer here
                cache=(states, pre),
                input_gradient=input_gradient,
            )
            grads = (dx, dkernel, drecurrent) + ((dbias,) if self.use_bias else ())
            return grads

        return output, grad_fn

    # ---------------------------------------------------------------- Keras layer API

    def __call__(self, *args, **kwargs):
        self._in_layer_call += 1
        try:
            return super().__call__(*args, **kwargs)
        finally:
            self._in_layer_call -= 1

    def call(self, inputs, mask=None):
        x = self._float_input(inputs)
        if x.dtype != self.compute_dtype:
            x = ops.cast(x, self.compute_dtype)
        params = [ops.cast(ops.convert_to_tensor(self.kernel), self.compute_dtype)]
        params.append(ops.cast(ops.convert_to_tensor(self.recurrent_kernel), self.compute_dtype))
        if self.use_bias:
            params.append(ops.cast(ops.convert_to_tensor(self.bias), self.compute_dtype))
        if mask is None:
            return ops.custom_gradient(self._with_explicit_gradient)(x, *params)
        # The mask enters as one more (float) input, its gradient zero: closing over it would
        # hide a traced tensor from JAX's custom_gradient.
        float_mask = ops.cast(self._mask(mask, x), self.compute_dtype)

        def masked(x_, mask_, *params_):
            output, grad_fn = self._with_explicit_gradient(x_, *params_, mask=ops.greater(mask_, 0))

            def masked_grad_fn(*args, upstream=None):
                if upstream is None:
                    (upstream,) = args
                dx, *weight_grads = grad_fn(upstream=upstream)
                return (dx, ops.zeros_like(mask_), *weight_grads)

            return output, masked_grad_fn

        return ops.custom_gradient(masked)(x, float_mask, *params)

    def compute_mask(self, inputs, mask=None):
        return mask if self.return_sequences else None

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.return_sequences:
            return (input_shape[0], input_shape[1], self.units)
        return (input_shape[0], self.units)

    def get_config(self):
        config = super().get_config()
        serialize = {
            "initializer": keras.initializers.serialize,
            "regularizer": keras.regularizers.serialize,
            "constraint": keras.constraints.serialize,
        }
        config.update(
            {
                "units": self.units,
                "activation": self.activation_name,
                "use_bias": self.use_bias,
                "return_sequences": self.return_sequences,
                "unroll": self.unroll,
            }
        )
        for name in (
            "kernel_initializer",
            "recurrent_initializer",
            "bias_initializer",
            "kernel_regularizer",
            "recurrent_regularizer",
            "bias_regularizer",
            "activity_regularizer",
            "kernel_constraint",
            "recurrent_constraint",
            "bias_constraint",
        ):
            config[name] = serialize[name.rsplit("_", 1)[1]](getattr(self, name))
        return config


def gradient_norms(layer, x, upstream=None, *, mask=None) -> np.ndarray:
    """||dL/dh_t|| for t = 1..T: how strongly the loss reaches back to each step's state.

    Args:
        layer: an `ExplicitSimpleRNN` (built here on ``x`` if it is not yet).
        x: inputs (batch, T, d); computed in their dtype (float64 for a NumPy float64 array,
            where the backend allows it) with the layer's weights.
        upstream: dL/dh from above. ``None`` (default): the loss is the sum of the last state's
            units, dL/dh_T = 1 and no gradient from above at earlier steps ("the loss depends on
            the last output"). A (batch, n) array: dL/dh_T. A (batch, T, n) array: the
            gradient from above at every step (a loss over the whole sequence).
        mask: optional (batch, T) mask, as for the layer.

    Returns:
        A float64 NumPy array of shape (T,): entry t - 1 is the Frobenius norm over the batch
        and the units of g_t = dL/dh_t (`ExplicitSimpleRNN.state_gradients`), i.e. the
        Euclidean norm of dL/dh_t for a batch of one. With the loss on the last state and a
        linear activation, g_t = g_T (U^T)^(T-t) (seed 000 eq. 38): the norms decay
        geometrically going back in time when U's spectral radius is below one and grow when it
        is above; tanh and sigmoid multiply every step by act' <= 1 (sigmoid: <= 1/4) more.
    """
    if not isinstance(layer, ExplicitSimpleRNN):
        raise ValueError(f"layer must be an ExplicitSimpleRNN, got {layer!r}.")
    x = layer._float_input(x)
    if len(x.shape) != 3:
        raise ValueError(f"x must have shape (batch, time, features), got {tuple(x.shape)}.")
    if not layer.built:
        layer(x)
    if upstream is None:
        upstream = ops.ones((int(x.shape[0]), layer.units), dtype=x.dtype)
    else:
        upstream = ops.convert_to_tensor(upstream)
        expected = [(x.shape[0], layer.units), (x.shape[0], x.shape[1], layer.units)]
        if tuple(upstream.shape) not in [tuple(e) for e in expected]:
            raise ValueError(
                f"upstream must have shape {tuple(expected[0])} (dL/dh_T) or "
                f"{tuple(expected[1])} (dL/dh_t for every t), got {tuple(upstream.shape)}."
            )
    g = layer.state_gradients(x, upstream, mask=mask)
    g = np.asarray(ops.convert_to_numpy(g), np.float64)
    return np.sqrt(np.sum(np.square(g), axis=(0, 2)))
