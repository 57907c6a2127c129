"""Property tests (hypothesis) for every layer of `zoo.layers` and the activation table.

For random valid configurations and input shapes each layer must:
- give outputs of exactly the shape `compute_output_shape` states, eagerly and symbolically
  (``keras.Input`` with an unknown batch and unknown spatial/time dimensions);
- round-trip through ``get_config``/``from_config`` and through
  ``keras.saving.serialize_keras_object``/``deserialize_keras_object`` to the same config and,
  with the same weights, the same outputs.
Random invalid configurations must raise ``ValueError`` naming the offending argument.

The activation functions' derivatives are checked against central finite differences in float64.
Only ``keras.ops`` and numpy are used, so the file runs under every backend (``make
test-backends``). The examples are derandomized so that CI is reproducible.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers.layer_checks import random_inputs, to_numpy
from zoo.layers import (
    CReLU,
    ExplicitDense,
    LocalResponseNormalization,
    Maxout,
    MaxoutDense,
    PeepholeLSTM,
    PeepholeLSTMCell,
    RReLU,
    activations,
)
from zoo.layers.explicit_dense import SUPPORTED_ACTIVATIONS


def _profile(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


# JAX and torch run eager layer calls more slowly (JAX compiles every new shape): fewer examples.
_FAST = keras.backend.backend() == "tensorflow"
VALID = _profile(12 if _FAST else 6)
INVALID = _profile(25)
SLOW_VALID = _profile(8 if _FAST else 4)  # the recurrent layer: every call is a loop over time

# ---- helpers -------------------------------------------------------------------------------


def _sizes(min_rank: int, max_rank: int):
    return st.lists(st.integers(1, 3), min_size=min_rank, max_size=max_rank)


def _symbolic(shape, unknown, keep=()):
    """``shape`` with batch unknown and the flagged other dimensions (not in ``keep``) too."""
    return (
        None,
        *(None if flag and i + 1 not in keep else d for i, (d, flag) in enumerate(unknown)),
    )


def _unknown_flags(shape):
    """Strategy of ``[(size, unknown?)]`` for the non-batch dimensions of ``shape``."""
    return st.tuples(*(st.tuples(st.just(d), st.booleans()) for d in shape[1:]))


def _assert_shapes(outputs, expected) -> None:
    """``outputs`` (a tensor or a list of them) have exactly the shapes ``expected``."""
    if isinstance(outputs, (list, tuple)):
        assert isinstance(expected, (list, tuple)) and len(outputs) == len(expected)
        for output, shape in zip(outputs, expected, strict=True):
            assert tuple(output.shape) == tuple(shape), (output.shape, shape)
    else:
        assert tuple(outputs.shape) == tuple(expected), (outputs.shape, expected)


def _numpy_all(outputs) -> list[np.ndarray]:
    if isinstance(outputs, (list, tuple)):
        return [to_numpy(o) for o in outputs]
    return [to_numpy(outputs)]


def _assert_same_outputs(got, expected) -> None:
    for a, b in zip(_numpy_all(got), _numpy_all(expected), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def check_valid(factory, shape, symbolic_shape, *, call_kwargs=None) -> None:
    """Eager and symbolic shapes, config and serialization round trips of ``factory()``."""
    call_kwargs = {"training": False, **(call_kwargs or {})}
    layer = factory()
    x = random_inputs(tuple(shape), seed=len(shape))
    outputs = layer(x, **call_kwargs)
    _assert_shapes(outputs, layer.compute_output_shape(tuple(shape)))

    symbolic = factory()
    symbolic_outputs = symbolic(keras.Input(batch_shape=symbolic_shape))
    _assert_shapes(symbolic_outputs, symbolic.compute_output_shape(symbolic_shape))
    # The symbolic shape agrees with the eager one wherever the symbolic one is known.
    for sym, eager in zip(_as_list(symbolic_outputs), _as_list(outputs), strict=True):
        assert len(sym.shape) == len(eager.shape)
        assert all(s is None or s == e for s, e in zip(sym.shape, eager.shape, strict=True))

    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    clone(x, **call_kwargs)
    clone.set_weights(layer.get_weights())
    _assert_same_outputs(clone(x, **call_kwargs), outputs)

    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(restored) is type(layer)
    assert restored.get_config() == config
    restored(x, **call_kwargs)
    restored.set_weights(layer.get_weights())
    _assert_same_outputs(restored(x, **call_kwargs), outputs)


def _as_list(outputs):
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def _non_integers():
    return st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=3),
        st.booleans(),
        st.none(),
    )


def _non_positive_ints():
    return st.integers(max_value=0)


def _bad_numbers():
    """Not finite real numbers (bools are refused too)."""
    return st.sampled_from([math.nan, math.inf, -math.inf, None, "0.5", True])


def _out_of_range_axis(rank: int):
    return st.one_of(st.integers(rank, rank + 3), st.integers(-rank - 3, -rank - 1))


# ---- Maxout --------------------------------------------------------------------------------


@VALID
@given(
    sizes=_sizes(1, 3),
    num_units=st.integers(1, 4),
    num_pieces=st.integers(1, 3),
    data=st.data(),
)
def test_maxout_valid_configs(sizes, num_units, num_pieces, data):
    shape = [*sizes, num_units * num_pieces]
    rank = len(shape)
    axis = data.draw(st.integers(-rank + 1, rank - 1).filter(lambda a: a % rank != 0), "axis")
    shape[axis], shape[-1] = shape[-1], shape[axis]
    unknown = data.draw(_unknown_flags(shape), "unknown")
    symbolic = _symbolic(shape, unknown, keep=(axis % rank,))
    check_valid(lambda: Maxout(num_units, axis=axis), shape, symbolic)
    out = Maxout(num_units, axis=axis)(random_inputs(tuple(shape)))
    assert out.shape[axis] == num_units


@st.composite
def _maxout_invalid(draw):
    kind = draw(st.sampled_from(["divide", "axis", "units", "units_type", "axis_type", "none"]))
    if kind == "divide":
        num_units = draw(st.integers(2, 5))
        channels = draw(st.integers(1, 12).filter(lambda c: c % num_units))
        shape = (2, channels)
        return [
            lambda: Maxout(num_units)(random_inputs(shape)),
            lambda: Maxout(num_units).compute_output_shape(shape),
            lambda: Maxout(num_units)(keras.Input(batch_shape=(None, channels))),
        ], "num_units"
    if kind == "axis":
        shape = tuple(draw(_sizes(1, 4)))
        axis = draw(_out_of_range_axis(len(shape)))
        return [
            lambda: Maxout(1, axis=axis)(random_inputs(shape)),
            lambda: Maxout(1, axis=axis).compute_output_shape(shape),
        ], "axis"
    if kind == "units":
        value = draw(st.one_of(_non_positive_ints(), _non_integers()))
        return [lambda: Maxout(value)], "num_units"
    if kind == "axis_type":
        value = draw(_non_integers())
        return [lambda: Maxout(2, axis=value)], "axis"
    return [lambda: Maxout(2)(keras.Input(batch_shape=(None, 3, None)))], "None"


@INVALID
@given(case=_maxout_invalid())
def test_maxout_invalid_configs_raise_value_error(case):
    thunks, match = case
    for thunk in thunks:
        with pytest.raises(ValueError, match=match):
            thunk()


# ---- MaxoutDense ---------------------------------------------------------------------------


@VALID
@given(
    sizes=_sizes(2, 4),
    units=st.integers(1, 4),
    num_pieces=st.integers(2, 3),
    use_bias=st.booleans(),
    data=st.data(),
)
def test_maxout_dense_valid_configs(sizes, units, num_pieces, use_bias, data):
    unknown = data.draw(_unknown_flags(sizes), "unknown")
    symbolic = _symbolic(sizes, unknown, keep=(len(sizes) - 1,))

    def factory():
        return MaxoutDense(
            units, num_pieces=num_pieces, use_bias=use_bias, bias_initializer="random_normal"
        )

    check_valid(factory, sizes, symbolic)
    layer = factory()
    layer(random_inputs(tuple(sizes)))
    assert layer.kernel.shape == (sizes[-1], units * num_pieces)
    assert (layer.bias is not None) == use_bias


@st.composite
def _maxout_dense_invalid(draw):
    kind = draw(st.sampled_from(["units", "pieces", "rank", "unknown"]))
    if kind == "units":
        value = draw(st.one_of(_non_positive_ints(), _non_integers()))
        return lambda: MaxoutDense(value), "units"
    if kind == "pieces":
        value = draw(st.one_of(st.integers(max_value=1), _non_integers()))
        return lambda: MaxoutDense(2, num_pieces=value), "num_pieces"
    if kind == "rank":
        size = draw(st.integers(1, 4))
        return lambda: MaxoutDense(2)(random_inputs((size,))), "ndim"
    return lambda: MaxoutDense(2)(keras.Input(batch_shape=(None, 3, None))), "None"


@INVALID
@given(case=_maxout_dense_invalid())
def test_maxout_dense_invalid_configs_raise_value_error(case):
    thunk, match = case
    with pytest.raises(ValueError, match=match):
        thunk()


# ---- CReLU ---------------------------------------------------------------------------------


@VALID
@given(sizes=_sizes(1, 4), data=st.data())
def test_crelu_valid_configs(sizes, data):
    rank = len(sizes)
    axis = data.draw(st.integers(-rank, rank - 1), "axis")
    unknown = data.draw(_unknown_flags(sizes), "unknown")
    check_valid(lambda: CReLU(axis=axis), sizes, _symbolic(sizes, unknown))
    out = to_numpy(CReLU(axis=axis)(random_inputs(tuple(sizes))))
    assert out.shape[axis] == 2 * sizes[axis]
    assert np.all(out >= 0)


@st.composite
def _crelu_invalid(draw):
    if draw(st.booleans()):
        shape = tuple(draw(_sizes(1, 4)))
        axis = draw(_out_of_range_axis(len(shape)))
        return [
            lambda: CReLU(axis=axis)(random_inputs(shape)),
            lambda: CReLU(axis=axis).compute_output_shape(shape),
            lambda: CReLU(axis=axis)(keras.Input(batch_shape=(None, *shape[1:]))),
        ]
    value = draw(_non_integers())
    return [lambda: CReLU(axis=value)]


@INVALID
@given(thunks=_crelu_invalid())
def test_crelu_invalid_configs_raise_value_error(thunks):
    for thunk in thunks:
        with pytest.raises(ValueError, match="axis"):
            thunk()


# ---- RReLU ---------------------------------------------------------------------------------


@VALID
@given(
    sizes=_sizes(1, 4),
    bounds=st.lists(st.floats(0.0, 2.0), min_size=2, max_size=2).map(sorted),
    seed=st.one_of(st.none(), st.integers(0, 2**31 - 1)),
    data=st.data(),
)
def test_rrelu_valid_configs(sizes, bounds, seed, data):
    lower, upper = bounds
    unknown = data.draw(_unknown_flags(sizes), "unknown")

    def factory():
        return RReLU(lower=lower, upper=upper, seed=seed)

    check_valid(factory, sizes, _symbolic(sizes, unknown))
    x = random_inputs(tuple(sizes), seed=1)
    trained = to_numpy(factory()(x, training=True))
    assert trained.shape == x.shape
    negative = x < 0
    np.testing.assert_array_equal(trained[~negative], x[~negative])
    slopes = trained[negative] / x[negative]
    assert np.all(slopes >= lower - 1e-5) and np.all(slopes <= upper + 1e-5)
    inferred = to_numpy(factory()(x, training=False))
    np.testing.assert_allclose(
        inferred, np.where(negative, x * (lower + upper) / 2, x), rtol=1e-6, atol=1e-7
    )
    if seed is not None:  # the same seed draws the same slopes
        np.testing.assert_array_equal(to_numpy(factory()(x, training=True)), trained)


@st.composite
def _rrelu_invalid(draw):
    kind = draw(st.sampled_from(["negative", "order", "number", "seed"]))
    if kind == "negative":
        name = draw(st.sampled_from(["lower", "upper"]))
        value = draw(st.floats(-10.0, -1e-6))
        return lambda: RReLU(**{name: value}), name
    if kind == "order":
        upper = draw(st.floats(0.0, 1.0))
        lower = draw(st.floats(upper + 1e-3, upper + 2.0))
        return lambda: RReLU(lower=lower, upper=upper), "lower"
    if kind == "number":
        name = draw(st.sampled_from(["lower", "upper"]))
        value = draw(_bad_numbers())
        return lambda: RReLU(**{name: value}), name
    value = draw(st.one_of(st.floats(), st.text(max_size=3), st.booleans()))
    return lambda: RReLU(seed=value), "seed"


@INVALID
@given(case=_rrelu_invalid())
def test_rrelu_invalid_configs_raise_value_error(case):
    thunk, match = case
    with pytest.raises(ValueError, match=match):
        thunk()


# ---- LocalResponseNormalization ------------------------------------------------------------


@VALID
@given(
    sizes=_sizes(1, 3),
    channels=st.integers(1, 12),
    depth_radius=st.integers(0, 10),
    bias=st.floats(0.1, 3.0),
    alpha=st.floats(0.0, 1.0),
    beta=st.floats(-1.0, 1.5),
    data=st.data(),
)
def test_lrn_valid_configs(sizes, channels, depth_radius, bias, alpha, beta, data):
    shape = [*sizes, channels]
    unknown = data.draw(_unknown_flags(shape), "unknown")

    def factory():
        return LocalResponseNormalization(
            depth_radius=depth_radius, bias=bias, alpha=alpha, beta=beta
        )

    check_valid(factory, shape, _symbolic(shape, unknown, keep=(len(shape) - 1,)))
    out = to_numpy(factory()(random_inputs(tuple(shape))))
    assert np.all(np.isfinite(out))


@st.composite
def _lrn_invalid(draw):
    kind = draw(st.sampled_from(["radius", "negative", "number", "zero", "rank"]))
    if kind == "radius":
        value = draw(st.one_of(st.integers(max_value=-1), _non_integers()))
        return lambda: LocalResponseNormalization(depth_radius=value), "depth_radius"
    if kind == "negative":
        name = draw(st.sampled_from(["bias", "alpha"]))
        value = draw(st.floats(-10.0, -1e-6))
        return lambda: LocalResponseNormalization(**{name: value}), name
    if kind == "number":
        name = draw(st.sampled_from(["bias", "alpha", "beta"]))
        value = draw(_bad_numbers())
        return lambda: LocalResponseNormalization(**{name: value}), name
    if kind == "zero":  # the denominator would be 0 ** beta
        beta = draw(st.floats(-1.0, 1.5))
        return lambda: LocalResponseNormalization(bias=0.0, alpha=0, beta=beta), "bias and alpha"
    size = draw(st.integers(1, 4))
    return lambda: LocalResponseNormalization()(random_inputs((size,))), "ndim"


@INVALID
@given(case=_lrn_invalid())
def test_lrn_invalid_configs_raise_value_error(case):
    thunk, match = case
    with pytest.raises(ValueError, match=match):
        thunk()


# ---- PeepholeLSTM and PeepholeLSTMCell -----------------------------------------------------


@SLOW_VALID
@given(
    batch=st.integers(1, 3),
    steps=st.integers(1, 4),
    features=st.integers(1, 3),
    units=st.integers(1, 4),
    return_sequences=st.booleans(),
    return_state=st.booleans(),
    go_backwards=st.booleans(),
    use_bias=st.booleans(),
    activation=st.sampled_from(["tanh", "relu", "sigmoid", "linear"]),
    recurrent_activation=st.sampled_from(["sigmoid", "hard_sigmoid"]),
    dropout=st.sampled_from([0.0, 0.25]),
    unknown_steps=st.booleans(),
)
def test_peephole_lstm_valid_configs(
    batch,
    steps,
    features,
    units,
    return_sequences,
    return_state,
    go_backwards,
    use_bias,
    activation,
    recurrent_activation,
    dropout,
    unknown_steps,
):
    def factory():
        return PeepholeLSTM(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            peephole_initializer="random_normal",
            dropout=dropout,
            recurrent_dropout=dropout,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
        )

    shape = (batch, steps, features)
    symbolic = (None, None if unknown_steps else steps, features)
    check_valid(factory, shape, symbolic)
    outputs = factory()(random_inputs(shape))
    expected = [(batch, steps, units) if return_sequences else (batch, units)]
    if return_state:
        expected += [(batch, units), (batch, units)]
    assert [tuple(o.shape) for o in _as_list(outputs)] == expected


@SLOW_VALID
@given(
    batch=st.integers(1, 3),
    features=st.integers(1, 3),
    units=st.integers(1, 4),
    use_bias=st.booleans(),
    unit_forget_bias=st.booleans(),
)
def test_peephole_lstm_cell_valid_configs(batch, features, units, use_bias, unit_forget_bias):
    def factory():
        return PeepholeLSTMCell(
            units,
            use_bias=use_bias,
            unit_forget_bias=unit_forget_bias,
            peephole_initializer="random_normal",
        )

    x = random_inputs((batch, features), seed=2)
    states = [random_inputs((batch, units), seed=3), random_inputs((batch, units), seed=4)]
    cell = factory()
    h, (h_state, c_state) = cell(x, states)
    assert tuple(h.shape) == tuple(h_state.shape) == tuple(c_state.shape) == (batch, units)
    assert len(cell.weights) == (6 if use_bias else 5)

    config = cell.get_config()
    for clone in (
        PeepholeLSTMCell.from_config(config),
        keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(cell)),
    ):
        assert type(clone) is PeepholeLSTMCell and clone.get_config() == config
        clone(x, states)
        clone.set_weights(cell.get_weights())
        got = clone(x, states)
        _assert_same_outputs([got[0], *got[1]], [h, h_state, c_state])

    # Inside keras.layers.RNN, with an unknown number of steps.
    layer = keras.layers.RNN(factory(), return_sequences=True)
    out = layer(keras.Input(batch_shape=(None, None, features)))
    assert tuple(out.shape) == (None, None, units)


@st.composite
def _peephole_invalid(draw):
    kind = draw(st.sampled_from(["units", "rate", "activation", "rank", "features"]))
    cls = draw(st.sampled_from([PeepholeLSTM, PeepholeLSTMCell]))
    if kind == "units":
        value = draw(st.one_of(_non_positive_ints(), _non_integers()))
        return lambda: cls(value), "units"
    if kind == "rate":
        name = draw(st.sampled_from(["dropout", "recurrent_dropout"]))
        value = draw(st.one_of(st.floats(1.0, 10.0), st.floats(-10.0, -1e-6), _bad_numbers()))
        return lambda: cls(2, **{name: value}), name
    if kind == "activation":
        name = draw(st.sampled_from(["activation", "recurrent_activation"]))
        value = draw(st.sampled_from(["nope", "Tanhh", "sigmoid_"]))
        return lambda: cls(2, **{name: value}), "activation"
    if kind == "rank":
        shape = draw(st.sampled_from([(3,), (2, 3), (2, 3, 4, 5)]))
        return lambda: PeepholeLSTM(2)(random_inputs(shape)), "ndim"
    return lambda: PeepholeLSTM(2)(keras.Input(batch_shape=(None, 4, None))), "None"


@INVALID
@given(case=_peephole_invalid())
def test_peephole_lstm_invalid_configs_raise_value_error(case):
    thunk, match = case
    with pytest.raises(ValueError, match=match):
        thunk()


# ---- ExplicitDense -------------------------------------------------------------------------


@VALID
@given(
    sizes=_sizes(2, 4),
    units=st.integers(1, 4),
    activation=st.sampled_from([None, *SUPPORTED_ACTIVATIONS]),
    use_bias=st.booleans(),
    data=st.data(),
)
def test_explicit_dense_valid_configs(sizes, units, activation, use_bias, data):
    unknown = data.draw(_unknown_flags(sizes), "unknown")
    symbolic = _symbolic(sizes, unknown, keep=(len(sizes) - 1,))

    def factory():
        return ExplicitDense(
            units, activation=activation, use_bias=use_bias, bias_initializer="random_normal"
        )

    check_valid(factory, sizes, symbolic)
    layer = factory()
    x = random_inputs(tuple(sizes), seed=5)
    np.testing.assert_allclose(to_numpy(layer(x)), to_numpy(layer.forward(x)), rtol=1e-6)
    assert layer.get_config()["activation"] == (activation or "linear")


@st.composite
def _explicit_dense_invalid(draw):
    kind = draw(st.sampled_from(["units", "activation", "rank", "unknown"]))
    if kind == "units":
        value = draw(st.one_of(_non_positive_ints(), _non_integers()))
        return lambda: ExplicitDense(value), "units"
    if kind == "activation":
        value = draw(st.sampled_from(["swish", "gelu", "selu", "hard_sigmoid", "nope", 3]))
        return lambda: ExplicitDense(2, activation=value), "activation"
    if kind == "rank":
        size = draw(st.integers(1, 4))
        return lambda: ExplicitDense(2)(random_inputs((size,))), "ndim"
    return lambda: ExplicitDense(2)(keras.Input(batch_shape=(None, 3, None))), "known last"


@INVALID
@given(case=_explicit_dense_invalid())
def test_explicit_dense_invalid_configs_raise_value_error(case):
    thunk, match = case
    with pytest.raises(ValueError, match=match):
        thunk()


# ---- the activation table ------------------------------------------------------------------

# name -> (numpy h, kinks where h' is undefined)
NUMPY_TABLE = {
    "heaviside": (lambda x: np.heaviside(x, 0.5), (0.0,)),
    "sign": (np.sign, (0.0,)),
    "linear": (lambda x: x, ()),
    "piecewise_linear": (lambda x: np.clip(x + 0.5, 0.0, 1.0), (-0.5, 0.5)),
    "sigmoid": (lambda x: 1.0 / (1.0 + np.exp(-x)), ()),
    "tanh": (np.tanh, ()),
    "relu": (lambda x: np.maximum(x, 0.0), (0.0,)),
    "softplus": (lambda x: np.logaddexp(0.0, x), ()),
    "leaky_relu": (lambda x: np.where(x >= 0, x, 0.01 * x), (0.0,)),  # Maas et al. 2013
    "elu": (lambda x: np.where(x >= 0, x, np.expm1(np.minimum(x, 0.0))), (0.0,)),
}
# Central differences in float64 where the backend computes in it (JAX does not by default:
# jax_enable_x64 is off, so float64 inputs become float32); then a coarser step and tolerance.
FLOAT64 = to_numpy(keras.ops.convert_to_tensor(np.zeros(1), dtype="float64")).dtype == np.float64
DTYPE = "float64" if FLOAT64 else "float32"
STEP = 1e-6 if FLOAT64 else 1e-3
TOLERANCE = 1e-6 if FLOAT64 else 2e-3


def _points(kinks):
    """Eight points (a fixed size: JAX compiles each new shape), away from the kinks."""
    point = st.floats(-6.0, 6.0, allow_nan=False).filter(
        lambda v: all(abs(v - k) > 1e-3 + 2 * STEP for k in kinks)
    )
    return st.lists(point, min_size=8, max_size=8)


def test_numpy_table_covers_every_activation():
    assert sorted(NUMPY_TABLE) == sorted(activations.names())


@VALID
@given(name=st.sampled_from(sorted(NUMPY_TABLE)), data=st.data())
def test_activations_match_numpy_and_derivatives_match_central_differences(name, data):
    reference, kinks = NUMPY_TABLE[name]
    x = np.asarray(data.draw(_points(kinks), "x"), dtype=DTYPE)
    h = activations.get(name)
    dh = activations.derivative(name)
    assert activations.derivative(h) is dh and activations.get(name.upper()) is h
    values = to_numpy(h(x))
    assert values.dtype == np.dtype(DTYPE)
    exact = 1e-10 if FLOAT64 else 1e-6
    np.testing.assert_allclose(values, reference(x), rtol=exact, atol=exact)
    numeric = (to_numpy(h(x + STEP)) - to_numpy(h(x - STEP))) / (2 * STEP)
    np.testing.assert_allclose(to_numpy(dh(x)), numeric, rtol=TOLERANCE, atol=TOLERANCE)
    # float32 in, float32 out; integers become floats.
    assert to_numpy(dh(x.astype("float32"))).dtype == np.float32
    assert np.issubdtype(to_numpy(h(np.arange(-2, 3))).dtype, np.floating)


@VALID
@given(
    name=st.sampled_from(["leaky_relu", "elu"]),
    parameter=st.floats(0.01, 2.0),
    data=st.data(),
)
def test_parameterised_derivatives_match_central_differences(name, parameter, data):
    x = np.asarray(data.draw(_points((0.0,)), "x"), dtype=DTYPE)
    h = activations.get(name)
    dh = activations.derivative(name)
    numeric = (to_numpy(h(x + STEP, parameter)) - to_numpy(h(x - STEP, parameter))) / (2 * STEP)
    np.testing.assert_allclose(to_numpy(dh(x, parameter)), numeric, rtol=TOLERANCE, atol=TOLERANCE)


@INVALID
@given(
    name=st.one_of(
        st.text(max_size=8).filter(lambda s: s.lower() not in activations.names()),
        st.sampled_from([None, 3, "swish", "softmax", np.tanh]),
    )
)
def test_unknown_activation_names_raise_value_error(name):
    for lookup in (activations.get, activations.derivative):
        with pytest.raises(ValueError, match="activation"):
            lookup(name)
