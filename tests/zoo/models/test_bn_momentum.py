"""The ``bn_momentum`` knob: every builder with batch normalization has it, and it reaches every
BatchNormalization layer (nested chunk models included); the README's short-training recipe."""

from __future__ import annotations

import contextlib
import io
import math
import re

import keras
import pytest

import zoo
from tests.helpers.model_checks import all_layers
from tests.helpers.small_models import SMALL_CONFIGS
from zoo.models import resnet as resnet_module

from ...conftest import REPO

WITH_KNOB = [n for n in zoo.list_models() if "bn_momentum" in zoo.info(n).config_arguments]
WITHOUT_KNOB = [n for n in zoo.list_models() if n not in WITH_KNOB]
# A 25 s build on 2 cores: test_resnet.py's resnet1202 test builds it once, with the knob, and
# checks it there; its nested chunk models are checked cheaply below too.
BUILT_IN_TEST_RESNET = {"resnet1202"}


def batch_norms(model: keras.Model) -> list:
    bn = keras.layers.BatchNormalization
    return [layer for layer in all_layers(model) if isinstance(layer, bn)]


def knob_config(name: str, **extra) -> dict:
    """The small configuration of ``name``, with its batch normalization switched on (VGG)."""
    config = {**SMALL_CONFIGS[name], **extra}
    if "batch_norm" in zoo.info(name).config_arguments:
        config["batch_norm"] = True
    if "normalization" in zoo.info(name).config_arguments:
        config["normalization"] = "batch"
    return config


def test_the_bn_families_have_the_knob():
    expected = {"mobilenet", "inception_v3", "xception", "resnet18", "resnet20", "vgg_d"}
    assert expected <= set(WITH_KNOB)
    assert not {"googlenet", "alexnet", "lenet5", "mlp"} & set(WITH_KNOB)


@pytest.mark.parametrize("name", [n for n in WITH_KNOB if n not in BUILT_IN_TEST_RESNET])
def test_bn_momentum_reaches_every_batch_norm_and_is_checked(name):
    model = zoo.build(name, **knob_config(name, bn_momentum=0.5))
    layers = batch_norms(model)
    assert layers, f"{name} has the knob but no BatchNormalization"
    assert {layer.momentum for layer in layers} == {0.5}
    for bad in (1.0, -0.1, math.nan, "0.9", True):
        with pytest.raises(ValueError, match=r"bn_momentum must be"):
            zoo.build(name, **knob_config(name, bn_momentum=bad))


def test_bn_momentum_reaches_the_batch_norms_of_nested_chunks(monkeypatch):
    """ResNet-1202 builds its stages as nested models; chunks of 2 blocks make ResNet-20 one."""
    monkeypatch.setattr(resnet_module, "_BLOCKS_PER_GRAPH", 2)
    model = zoo.build("resnet20", **SMALL_CONFIGS["resnet20"], bn_momentum=0.7)
    nested = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    assert nested and all(batch_norms(chunk) for chunk in nested)
    assert {layer.momentum for layer in batch_norms(model)} == {0.7}
    assert len(batch_norms(model)) == 19


def test_the_default_is_keras_default():
    model = zoo.build("mobilenet", **SMALL_CONFIGS["mobilenet"])
    assert {layer.momentum for layer in batch_norms(model)} == {0.99}


def test_style_transfer_refuses_a_momentum_without_batch_norm():
    with pytest.raises(ValueError, match=r"bn_momentum=0\.9 applies only with normalization"):
        zoo.build("style_transfer_net", **SMALL_CONFIGS["style_transfer_net"], bn_momentum=0.9)


def test_vgg_refuses_a_momentum_without_batch_norm():
    with pytest.raises(ValueError, match=r"bn_momentum=0\.9 .*batch_norm is False"):
        zoo.build("vgg_a", **SMALL_CONFIGS["vgg_a"], bn_momentum=0.9)
    plain = zoo.build("vgg_a", **SMALL_CONFIGS["vgg_a"], bn_momentum=0.99)
    assert not batch_norms(plain)


@pytest.mark.parametrize("name", WITHOUT_KNOB)
def test_every_model_with_batch_norm_has_the_knob(name):
    """A new family with BatchNormalization must take ``bn_momentum`` too."""
    assert not batch_norms(zoo.build(name, **SMALL_CONFIGS[name])), (
        f"{name} has BatchNormalization layers but no bn_momentum knob"
    )


README_RECIPE = re.compile(
    r"<!-- readme-test: skip covered by tests/zoo/models/test_bn_momentum\.py -->\n"
    r"```python\n(.*?)```",
    re.S,
)


@pytest.mark.slow
def test_the_readme_recipe_reaches_90_percent_on_digits():
    """The README's MobileNet-on-digits recipe, run exactly as printed there."""
    (recipe,) = README_RECIPE.findall((REPO / "README.md").read_text())
    namespace: dict = {"__name__": "readme"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(recipe, "README.md (bn_momentum recipe)", "exec"), namespace)
    assert namespace["accuracy"] >= 0.90
