"""One activation vocabulary (issue 14): every ``activation`` knob takes the block table, one slope.

Every registered builder with an ``activation`` knob accepts the names of
`zoo.models._blocks.ACTIVATIONS` (and any Keras activation name) and applies them the same way,
through `_blocks.activate`: each model is built at its small configuration
(`tests.helpers.small_models.SMALL_CONFIGS`) once per name, and run forward on one input. The
deeper members of a family (`SAME_LAYERS_AS`, and ResNet-1202 for ResNet-20: the same builder,
the same layer types, more blocks) are stood in for by the member that is built, and only checked
to refuse an unknown name. Leaky ReLU has one slope, `zoo.layers.activations.LEAKY_RELU_SLOPE`,
in the lecture functions, `ExplicitDense`, the blocks and the builders.
"""

from __future__ import annotations

import functools
import re

import keras
import numpy as np
import pytest

import zoo
from tests.helpers.model_checks import all_layers
from tests.helpers.small_models import SAME_LAYERS_AS, SMALL_CONFIGS
from zoo.layers import CReLU, ExplicitDense, Maxout, RReLU, activations
from zoo.models import _blocks as blocks

WITH_ACTIVATION = tuple(
    name for name in zoo.list_models() if "activation" in zoo.info(name).config_arguments
)
STAND_IN = {**SAME_LAYERS_AS, "resnet1202": "resnet20"}
BUILT = tuple(name for name in WITH_ACTIVATION if name not in STAND_IN)

# The layer each name of the table becomes (relu and elu: a Keras Activation of that name).
LAYER_TYPES = {
    "relu": keras.layers.Activation,
    "elu": keras.layers.Activation,
    "leaky_relu": keras.layers.LeakyReLU,
    "prelu": keras.layers.PReLU,
    "rrelu": RReLU,
    "crelu": CReLU,
    "maxout": Maxout,
}


@functools.cache
def _batch(shape: tuple) -> np.ndarray:
    """One input in [0, 1) of ``shape``, the same for every activation."""
    return np.random.default_rng(0).uniform(0.0, 1.0, (1, *shape)).astype("float32")


def test_the_table_is_what_the_layer_types_cover():
    assert set(LAYER_TYPES) == set(blocks.ACTIVATIONS)
    assert set(BUILT) | set(STAND_IN) >= set(WITH_ACTIVATION)
    assert all(STAND_IN[name] in BUILT for name in WITH_ACTIVATION if name not in BUILT)


@pytest.mark.parametrize("activation", blocks.ACTIVATIONS)
@pytest.mark.parametrize("name", BUILT)
def test_every_activation_builds_and_runs_forward(name, activation):
    model = zoo.build(name, **{**SMALL_CONFIGS[name], "activation": activation})
    kind = LAYER_TYPES[activation]
    applied = [
        layer for layer in all_layers(model) if type(layer) is kind and layer.name.endswith("_act")
    ]
    assert applied, f"{name}: no {kind.__name__} layer for activation={activation!r}"
    if kind is keras.layers.Activation:
        assert any(layer.get_config()["activation"] == activation for layer in applied)
    if activation == "leaky_relu":
        assert {layer.negative_slope for layer in applied} == {activations.LEAKY_RELU_SLOPE}
    x = _batch(tuple(model.input_shape[1:]))
    outputs = model(x, training=False)
    for y in outputs if isinstance(outputs, (list, tuple)) else [outputs]:
        y = keras.ops.convert_to_numpy(y)
        assert y.shape[0] == 1 and np.all(np.isfinite(y)), name


@pytest.mark.parametrize("name", WITH_ACTIVATION)
def test_an_unknown_activation_is_refused_naming_the_table(name):
    # Checked before any layer is made, so this costs nothing even for ResNet-1202.
    message = "activation must be one of 'relu', 'elu', 'leaky_relu', 'prelu', 'rrelu', 'crelu'"
    with pytest.raises(ValueError, match=re.escape(message) + r".*got 'relux'"):
        zoo.build(name, **{**SMALL_CONFIGS[name], "activation": "relux"})


@pytest.mark.parametrize(
    ("name", "config", "layer"),
    [
        ("mlp", {"input_shape": (4,), "hidden_units": [7]}, "hidden1_act"),
        ("autoencoder", {"input_shape": (4, 4, 1), "layer_sizes": [5, 2]}, "encoder_dense1_act"),
    ],
)
def test_maxout_on_an_odd_width_names_the_activation_and_the_layer(name, config, layer):
    with pytest.raises(ValueError, match=rf"activation='maxout'.*'{layer}'.*even number"):
        zoo.build(name, **config, activation="maxout")


@pytest.mark.parametrize("knob", ["code_activation", "output_activation"])
def test_autoencoder_code_and_output_take_the_table_but_keep_their_width(knob):
    config = {"input_shape": (4, 4, 1), "layer_sizes": [8, 2]}
    for activation in ("crelu", "maxout"):
        with pytest.raises(ValueError, match=rf"{knob} must keep the width.*got '{activation}'"):
            zoo.build("autoencoder", **config, **{knob: activation})
    model = zoo.build("autoencoder", **config, **{knob: "leaky_relu"})
    leaky = [layer for layer in all_layers(model) if isinstance(layer, keras.layers.LeakyReLU)]
    assert [layer.negative_slope for layer in leaky] == [activations.LEAKY_RELU_SLOPE]
    assert tuple(model.output.shape) == (None, 4, 4, 1)


def test_leaky_relu_has_one_slope_everywhere():
    """activations.leaky_relu, ExplicitDense, the blocks' layer and a built MLP agree on x < 0."""
    assert activations.LEAKY_RELU_SLOPE == 0.01  # Maas et al. 2013 (lecture 004: a = 100)
    x = np.array([[-3.0, -1.0, -0.25, 2.0]], "float32")
    want = np.where(x >= 0, x, 0.01 * x)
    identity = np.eye(4, dtype="float32")

    explicit = ExplicitDense(4, activation="leaky_relu", use_bias=False)
    explicit.build((None, 4))
    explicit.kernel.assign(identity)
    mlp = zoo.build("mlp", input_shape=(4,), hidden_units=[4], activation="leaky_relu")
    mlp.get_layer("hidden1").set_weights([identity, np.zeros(4, "float32")])
    hidden = keras.Model(mlp.input, mlp.get_layer("hidden1_act").output)
    got = {
        "zoo.layers.activations.leaky_relu": activations.leaky_relu(x),
        "ExplicitDense": explicit(x),
        "_blocks.activation_layer": blocks.activation_layer("leaky_relu", "leaky", rank=2)(x),
        'zoo.build("mlp")': hidden(x),
    }
    for where, y in got.items():
        np.testing.assert_allclose(keras.ops.convert_to_numpy(y), want, rtol=1e-6, err_msg=where)

    # The derivative (and with it ExplicitDense's hand-written backward) uses the same slope.
    slope = np.where(x > 0, 1.0, 0.01)
    derivative = keras.ops.convert_to_numpy(activations.leaky_relu_derivative(x))
    np.testing.assert_allclose(derivative, slope, rtol=1e-6)
    dx, _, _ = explicit.backward(x, np.ones_like(x))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(dx), slope, rtol=1e-6)
