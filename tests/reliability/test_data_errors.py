"""Bad data and bad data arguments: a clear error naming the problem, and nothing written.

The rows cover `zoo.training.data` (`load`, `holdout`, `transform`, `vocabulary`, a crafted or
damaged source_dir), the per-batch check of `zoo.training.checks` (a bad label or input in a
later batch, through `checked_batches`, `fit` and `search`) and `zoo.tuning.search`'s own
arguments. The machinery is `tests.reliability.table`; rows already in test_bad_inputs.py are
not repeated.
"""

from __future__ import annotations

import gzip
import os
import pathlib
import pickle

import keras
import keras_tuner
import numpy as np
import pytest
import tensorflow as tf

from zoo.training import checks, data
from zoo.tuning import hypermodel, search

from .table import Case, ids, run_case
from .test_bad_inputs import batches, digits_like, search_digits, tiny_classifier, train_on

MARKER_FILE = "pwned"


class _Exploit:
    """Unpickles into ``os.system("touch pwned")``: what a crafted CIFAR batch would run."""

    def __reduce__(self):
        return os.system, (f"touch {MARKER_FILE}",)


def write_crafted_cifar(ws: pathlib.Path) -> None:
    folder = ws / "cifar-10-batches-py"
    folder.mkdir()
    (folder / "data_batch_1").write_bytes(pickle.dumps({b"data": _Exploit(), b"labels": [0]}))


def write_cifar_list(ws: pathlib.Path) -> None:
    folder = ws / "cifar-10-batches-py"
    folder.mkdir()
    (folder / "data_batch_1").write_bytes(pickle.dumps([1, 2, 3]))


def write_cifar100_as_cifar10(ws: pathlib.Path) -> None:
    folder = ws / "cifar-10-batches-py"
    folder.mkdir()
    batch = {b"data": np.zeros((2, 3072), np.uint8), b"fine_labels": [0, 1]}
    (folder / "data_batch_1").write_bytes(pickle.dumps(batch))


def write_corrupt_gzip(ws: pathlib.Path) -> None:
    labels = gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 4, 1, 2, 3, 4]))
    images = bytearray(gzip.compress(bytes([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2])))
    images[12:16] = b"\xff\xff\xff\xff"  # inside the deflate stream
    (ws / "train-images-idx3-ubyte.gz").write_bytes(bytes(images))
    (ws / "train-labels-idx1-ubyte.gz").write_bytes(labels)


def write_text_file(ws: pathlib.Path) -> None:
    (ws / "notes.txt").write_text("not a folder")


def write_empty_folder(ws: pathlib.Path) -> None:
    (ws / "empty").mkdir()


def crafted_cifar_refused(ws: pathlib.Path):
    """Load the crafted batch; the marker file must not exist afterwards either way."""
    try:
        return data.load("cifar10", source_dir=ws)
    finally:
        assert not (ws / MARKER_FILE).exists()


def labels_late(bad, *, n: int = 32, one_hot: bool = False):
    """Digits-like batches of 8 whose 4th batch (index 3) holds the label ``bad``."""
    x, y = digits_like(n)
    if one_hot:
        y = np.eye(10, dtype=np.int32)[y]
        y[27, 0] = bad
    else:
        y = y.astype(np.asarray(bad).dtype)
        y[27] = bad
    return batches(x, y)


def inputs_late(value, *, n: int = 32):
    x, y = digits_like(n)
    x[30, 4, 4, 0] = value
    return batches(x, y)


def one_hot_narrow_late(n: int = 32):
    """One-hot batches of 8 of unknown width: 10 wide, then 3 wide from batch 3 on."""
    x, y = digits_like(n)

    def generate():
        for start in range(0, n, 8):
            width = 10 if start < 24 else 3
            labels = y[start : start + 8] % width
            yield x[start : start + 8], np.eye(width, dtype=np.float32)[labels]

    signature = (tf.TensorSpec((None, 8, 8, 1), tf.float32), tf.TensorSpec((None, None)))
    return tf.data.Dataset.from_generator(generate, output_signature=signature)


def drain(dataset) -> None:
    """Iterate a checked data set, converting the check's error as `fit` does."""
    try:
        for _ in dataset:
            pass
    except Exception as error:
        raise checks.data_error(error) or error from None


def checked(dataset, argument: str = "train", **kwargs) -> None:
    drain(checks.checked_batches(tiny_classifier(), dataset, argument, **kwargs))


def search_on(ws, train, validation=None, **kwargs):
    arguments = {
        "max_trials": 1,
        "epochs": 1,
        "directory": ws / "tuning",
        "input_shape": (8, 8, 1),
        "num_classes": 10,
        "verbose": 0,
    }
    validation = train if validation is None else validation
    return search("mlp", train, validation, **{**arguments, **kwargs})


def trial_fit(ws, train):
    """One trial's ``fit`` as keras-tuner calls it, without `search`'s check beforehand."""
    tuned = hypermodel("mlp", input_shape=(8, 8, 1), num_classes=10, hidden_units=[4])
    hp = keras_tuner.HyperParameters()
    return tuned.fit(hp, tuned.build(hp), train, epochs=1, verbose=0)


CASES = [
    # load: names, sizes, flags, seeds, paths, conflicting arguments
    Case("load-name-typo", lambda ws: data.load("minst"), ValueError, "Did you mean 'mnist'?"),
    Case("load-name-case", lambda ws: data.load("MNIST"), ValueError, "Did you mean 'mnist'?"),
    Case("load-name-not-str", lambda ws: data.load(7), ValueError, "name must be one of"),
    Case(
        "load-split-typo",
        lambda ws: data.load("tiny_shakespeare", "valid"),
        ValueError,
        "Did you mean 'validation'?",
    ),
    Case(
        "load-batch-size-float",
        lambda ws: data.load("digits", batch_size=32.0),
        ValueError,
        "batch_size must be an integer >= 1, got 32.0",
    ),
    Case(
        "load-batch-size-bool",
        lambda ws: data.load("digits", batch_size=True),
        ValueError,
        "batch_size must be an integer >= 1, got True",
    ),
    Case(
        "load-batch-size-overflow",
        lambda ws: data.load("digits", batch_size=2**63),
        ValueError,
        "batch_size must be at most 9223372036854775807",
    ),
    Case(
        "load-batch-size-numpy-zero",
        lambda ws: data.load("digits", batch_size=np.int64(0)),
        ValueError,
        "batch_size must be an integer >= 1, got",
    ),
    Case(
        "load-image-size-zero",
        lambda ws: data.load("digits", image_size=0),
        ValueError,
        "image_size must be an integer >= 1, got 0",
    ),
    Case(
        "load-image-size-negative",
        lambda ws: data.load("mnist", image_size=-28),
        ValueError,
        "image_size must be an integer >= 1, got -28",
    ),
    Case(
        "load-image-size-huge",
        lambda ws: data.load("digits", image_size=10**6),
        ValueError,
        f"image_size must be at most {data.MAX_IMAGE_SIZE}, got 1000000",
    ),
    Case(
        "load-image-size-nan",
        lambda ws: data.load("digits", image_size=float("nan")),
        ValueError,
        "image_size must be an integer >= 1, got nan",
    ),
    Case(
        "load-sequence-length-huge",
        lambda ws: data.load("imdb_reviews", sequence_length=10**9),
        ValueError,
        f"sequence_length must be at most {data.MAX_SEQUENCE_LENGTH}",
    ),
    Case(
        "load-sequence-length-for-images",
        lambda ws: data.load("mnist", sequence_length=100),
        ValueError,
        "sequence_length applies to the text data sets",
    ),
    Case(
        "load-vocab-size-for-images",
        lambda ws: data.load("cifar10", vocab_size=5000),
        ValueError,
        "vocab_size applies to imdb_reviews only, not to 'cifar10'",
    ),
    Case(
        "load-shuffle-not-bool",
        lambda ws: data.load("digits", shuffle="no"),
        ValueError,
        "shuffle must be True or False, got 'no'",
    ),
    Case(
        "load-one-hot-int",
        lambda ws: data.load("digits", one_hot=1),
        ValueError,
        "one_hot must be True or False, got 1",
    ),
    Case(
        "load-seed-negative",
        lambda ws: data.load("digits", seed=-1),
        ValueError,
        "seed must be an integer >= 0, got -1",
    ),
    Case(
        "load-seed-float",
        lambda ws: data.load("digits", seed=0.5),
        ValueError,
        "seed must be an integer >= 0, got 0.5",
    ),
    Case(
        "load-seed-string",
        lambda ws: data.load("digits", seed="42"),
        ValueError,
        "seed must be an integer >= 0, got '42'",
    ),
    Case(
        "load-data-dir-type",
        lambda ws: data.load("mnist", data_dir=3),
        ValueError,
        "data_dir must be a path (a non-empty str or os.PathLike) or None, got 3",
    ),
    Case(
        "load-source-dir-empty-string",
        lambda ws: data.load("mnist", source_dir=""),
        ValueError,
        "source_dir must be a path (a non-empty str or os.PathLike), got ''",
    ),
    Case(
        "load-source-dir-a-file",
        lambda ws: data.load("mnist", source_dir=ws / "notes.txt"),
        ValueError,
        "(a file)",
        setup=write_text_file,
    ),
    Case(
        "load-source-dir-empty-folder",
        lambda ws: data.load("fashion_mnist", source_dir=ws / "empty"),
        ValueError,
        "has no fashion_mnist train files: expected train-images-idx3-ubyte.gz",
        setup=write_empty_folder,
    ),
    Case(
        "load-source-dir-wrong-files",
        lambda ws: data.load("mnist", source_dir=ws),
        ValueError,
        "has no mnist train files",
        setup=write_crafted_cifar,
    ),
    Case(
        "load-corrupt-gzip",
        lambda ws: data.load("mnist", source_dir=ws),
        ValueError,
        "train-images-idx3-ubyte.gz is not a readable IDX file",
        setup=write_corrupt_gzip,
    ),
    Case(
        "load-crafted-pickle-refused",
        crafted_cifar_refused,
        ValueError,
        "data_batch_1 is not a CIFAR python pickle (refusing posix.system",
        setup=write_crafted_cifar,
    ),
    Case(
        "load-cifar-pickle-not-a-dict",
        lambda ws: data.load("cifar10", source_dir=ws),
        ValueError,
        "holds a list, not a dict",
        setup=write_cifar_list,
    ),
    Case(
        "load-cifar100-file-as-cifar10",
        lambda ws: data.load("cifar10", source_dir=ws),
        ValueError,
        "has no 'labels' entry",
        setup=write_cifar100_as_cifar10,
    ),
    # holdout, transform, vocabulary
    Case(
        "holdout-fraction-one",
        lambda ws: data.holdout("digits", fraction=1.0),
        ValueError,
        "fraction must be in (0.0, 1.0), got 1.0",
    ),
    Case(
        "holdout-fraction-inf",
        lambda ws: data.holdout("digits", fraction=float("inf")),
        ValueError,
        "fraction must be a finite number, got inf",
    ),
    Case(
        "holdout-option-typo",
        lambda ws: data.holdout("digits", imag_size=8),
        ValueError,
        "Did you mean 'image_size'",
    ),
    Case(
        "holdout-shuffle-conflict",
        lambda ws: data.holdout("digits", shuffle=False),
        ValueError,
        "holdout chooses shuffle itself",
    ),
    Case(
        "holdout-seed-checked",
        lambda ws: data.holdout("digits", seed=-5),
        ValueError,
        "seed must be an integer >= 0, got -5",
    ),
    Case(
        "transform-function-not-callable",
        lambda ws: data.transform(data.load("digits", image_size=8), 3),
        ValueError,
        "transform's function must be callable",
    ),
    Case(
        "transform-needs-epoch-pass",
        lambda ws: data.transform(batches(*digits_like()), lambda d: d),
        ValueError,
        "transform needs a data set made by zoo.training.data.load",
    ),
    Case(
        "vocabulary-typo",
        lambda ws: data.vocabulary("tiny_shakespear"),
        ValueError,
        "Did you mean 'tiny_shakespeare'?",
    ),
    Case(
        "vocabulary-size-for-characters",
        lambda ws: data.vocabulary("tiny_shakespeare", vocab_size=100),
        ValueError,
        "vocab_size applies to imdb_reviews only",
    ),
    Case(
        "vocabulary-size-too-small",
        lambda ws: data.vocabulary("imdb_reviews", vocab_size=2),
        ValueError,
        "vocab_size must be an integer >= 3, got 2",
    ),
    # the per-batch check: a bad batch after good ones, iterated directly
    Case(
        "checked-label-late",
        lambda ws: checked(labels_late(np.int32(12))),
        ValueError,
        "train has label 12 in batch 3 (0-based); labels must lie in [0, 10)",
    ),
    Case(
        "checked-negative-label-late-int64",
        lambda ws: checked(labels_late(np.int64(-2)), "validation"),
        ValueError,
        "validation has label -2 in batch 3 (0-based)",
    ),
    Case(
        "checked-nan-label-late",
        lambda ws: checked(labels_late(np.float32(np.nan))),
        ValueError,
        "train has label nan in batch 3 (0-based)",
    ),
    Case(
        "checked-one-hot-value-late",
        lambda ws: checked(labels_late(3, one_hot=True)),
        ValueError,
        "train has one-hot label value 3 in batch 3 (0-based); one-hot labels must lie between",
    ),
    Case(
        "checked-one-hot-width-late",
        lambda ws: checked(one_hot_narrow_late()),
        ValueError,
        "train's one-hot labels in batch 3 (0-based) are 3 wide; the model 'mlp' has 10 outputs.",
    ),
    Case(
        "checked-nan-input-late",
        lambda ws: checked(inputs_late(np.nan)),
        ValueError,
        "train contains NaN or infinite inputs: value nan in batch 3 (0-based)",
    ),
    Case(
        "checked-inf-input-late-without-labels",
        lambda ws: checked(inputs_late(-np.inf), labels=False),
        ValueError,
        "value -inf in batch 3",
    ),
    Case(
        "checked-string-labels",
        lambda ws: checked(batches(digits_like()[0], np.full(16, "cat"))),
        ValueError,
        "train's labels must be numeric",
    ),
    Case(
        "checked-labels-wrong-rank",
        lambda ws: checked(batches(digits_like()[0], np.zeros((16, 2, 5), np.int32))),
        ValueError,
        "give class ids of shape (None,) or (None, 1), or one-hot rows of shape (None, 10)",
    ),
    Case(
        "checked-load-keeps-its-pass",
        lambda ws: drain(
            data.epoch_stream(
                checks.checked_batches(
                    tiny_classifier(num_classes=4), data.load("digits", batch_size=64, image_size=8)
                ),
                2,
            ).take(40)
        ),
        ValueError,
        "labels must lie in [0, 4) for the model",
    ),
    # through fit: the first batch is fine, a later one is not
    # needs fit wiring
    Case(
        "fit-label-late",
        lambda ws: train_on(ws, labels_late(np.int32(10))),
        ValueError,
        "train has label 10 in batch 3 (0-based)",
    ),
    # needs fit wiring
    Case(
        "fit-nan-input-late",
        lambda ws: train_on(ws, inputs_late(np.nan)),
        ValueError,
        "train contains NaN or infinite inputs: value nan in batch 3",
    ),
    # needs fit wiring
    Case(
        "fit-validation-label-late",
        lambda ws: train_on(ws, batches(*digits_like(32)), validation=labels_late(np.int32(-1))),
        ValueError,
        "validation has label -1 in batch 3 (0-based)",
    ),
    # needs fit wiring
    Case(
        "fit-one-hot-value-late",
        lambda ws: train_on(ws, labels_late(5, one_hot=True)),
        ValueError,
        "train has one-hot label value 5 in batch 3",
    ),
    # through search: refused before the first trial (nothing written)
    Case(
        "search-label-late",
        lambda ws: search_on(ws, labels_late(np.int32(11))),
        ValueError,
        "train has label 11 in batch 3 (0-based)",
    ),
    Case(
        "search-validation-nan-late",
        lambda ws: search_on(ws, batches(*digits_like(32)), inputs_late(np.inf)),
        ValueError,
        "validation contains NaN or infinite inputs: value inf in batch 3",
    ),
    Case(
        "search-empty-train",
        lambda ws: search_on(ws, batches(*digits_like()).take(0)),
        ValueError,
        "train is empty",
    ),
    Case(
        "search-missing-labels",
        lambda ws: search_on(ws, batches(*digits_like()).map(lambda x, y: x)),
        ValueError,
        "train must yield (inputs, labels) batches",
    ),
    Case(
        "search-arrays-without-labels",
        lambda ws: search_on(ws, (digits_like()[0],), (digits_like()[0],)),
        ValueError,
        "train must yield (inputs, labels) batches",
    ),
    Case(
        "search-arrays-label-out-of-range",
        lambda ws: search_on(ws, (digits_like()[0], np.full(16, 10, np.int32))),
        ValueError,
        "train has label 10 in batch 0 (0-based)",
    ),
    Case(
        "search-one-hot-too-narrow",
        lambda ws: search_on(ws, batches(digits_like()[0], np.eye(3, dtype=np.float32)[[0] * 16])),
        ValueError,
        "train's one-hot labels are 3 wide",
    ),
    Case(
        "trial-label-late-stops-the-search",
        lambda ws: trial_fit(ws, labels_late(np.int32(10))),
        keras_tuner.errors.FatalValueError,
        "train has label 10 in batch 3 (0-based)",
    ),
    # search's own arguments
    Case(
        "search-tuner-typo",
        lambda ws: search_digits(ws, tuner="hyperbnd"),
        ValueError,
        "Did you mean 'hyperband'?",
    ),
    Case(
        "search-fixed-typo",
        lambda ws: search_digits(ws, optimiser="adam"),
        ValueError,
        "Did you mean 'optimizer'?",
    ),
    Case(
        "search-directory-type",
        lambda ws: search_digits(ws, directory=5),
        ValueError,
        "directory must be a path (a non-empty str or os.PathLike), got 5",
    ),
    Case(
        "search-directory-a-file",
        lambda ws: search_digits(ws, directory=ws / "notes.txt"),
        ValueError,
        "directory must be a folder for keras-tuner's project",
        setup=write_text_file,
    ),
    Case(
        "search-project-name-empty",
        lambda ws: search_digits(ws, project_name=""),
        ValueError,
        "project_name must be a non-empty str or None, got ''",
    ),
    Case(
        "search-overwrite-not-bool",
        lambda ws: search_digits(ws, overwrite="yes"),
        ValueError,
        "overwrite must be True or False, got 'yes'",
    ),
    Case(
        "search-single-callback",
        lambda ws: search_digits(ws, callbacks=keras.callbacks.EarlyStopping()),
        ValueError,
        "got a single EarlyStopping (wrap it in a list)",
    ),
    Case(
        "search-timeout-without-parallel",
        lambda ws: search_digits(ws, timeout=60),
        ValueError,
        "timeout applies to parallel_trials only",
    ),
    Case(
        "search-verbose",
        lambda ws: search_digits(ws, verbose="loud"),
        ValueError,
        "verbose must be one of 0, 1, 2, 'auto'; got 'loud'",
    ),
    Case(
        "search-seed-beyond-numpy",
        lambda ws: search_digits(ws, seed=2**32),
        ValueError,
        "seed must be at most 4294967295 (numpy's 32-bit seeds), got 4294967296",
    ),
    Case(
        "search-max-trials-numpy-float",
        lambda ws: search_digits(ws, max_trials=np.float64(2)),
        ValueError,
        "max_trials must be an integer >= 1, got",
    ),
]


def test_the_table_is_large_and_its_ids_unique():
    assert len(CASES) >= 35
    assert len(set(ids(CASES))) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_bad_data_is_refused_clearly_and_writes_nothing(case, tmp_path, monkeypatch):
    monkeypatch.delenv(data.SOURCE_DIR_ENV, raising=False)
    data.clear_cache()
    error = run_case(case, tmp_path, monkeypatch)
    assert "\n" not in str(error)


def test_numpy_numbers_are_accepted_like_python_ones():
    train = data.load("digits", batch_size=np.int64(500), image_size=np.int32(8), seed=np.uint8(3))
    assert int(train.cardinality()) == 3
    fitted, held = data.holdout("digits", fraction=np.float32(0.25), batch_size=np.int16(64))
    assert [sum(len(y) for _, y in part) for part in (fitted, held)] == [1437 - 359, 359]


def test_a_batch_larger_than_the_split_is_the_whole_split():
    (x, y), *rest = list(data.load("digits", "test", batch_size=10**8, image_size=8))
    assert not rest
    assert x.shape == (360, 8, 8, 1) and y.shape == (360,)
