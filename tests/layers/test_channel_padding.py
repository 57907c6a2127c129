"""ChannelPadding: zero channels before and after the last axis (ResNet's option-A shortcut)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from tests.helpers.layer_checks import check_layer, to_numpy
from zoo.layers import ChannelPadding


def test_pads_zeros_on_both_sides():
    layer = ChannelPadding(1, 2)
    x = np.arange(2 * 2 * 3 * 3, dtype="float32").reshape(2, 2, 3, 3) + 1
    y = to_numpy(layer(x))
    assert y.shape == (2, 2, 3, 6)
    np.testing.assert_array_equal(y, np.pad(x, [(0, 0), (0, 0), (0, 0), (1, 2)]))
    assert layer.compute_output_shape((None, None, 3, 3)) == (None, None, 3, 6)
    assert layer.compute_output_shape((None, 3, None)) == (None, 3, None)


def test_harness(tmp_path):
    check_layer(
        lambda: ChannelPadding(0, 3),
        (2, 4, 4, 3),
        tmp_path,
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
        expected_num_seed_generators=0,
    )


@pytest.mark.parametrize("before, after", [(-1, 0), (0, 1.5), (True, 0)])
def test_refuses_bad_widths(before, after):
    with pytest.raises(ValueError, match="must be an integer >= 0"):
        ChannelPadding(before, after)


def test_keeps_its_registered_name():
    assert keras.saving.get_registered_name(ChannelPadding) == "lecture_zoo>ChannelPadding"
