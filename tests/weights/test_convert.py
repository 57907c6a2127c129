"""zoo.weights.convert: the twins' tables and the names the converters take (no torch needed).

The parity of the conversions is tested against the sources in test_keras_applications.py and
test_torchvision.py (the latter under ``make test-backends``, where torch is installed).
"""

from __future__ import annotations

import numpy as np
import pytest

from zoo.models.resnet import IMAGENET_DEPTHS
from zoo.models.vgg import CONFIGS
from zoo.weights import _torchvision
from zoo.weights.convert import arrays_from_torchvision, from_keras_applications


def test_torchvisions_layouts_are_the_zoo_twins_tables():
    assert _torchvision.RESNET_LAYOUTS == IMAGENET_DEPTHS
    for name, layout in _torchvision.VGG_LAYOUTS.items():
        configuration = CONFIGS[name[-1].upper()]
        widths = tuple(tuple(int(conv.split("-")[1]) for conv in stage) for stage in configuration)
        assert layout == widths, name


def test_any_spelling_of_a_twin_converts_and_others_are_refused():
    with pytest.raises(ValueError, match=r"has no 'features\.0\.weight'"):
        arrays_from_torchvision("VGG-11", {})  # read as vgg_a, then the state_dict is checked
    with pytest.raises(ValueError, match="'alexnet' has no torchvision twin"):
        arrays_from_torchvision("alexnet", {"conv1.weight": np.zeros((1,))})
    with pytest.raises(ValueError, match=r"'resnet50' has no keras\.applications twin"):
        from_keras_applications("ResNet-50", None)
