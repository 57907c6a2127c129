"""``features_only`` / ``out_indices`` and `zoo.feature_info`, over every model that has stages.

Each model of ``zoo.list_models(features_only=True)`` is built at its small size
(`tests.helpers.small_models`): its stages must be the recorded card's, its outputs' shapes the
stages' channels and reductions, the last stage the ``include_top=False`` output, and each
feature map the full model's intermediate activation with the same weights. The deeper members
of a family (`SAME_LAYERS_AS`, and ResNet-1202) are checked for their structure only: their
layer types stand behind a representative that gets every check; ResNet-1202's stages are
checked in tests/zoo/models/test_resnet.py, where it is built once.
"""

from __future__ import annotations

import math
import pathlib
import re

import keras
import numpy as np
import pytest

import zoo
from tests.helpers.model_checks import check_round_trip
from tests.helpers.small_models import SAME_LAYERS_AS, SMALL_CONFIGS
from zoo.models import _features
from zoo.models._cards import stage_table

# ResNet-1202 (a 40 s build) is checked where it is built once: tests/zoo/models/test_resnet.py.
FEATURE_MODELS = [n for n in zoo.list_models(features_only=True) if n != "resnet1202"]
# The deeper family members: structure only (their layer types are a representative's).
STRUCTURE_ONLY = set(SAME_LAYERS_AS)

# Stages as timm lists them for its twins (timm's feature_info of resnet50, xception,
# inception_v3), and as the VGG and MobileNet tables give them.
TIMM_STAGES = {
    "resnet50": ((64, 256, 512, 1024, 2048), (2, 4, 8, 16, 32)),
    "xception": ((64, 128, 256, 728, 2048), (2, 4, 8, 16, 32)),
    "inception_v3": ((64, 192, 288, 768, 2048), (2, 4, 8, 16, 32)),
    "vgg_d": ((64, 128, 256, 512, 512, 512), (1, 2, 4, 8, 16, 32)),
    "mobilenet": ((64, 128, 256, 512, 1024), (2, 4, 8, 16, 32)),
}


def _small(name: str, **overrides) -> dict:
    config = {k: v for k, v in SMALL_CONFIGS[name].items() if k not in ("num_classes",)}
    if name == "dqn":
        config.pop("num_actions")
    return {**config, **overrides}


def _images(shape, count: int = 2, seed: int = 0):
    return np.random.default_rng(seed).uniform(0, 1, (count, *shape)).astype("float32")


def _numpy(outputs):
    return keras.tree.map_structure(keras.ops.convert_to_numpy, outputs)


def test_the_models_with_features_are_the_image_networks_with_stages():
    expected_families = {
        "alexnet",
        "dqn",
        "inception",
        "lenet",
        "mnist_cnn",
        "mobilenet",
        "nin",
        "resnet",
        "style_transfer",
        "vgg",
        "xception",
    }
    assert {zoo.info(n).family for n in zoo.list_models(features_only=True)} == expected_families
    supported, others = (zoo.list_models(features_only=flag) for flag in (True, False))
    assert sorted(supported + others) == zoo.list_models()
    for name in zoo.list_models():
        assert zoo.info(name).features == (name in supported)
        assert bool(zoo.info(name).stages) == zoo.info(name).features


@pytest.mark.parametrize("name", sorted(TIMM_STAGES))
def test_the_recorded_stages_are_timms(name):
    channels, reductions = TIMM_STAGES[name]
    stages = zoo.feature_info(name)
    assert stages.channels() == channels
    assert stages.reduction() == reductions
    assert [s.index for s in stages] == list(range(len(channels)))


# Under JAX and torch (make test-backends) the graph reading and the weight sharing run for a
# plain chain, a residual network, a depthwise one and one with Inception's branches.
ON_EVERY_BACKEND = {"lenet5", "resnet20", "mobilenet", "googlenet"}
HEAVY = pytest.mark.backend_heavy("the same graph code as the models run on every backend")


@pytest.mark.parametrize(
    "name",
    [n if n in ON_EVERY_BACKEND else pytest.param(n, marks=HEAVY) for n in FEATURE_MODELS],
)
def test_feature_model(name, tmp_path):
    recorded = zoo.feature_info(name)
    config = _small(name)
    with pytest.raises(ValueError, match=f"out of range: the stages of '{name}' are 0 to"):
        zoo.build(name, features_only=True, out_indices=(len(recorded),), **config)
    if name in STRUCTURE_ONLY:
        _check_structure(zoo.build(name, features_only=True, **config), recorded, config)
        return

    # The same weights as the full model: each feature map is its intermediate activation.
    full = zoo.build(name, **SMALL_CONFIGS[name])
    weights = tmp_path / "full.weights.h5"
    full.save_weights(weights)
    features = zoo.build(name, features_only=True, weights=weights, **config)
    found = _check_structure(features, recorded, config)
    backbone = zoo.build(name, include_top=False, weights=weights, **config)
    images = _images(config["input_shape"])
    outputs = {layer.name: out[0] for layer, _, out in _features._calls(full)}
    intermediate = keras.Model(full.inputs, [outputs[s.layer] for s in found])
    expected = _numpy(intermediate(images, training=False))
    actual = _numpy(features(images, training=False))
    for stage, want, got in zip(found, expected, actual, strict=True):
        np.testing.assert_array_equal(got, want, err_msg=stage.layer)
    np.testing.assert_array_equal(actual[-1], _numpy(backbone(images, training=False)))
    loaded = check_round_trip(features, images, tmp_path)
    assert zoo.feature_info(loaded) == found


def _check_structure(features, recorded, config):
    """The feature model's stages are the card's, and its outputs their channels and sizes."""
    assert isinstance(features.output, list) and len(features.outputs) == len(recorded)
    found = zoo.feature_info(features)
    same_depth = set(config) <= {"input_shape", "alpha"}  # else other layer names
    assert [(s.index, s.reduction, same_depth and s.layer) for s in found] == [
        (s.index, s.reduction, same_depth and s.layer) for s in recorded
    ], "the stages at the small size differ from the recorded card's"
    size = config["input_shape"][0]
    for stage, output in zip(found, features.outputs, strict=True):
        _, height, width, channels = output.shape
        assert channels == stage.channels
        assert 1 <= height <= math.ceil(size / stage.reduction)
        assert height == width
    reductions = found.reduction()
    assert list(reductions) == sorted(set(reductions)), "reductions must strictly increase"
    return found


def test_out_indices_select_and_order_the_stages():
    model = zoo.build(
        "resnet18", features_only=True, out_indices=(-1, 0, 2), input_shape=(64, 64, 3)
    )
    assert [tuple(t.shape) for t in model.outputs] == [
        (None, 2, 2, 512),
        (None, 32, 32, 64),
        (None, 8, 8, 128),
    ]
    assert [s.index for s in zoo.feature_info(model)] == [4, 0, 2]
    single = zoo.build("lenet5", features_only=True, out_indices=[np.int64(-1)])
    assert len(single.outputs) == 1 and zoo.feature_info(single)[0].layer == "s4"


@pytest.mark.parametrize(
    "out_indices, phrase",
    [
        ((5,), r"has 5, out of range: the stages of .resnet18. are 0 to 4 \(or -5 to -1 from"),
        ((-6,), "has -6, out of range"),
        ((1, 1), "selects stage 1 more than once"),
        ((1, -4), "selects stage 1 more than once"),
        ((1.0,), "must hold integers, got 1.0"),
        ((True,), "must hold integers, got True"),
        (("1",), "must hold integers, got '1'"),
        (2, r"a sequence of stage indices \(one stage: out_indices=\(i,\)\), got 2"),
        ("0,1", "a sequence of stage indices"),
        ((), "selects no stage"),
    ],
)
def test_bad_out_indices_name_the_valid_range(out_indices, phrase):
    with pytest.raises(ValueError, match=phrase):
        zoo.build("resnet18", features_only=True, out_indices=out_indices)


@pytest.mark.parametrize(
    "name, kwargs, phrase",
    [
        ("lenet5", {"pooling": "avg"}, "pooling='avg' applies to the model's top"),
        ("lenet5", {"num_classes": 3}, "num_classes=3 applies to the model's top"),
        ("lenet5", {"classifier_activation": None}, "classifier_activation=None applies"),
        ("lenet5", {"out_indices": (0,), "features_only": False}, "applies only with features"),
        ("mlp", {"features_only": True}, "'mlp' .task 'image_classification'. has none"),
        ("lstm", {"features_only": True}, "Those that have: alexnet, dqn"),
        ("lenet5", {"features_only": "yes"}, "features_only"),
    ],
)
def test_features_only_refuses_what_does_not_apply(name, kwargs, phrase):
    kwargs = {"features_only": True, **kwargs}
    with pytest.raises(ValueError, match=phrase):
        zoo.build(name, **kwargs)


def test_feature_info_of_a_model_without_stages():
    with pytest.raises(ValueError, match="'lstm' has no feature stages"):
        zoo.feature_info("lstm")
    two_inputs = zoo.build("show_and_tell", **SMALL_CONFIGS["show_and_tell"])
    with pytest.raises(ValueError, match="has 2 inputs"):
        zoo.feature_info(two_inputs)


def test_a_full_models_weights_load_into_the_feature_model_and_a_wrong_file_is_refused(tmp_path):
    lenet = zoo.build("lenet5", num_classes=3)
    lenet.save_weights(tmp_path / "lenet.weights.h5")
    features = zoo.build("lenet5", features_only=True, weights=tmp_path / "lenet.weights.h5")
    np.testing.assert_array_equal(
        features.get_layer("c3").get_weights()[0], lenet.get_layer("c3").get_weights()[0]
    )
    other = zoo.build("mnist_cnn", input_shape=(32, 32, 1))
    other.save_weights(tmp_path / "other.weights.h5")
    with pytest.raises(ValueError, match="does not fit model 'lenet5'"):
        zoo.build("lenet5", features_only=True, weights=tmp_path / "other.weights.h5")


def test_summary_marks_the_stage_ends():
    profile = zoo.summary("resnet18", input_shape=(32, 32, 3))
    marked = [(row.name, row.stage) for row in profile.rows if row.stage is not None]
    assert marked == [(s.layer, s.index) for s in zoo.feature_info("resnet18")]
    text = str(profile)
    assert "Stage" in text.splitlines()[2]
    assert any(
        line.startswith("conv5_block2_out (Activation)") and line.endswith("4 (/32)")
        for line in text.splitlines()
    )
    assert profile.to_dict()["stages"] == zoo.feature_info("resnet18").to_list()
    assert "Stage" not in str(zoo.summary("lstm")).splitlines()[2]


def test_the_readme_stage_tables_are_generated_from_feature_info():
    readme = (pathlib.Path(__file__).resolve().parents[3] / "README.md").read_text()
    block = re.search(r"<!-- stages:start -->\n(.*?)\n<!-- stages:end -->", readme, re.S)
    assert block, "README.md lacks the generated stage tables"
    expected = "\n\n".join(
        stage_table(name, zoo.feature_info(name).to_list())
        for name in ("resnet50", "vgg_d", "mobilenet", "xception")
    )
    assert block.group(1) == expected, "regenerate them with zoo info NAME --stages"
