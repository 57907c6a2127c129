"""The Nature DQN: 1,693,362 parameters with 18 actions, a linear Q-value head."""

from __future__ import annotations

import pytest

import zoo


def test_dqn_parameters_shapes_and_linear_head():
    model = zoo.build("dqn")
    assert model.count_params() == 1_693_362
    shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers[1:]}
    assert shapes["conv1"] == (20, 20, 32)
    assert shapes["conv2"] == (9, 9, 64)
    assert shapes["conv3"] == (7, 7, 64)
    assert shapes["fc"] == (512,)
    assert shapes["q_values"] == (18,)
    head = model.get_layer("q_values")
    assert head.get_config()["activation"] == "linear" and head.dtype_policy.name == "float32"
    assert zoo.info("dqn").task == "q_values" and "dqn" in zoo.list_models(task="q_values")


def test_dqn_num_actions_and_smallest_input():
    model = zoo.build("deep_q_network", num_actions=4, input_shape=(36, 36, 4))
    assert model.get_layer("conv3").output.shape == (None, 1, 1, 64)
    assert model.output.shape == (None, 4)


@pytest.mark.parametrize(
    ("kwargs", "phrase"),
    [
        ({"num_actions": 0}, "num_actions must be an integer >= 1, got 0"),
        ({"num_classes": 4}, "num_classes does not apply to 'dqn'"),
        ({"input_shape": (None, None, 4)}, "free spatial size"),
    ],
)
def test_dqn_bad_knobs(kwargs, phrase):
    with pytest.raises(ValueError, match=phrase):
        zoo.build("dqn", **kwargs)
