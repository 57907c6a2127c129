"""PaddingMask and MaskedMaxOverTime (Kim 2014's max-over-time pooling), checked against numpy,
and a model saved by keras-lecture-zoo 0.1.0 (when they lived in the model files) loading."""

from __future__ import annotations

import pathlib

import keras
import numpy as np

import zoo
from tests.helpers.layer_checks import check_layer, to_numpy
from zoo.layers import MaskedMaxOverTime, PaddingMask

OLD_FILE = pathlib.Path(__file__).parent / "data" / "layers_saved_by_0_1_0.keras"


def test_padding_mask_marks_words(tmp_path):
    tokens = np.array([[3, 0, 5, 0]], dtype="int32")
    mask = to_numpy(PaddingMask()(tokens))
    np.testing.assert_array_equal(mask, [[[1.0], [0.0], [1.0], [0.0]]])
    assert PaddingMask().compute_output_shape((None, 4)) == (None, 4, 1)
    check_layer(
        PaddingMask,
        (2, 5),
        tmp_path,
        input_dtype="int32",
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
        expected_num_seed_generators=0,
    )


def test_masked_max_over_time_against_numpy():
    rng = np.random.default_rng(3)
    window, length = 3, 6
    features = rng.normal(size=(2, length + window - 1, 4)).astype("float32")
    mask = np.array([[1, 1, 0, 0, 0, 0], [0, 0, 1, 1, 1, 1]], dtype="float32")[..., None]
    layer = MaskedMaxOverTime(window)
    out = to_numpy(layer([features, mask]))
    for b in range(2):
        words = np.flatnonzero(mask[b, :, 0])
        # window j of the wide convolution covers positions j - (w - 1) .. j
        valid = [j for j in range(length + window - 1) if any(j - window < i <= j for i in words)]
        np.testing.assert_allclose(out[b], features[b, valid].max(axis=0), rtol=1e-6)
    assert layer.compute_output_shape([(None, 8, 4), (None, 6, 1)]) == (None, 4)
    clone = MaskedMaxOverTime.from_config(layer.get_config())
    assert clone.window_size == window


def test_a_file_saved_before_the_move_loads_with_the_same_outputs():
    """ChannelPadding (once in zoo/blocks.py), PaddingMask and MaskedMaxOverTime (once in
    zoo/text_cnn.py) kept their registered names, so 0.1.0's files load in safe mode."""
    expected = np.load(OLD_FILE.with_suffix(".npz"))
    model = zoo.load(OLD_FILE)
    padded, pooled = model.predict([expected["image"], expected["tokens"]], verbose=0)
    np.testing.assert_allclose(padded, expected["padded"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pooled, expected["pooled"], rtol=1e-5, atol=1e-6)
    names = {type(layer).__name__ for layer in model.layers}
    assert {"ChannelPadding", "PaddingMask", "MaskedMaxOverTime"} <= names
    assert keras.saving.get_registered_name(MaskedMaxOverTime) == "lecture_zoo>MaskedMaxOverTime"
