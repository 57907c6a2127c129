"""`zoo.weights._decode`: the shipped class index is keras' file, and `decode_predictions` gives
keras.applications.imagenet_utils.decode_predictions' result, checked against keras itself with
keras' cache pointed at a temporary folder that holds our file (keras finds it there by its md5,
so nothing is downloaded)."""

from __future__ import annotations

import hashlib
import pathlib
import shutil

import keras
import numpy as np
import pytest
from keras.src.applications import imagenet_utils
from keras.src.backend import config as keras_config
from keras.src.utils import file_utils

from zoo.weights import _decode
from zoo.weights._decode import decode_predictions, imagenet_classes

SHIPPED = pathlib.Path(_decode.__file__).with_name("imagenet_class_index.json")


@pytest.fixture
def keras_decode(tmp_path, monkeypatch):
    """keras' own decode_predictions, reading our file from a fresh cache (no download)."""
    (tmp_path / "models").mkdir()
    shutil.copyfile(SHIPPED, tmp_path / "models" / "imagenet_class_index.json")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    # keras reads KERAS_HOME once, at import, into the directory get_file falls back to
    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(tmp_path))
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)

    def no_download(*args, **kwargs):
        raise AssertionError(f"keras tried to download {args[:1]}")

    monkeypatch.setattr(file_utils, "urlretrieve", no_download)
    return imagenet_utils.decode_predictions


def test_shipped_file_is_keras_class_index():
    data = SHIPPED.read_bytes()
    assert hashlib.md5(data).hexdigest() == _decode.CLASS_INDEX_MD5
    assert _decode.CLASS_INDEX_MD5 == "c2c37ea517e94d9795004a39431a14cb"
    classes = imagenet_classes()
    assert len(classes) == 1000
    assert classes[0] == ("n01440764", "tench")
    assert classes[999] == ("n15075141", "toilet_tissue")
    wnids = [wnid for wnid, _ in classes]
    assert wnids == sorted(wnids) and len(set(wnids)) == 1000
    assert classes[134][1] == classes[517][1] == "crane"
    assert imagenet_classes() is classes  # read once


@pytest.mark.parametrize("top", [1, 3, 5, 17, 1000])
def test_matches_keras(keras_decode, top):
    rng = np.random.default_rng(top)
    logits = rng.normal(size=(4, 1000)).astype("float32")
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = keras_decode(probabilities, top=top)
    got = decode_predictions(probabilities, top=top)
    assert got == expected
    assert [len(row) for row in got] == [top] * 4
    for row in got:
        assert all(
            isinstance(w, str) and isinstance(n, str) and type(p) is float for w, n, p in row
        )
        assert [p for *_, p in row] == sorted((p for *_, p in row), reverse=True)


def test_matches_keras_default_top_and_ties(keras_decode):
    probabilities = np.zeros((2, 1000), dtype="float32")
    probabilities[0, [3, 500, 999]] = 0.25  # ties: keras' order is kept
    probabilities[1, 7] = 1.0
    assert decode_predictions(probabilities) == keras_decode(probabilities)
    assert decode_predictions(probabilities)[1][0] == ("n01514668", "cock", 1.0)


def test_accepts_lists_and_tensors(keras_decode):
    probabilities = np.random.default_rng(0).random((2, 1000)).astype("float32")
    expected = keras_decode(probabilities, top=3)
    assert decode_predictions(probabilities.tolist(), top=3) == decode_predictions(
        probabilities.astype("float64"), top=3
    )
    names = [[(w, n) for w, n, _ in row] for row in decode_predictions(probabilities.tolist(), 3)]
    assert names == [[(w, n) for w, n, _ in row] for row in expected]
    assert decode_predictions(keras.ops.convert_to_tensor(probabilities), top=3) == expected
    assert decode_predictions(probabilities, top=np.int64(3)) == expected
    assert decode_predictions(np.zeros((0, 1000))) == []


@pytest.mark.parametrize(
    ("probabilities", "message"),
    [
        (
            np.zeros((2, 10)),
            r"probabilities must be \(batch, 1000\) ImageNet scores; got shape \(2, 10\)\.",
        ),
        (np.zeros(1000), r"got shape \(1000,\) \(for one image, add the batch axis"),
        (np.zeros((1, 2, 1000)), r"got shape \(1, 2, 1000\)\."),
        ([[0.0] * 1000, [0.0] * 999], r"rows differ in length"),
        (np.full((1, 1000), "a"), r"real number dtype; got dtype <U1"),
    ],
)
def test_bad_probabilities(probabilities, message):
    with pytest.raises(ValueError, match=message):
        decode_predictions(probabilities)


@pytest.mark.parametrize(
    ("top", "message"),
    [
        (0, r"top must be an integer >= 1, got 0\."),
        (1001, r"top must be at most 1000 \(the ImageNet classes\), got 1001\."),
        ("5", r"top must be an integer >= 1, got '5'\."),
        (2.0, r"top must be an integer >= 1, got 2\.0\."),
        (True, r"top must be an integer >= 1, got True\."),
    ],
)
def test_bad_top(top, message):
    with pytest.raises(ValueError, match=message):
        decode_predictions(np.zeros((1, 1000)), top=top)
