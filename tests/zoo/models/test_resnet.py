"""ResNets: ImageNet depths 18-152 (Table 1) and the CIFAR-10 depths 20-1202 (section 4.2)."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

import zoo
from tests.helpers.model_checks import all_layers, check_readme_row
from zoo.layers import ChannelPadding

IMAGENET = {
    "resnet18": 11_689_512,
    "resnet34": 21_797_672,
    "resnet50": 25_557_032,
    "resnet101": 44_549_160,
    "resnet152": 60_192_808,
}
CIFAR = {
    "resnet20": 0.27e6,
    "resnet32": 0.46e6,
    "resnet44": 0.66e6,
    "resnet56": 0.85e6,
    "resnet110": 1.7e6,
}


def _trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def _bn_channels(model):
    return sum(
        layer.moving_mean.shape[0]
        for layer in model._flatten_layers()
        if isinstance(layer, keras.layers.BatchNormalization)
    )


@pytest.mark.parametrize("name", list(IMAGENET))
def test_imagenet_depths_parameter_counts(name):
    model = zoo.build(name)
    # The paper's (and torchvision's) count: trainable parameters; Keras adds BN's statistics.
    assert _trainable(model) == IMAGENET[name]
    assert model.count_params() == IMAGENET[name] + 2 * _bn_channels(model)
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert not any(conv.use_bias for conv in convs)
    assert model.output.shape == (None, 1000)


def test_resnet50_stage_shapes_and_bottlenecks():
    model = zoo.build("resnet50")
    expected = {
        "pool1": (56, 56, 64),
        "conv2_block3_out": (56, 56, 256),
        "conv3_block4_out": (28, 28, 512),
        "conv4_block6_out": (14, 14, 1024),
        "conv5_block3_out": (7, 7, 2048),
    }
    for name, shape in expected.items():
        assert model.get_layer(name).output.shape == (None, *shape), name
    assert model.get_layer("conv3_block1_2_conv").strides == (2, 2)  # stride on the 3x3
    assert model.get_layer("conv3_block1_0_conv").kernel.shape == (1, 1, 256, 512)
    assert "conv3_block2_0_conv" not in [layer.name for layer in model.layers]


@pytest.mark.parametrize("name", list(CIFAR))
def test_cifar_depths_are_within_2_percent_of_the_paper(name):
    model = zoo.build(name)
    assert abs(_trainable(model) - CIFAR[name]) <= 0.02 * CIFAR[name]
    assert model.output.shape == (None, 10)
    assert not any("_0_conv" in layer.name for layer in model.layers)  # option A only


@pytest.mark.slow
def test_resnet1202_has_19_4m_parameters_in_nested_chunks():
    """Built once (a 25 s build on 2 cores), also for test_bn_momentum.py's check of the knob:
    ``bn_momentum`` reaches the batch normalizations inside every nested chunk."""
    for bad in (1.0, -0.1, math.nan, "0.9", True):
        with pytest.raises(ValueError, match=r"bn_momentum must be"):
            zoo.build("resnet1202", bn_momentum=bad)
    model = zoo.build("resnet1202", bn_momentum=0.5)
    batch_norms = [n for n in all_layers(model) if isinstance(n, keras.layers.BatchNormalization)]
    assert len(batch_norms) == 1 + 3 * 200 * 2  # the stem's, two in each of the 600 blocks
    assert {layer.momentum for layer in batch_norms} == {0.5}
    assert abs(_trainable(model) - 19.4e6) <= 0.02 * 19.4e6
    check_readme_row("resnet1202", model)
    # 3 stages of 200 blocks, each built as 4 nested models of 50 blocks (Python's recursion
    # limit would stop Keras from walking one flat 4000-layer graph).
    chunks = [layer.name for layer in model.layers if isinstance(layer, keras.Model)]
    assert len(chunks) == 12 and chunks[:2] == ["conv2_blocks1_50", "conv2_blocks51_100"]
    assert model.output.shape == (None, 10)
    # Its feature stages end at the last chunk of each stage (tests/zoo/models/test_features.py).
    assert zoo.feature_info(model) == zoo.feature_info("resnet1202")
    assert zoo.feature_info(model).layers() == tuple(f"conv{i}_blocks151_200" for i in (2, 3, 4))


def test_option_a_shortcut_subsamples_and_pads_with_zeros():
    model = zoo.build("resnet20", input_shape=(8, 8, 3), include_top=False)
    pad = model.get_layer("conv3_block1_0_pad")
    assert isinstance(pad, ChannelPadding) and (pad.before, pad.after) == (8, 8)
    assert model.get_layer("conv4_block1_0_pad").output.shape == (None, 2, 2, 64)
    probe = keras.Model(model.input, [model.get_layer("conv2_block3_out").output, pad.output])
    x = np.random.default_rng(1).random((2, 8, 8, 3), dtype=np.float32)
    stage2, shortcut = (keras.ops.convert_to_numpy(t) for t in probe(x))
    np.testing.assert_array_equal(shortcut[..., 8:24], stage2[:, ::2, ::2, :])
    assert not shortcut[..., :8].any() and not shortcut[..., 24:].any()
    stages = {"conv2_block3_out": 8, "conv3_block3_out": 4, "conv4_block3_out": 2}
    for name, size in stages.items():
        assert model.get_layer(name).output.shape[1:3] == (size, size)


@pytest.mark.parametrize(("activation", "projections"), [("crelu", 7), ("maxout", 0)])
def test_width_changing_activations_get_matching_shortcuts(activation, projections):
    # crelu doubles each block's output, so the next block's shortcut must project it back
    # (except where a stage doubles the width anyway: 2 of the 9 blocks only subsample);
    # maxout halves it, and option A pads the missing half with zeros.
    model = zoo.build("resnet20", activation=activation, include_top=False)
    names = [layer.name for layer in model.layers]
    assert sum(name.endswith("_0_conv") for name in names) == projections
    factor = 2 if activation == "crelu" else 0.5
    assert model.output.shape == (None, 8, 8, int(64 * factor))


def test_mixed_precision_keeps_the_classifier_in_float32():
    keras.config.set_dtype_policy("mixed_bfloat16")
    model = zoo.build("resnet20", input_shape=(8, 8, 3))
    assert model.get_layer("conv2_block1_1_conv").compute_dtype == "bfloat16"
    assert model.get_layer("predictions").compute_dtype == "float32"
    y = model(np.zeros((1, 8, 8, 3), "float32"))
    assert keras.backend.standardize_dtype(y.dtype) == "float32"
