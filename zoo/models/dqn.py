"""The deep Q-network of Mnih et al. 2015 (Nature), lecture 001 "CNN + reinforcement learning".

Input: the last 4 frames, 84x84 grey-scale. Three convolutions with ReLU, a 512-unit hidden
layer, and a linear output with one Q-value per action, Q(s, a) for every a at once:

| layer | filters / units | kernel / stride | output (84x84x4) |
| --- | --- | --- | --- |
| conv1 | 32 | 8x8 / 4 | 20x20x32 |
| conv2 | 64 | 4x4 / 2 | 9x9x64 |
| conv3 | 64 | 3x3 / 1 | 7x7x64 |
| fc | 512 | | 512 |
| q_values | actions (18 for the full Atari action set) | | actions |

1,693,362 parameters with 18 actions.
"""

from __future__ import annotations

import keras

from zoo.models._blocks import check_activation_name, conv_bn, dense_block, require_fixed_size
from zoo.models._registry import register
from zoo.models._spec import BuildSpec
from zoo.validation import check_positive_int

CONV_LAYERS = ((32, 8, 4), (64, 4, 2), (64, 3, 1))  # (filters, kernel, stride), no padding


@register(
    "dqn",
    aliases=("deep_q_network",),
    family="dqn",
    task="q_values",
    paper="Mnih et al. 2015, Human-level control through deep reinforcement learning",
    year=2015,
    default_input_shape=(84, 84, 4),
    min_input_size=36,
    features=True,
)
def dqn(spec: BuildSpec, *, num_actions: int = 18, activation: str = "relu") -> keras.Model:
    """DQN: three convolutions, a 512-unit layer, one linear Q-value per action.

    The head is always linear (Q-values are unbounded returns), so ``classifier_activation``
    does not apply; train it with a regression loss (e.g. Huber) on the taken action's value.
    The minimum input is 36x36: 36 -> conv1 8 -> conv2 3 -> conv3 1.

    Args:
        num_actions: the number of actions, i.e. outputs (18 = the full Atari action set).
        activation: activation of the hidden layers (paper: ReLU; see `zoo.models._blocks`).

    Example: ``zoo.build("dqn", num_actions=4)``.
    """
    num_actions = check_positive_int("num_actions", num_actions)
    check_activation_name("activation", activation)
    inputs, x = spec.inputs()
    for index, (filters, kernel, stride) in enumerate(CONV_LAYERS, start=1):
        x = conv_bn(
            x,
            filters,
            kernel,
            strides=stride,
            padding="valid",
            activation=activation,
            batch_norm=False,
            name=f"conv{index}",
        )
    if not spec.include_top:
        return spec.model_from(inputs, spec.pool(x))
    require_fixed_size(spec, "the DQN's flatten before its 512-unit layer")
    x = keras.layers.Flatten(name="flatten")(x)
    x = dense_block(x, 512, activation=activation, name="fc")
    x = keras.layers.Dense(num_actions, dtype="float32", name="q_values")(x)
    return spec.model_from(inputs, x)
