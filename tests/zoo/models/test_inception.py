"""GoogLeNet (Table 1, auxiliary heads) and Inception v3 against keras.applications."""

from __future__ import annotations

import keras
import pytest

import zoo
from zoo.models import inception

# Table 1's output sizes of the Inception modules on 224x224.
GOOGLENET_SHAPES = {
    "inception_3a": (28, 28, 256),
    "inception_3b": (28, 28, 480),
    "inception_4a": (14, 14, 512),
    "inception_4b": (14, 14, 512),
    "inception_4c": (14, 14, 512),
    "inception_4d": (14, 14, 528),
    "inception_4e": (14, 14, 832),
    "inception_5a": (7, 7, 832),
    "inception_5b": (7, 7, 1024),
}


def test_googlenet_parameters_and_table_1_shapes():
    model = zoo.build("googlenet")
    assert model.count_params() == 6_998_552
    assert 6.5e6 <= model.count_params() <= 7.1e6
    for name, shape in GOOGLENET_SHAPES.items():
        assert model.get_layer(name).output.shape == (None, *shape), name
    assert model.get_layer("stem_2_pool").output.shape == (None, 56, 56, 64)
    assert model.get_layer("stem_7_pool").output.shape == (None, 28, 28, 192)
    assert model.get_layer("dropout").rate == pytest.approx(0.4)


def test_googlenet_auxiliary_classifiers():
    model = zoo.build("inception_v1", aux_logits=True, num_classes=5)
    assert [tuple(out.shape) for out in model.outputs] == [(None, 5)] * 3
    assert model.output_names == [
        "predictions",
        "aux1_predictions",
        "aux2_predictions",
    ]
    assert model.get_layer("aux1_pool").output.shape == (None, 4, 4, 512)
    assert model.get_layer("aux2_conv").output.shape == (None, 4, 4, 128)
    assert model.get_layer("aux1_fc_dropout").rate == pytest.approx(0.7)
    assert all(
        model.get_layer(f"aux{i}_predictions").dtype_policy.name == "float32" for i in (1, 2)
    )


@pytest.mark.parametrize(
    ("kwargs", "phrase"),
    [
        ({"aux_logits": True, "input_shape": (64, 64, 3)}, "at least 65x65"),
        ({"aux_logits": True, "include_top": False}, "aux_logits=True needs include_top=True"),
        ({"aux_logits": 1}, "aux_logits must be True or False"),
        ({"dropout": 1.0}, r"dropout must be in \[0.0, 1.0\)"),
    ],
)
def test_googlenet_bad_knobs(kwargs, phrase):
    with pytest.raises(ValueError, match=phrase):
        zoo.build("googlenet", **kwargs)


def test_one_inception_module_function_builds_any_branch_table():
    x = keras.Input((28, 28, 192))
    y = inception.inception_module(
        x,
        inception.googlenet_branches(64, 96, 128, 16, 32, 32),
        name="m",
        activation="relu",
        batch_norm=False,
    )
    assert y.shape == (None, 28, 28, 256)
    model = keras.Model(x, y)
    assert model.get_layer("m_branch2_2").kernel.shape == (3, 3, 96, 128)
    assert model.get_layer("m_branch3_2").kernel.shape == (5, 5, 16, 32)
    assert isinstance(model.get_layer("m_branch4_1_pool"), keras.layers.MaxPooling2D)
    fork = inception.Fork(((inception.Conv(4, (1, 3)),), (inception.Conv(6, (3, 1)),)))
    z = inception.inception_module(x, ((inception.Conv(8, (1, 1)), fork),), name="f")
    assert z.shape == (None, 28, 28, 10)


def test_inception_v3_matches_keras_applications():
    ours, theirs = zoo.build("inception_v3"), keras.applications.InceptionV3(weights=None)
    assert ours.count_params() == theirs.count_params() == 23_851_784
    for index in range(11):
        name = f"mixed{index}"
        assert ours.get_layer(name).output.shape == theirs.get_layer(name).output.shape, name
    convs = [layer for layer in ours.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) == 94 and not any(conv.use_bias for conv in convs)


def test_inception_v3_smallest_input():
    model = zoo.build("inception_v3", input_shape=(75, 75, 3), include_top=False)
    assert model.output.shape == (None, 1, 1, 2048)
