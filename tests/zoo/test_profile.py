"""zoo.summary / zoo.Profile: lecture arithmetic and the papers' MACs.

Each expected number is computed here independently: by the lecture formulas (seed 003:
O = (W - F + 2P) / S + 1; params (F*F*C_in/groups + 1)*C_out), by numpy counting of the
weights a convolution multiplies, or by ``model.count_params()``. No forward pass runs. Every
registered model's profile at its default configuration (total params equal to
``count_params()``, MACs, the recorded card's counts) is checked where the model is built anyway:
tests/helpers/model_checks.check_readme_row, from tests/zoo/models/test_models.py and
test_resnet.py.
"""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

import zoo
from zoo.layers import ExplicitDense, MaxoutDense, PeepholeLSTM
from zoo.profile import Profile, ProfileRow, human_units, summary

pytestmark = pytest.mark.backend_heavy("the profile reads shapes only, no backend computation")


def _model(inputs, *layers):
    x = inputs
    for layer in layers:
        x = layer(x)
    return keras.Model(inputs, x)


def _row(profile: Profile, name: str) -> ProfileRow:
    (row,) = [row for row in profile.rows if row.name == name]
    return row


def _out(w, f, p, s):
    """The lecture's output size O = (W - F + 2P) / S + 1."""
    assert (w - f + 2 * p) % s == 0
    return (w - f + 2 * p) // s + 1


# ------------------------------------------------------------------ the lecture's arithmetic


@pytest.mark.parametrize("padding", ["zero_padding_layer", "same"])
def test_conv_32x32x3_with_10_5x5_filters_padding_2(padding):
    inputs = keras.Input((32, 32, 3))
    if padding == "same":
        model = _model(inputs, keras.layers.Conv2D(10, 5, padding="same", name="conv"))
    else:
        model = _model(
            inputs, keras.layers.ZeroPadding2D(2), keras.layers.Conv2D(10, 5, name="conv")
        )
    profile = summary(model)
    o = _out(32, 5, 2, 1)
    row = _row(profile, "conv")
    assert row.output_shape == (None, o, o, 10) == (None, 32, 32, 10)
    assert row.params == (5 * 5 * 3 + 1) * 10 == 760
    assert row.macs == o * o * 10 * 5 * 5 * 3
    assert profile.total_params == 760 == model.count_params()
    assert profile.total_macs == row.macs  # padding costs nothing


def test_conv_227x227x3_with_96_11x11_filters_stride_4():
    model = _model(keras.Input((227, 227, 3)), keras.layers.Conv2D(96, 11, strides=4, name="c"))
    profile = summary(model)
    o = _out(227, 11, 0, 4)
    assert _row(profile, "c").output_shape == (None, 55, 55, 96)
    assert profile.total_params == 96 * 11 * 11 * 3 + 96 == 34_944
    assert profile.total_macs == o * o * 96 * 11 * 11 * 3 == 105_415_200


def _group_mask(c_in, c_out, groups):
    """1 where output channel j reads input channel i in a grouped convolution."""
    group_in = np.arange(c_in)[:, None] // (c_in // groups)
    group_out = np.arange(c_out)[None, :] // (c_out // groups)
    return (group_in == group_out).astype(int)


@pytest.mark.parametrize("groups", [1, 2, 4])
def test_grouped_conv2d_against_numpy_count(groups):
    c_in, c_out, f, w, s = 8, 12, 3, 15, 2
    conv = keras.layers.Conv2D(c_out, f, strides=s, groups=groups, name="conv")
    model = _model(keras.Input((w, w, c_in)), conv)
    o = _out(w, f, 0, s)
    # Every output position multiplies each (tap, input channel, output channel) it connects.
    connected = np.ones((f, f, 1, 1), int) * _group_mask(c_in, c_out, groups)
    row = _row(summary(model), "conv")
    assert row.macs == o * o * int(connected.sum()) == o * o * c_out * f * f * c_in // groups
    assert row.params == (f * f * c_in // groups + 1) * c_out == model.count_params()


def test_grouped_conv1d():
    model = _model(keras.Input((20, 6)), keras.layers.Conv1D(9, 5, groups=3, name="conv"))
    connected = np.ones((5, 1, 1), int) * _group_mask(6, 9, 3)
    assert summary(model).total_macs == 16 * int(connected.sum())


@pytest.mark.parametrize("multiplier", [1, 2])
def test_depthwise_and_separable_conv_against_numpy_count(multiplier):
    c_in, c_out, f, w = 6, 10, 3, 9
    inputs = keras.Input((w, w, c_in))
    depthwise = keras.layers.DepthwiseConv2D(
        f, padding="same", depth_multiplier=multiplier, name="dw"
    )
    separable = keras.layers.SeparableConv2D(
        c_out, f, padding="same", depth_multiplier=multiplier, name="sep"
    )
    model = keras.Model(inputs, [depthwise(inputs), separable(inputs)])
    profile = summary(model)
    # Depthwise: output channel j reads input channel j // multiplier only.
    reads = np.arange(c_in * multiplier)[None, :] // multiplier == np.arange(c_in)[:, None]
    depthwise_macs = w * w * f * f * int(reads.sum())
    assert _row(profile, "dw").macs == depthwise_macs == w * w * c_in * multiplier * f * f
    pointwise_macs = w * w * int(np.ones((c_in * multiplier, c_out)).sum())
    assert _row(profile, "sep").macs == depthwise_macs + pointwise_macs
    assert profile.total_params == model.count_params()


def test_conv2d_transpose_multiplies_every_input_element_by_the_kernel():
    model = _model(keras.Input((7, 7, 4)), keras.layers.Conv2DTranspose(5, 3, strides=2, name="up"))
    row = _row(summary(model), "up")
    assert row.output_shape == (None, 15, 15, 5)  # (W - 1) * S + F
    assert row.macs == 7 * 7 * 4 * 3 * 3 * 5


def test_dense_layers_on_nd_inputs():
    inputs = keras.Input((7, 5))
    model = keras.Model(
        inputs,
        [
            keras.layers.Dense(3, name="dense")(inputs),
            ExplicitDense(4, name="explicit")(inputs),
            MaxoutDense(2, num_pieces=3, name="maxout")(inputs),
        ],
    )
    profile = summary(model)
    assert _row(profile, "dense").macs == 7 * 5 * 3
    assert _row(profile, "explicit").macs == 7 * 5 * 4
    assert _row(profile, "maxout").macs == 7 * 5 * 2 * 3
    assert profile.total_params == model.count_params()


def test_einsum_time_distributed_and_attention_matmuls():
    t, d, heads, key_dim = 7, 5, 2, 4
    x = keras.Input((t, d))
    model = keras.Model(
        x,
        [
            keras.layers.EinsumDense("abc,cd->abd", (t, 3), name="einsum")(x),
            keras.layers.TimeDistributed(keras.layers.Dense(3), name="td")(x),
            keras.layers.MultiHeadAttention(heads, key_dim, name="mha")(x, x),
        ],
    )
    profile = summary(model)
    assert _row(profile, "einsum").macs == _row(profile, "td").macs == t * d * 3
    projections = 3 * t * d * heads * key_dim + t * heads * key_dim * d  # Q, K, V, output
    scores_and_values = heads * t * t * (key_dim + key_dim)  # Q K^T, then A V
    assert _row(profile, "mha").macs == projections + scores_and_values
    assert profile.total_params == model.count_params()


def test_subclassed_model_lists_its_parameters():
    class TwoLayers(keras.Model):
        def __init__(self):
            super().__init__(name="two_layers")
            self.hidden = keras.layers.Dense(4)
            self.out = keras.layers.Dense(2)

        def call(self, x):
            return self.out(self.hidden(x))

    model = TwoLayers()
    model(np.zeros((1, 3), "float32"))
    profile = summary(model)
    assert profile.total_params == model.count_params() == 26
    assert profile.rows[0].output_shape is None  # eager calls leave no graph: unknown
    assert "?" in str(profile)
    assert json.loads(json.dumps(profile.to_dict()))["rows"][0]["output_shape"] is None


def test_pooling_normalisation_and_activation_conventions():
    model = _model(
        keras.Input((8, 8, 3)),
        keras.layers.BatchNormalization(name="bn"),
        keras.layers.Activation("relu", name="relu"),
        keras.layers.MaxPooling2D(2, name="pool"),
        keras.layers.GlobalAveragePooling2D(name="gap"),
    )
    profile = summary(model)
    assert _row(profile, "bn").macs == 0  # folds into the previous conv at inference
    assert _row(profile, "relu").macs == 0
    assert _row(profile, "pool").macs == 4 * 4 * 3 * (2 * 2)  # output elements * window
    assert _row(profile, "gap").macs == 4 * 4 * 3  # input elements
    assert profile.total_params == model.count_params() == 4 * 3


# ------------------------------------------------------------------ recurrent layers

T, D, U = 11, 6, 5


def _rnn_macs(layer, steps=T, features=D):
    model = _model(keras.Input((steps, features)), layer)
    profile = summary(model)
    assert profile.total_params == model.count_params()
    return profile.total_macs


def test_recurrent_layers_cost_their_cell_per_step():
    lstm = T * 4 * (D * U + U * U)
    assert _rnn_macs(keras.layers.LSTM(U)) == lstm
    assert _rnn_macs(keras.layers.LSTM(U, return_sequences=True)) == lstm
    assert _rnn_macs(keras.layers.RNN(keras.layers.LSTMCell(U))) == lstm
    assert _rnn_macs(PeepholeLSTM(U)) == lstm + T * 3 * U
    assert _rnn_macs(keras.layers.SimpleRNN(U)) == T * (D * U + U * U)
    for reset_after in (False, True):
        assert _rnn_macs(keras.layers.GRU(U, reset_after=reset_after)) == T * 3 * (D * U + U * U)
    assert _rnn_macs(keras.layers.Bidirectional(keras.layers.LSTM(U))) == 2 * lstm
    stacked = keras.layers.RNN([keras.layers.SimpleRNNCell(U), keras.layers.SimpleRNNCell(3)])
    assert _rnn_macs(stacked) == T * ((D * U + U * U) + (U * 3 + 3 * 3))


def test_registered_lstm_is_embedding_free_and_counts_every_step():
    profile = summary("lstm")
    assert _row(profile, "embedding").macs == 0
    d = u = 128
    assert _row(profile, "lstm1").macs == 200 * 4 * (d * u + u * u)


# ------------------------------------------------------------------ graphs


def test_shared_layer_counts_every_call_and_its_weights_once():
    a, b = keras.Input((4,)), keras.Input((4,))
    shared = keras.layers.Dense(3, name="shared")
    model = keras.Model([a, b], keras.layers.Add()([shared(a), shared(b)]))
    profile = summary(model)
    assert _row(profile, "shared").macs == 2 * 4 * 3
    assert _row(profile, "shared").params == 15
    assert profile.total_params == model.count_params() == 15


def test_nested_models_are_walked_and_summed_per_call():
    inner = _model(keras.Input((6,)), keras.layers.Dense(4, name="fc"))
    x = keras.Input((6,))
    outer = keras.Model(x, keras.layers.Add()([inner(x), inner(x)]))
    profile = summary(outer)
    assert _row(profile, f"{inner.name}/fc").macs == 2 * 6 * 4
    assert profile.total_params == outer.count_params() == 28
    sequential = keras.Sequential([keras.Input((6,)), keras.layers.Dense(2, name="d")])
    assert summary(sequential).total_macs == 12


def test_unrecognised_layers_report_zero_macs_and_their_params():
    class Scale(keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],))

        def call(self, x):
            return x * self.w

    model = _model(keras.Input((5,)), Scale(name="scale"), keras.layers.Dense(2))
    profile = summary(model)
    assert _row(profile, "scale") == ProfileRow("scale", "Scale", (None, 5), 5, 0)
    assert profile.total_params == model.count_params()
    assert profile.total_macs == 10


def test_free_dimensions_count_one_position_and_stay_none():
    model = _model(keras.Input((None, 4)), keras.layers.Dense(3, name="d"))
    profile = summary(model)
    assert _row(profile, "d").output_shape == (None, None, 3)
    assert profile.total_macs == 12  # per position


# ------------------------------------------------------------------ the papers' numbers


@pytest.mark.parametrize(
    ("name", "paper_macs", "tolerance"),
    [
        ("mobilenet", 569e6, 0.02),  # Howard et al. 2017, Table 8 (1.0 MobileNet-224)
        ("vgg_d", 15.5e9, 0.02),  # the commonly quoted 15.5G mult-adds of VGG-16
        ("alexnet", 0.72e9, 0.05),  # two-GPU (groups=2) AlexNet
        ("resnet50", 4.1e9, 0.05),  # ResNet-50 v1.5 (stride on the 3x3), as torchvision
    ],
)
def test_papers_macs(name, paper_macs, tolerance):
    # The recorded MACs, which check_readme_row compares with a build's profile.
    assert zoo.info(name).macs == pytest.approx(paper_macs, rel=tolerance)


# ------------------------------------------------------------------ API and rendering


def test_text_table_and_dict():
    model = _model(keras.Input((32, 32, 3)), keras.layers.Conv2D(10, 5, padding="same"))
    profile = zoo.summary(model)
    assert isinstance(profile, zoo.Profile)
    text = str(profile)
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("Layer (type)"))
    for column in ("Output shape", "Params", "MACs", "Stage"):
        assert column in header
    table = lines[lines.index(header) + 2 : lines.index(header) + 2 + len(profile.rows)]
    assert {len(line) for line in [header, *table]} == {len(header)}  # right-aligned numbers
    # The convolution ends the only stage (at the input's resolution: reduction 1).
    assert any("(None, 32, 32, 10)" in line and line.endswith("768,000  0 (/1)") for line in table)
    assert "Total params: 760" in text
    assert "Trainable params: 760" in text
    assert "Total MACs: 768,000 (768.0K)" in text

    data = profile.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["total_params"] == 760 and data["total_macs"] == 768_000
    assert data["rows"][-1]["output_shape"] == [None, 32, 32, 10]


def test_human_units():
    assert human_units(569_433_256) == "569.4M"
    assert human_units(15_470_264_320) == "15.5G"
    assert human_units(999) == "999"


def test_summary_by_name_and_errors():
    profile = zoo.summary("lenet5", input_shape=(32, 32, 3))
    assert profile.rows[0].output_shape == (None, 32, 32, 3)
    assert profile.total_params == 61_706 + 2 * 25 * 6
    with pytest.raises(ValueError, match="Did you mean"):
        zoo.summary("mobilnet")
    model = _model(keras.Input((3,)), keras.layers.Dense(2))
    with pytest.raises(ValueError, match="input_shape"):
        zoo.summary(model, input_shape=(3,))
    with pytest.raises(ValueError, match="name_or_model"):
        zoo.summary(42)
