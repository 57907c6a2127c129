"""ReverseChannels: the channel axis reversed (RGB <-> BGR)."""

from __future__ import annotations

import keras
import numpy as np

from tests.helpers.layer_checks import check_layer, to_numpy
from zoo.layers import ReverseChannels


def test_reverses_the_last_axis_only():
    x = np.arange(2 * 3 * 2 * 3, dtype="float32").reshape(2, 3, 2, 3)
    y = to_numpy(ReverseChannels()(x))
    np.testing.assert_array_equal(y, x[..., ::-1])
    np.testing.assert_array_equal(to_numpy(ReverseChannels()(y)), x)
    assert ReverseChannels().compute_output_shape((None, 5, None, 3)) == (None, 5, None, 3)


def test_harness(tmp_path):
    check_layer(
        ReverseChannels,
        (2, 4, 4, 3),
        tmp_path,
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
        expected_num_seed_generators=0,
    )


def test_keeps_its_registered_name():
    assert keras.saving.get_registered_name(ReverseChannels) == "lecture_zoo>ReverseChannels"
