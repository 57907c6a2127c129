"""`zoo.training.data.load` beyond digits: tensorflow-datasets loaders under
``tfds.testing.mock_data`` (no downloads), the original files from a folder (real ones in
../shared/data and small synthetic ones), per-epoch shuffling and CIFAR augmentation."""

from __future__ import annotations

import gzip
import os
import pickle
import re

import numpy as np
import pytest
import tensorflow_datasets as tfds

from zoo.training import data

IMAGE_SETS = {
    "mnist": (28, 1, 10),
    "fashion_mnist": (28, 1, 10),
    "cifar10": (32, 3, 10),
    "cifar100": (32, 3, 100),
}


@pytest.fixture(autouse=True)
def _forget_arrays(monkeypatch):
    """Each test reads its data anew (mocked tfds data must not leak into the next test)."""
    monkeypatch.delenv(data.SOURCE_DIR_ENV, raising=False)
    data.clear_cache()
    yield
    data.clear_cache()


def collect(dataset):
    inputs, targets = [], []
    for x, y in dataset:
        inputs.append(x.numpy())
        targets.append(y.numpy())
    return np.concatenate(inputs), np.concatenate(targets)


# ---- tensorflow-datasets, mocked ----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(IMAGE_SETS))
def test_tfds_image_sets(name):
    size, channels, classes = IMAGE_SETS[name]
    with tfds.testing.mock_data(num_examples=20):
        for split in ("train", "test"):
            dataset = data.load(name, split, batch_size=8, seed=0)
            assert int(dataset.cardinality()) == 3
            sizes = [int(x.shape[0]) for x, _ in dataset]
            assert sizes == [8, 8, 4]
            x, y = collect(dataset)
            assert x.shape == (20, size, size, channels) and x.dtype == np.float32
            assert x.min() >= 0.0 and x.max() <= 1.0 and x.max() > 0.5
            assert y.dtype == np.int32 and y.shape == (20,) and y.min() >= 0 and y.max() < classes
        x, y = next(iter(data.load(name, batch_size=8, one_hot=True, image_size=16)))
        assert x.shape == (8, 16, 16, channels) and y.shape == (8, classes)
        assert y.dtype == np.float32 and np.all(y.numpy().sum(axis=1) == 1.0)


def test_cifar_augmentation_pads_crops_and_flips_only_the_train_split():
    with tfds.testing.mock_data(num_examples=16):
        plain, _ = collect(data.load("cifar10", batch_size=16, shuffle=False))
        augmented = data.load("cifar10", batch_size=16, shuffle=False, augment=True, seed=3)
        first, _ = collect(augmented)
        second, _ = collect(augmented)
        again, _ = collect(data.load("cifar10", batch_size=16, shuffle=False, augment=True, seed=3))
        with pytest.raises(ValueError, match="'train' split only, got split='test'"):
            data.load("cifar10", "test", augment=True)
        test_a, _ = collect(data.load("cifar10", "test", batch_size=16, shuffle=False))
        test_b, _ = collect(data.load("cifar10", "test", batch_size=16, shuffle=False))
    np.testing.assert_array_equal(test_a, test_b)  # evaluation data never changes
    assert first.shape == plain.shape and first.dtype == np.float32
    assert not np.array_equal(first, plain)
    assert not np.array_equal(first, second)  # redrawn every epoch
    np.testing.assert_array_equal(first, again)  # reproducible from the seed
    padded = np.pad(plain, [(0, 0), (4, 4), (4, 4), (0, 0)])
    for image, original in zip(first, padded, strict=True):
        views = [
            view
            for dy in range(9)
            for dx in range(9)
            for view in (
                original[dy : dy + 32, dx : dx + 32],
                original[dy : dy + 32, dx : dx + 32][:, ::-1],
            )
        ]
        assert any(np.array_equal(image, view) for view in views)


def test_augmentation_is_refused_where_it_is_not_defined():
    with pytest.raises(
        ValueError, match="augment=True is defined for cifar10, cifar100, not for 'mnist'"
    ):
        data.load("mnist", augment=True)


def test_tfds_imdb_reviews_are_ids_of_a_vocabulary_built_from_train():
    with tfds.testing.mock_data(num_examples=24):
        words = data.vocabulary("imdb_reviews", vocab_size=12)
        x, y = collect(data.load("imdb_reviews", batch_size=5, sequence_length=6, vocab_size=12))
        test_x, _ = collect(
            data.load("imdb_reviews", "test", batch_size=5, sequence_length=6, vocab_size=12)
        )
        one_hot = next(iter(data.load("imdb_reviews", batch_size=5, one_hot=True, vocab_size=12)))[
            1
        ]
    assert words[:2] == ["", "[UNK]"] and len(words) == 12
    assert x.shape == (24, 6) and x.dtype == np.int32 and y.dtype == np.int32
    assert x.min() >= 0 and x.max() < 12 and set(np.unique(y)) <= {0, 1}
    assert (x == 1).any()  # words outside the 10 most frequent map to the unknown id
    assert test_x.shape == (24, 6) and test_x.max() < 12
    assert one_hot.shape == (5, 2)


def test_tokenizer_and_vocabulary_order():
    assert data.tokenize("It's GREAT.<br />Don't miss it!") == [
        "it's",
        "great",
        "don't",
        "miss",
        "it",
    ]


def test_tfds_tiny_shakespeare_windows_of_character_ids():
    with tfds.testing.mock_data(num_examples=1):
        characters = data.vocabulary("tiny_shakespeare")
        for split in ("train", "validation", "test"):
            x, y = collect(
                data.load("tiny_shakespeare", split, batch_size=2, sequence_length=3, shuffle=False)
            )
            assert x.shape[1:] == (3,) and x.dtype == np.int32 and y.dtype == np.int32
            np.testing.assert_array_equal(x[1:, 0], y[:-1, -1])  # consecutive windows
            np.testing.assert_array_equal(x[:, 1:], y[:, :-1])  # targets are the next characters
            assert x.max() < len(characters)
    assert characters == sorted(set(characters))


# ---- the original files -------------------------------------------------------------------


def test_real_mnist_from_its_idx_files(shared_data):
    folder = shared_data / "mnist"
    train = data.load("mnist", batch_size=1000, shuffle=False, source_dir=folder)
    x, y = collect(train)
    assert x.shape == (60000, 28, 28, 1) and x.dtype == np.float32
    assert x.min() == 0.0 and x.max() == 1.0
    np.testing.assert_array_equal(y[:10], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
    np.testing.assert_array_equal(np.bincount(y)[:3], [5923, 6742, 5958])
    test_x, test_y = collect(
        data.load("mnist", "test", batch_size=5000, shuffle=False, source_dir=folder)
    )
    assert test_x.shape == (10000, 28, 28, 1)
    np.testing.assert_array_equal(test_y[:10], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])


def test_real_cifar10_subset_from_its_pickles(shared_data):
    folder = shared_data / "cifar10-subset"
    x, y = collect(data.load("cifar10", batch_size=500, shuffle=False, source_dir=folder))
    assert x.shape == (4000, 32, 32, 3) and y.shape == (4000,)
    np.testing.assert_array_equal(y[:10], [6, 9, 9, 4, 1, 1, 2, 7, 8, 3])
    # Channel means of the full training set (R, G, B) to two decimals.
    np.testing.assert_allclose(x.mean(axis=(0, 1, 2)), [0.4914, 0.4822, 0.4465], atol=0.01)
    test_x, test_y = collect(
        data.load("cifar10", "test", batch_size=500, shuffle=False, source_dir=folder)
    )
    assert test_x.shape == (1000, 32, 32, 3)
    np.testing.assert_array_equal(test_y[:10], [3, 8, 8, 0, 6, 6, 1, 6, 3, 1])


def test_real_tiny_shakespeare_from_input_txt(shared_data):
    folder = shared_data / "tinyshakespeare"
    characters = data.vocabulary("tiny_shakespeare", source_dir=folder)
    assert len(characters) == 65
    x, y = collect(data.load("tiny_shakespeare", batch_size=1000, shuffle=False, source_dir=folder))
    assert x.shape == ((1003854 - 1) // 100, 100)
    assert "".join(characters[i] for i in x[0, :13]) == "First Citizen"
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])
    valid, _ = collect(
        data.load(
            "tiny_shakespeare", "validation", batch_size=1000, shuffle=False, source_dir=folder
        )
    )
    assert valid.shape == ((55770 - 1) // 100, 100)


def test_zoo_source_dir_finds_each_data_set_folder(shared_data, monkeypatch):
    monkeypatch.setenv(data.SOURCE_DIR_ENV, str(shared_data))
    assert data.source_folder("mnist") == shared_data / "mnist"
    assert data.source_folder("cifar10") == shared_data / "cifar10-subset"
    assert data.source_folder("cifar100") is None  # absent: tensorflow-datasets would be used
    assert data.source_folder("tiny_shakespeare") == shared_data / "tinyshakespeare"
    x, _ = next(iter(data.load("cifar10", "test", batch_size=4, shuffle=False)))
    assert x.shape == (4, 32, 32, 3)


def write_idx(path, array):
    codes = {np.dtype(np.uint8): 0x08}
    header = bytes([0, 0, codes[array.dtype], array.ndim])
    header += b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as file:
        file.write(header + array.tobytes())


def fake_idx_folder(folder, train=30, test=10):
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, count in (("train", train), ("t10k", test)):
        write_idx(
            folder / f"{prefix}-images-idx3-ubyte.gz",
            rng.integers(0, 256, (count, 28, 28), dtype=np.uint8),
        )
        write_idx(
            folder / f"{prefix}-labels-idx1-ubyte.gz", (np.arange(count) % 10).astype(np.uint8)
        )
    return folder


def test_idx_files_from_any_folder(tmp_path):
    folder = fake_idx_folder(tmp_path / "fashion-mnist")
    x, y = collect(data.load("fashion_mnist", batch_size=7, shuffle=False, source_dir=folder))
    assert x.shape == (30, 28, 28, 1) and list(y[:12]) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    raw = data.read_idx(folder / "train-images-idx3-ubyte.gz")
    np.testing.assert_allclose(x[..., 0], raw / 255.0, rtol=1e-6)


def test_damaged_or_missing_idx_files_are_reported(tmp_path):
    folder = fake_idx_folder(tmp_path / "mnist")
    images = folder / "train-images-idx3-ubyte.gz"
    with gzip.open(images) as file:
        content = file.read()
    with gzip.open(images, "wb") as file:
        file.write(content[:-100])
    with pytest.raises(ValueError, match="is truncated: its header announces shape"):
        data.load("mnist", source_dir=folder)
    with gzip.open(images, "wb") as file:
        file.write(b"\x12\x34" + content[2:])
    with pytest.raises(ValueError, match="is not an IDX file"):
        data.load("mnist", source_dir=folder)
    images.write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="is not a readable IDX file"):
        data.load("mnist", source_dir=folder)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(
        ValueError, match=r"has no mnist test files: expected t10k-images-idx3-ubyte\.gz"
    ):
        data.load("mnist", "test", source_dir=folder)


def write_cifar(path, images, labels, key=b"labels"):
    planes = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
    with open(path, "wb") as file:
        pickle.dump({b"data": planes, key: list(labels)}, file)


def test_cifar10_pickles_with_any_number_of_batches(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(1)
    batches = {i: rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8) for i in (1, 2, 10)}
    for i, images in batches.items():
        write_cifar(folder / f"data_batch_{i}", images, [i % 10] * 3)
    write_cifar(folder / "test_batch", batches[1], [5, 6, 7])
    x, y = collect(data.load("cifar10", batch_size=4, shuffle=False, source_dir=tmp_path))
    assert list(y) == [1, 1, 1, 2, 2, 2, 0, 0, 0]  # data_batch_1, _2, _10 in numeric order
    expected = np.concatenate([batches[i] for i in (1, 2, 10)]) / 255.0
    np.testing.assert_allclose(x, expected, rtol=1e-6)
    _, test_y = collect(data.load("cifar10", "test", shuffle=False, source_dir=folder))
    assert list(test_y) == [5, 6, 7]


class _Runs:
    """Unpickles into ``function(*arguments)``: what a crafted CIFAR batch would run."""

    def __init__(self, function, *arguments):
        self.call = (function, arguments)

    def __reduce__(self):
        return self.call


@pytest.mark.parametrize("runs", ["os.system", "builtins.exec"])
def test_a_crafted_cifar_pickle_is_refused_before_it_runs(tmp_path, runs):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    marker = tmp_path / "marker"
    payload = {
        "os.system": _Runs(os.system, f"touch {marker}"),
        "builtins.exec": _Runs(exec, f"open({str(marker)!r}, 'w').close()"),
    }[runs]
    (folder / "data_batch_1").write_bytes(pickle.dumps({b"data": payload, b"labels": [0]}))
    refused = "posix.system" if runs == "os.system" else "builtins.exec"
    with pytest.raises(
        ValueError, match=rf"data_batch_1 is not a CIFAR python pickle \(refusing {refused}"
    ):
        data.load("cifar10", source_dir=tmp_path)
    assert not marker.exists()


@pytest.mark.parametrize("module", ["numpy.core.multiarray", "numpy._core.multiarray"])
def test_cifar_pickles_as_numpy_1_or_2_wrote_them_load(tmp_path, module):
    images = np.arange(2 * 32 * 32 * 3, dtype=np.uint32).astype(np.uint8).reshape(2, 32, 32, 3)
    planes = images.transpose(0, 3, 1, 2).reshape(2, -1)
    blob = pickle.dumps({b"data": planes, b"labels": [3, 4]}, protocol=3)
    blob = re.sub(rb"numpy\._?core\.multiarray", module.encode(), blob)
    (tmp_path / "data_batch_1").write_bytes(blob)
    x, y = collect(data.load("cifar10", batch_size=2, shuffle=False, source_dir=tmp_path))
    np.testing.assert_allclose(x, images / 255.0, rtol=1e-6)
    assert list(y) == [3, 4]


def test_cifar100_and_imdb_original_layouts(tmp_path):
    fine = tmp_path / "cifar-100-python"
    fine.mkdir()
    images = np.zeros((4, 32, 32, 3), np.uint8)
    write_cifar(fine / "train", images, [0, 42, 99, 7], key=b"fine_labels")
    _, y = collect(data.load("cifar100", batch_size=4, shuffle=False, source_dir=tmp_path))
    assert list(y) == [0, 42, 99, 7]

    reviews = tmp_path / "aclImdb"
    for split in ("train", "test"):
        for polarity, text in (
            ("pos", "A great, great film!"),
            ("neg", "A dull film<br />really dull"),
        ):
            (reviews / split / polarity).mkdir(parents=True)
            (reviews / split / polarity / "0_9.txt").write_text(text)
    words = data.vocabulary("imdb_reviews", source_dir=tmp_path)
    assert words == ["", "[UNK]", "a", "dull", "film", "great", "really"]
    x, y = collect(data.load("imdb_reviews", shuffle=False, sequence_length=5, source_dir=tmp_path))
    np.testing.assert_array_equal(x, [[2, 3, 4, 6, 3], [2, 5, 5, 4, 0]])
    np.testing.assert_array_equal(y, [0, 1])


# ---- shuffling ----------------------------------------------------------------------------


def test_each_epoch_has_its_own_order_fixed_by_seed_and_epoch(tmp_path):
    folder = fake_idx_folder(tmp_path / "mnist", train=60)

    def order(dataset):
        return collect(dataset)[1].tolist()

    continuous = data.load("mnist", batch_size=16, seed=5, source_dir=folder)
    epochs = [order(continuous) for _ in range(3)]
    assert epochs[0] != epochs[1] != epochs[2]
    assert all(sorted(e) == sorted(epochs[0]) for e in epochs)
    # A new process (here: a new data set) that skips two passes sees the third epoch's order,
    # which is what `fit` does when it resumes from a checkpoint.
    resumed = data.load("mnist", batch_size=16, seed=5, source_dir=folder)
    for _ in range(2):
        iter(resumed)
    assert order(resumed) == epochs[2]
    other = data.load("mnist", batch_size=16, seed=6, source_dir=folder)
    assert order(other) != epochs[0]
    unshuffled = data.load("mnist", batch_size=16, shuffle=False, source_dir=folder)
    assert order(unshuffled) == [i % 10 for i in range(60)]


def test_epoch_stream_replays_epoch_e_from_seed_and_e_alone(tmp_path):
    folder = fake_idx_folder(tmp_path / "mnist", train=40)

    def passes(first, count, seed=5, augment=False):
        dataset = data.load("mnist", batch_size=8, seed=seed, source_dir=folder)
        stream = data.epoch_stream(dataset, first).take(5 * count)
        labels = np.concatenate([y.numpy() for _, y in stream])
        return labels.reshape(count, 40).tolist()

    four = passes(0, 4)
    assert len({tuple(p) for p in four}) == 4  # a new order every epoch
    assert passes(2, 2) == four[2:]  # epochs 2 and 3, whatever came before
    assert passes(0, 1, seed=6) != four[:1]
    unshuffled = data.load("mnist", batch_size=8, shuffle=False, source_dir=folder)
    labels = np.concatenate([y.numpy() for _, y in data.epoch_stream(unshuffled, 3).take(10)])
    assert labels.tolist() == [i % 10 for i in range(40)] * 2  # every pass in the files' order
    # The link is an attribute of the data set: a transformation returns a data set without it.
    assert data.epoch_stream(data.load("mnist", source_dir=folder).take(2)) is None
    assert not hasattr(data.load("mnist", source_dir=folder).map(lambda x, y: (x, y)), "epoch_pass")


def test_transform_keeps_the_epoch_link(tmp_path):
    folder = fake_idx_folder(tmp_path / "mnist", train=40)
    loaded = data.load("mnist", batch_size=8, seed=5, source_dir=folder)
    inverted = data.transform(loaded, lambda d: d.map(lambda x, y: (1.0 - x, y + 100)))
    for first in (0, 2):
        plain = list(data.epoch_stream(loaded, first).take(5))
        mapped = list(data.epoch_stream(inverted, first).take(5))
        for (x, y), (mx, my) in zip(plain, mapped, strict=True):
            np.testing.assert_allclose(mx.numpy(), 1.0 - x.numpy())
            np.testing.assert_array_equal(my.numpy(), y.numpy() + 100)
    assert int(inverted.cardinality()) == 5
    assert sorted(collect(inverted)[1].tolist()) == sorted(i % 10 + 100 for i in range(40))
    with pytest.raises(ValueError, match="transform needs a data set made by"):
        data.transform(loaded.take(1), lambda d: d)
    with pytest.raises(ValueError, match=r"must return a tf\.data\.Dataset, got int"):
        data.transform(loaded, lambda d: 3)


def test_holdout_keeps_the_last_fraction_of_the_train_split(tmp_path):
    folder = fake_idx_folder(tmp_path / "mnist", train=50)
    train, validation = data.holdout("mnist", fraction=0.2, batch_size=8, seed=0, source_dir=folder)
    kept = collect(data.load("mnist", shuffle=False, source_dir=folder))
    held_x, held_y = collect(validation)
    np.testing.assert_array_equal(held_x, kept[0][-10:])  # the last 10 examples, in order
    np.testing.assert_array_equal(held_y, kept[1][-10:])
    train_y = collect(train)[1]
    assert len(train_y) == 40 and sorted(train_y.tolist()) == sorted(kept[1][:40].tolist())
    assert collect(train)[1].tolist() != train_y.tolist()  # reshuffled every pass
    assert hasattr(train, "epoch_pass") and hasattr(validation, "epoch_pass")
    digits_train, digits_validation = data.holdout("digits", batch_size=64, seed=0)
    assert sum(len(y) for _, y in digits_validation) == round(1437 * 0.2)
    assert sum(len(y) for _, y in digits_train) == 1437 - round(1437 * 0.2)
    with pytest.raises(ValueError, match=r"fraction must be in \(0.0, 1.0\), got 1.5"):
        data.holdout("digits", fraction=1.5)


def test_image_dataset_for_pairs_image_models_with_image_data():
    assert data.image_dataset_for("lenet5", "image_classification", "mnist").channels == 1
    with pytest.raises(ValueError, match="'lstm' is a sequence_classification model"):
        data.image_dataset_for("lstm", "sequence_classification", "digits")
    with pytest.raises(ValueError, match="--dataset must be an image data set"):
        data.image_dataset_for("lenet5", "image_classification", "imdb_reviews")


def test_epoch_stream_keys_cifar_augmentation_on_the_epoch_too():
    with tfds.testing.mock_data(num_examples=8):

        def epoch(first):
            dataset = data.load("cifar10", batch_size=8, seed=1, augment=True, shuffle=False)
            return next(iter(data.epoch_stream(dataset, first)))[0].numpy()

        np.testing.assert_array_equal(epoch(3), epoch(3))
        assert not np.array_equal(epoch(3), epoch(4))


# ---- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "phrase"),
    [
        (
            ("imagenet",),
            {},
            "name must be one of 'digits', 'mnist', 'fashion_mnist', 'cifar10', 'cifar100', "
            "'imdb_reviews', 'tiny_shakespeare'; got 'imagenet'",
        ),
        (("mnist", "validation"), {}, "split must be one of 'train', 'test'; got 'validation'"),
        (("tiny_shakespeare", "dev"), {}, "split must be one of 'train', 'validation', 'test'"),
        (("imdb_reviews",), {"image_size": 32}, "image_size does not apply to the text data set"),
        (
            ("imdb_reviews",),
            {"sequence_length": 0},
            "sequence_length must be an integer >= 1, got 0",
        ),
        (("digits",), {"source_dir": "."}, "digits ships with scikit-learn"),
        (
            ("mnist",),
            {"source_dir": "/nonexistent/folder"},
            "source_dir must be an existing folder",
        ),
        (("cifar10",), {"batch_size": -1}, "batch_size must be an integer >= 1, got -1"),
    ],
)
def test_bad_arguments(args, kwargs, phrase):
    with pytest.raises(ValueError, match=phrase):
        data.load(*args, **kwargs)


def test_missing_original_files_are_named(tmp_path):
    with pytest.raises(
        ValueError, match="has no cifar10 train files: expected cifar-10-batches-py/data_batch_"
    ):
        data.load("cifar10", source_dir=tmp_path)
    with pytest.raises(ValueError, match=r"has no tiny_shakespeare file: expected input\.txt"):
        data.load("tiny_shakespeare", source_dir=tmp_path)
    with pytest.raises(ValueError, match="expected aclImdb/train/pos/"):
        data.load("imdb_reviews", source_dir=tmp_path)
    with pytest.raises(ValueError, match="name must be one of 'imdb_reviews', 'tiny_shakespeare'"):
        data.vocabulary("mnist")


# ---- the real tensorflow-datasets download path, offline ------------------------------------
# `tfds.testing.mock_data` skips `download_and_prepare`, where tensorflow-datasets imports what
# it needs to prepare a data set (importlib_resources, a dependency it does not declare). These
# run the real path into an empty data_dir: a missing dependency fails them (and CI) with an
# ImportError instead of the expected network failure.


@pytest.fixture
def no_network(monkeypatch):
    """Every connection fails at once, on name resolution, as in a sandbox without network (so
    nothing is downloaded even where there is one); tensorflow-datasets' 10 retries with
    back-off (3.5 minutes) are cut to none."""
    import socket

    from tensorflow_datasets.core.download import downloader

    def refuse(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "network disabled by the test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(downloader, "MAX_RETRIES", 0)


def _chain(error):
    while error is not None:
        yield error
        error = error.__cause__ or error.__context__


@pytest.mark.timeout(180)
def test_real_tfds_download_path_fails_on_the_network_not_on_an_import(tmp_path, no_network):
    import requests

    with pytest.raises(Exception) as caught:
        tfds.load("mnist", data_dir=tmp_path / "tfds")
    assert any(entry.name == "download_and_prepare" for entry in caught.traceback)
    errors = list(_chain(caught.value))
    assert not any(isinstance(e, ImportError) for e in errors), caught.value
    assert any(isinstance(e, requests.exceptions.ConnectionError) for e in errors), caught.value


@pytest.mark.timeout(180)
def test_a_failed_download_is_one_line_naming_the_offline_way(tmp_path, no_network):
    with pytest.raises(ValueError) as caught:
        data.load("mnist", data_dir=tmp_path / "tfds")
    message = str(caught.value)
    assert "\n" not in message
    assert "could not download 'mnist'" in message
    for offline in ("source_dir=", "--source-dir", data.SOURCE_DIR_ENV, "IDX"):
        assert offline in message
    assert not any(isinstance(e, ImportError) for e in _chain(caught.value))
