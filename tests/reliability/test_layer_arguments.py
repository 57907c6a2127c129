"""Every argument of every public layer in `zoo.layers`, refused clearly when it is wrong.

One table (the machinery is `tests.reliability.table`): a wrong type, a bool for an int, nan or
inf, a value too large for the backends' int32 sizes or float32 constants, two arguments that
conflict, or an input of the wrong rank or with an unknown size where one is needed. Each must
raise a ValueError whose message names the argument (or the axis and the shape), the value and
what is allowed. The rows of `test_bad_inputs.py`'s "layers" section are not repeated here.
NumPy scalars, on the other hand, are accepted and saved as plain Python numbers.
"""

from __future__ import annotations

import json
import math

import keras
import numpy as np
import pytest

from zoo.layers import (
    ChannelPadding,
    CReLU,
    ExplicitDense,
    LocalResponseNormalization,
    MaskedMaxOverTime,
    Maxout,
    MaxoutDense,
    PaddingMask,
    PeepholeLSTM,
    PeepholeLSTMCell,
    RReLU,
)

from .table import Case, ids, run_case

SEEDS = "must be None or an integer in [0, 4294967295]"


def masked_embeddings():
    """Symbolic (None, 6, 4) embeddings carrying the mask of ``Embedding(mask_zero=True)``."""
    return keras.layers.Embedding(7, 4, mask_zero=True)(keras.Input((6,), dtype="int32"))


def zeros(*shape, dtype="float32"):
    return np.zeros(shape, dtype)


CASES = [
    # Maxout
    Case("maxout-units-bool", lambda ws: Maxout(True), ValueError, "num_units must be an integer"),
    Case(
        "maxout-units-huge",
        lambda ws: Maxout(2**40),
        ValueError,
        f"num_units must be at most 2147483647 (tensor sizes are int32), got {2**40}",
    ),
    Case(
        "maxout-axis-float",
        lambda ws: Maxout(2, axis=1.0),
        ValueError,
        "axis must be an integer, got 1.0",
    ),
    Case(
        "maxout-unknown-channels",
        lambda ws: Maxout(2)(keras.Input((3, None))),
        ValueError,
        "known size along axis -1, got None in input shape (None, 3, None)",
    ),
    Case(
        "maxout-axis-beyond-rank",
        lambda ws: Maxout(2, axis=2)(zeros(2, 4)),
        ValueError,
        "axis must be in [-2, 1] for inputs of rank 2, got 2",
    ),
    Case(
        "maxout-masked-time-axis",
        lambda ws: Maxout(3, axis=1)(masked_embeddings()),
        ValueError,
        "Maxout(axis=1) reduces axis 1 of inputs of shape (None, 6, 4), an axis their mask covers",
    ),
    # MaxoutDense
    Case(
        "maxout-dense-units-nan",
        lambda ws: MaxoutDense(math.nan),
        ValueError,
        "units must be an integer >= 1, got nan",
    ),
    Case(
        "maxout-dense-pieces-one",
        lambda ws: MaxoutDense(4, num_pieces=1),
        ValueError,
        "num_pieces must be an integer >= 2, got 1",
    ),
    Case(
        "maxout-dense-width-overflow",
        lambda ws: MaxoutDense(2**20, num_pieces=2**12),
        ValueError,
        f"units * num_pieces (the kernel's width) must be at most 2147483647, an int32 size, "
        f"got units={2**20} and num_pieces={2**12}",
    ),
    Case(
        "maxout-dense-use-bias-string",
        lambda ws: MaxoutDense(4, use_bias="no"),
        ValueError,
        "use_bias must be True or False, got 'no'",
    ),
    Case(
        "maxout-dense-initializer",
        lambda ws: MaxoutDense(4, kernel_initializer="glorot_uniformm"),
        ValueError,
        "kernel_initializer must be None or a Keras initializer: a name such as 'he_normal', "
        "a config dict or an object; got 'glorot_uniformm'",
    ),
    Case(
        "maxout-dense-regularizer",
        lambda ws: MaxoutDense(4, bias_regularizer=5),
        ValueError,
        "bias_regularizer must be None or a Keras regularizer",
    ),
    Case(
        "maxout-dense-constraint",
        lambda ws: MaxoutDense(4, kernel_constraint="positive"),
        ValueError,
        "kernel_constraint must be None or a Keras constraint: a name such as 'non_neg'",
    ),
    Case(
        "maxout-dense-unknown-features",
        lambda ws: MaxoutDense(4)(keras.Input((3, None))),
        ValueError,
        "known last input dimension, got None in input shape (None, 3, None)",
    ),
    Case(
        "maxout-dense-rank-one",
        lambda ws: MaxoutDense(4)(zeros(3)),
        ValueError,
        "expected min_ndim=2, found ndim=1. Full shape received: (3,)",
    ),
    # CReLU
    Case("crelu-axis-bool", lambda ws: CReLU(axis=True), ValueError, "axis must be an integer"),
    Case(
        "crelu-axis-string",
        lambda ws: CReLU(axis="last"),
        ValueError,
        "axis must be an integer, got 'last'",
    ),
    Case(
        "crelu-masked-time-axis",
        lambda ws: CReLU(axis=-2)(masked_embeddings()),
        ValueError,
        "CReLU(axis=-2) doubles axis 1 of inputs of shape (None, 6, 4), an axis their mask covers",
    ),
    # RReLU
    Case(
        "rrelu-upper-inf",
        lambda ws: RReLU(upper=math.inf),
        ValueError,
        "upper must be a finite number, got inf",
    ),
    Case(
        "rrelu-upper-beyond-float32",
        lambda ws: RReLU(upper=1e300),
        ValueError,
        "upper must lie in float32's range [-3.4e38, 3.4e38], got 1e+300",
    ),
    Case(
        "rrelu-lower-string",
        lambda ws: RReLU(lower="0.1"),
        ValueError,
        "lower must be a finite number, got '0.1'",
    ),
    Case("rrelu-seed-float", lambda ws: RReLU(seed=1.5), ValueError, f"seed {SEEDS}, got 1.5"),
    Case("rrelu-seed-negative", lambda ws: RReLU(seed=-1), ValueError, f"seed {SEEDS}, got -1"),
    Case(
        "rrelu-seed-beyond-uint32",
        lambda ws: RReLU(seed=2**32),
        ValueError,
        f"seed {SEEDS}, got {2**32}",
    ),
    Case("rrelu-seed-bool", lambda ws: RReLU(seed=True), ValueError, f"seed {SEEDS}, got True"),
    # LocalResponseNormalization
    Case(
        "lrn-radius-float",
        lambda ws: LocalResponseNormalization(depth_radius=2.0),
        ValueError,
        "depth_radius must be an integer >= 0, got 2.0",
    ),
    Case(
        "lrn-radius-huge",
        lambda ws: LocalResponseNormalization(depth_radius=2**31),
        ValueError,
        f"depth_radius must be at most 2147483647 (tensor sizes are int32), got {2**31}",
    ),
    Case(
        "lrn-bias-nan",
        lambda ws: LocalResponseNormalization(bias=math.nan),
        ValueError,
        "bias must be a finite number, got nan",
    ),
    Case(
        "lrn-alpha-beyond-float32",
        lambda ws: LocalResponseNormalization(alpha=1e39),
        ValueError,
        "alpha must lie in float32's range [-3.4e38, 3.4e38], got 1e+39",
    ),
    Case(
        "lrn-beta-bool",
        lambda ws: LocalResponseNormalization(beta=True),
        ValueError,
        "beta must be a finite number, got True",
    ),
    Case(
        "lrn-bias-and-alpha-zero",
        lambda ws: LocalResponseNormalization(bias=0.0, alpha=0.0),
        ValueError,
        "bias and alpha must not both be 0",
    ),
    Case(
        "lrn-rank-one",
        lambda ws: LocalResponseNormalization()(zeros(4)),
        ValueError,
        "expected min_ndim=2, found ndim=1. Full shape received: (4,)",
    ),
    # ChannelPadding
    Case(
        "channel-padding-huge",
        lambda ws: ChannelPadding(2**31),
        ValueError,
        f"before must be at most 2147483647 (tensor sizes are int32), got {2**31}",
    ),
    Case(
        "channel-padding-after-string",
        lambda ws: ChannelPadding(0, "2"),
        ValueError,
        "after must be an integer >= 0, got '2'",
    ),
    Case(
        "channel-padding-rank-one",
        lambda ws: ChannelPadding(1, 1)(zeros(4)),
        ValueError,
        "expected min_ndim=2, found ndim=1. Full shape received: (4,)",
    ),
    # PaddingMask and MaskedMaxOverTime
    Case(
        "padding-mask-rank-three",
        lambda ws: PaddingMask()(zeros(2, 3, 1, dtype="int32")),
        ValueError,
        "expected ndim=2, found ndim=3. Full shape received: (2, 3, 1)",
    ),
    Case(
        "max-over-time-window-zero",
        lambda ws: MaskedMaxOverTime(0),
        ValueError,
        "window_size must be an integer >= 1, got 0",
    ),
    Case(
        "max-over-time-window-float",
        lambda ws: MaskedMaxOverTime(2.5),
        ValueError,
        "window_size must be an integer >= 1, got 2.5",
    ),
    Case(
        "max-over-time-lengths",
        lambda ws: MaskedMaxOverTime(3)([zeros(2, 9, 4), zeros(2, 3, 1)]),
        ValueError,
        "MaskedMaxOverTime(window_size=3) needs features (batch, T + window_size - 1, C) and a "
        "mask (batch, T, 1), got features of shape (2, 9, 4) and a mask of shape (2, 3, 1)",
    ),
    Case(
        "max-over-time-symbolic-lengths",
        lambda ws: MaskedMaxOverTime(2)([keras.Input((6, 4)), keras.Input((6, 1))]),
        ValueError,
        "got features of shape (None, 6, 4) and a mask of shape (None, 6, 1)",
    ),
    Case(
        "max-over-time-mask-rank",
        lambda ws: MaskedMaxOverTime(3)([zeros(2, 5, 4), zeros(2, 3)]),
        ValueError,
        "expected ndim=3, found ndim=2. Full shape received: (2, 3)",
    ),
    # ExplicitDense
    Case(
        "explicit-dense-use-bias-int",
        lambda ws: ExplicitDense(3, use_bias=1),
        ValueError,
        "use_bias must be True or False, got 1",
    ),
    Case(
        "explicit-dense-units-huge",
        lambda ws: ExplicitDense(10**12),
        ValueError,
        f"units must be at most 2147483647 (tensor sizes are int32), got {10**12}",
    ),
    Case(
        "explicit-dense-activity-regularizer",
        lambda ws: ExplicitDense(3, activity_regularizer="l3"),
        ValueError,
        "activity_regularizer must be None or a Keras regularizer: a name such as 'l2'",
    ),
    Case(
        "explicit-dense-bias-initializer",
        lambda ws: ExplicitDense(3, bias_initializer=0.5),
        ValueError,
        "bias_initializer must be None or a Keras initializer",
    ),
    Case(
        "explicit-dense-unknown-features",
        lambda ws: ExplicitDense(3)(keras.Input((3, None))),
        ValueError,
        "needs a known last input dimension, got shape (None, 3, None)",
    ),
    Case(
        "explicit-dense-rank-one",
        lambda ws: ExplicitDense(3)(zeros(5)),
        ValueError,
        "expected min_ndim=2, found ndim=1. Full shape received: (5,)",
    ),
    # PeepholeLSTM and PeepholeLSTMCell
    Case(
        "peephole-units-huge",
        lambda ws: PeepholeLSTM(2**30),
        ValueError,
        f"units must be at most 536870911 (the 4 gates are 4 * units wide, int32), got {2**30}",
    ),
    Case(
        "peephole-recurrent-dropout-nan",
        lambda ws: PeepholeLSTM(3, recurrent_dropout=math.nan),
        ValueError,
        "recurrent_dropout must be a finite number, got nan",
    ),
    Case(
        "peephole-activation",
        lambda ws: PeepholeLSTM(3, activation="tanhh"),
        ValueError,
        "activation must be None or a Keras activation: a name such as 'tanh', a config dict or "
        "an object; got 'tanhh'",
    ),
    Case(
        "peephole-recurrent-activation-int",
        lambda ws: PeepholeLSTMCell(3, recurrent_activation=3),
        ValueError,
        "recurrent_activation must be None or a Keras activation",
    ),
    Case(
        "peephole-initializer",
        lambda ws: PeepholeLSTM(3, peephole_initializer="nope"),
        ValueError,
        "peephole_initializer must be None or a Keras initializer",
    ),
    Case(
        "peephole-recurrent-constraint",
        lambda ws: PeepholeLSTMCell(3, recurrent_constraint="unit_norm_"),
        ValueError,
        "recurrent_constraint must be None or a Keras constraint",
    ),
    Case(
        "peephole-return-sequences-int",
        lambda ws: PeepholeLSTM(3, return_sequences=1),
        ValueError,
        "return_sequences must be True or False, got 1",
    ),
    Case(
        "peephole-unroll-string",
        lambda ws: PeepholeLSTM(3, unroll="yes"),
        ValueError,
        "unroll must be True or False, got 'yes'",
    ),
    Case(
        "peephole-unit-forget-bias-string",
        lambda ws: PeepholeLSTMCell(3, unit_forget_bias="yes"),
        ValueError,
        "unit_forget_bias must be True or False, got 'yes'",
    ),
    Case("peephole-seed-string", lambda ws: PeepholeLSTM(3, seed="7"), ValueError, SEEDS),
    Case(
        "peephole-cell-seed-negative",
        lambda ws: PeepholeLSTMCell(3, seed=-5),
        ValueError,
        f"seed {SEEDS}, got -5",
    ),
    Case(
        "peephole-rank-two",
        lambda ws: PeepholeLSTM(3)(zeros(2, 4)),
        ValueError,
        "expected ndim=3, found ndim=2. Full shape received: (2, 4)",
    ),
    Case(
        "peephole-unknown-features",
        lambda ws: PeepholeLSTM(3)(keras.Input((4, None))),
        ValueError,
        "needs a known last input dimension (features), got shape (None, None)",
    ),
    Case(
        "peephole-cell-given-a-sequence",
        lambda ws: PeepholeLSTMCell(3)(zeros(2, 5, 4), [zeros(2, 3), zeros(2, 3)]),
        ValueError,
        "takes one time step of shape (batch, features), got shape (2, 5, 4)",
    ),
    Case(
        "peephole-stateful-dynamic-batch",
        lambda ws: PeepholeLSTM(3, stateful=True)(keras.Input((4, 2))),
        ValueError,
        "`stateful=True` in a RNN, the batch size must be static",
    ),
]


def test_the_table_is_large_and_its_ids_unique():
    names = ids(CASES)
    assert len(names) >= 30
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_layer_argument_is_refused_clearly(case, tmp_path, monkeypatch):
    run_case(case, tmp_path, monkeypatch)


# NumPy scalars (what array arithmetic and configs read from arrays give) for every numeric and
# boolean argument; the configs must hold plain Python numbers.
NUMPY_ARGUMENTS = [
    (Maxout, {"num_units": np.int64(2), "axis": np.int32(-1)}),
    (MaxoutDense, {"units": np.int64(3), "num_pieces": np.int16(2), "use_bias": np.True_}),
    (CReLU, {"axis": np.int64(1)}),
    (RReLU, {"lower": np.float32(0.125), "upper": np.float64(0.25), "seed": np.int64(7)}),
    (
        LocalResponseNormalization,
        {
            "depth_radius": np.int64(3),
            "bias": np.float32(1.0),
            "alpha": np.float64(0.5),
            "beta": np.float16(0.75),
        },
    ),
    (ChannelPadding, {"before": np.int64(1), "after": np.uint8(2)}),
    (MaskedMaxOverTime, {"window_size": np.int64(3)}),
    (ExplicitDense, {"units": np.int64(4), "use_bias": np.False_}),
    (
        PeepholeLSTM,
        {
            "units": np.int64(4),
            "dropout": np.float32(0.25),
            "seed": np.uint32(9),
            "return_sequences": np.True_,
            "unit_forget_bias": np.False_,
        },
    ),
    (PeepholeLSTMCell, {"units": np.int32(4), "recurrent_dropout": np.float64(0.5)}),
]


@pytest.mark.parametrize(
    ("cls", "arguments"), NUMPY_ARGUMENTS, ids=[cls.__name__ for cls, _ in NUMPY_ARGUMENTS]
)
def test_numpy_scalars_are_accepted_and_saved_as_plain_numbers(cls, arguments):
    config = cls(**arguments).get_config()
    for name, value in arguments.items():
        plain = type(value.item())
        assert type(config[name]) is plain, (name, type(config[name]))
        assert config[name] == value
    assert json.loads(json.dumps(config)) == config
    assert cls.from_config(config).get_config() == config


def test_a_window_wider_than_the_channels_is_cheap_and_covers_them_all():
    """A huge depth_radius is valid (the window is clipped at the edges): no huge padding."""
    x = np.random.default_rng(0).normal(size=(2, 3, 5)).astype("float32")
    huge = LocalResponseNormalization(depth_radius=2**31 - 1, alpha=0.5)(x)
    every_channel = LocalResponseNormalization(depth_radius=4, alpha=0.5)(x)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(huge), keras.ops.convert_to_numpy(every_channel), rtol=1e-6
    )
