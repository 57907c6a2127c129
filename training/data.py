"""`load`: data sets as tf.data pipelines (batched, shuffled every epoch, prefetched).

``digits`` is scikit-learn's bundled copy of the UCI optical handwritten digits (Alpaydin &
Kaynak 1998): 1,797 real 8x8 grey-scale images, available offline, the embedded default data set.
Its 0-16 pixel counts are scaled to [0, 1] and resized (bilinear) to ``image_size`` x
``image_size`` so that LeNet-style models see their paper's input size. The split is fixed: a
stratified 80/20 split with scikit-learn's ``train_test_split(random_state=0)``, 1,437 train
and 360 test images.

``mnist`` (LeCun et al. 1998), ``fashion_mnist`` (Xiao et al. 2017), ``cifar10`` and ``cifar100``
(Krizhevsky 2009) are images scaled to [0, 1]; ``imdb_reviews`` (Maas et al. 2011) are reviews as
word ids of a vocabulary built from the train split; ``tiny_shakespeare`` (Karpathy's char-rnn
corpus) is character ids cut into (input, next characters) windows. They come from
tensorflow-datasets, or with ``source_dir=`` (or the environment variable ``ZOO_SOURCE_DIR``) from
the data sets' original distribution files in a local folder (no download):

- mnist, fashion_mnist: ``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
  ``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz`` (IDX, gzipped or not);
- cifar10: ``cifar-10-batches-py/`` (or its content): any number of ``data_batch_*`` pickles and
  ``test_batch``; cifar100: ``cifar-100-python/`` with ``train`` and ``test``;
- imdb_reviews: ``aclImdb/`` (or its content) with ``{train,test}/{pos,neg}/*.txt``;
- tiny_shakespeare: ``input.txt``, split 90/5/5 % into train/validation/test as
  tensorflow-datasets does.

``ZOO_SOURCE_DIR`` holds one folder per data set, named like it (``mnist/``, ``fashion-mnist/``,
``cifar10-subset/``, ``tinyshakespeare/`` ...); a data set it lacks comes from
tensorflow-datasets. The arrays are read once per process and kept in memory (the cache);
each pass reshuffles them (order reproducible from ``seed``), and batches are prefetched.
Every data set made here carries `EPOCH_PASS` (``dataset.epoch_pass(e)``: epoch e's batches,
their order and augmentation a pure function of ``(seed, e)``); `epoch_stream` chains them into
what `zoo.training.fit` trains on, so that a resumed run sees the epochs it missed. A user's
``.map()`` returns a data set without that link (fit then replays passes, and says so);
`transform` applies a transformation to every pass and keeps it. `holdout` splits the train
split into training and validation sets (the last fraction held out). `standardize` fits
per-feature z-score or min-max standardisation on the training split (a `Standardizer`:
``.apply(dataset)`` keeps `EPOCH_PASS`, ``.layer()`` is the same map as a
``keras.layers.Normalization`` inside a model). The pickled CIFAR
files are read by a restricted unpickler (`CifarUnpickler`): it admits only what they hold (a
dict of bytes, lists and numpy arrays), so a crafted file is refused instead of running code.

This module is one of the two places where TensorFlow is used directly (ARCHITECTURE.md 2).
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import gzip
import os
import pathlib
import pickle
import re
import zlib

import numpy as np

from zoo.validation import (
    check_bool,
    check_bounded_int,
    check_folder,
    check_name,
    check_number,
    check_path,
    check_positive_int,
)

SOURCE_DIR_ENV = "ZOO_SOURCE_DIR"
CIFAR_PADDING = 4
MAX_IMAGE_SIZE = 1024
"""The largest ``image_size`` `load` makes: over 3x the largest input of the zoo's models (299);
a larger one is a typo that would exhaust memory in the resize."""
MAX_SEQUENCE_LENGTH = 10_000
"""The longest ``sequence_length``: imdb_reviews' 25,000 reviews padded to it take 1 GB."""
MAX_INT64 = 2**63 - 1
"""tf.data's sizes and seeds are 64-bit: the largest ``batch_size`` and ``seed``."""
_INT64 = " (tf.data's sizes and seeds are 64-bit)"
DEFAULT_VOCAB_SIZE = 20000


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """What a data set is: its splits, classes, channels, default image size and kind.

    ``kind`` is ``"image"`` (``(image, label)`` pairs), ``"text"`` (``(word ids, label)``) or
    ``"characters"`` (``(character ids, next character ids)``; ``num_classes`` is ``None`` and
    the vocabulary's size is ``len(vocabulary("tiny_shakespeare"))``).
    """

    name: str
    splits: tuple[str, ...]
    num_classes: int | None
    channels: int
    default_image_size: int | None
    kind: str = "image"
    augmentation: bool = False


DATASETS = {
    "digits": DatasetSpec("digits", ("train", "test"), 10, 1, 32),
    "mnist": DatasetSpec("mnist", ("train", "test"), 10, 1, 28),
    "fashion_mnist": DatasetSpec("fashion_mnist", ("train", "test"), 10, 1, 28),
    "cifar10": DatasetSpec("cifar10", ("train", "test"), 10, 3, 32, augmentation=True),
    "cifar100": DatasetSpec("cifar100", ("train", "test"), 100, 3, 32, augmentation=True),
    "imdb_reviews": DatasetSpec("imdb_reviews", ("train", "test"), 2, 0, None, kind="text"),
    "tiny_shakespeare": DatasetSpec(
        "tiny_shakespeare", ("train", "validation", "test"), None, 0, None, kind="characters"
    ),
}
DEFAULT_SEQUENCE_LENGTH = {"imdb_reviews": 256, "tiny_shakespeare": 100}


def spec(name: str) -> DatasetSpec:
    """The `DatasetSpec` (splits, classes, channels, default image size) of a data set."""
    check_name("name", name, tuple(DATASETS))
    return DATASETS[name]


def image_dataset_for(model: str, task: str, dataset: str, *, purpose: str = "train"):
    """The `DatasetSpec` of image data set ``dataset`` for model ``model`` of ``task``, after
    checking that both are about image classification (what ``zoo train`` and ``zoo tune`` run).

    Example: ``image_dataset_for("lenet5", zoo.info("lenet5").task, "digits").channels`` -> 1.
    """
    if task != "image_classification":
        raise ValueError(
            f"{model!r} is a {task} model; only image classifiers {purpose} on the image data sets."
        )
    check_name("--dataset", dataset, tuple(DATASETS))
    dataset_spec = spec(dataset)
    if dataset_spec.kind != "image":
        images = ", ".join(n for n, s in DATASETS.items() if s.kind == "image")
        raise ValueError(f"--dataset must be an image data set ({images}), got {dataset!r}.")
    return dataset_spec


@functools.lru_cache(maxsize=4)
def digits_arrays(image_size: int = 32):
    """The digits split as numpy arrays: ``(x_train, y_train, x_test, y_test)``.

    Images are float32 in [0, 1] with shape (N, image_size, image_size, 1); labels int32.
    """
    import tensorflow as tf
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float32)[..., np.newaxis]
    labels = bunch.target.astype(np.int32)
    if image_size != images.shape[1]:
        resized = tf.image.resize(
            images, (image_size, image_size), method="bilinear", antialias=True
        )
        images = np.clip(resized.numpy(), 0.0, 1.0).astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=0.2, stratify=labels, random_state=0
    )
    return x_train, y_train, x_test, y_test


# ---------------------------------------------------------------------------------------------
# Original distribution files.

_IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path) -> np.ndarray:
    """An IDX file (LeCun's MNIST format, gzipped or not) as a numpy array."""
    path = pathlib.Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as file:
            data = file.read()
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"{path} is not a readable IDX file ({error}).") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number).")
    rank = data[3]
    header = 4 + 4 * rank
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(rank))
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(
            f"{path} is truncated: its header announces shape {shape} ({expected} bytes), "
            f"the file holds {len(data) - header}."
        )
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)


def _find_file(folder: pathlib.Path, stem: str) -> pathlib.Path | None:
    for candidate in (folder / f"{stem}.gz", folder / stem):
        if candidate.is_file():
            return candidate
    return None


def _idx_arrays(folder: pathlib.Path, split: str, name: str):
    found = [_find_file(folder, stem) for stem in _IDX_FILES[split]]
    if None in found:
        expected = ", ".join(f"{stem}.gz" for stem in _IDX_FILES[split])
        raise ValueError(f"source_dir {folder} has no {name} {split} files: expected {expected}.")
    images, labels = (read_idx(path) for path in found)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(
            f"{name} files in {folder} disagree: images {images.shape}, labels {labels.shape}."
        )
    return images[..., np.newaxis], labels.astype(np.int32)


_RECONSTRUCT = np.zeros(0).__reduce__()[0]
_CIFAR_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}
"""The only globals in CIFAR's python pickles: a numpy array's reconstruction (its module
spelled as numpy 1 or numpy 2 writes it), ``numpy.ndarray`` and ``numpy.dtype``."""


class CifarUnpickler(pickle.Unpickler):
    """Unpickles a CIFAR batch (a dict of bytes keys to bytes, lists and numpy arrays), refusing
    every global outside `_CIFAR_GLOBALS` (``pickle.UnpicklingError("refusing posix.system")``),
    so a crafted file cannot run code while it loads.

    Example: ``CifarUnpickler(open("data_batch_1", "rb"), encoding="bytes").load()``.
    """

    def find_class(self, module, name):
        found = _CIFAR_GLOBALS.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(
                f"refusing {module}.{name}: a CIFAR batch holds only bytes, lists and numpy "
                "arrays, so this file is damaged or not one of them"
            )
        return found


_DAMAGED_PICKLE = (OSError, EOFError, ValueError, TypeError, KeyError, AttributeError, IndexError)
"""What unpickling a damaged file raises besides ``pickle.UnpicklingError``."""


def _unpickle(path: pathlib.Path) -> dict:
    try:
        with open(path, "rb") as file:
            batch = CifarUnpickler(file, encoding="bytes").load()
    except (pickle.UnpicklingError, *_DAMAGED_PICKLE) as error:
        raise ValueError(f"{path} is not a CIFAR python pickle ({error}).") from None
    if not isinstance(batch, dict):
        raise ValueError(
            f"{path} is not a CIFAR python pickle: it holds a {type(batch).__name__}, not a dict."
        )
    return batch


def _cifar_images(batch: dict, path: pathlib.Path) -> np.ndarray:
    data = np.asarray(batch.get(b"data", batch.get("data")))
    if (
        data.dtype.kind not in "iu"
        or data.ndim != 2
        or data.shape[1] != 3 * 32 * 32
        or (data.size and (data.min() < 0 or data.max() > 255))
    ):
        raise ValueError(
            f"{path}: 'data' must be N x 3072 pixel values in [0, 255] (R, G, B planes), got "
            f"{data.dtype} {data.shape}."
        )
    return data.astype(np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)


def _cifar_labels(batch: dict, key: bytes, path: pathlib.Path, count: int) -> np.ndarray:
    raw = batch.get(key, batch.get(key.decode()))
    if raw is None:
        raise ValueError(
            f"{path} has no {key.decode()!r} entry (CIFAR-10 batches have 'labels', CIFAR-100 "
            "files 'fine_labels'): is it a file of the other data set?"
        )
    labels = np.asarray(raw)
    if labels.shape != (count,) or labels.dtype.kind not in "iu":
        raise ValueError(
            f"{path}: {key.decode()!r} must be {count} integer class ids (one per image), got "
            f"{labels.dtype} {labels.shape}."
        )
    return labels.astype(np.int32)


def _cifar_arrays(folder: pathlib.Path, split: str, name: str):
    fine = name == "cifar100"
    inner = folder / ("cifar-100-python" if fine else "cifar-10-batches-py")
    folder = inner if inner.is_dir() else folder
    if fine:
        files = [folder / split] if (folder / split).is_file() else []
    elif split == "train":
        files = sorted(folder.glob("data_batch_*"), key=lambda p: (len(p.name), p.name))
    else:
        files = [folder / "test_batch"] if (folder / "test_batch").is_file() else []
    if not files:
        expected = (
            f"cifar-100-python/{split}"
            if fine
            else ("cifar-10-batches-py/data_batch_*" if split == "train" else "test_batch")
        )
        raise ValueError(f"source_dir {folder} has no {name} {split} files: expected {expected}.")
    key = b"fine_labels" if fine else b"labels"
    images, labels = [], []
    for path in files:
        batch = _unpickle(path)
        images.append(_cifar_images(batch, path))
        labels.append(_cifar_labels(batch, key, path, len(images[-1])))
    return np.concatenate(images), np.concatenate(labels)


def _imdb_texts(folder: pathlib.Path, split: str):
    inner = folder / "aclImdb"
    folder = inner if inner.is_dir() else folder
    texts, labels = [], []
    for label, polarity in ((0, "neg"), (1, "pos")):
        for path in sorted((folder / split / polarity).glob("*.txt")):
            texts.append(path.read_text(encoding="utf-8"))
            labels.append(label)
    if not texts:
        raise ValueError(
            f"source_dir {folder} has no imdb_reviews {split} files: expected "
            f"aclImdb/{split}/pos/*.txt and aclImdb/{split}/neg/*.txt."
        )
    return texts, np.asarray(labels, dtype=np.int32)


def split_shakespeare(text: str) -> dict[str, str]:
    """tensorflow-datasets' 90/5/5 % split of the Tiny Shakespeare text."""
    cut = int(len(text) * 0.9)
    train, rest = text[:cut], text[cut:]
    cut = int(len(rest) * 0.5)
    return {"train": train, "validation": rest[:cut], "test": rest[cut:]}


def _shakespeare_from_folder(folder: pathlib.Path) -> dict[str, str]:
    path = folder / "input.txt"
    if not path.is_file():
        raise ValueError(f"source_dir {folder} has no tiny_shakespeare file: expected input.txt.")
    return split_shakespeare(path.read_text(encoding="utf-8"))


_MARKERS = {
    "mnist": ("train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"),
    "fashion_mnist": ("train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"),
    "cifar10": ("cifar-10-batches-py", "data_batch_1", "test_batch"),
    "cifar100": ("cifar-100-python", "train"),
    "imdb_reviews": ("aclImdb", "train"),
    "tiny_shakespeare": ("input.txt",),
}


def _normalised(text: str) -> str:
    return text.lower().replace("-", "").replace("_", "")


def _folder_in_root(name: str, root: pathlib.Path) -> pathlib.Path | None:
    """The folder of ``name`` inside ``ZOO_SOURCE_DIR``: a subfolder named like the data set
    (``-``/``_`` and case ignored), optionally with a suffix (``cifar10-subset``)."""
    if not root.is_dir():
        return None
    target = _normalised(name)
    prefix = name.replace("_", "-") + "-"
    for child in sorted(root.iterdir()):
        label = child.name.lower().replace("_", "-")
        if not child.is_dir() or not (_normalised(label) == target or label.startswith(prefix)):
            continue
        if any((child / marker).exists() for marker in _MARKERS[name]):
            return child
    return None


def source_folder(name: str, source_dir=None) -> pathlib.Path | None:
    """Where ``name``'s original files are read from: ``source_dir``, else the data set's folder
    in ``$ZOO_SOURCE_DIR``, else ``None`` (tensorflow-datasets)."""
    if source_dir is not None:
        return check_folder("source_dir", source_dir, what="an existing folder", exists=True)
    root = os.environ.get(SOURCE_DIR_ENV)
    return _folder_in_root(name, pathlib.Path(root)) if root else None


# ---------------------------------------------------------------------------------------------
# tensorflow-datasets.


# What the original files of each tensorflow-datasets set are, for the offline hint.
_SOURCE_FILES = {
    "mnist": "the four IDX .gz files",
    "fashion_mnist": "the four IDX .gz files",
    "cifar10": "cifar-10-batches-py/",
    "cifar100": "cifar-100-python/",
    "imdb_reviews": "aclImdb/",
    "tiny_shakespeare": "input.txt",
}


def _download_errors() -> tuple[type[BaseException], ...]:
    """What tensorflow-datasets raises when it cannot reach a download server: requests'
    errors (no network, DNS, TLS, HTTP status), urllib's (ftp) and tfds' own DownloadError."""
    import urllib.error

    errors: list[type[BaseException]] = [urllib.error.URLError, ConnectionError, TimeoutError]
    try:
        import requests

        errors.append(requests.exceptions.RequestException)
    except ImportError:  # tensorflow-datasets depends on requests; be safe all the same
        pass
    try:
        from tensorflow_datasets.core.download.util import DownloadError

        errors.append(DownloadError)
    except ImportError:
        pass
    return tuple(errors)


def _tfds_load(name: str, data_dir, **options):
    """``tfds.load`` (downloading and preparing the data set when ``data_dir`` lacks it); a
    download that fails on the network becomes one ValueError line naming the offline way."""
    import tensorflow_datasets as tfds

    try:
        return tfds.load(name, data_dir=data_dir, **options)
    except _download_errors() as error:
        reason = " ".join(str(error).split())
        reason = reason if len(reason) <= 160 else reason[:157] + "..."
        raise ValueError(
            f"tensorflow-datasets could not download {name!r} ({type(error).__name__}: "
            f"{reason}). Offline, read the original files from a folder instead: "
            f"source_dir=DIR (zoo train/tune: --source-dir DIR, or ${SOURCE_DIR_ENV} holding "
            f"a {name.replace('_', '-')}/ folder) with {_SOURCE_FILES[name]}."
        ) from error


def _tfds_numpy(name: str, split: str, data_dir):
    import tensorflow_datasets as tfds

    dataset = _tfds_load(name, data_dir, split=split, as_supervised=True)
    chunks = list(tfds.as_numpy(dataset.batch(8192)))
    if not chunks:
        raise ValueError(f"tensorflow-datasets returned no examples for {name!r} {split!r}.")
    return tuple(np.concatenate([chunk[i] for chunk in chunks]) for i in range(2))


def _tfds_shakespeare(data_dir) -> dict[str, str]:
    import tensorflow_datasets as tfds

    texts = {}
    for split in DATASETS["tiny_shakespeare"].splits:
        dataset = _tfds_load("tiny_shakespeare", data_dir, split=split)
        texts[split] = "".join(
            example["text"].decode("utf-8") for example in tfds.as_numpy(dataset)
        )
    return texts


# ---------------------------------------------------------------------------------------------
# Arrays (read once per process).


@functools.lru_cache(maxsize=8)
def _image_arrays(name: str, split: str, folder: str | None, data_dir: str | None):
    if folder is not None:
        path = pathlib.Path(folder)
        if name in ("mnist", "fashion_mnist"):
            return _idx_arrays(path, split, name)
        return _cifar_arrays(path, split, name)
    images, labels = _tfds_numpy(name, split, data_dir)
    return np.asarray(images, dtype=np.uint8), np.asarray(labels, dtype=np.int32)


@functools.lru_cache(maxsize=4)
def _imdb_raw(split: str, folder: str | None, data_dir: str | None):
    if folder is not None:
        return _imdb_texts(pathlib.Path(folder), split)
    texts, labels = _tfds_numpy("imdb_reviews", split, data_dir)
    decoded = [t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in texts]
    return decoded, np.asarray(labels, dtype=np.int32)


_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
PAD, OOV = "", "[UNK]"


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens of a review (HTML line breaks removed, punctuation dropped)."""
    return _TOKEN.findall(text.lower().replace("<br />", " "))


@functools.lru_cache(maxsize=4)
def _imdb_vocabulary(folder: str | None, data_dir: str | None, vocab_size: int):
    texts, _ = _imdb_raw("train", folder, data_dir)
    counts = collections.Counter(token for text in texts for token in tokenize(text))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return (PAD, OOV, *(token for token, _ in ranked[: vocab_size - 2]))


@functools.lru_cache(maxsize=2)
def _shakespeare_texts(folder: str | None, data_dir: str | None) -> dict[str, str]:
    if folder is not None:
        return _shakespeare_from_folder(pathlib.Path(folder))
    return _tfds_shakespeare(data_dir)


def clear_cache() -> None:
    """Forget the arrays read so far (they are kept in memory for the rest of the process)."""
    for cached in (
        digits_arrays,
        _image_arrays,
        _imdb_raw,
        _imdb_vocabulary,
        _shakespeare_texts,
    ):
        cached.cache_clear()


def _check_unused_vocab_size(name: str, vocab_size) -> None:
    """Refuse a ``vocab_size`` given for a data set other than imdb_reviews (it would be
    silently ignored)."""
    if vocab_size != DEFAULT_VOCAB_SIZE:
        raise ValueError(
            f"vocab_size applies to imdb_reviews only, not to {name!r} "
            f"(tiny_shakespeare's vocabulary is its distinct characters); got {vocab_size!r}."
        )


def vocabulary(name: str, *, data_dir=None, source_dir=None, vocab_size: int = DEFAULT_VOCAB_SIZE):
    """The token of every id: imdb_reviews' words (0 padding ``""``, 1 unknown ``"[UNK]"``, then
    by decreasing train-split frequency), tiny_shakespeare's sorted distinct characters.

    Example: ``len(vocabulary("tiny_shakespeare"))`` is 65 on the real corpus.
    """
    check_name("name", name, ("imdb_reviews", "tiny_shakespeare"))
    if name == "imdb_reviews":
        vocab_size = check_positive_int("vocab_size", vocab_size, minimum=3)
    else:
        _check_unused_vocab_size(name, vocab_size)
    data_dir = check_path("data_dir", data_dir, none=True)
    folder = source_folder(name, source_dir)
    folder_key = None if folder is None else str(folder)
    data_key = None if data_dir is None else str(data_dir)
    if name == "imdb_reviews":
        return list(_imdb_vocabulary(folder_key, data_key, vocab_size))
    return sorted(set("".join(_shakespeare_texts(folder_key, data_key).values())))


def _imdb_arrays(split, folder, data_dir, vocab_size, sequence_length):
    words = vocabulary("imdb_reviews", data_dir=data_dir, source_dir=folder, vocab_size=vocab_size)
    index = {token: i for i, token in enumerate(words)}
    texts, labels = _imdb_raw(split, folder, data_dir)
    ids = np.zeros((len(texts), sequence_length), dtype=np.int32)
    for row, text in enumerate(texts):
        tokens = [index.get(token, 1) for token in tokenize(text)[:sequence_length]]
        ids[row, : len(tokens)] = tokens
    return ids, labels


def _shakespeare_arrays(split, folder, data_dir, sequence_length):
    characters = vocabulary("tiny_shakespeare", data_dir=data_dir, source_dir=folder)
    index = {c: i for i, c in enumerate(characters)}
    text = _shakespeare_texts(folder, data_dir)[split]
    ids = np.fromiter((index[c] for c in text), dtype=np.int32, count=len(text))
    windows = (len(ids) - 1) // sequence_length
    if windows < 1:
        raise ValueError(
            f"the tiny_shakespeare {split} split ({len(ids)} characters) is shorter than "
            f"sequence_length + 1 ({sequence_length + 1})."
        )
    used = windows * sequence_length
    inputs = ids[:used].reshape(windows, sequence_length)
    targets = ids[1 : used + 1].reshape(windows, sequence_length)
    return inputs, targets


# ---------------------------------------------------------------------------------------------
# The pipeline.


def _augment_cifar(image, seed):
    """Random crop after zero padding by 4 and a random horizontal flip (He et al. 2016), both
    drawn from the stateless ``seed`` of this example and pass."""
    import tensorflow as tf

    padded = tf.pad(image, [[CIFAR_PADDING] * 2, [CIFAR_PADDING] * 2, [0, 0]])
    fold = tf.random.experimental.stateless_fold_in
    image = tf.image.stateless_random_crop(padded, tf.shape(image), seed=fold(seed, 0))
    return tf.image.stateless_random_flip_left_right(image, seed=fold(seed, 1))


EPOCH_PASS = "epoch_pass"
"""The attribute of every data set made by `load`, `holdout` or `transform`: a function of an
epoch index e returning that epoch's batches, in an order (and augmentation) that is a pure
function of ``(seed, e)``. `epoch_stream` reads it; transformations of the data set (``.map``,
``.filter``, ...) return a new data set without it."""


def epoch_stream(dataset, first_epoch: int = 0):
    """The passes ``first_epoch``, ``first_epoch + 1``, ... of a data set made by `load` (or
    `holdout`, `transform`), as one endless data set in which pass e is ``dataset.epoch_pass(e)``:
    the same in every process, under every tf.distribute rewrite and however Keras draws its
    iterators. ``None`` for a data set without `EPOCH_PASS`.

    `zoo.training.fit` trains on it, so a resumed run sees exactly the epochs it missed.

    Example: ``stream = epoch_stream(load("digits", seed=0), first_epoch=2)``.
    """
    one_pass = getattr(dataset, EPOCH_PASS, None)
    if one_pass is None:
        return None
    import tensorflow as tf

    return tf.data.Dataset.counter(first_epoch).flat_map(one_pass).prefetch(tf.data.AUTOTUNE)


def transform(dataset, function):
    """``function`` applied to every pass of a data set from `load`, keeping exact resume.

    ``dataset.map(f)`` returns a tf.data set without the `EPOCH_PASS` link, so `fit` can only
    replay its passes on resume (and says so); ``transform(dataset, lambda d: d.map(f))`` applies
    the same transformation to each epoch's pass and keeps the link.

    Args:
        dataset: a data set made by `load`, `holdout` or `transform`.
        function: maps a ``tf.data.Dataset`` (one pass) to another (e.g. ``lambda d: d.map(f)``).

    Example: ``transform(load("digits", seed=0), lambda d: d.map(lambda x, y: (1 - x, y)))``.
    """
    one_pass = getattr(dataset, EPOCH_PASS, None)
    if one_pass is None:
        raise ValueError(
            "transform needs a data set made by zoo.training.data.load, holdout or transform "
            f"(one with an {EPOCH_PASS!r}); got {dataset!r}."
        )
    if not callable(function):
        raise ValueError(
            "transform's function must be callable (a tf.data.Dataset to a tf.data.Dataset), "
            f"got {function!r}."
        )
    import tensorflow as tf

    result = function(dataset)
    if not isinstance(result, tf.data.Dataset):
        raise ValueError(
            f"transform's function must return a tf.data.Dataset, got {type(result).__name__}."
        )

    def transformed_pass(key):
        return function(one_pass(key))

    return _linked(result, transformed_pass)


def _linked(dataset, one_pass):
    """``dataset`` carrying ``one_pass`` as its `EPOCH_PASS`."""
    setattr(dataset, EPOCH_PASS, one_pass)
    return dataset


def load(
    name: str,
    split: str = "train",
    *,
    batch_size: int = 128,
    shuffle: bool = True,
    augment: bool = False,
    one_hot: bool = False,
    data_dir=None,
    seed: int | None = None,
    image_size: int | None = None,
    source_dir=None,
    vocab_size: int = DEFAULT_VOCAB_SIZE,
    sequence_length: int | None = None,
):
    """A batched, prefetched ``tf.data.Dataset`` of ``(inputs, labels)`` pairs.

    Images are float32 in [0, 1], (N, H, W, C); labels int32 class ids (float32 one-hot with
    ``one_hot``). ``imdb_reviews`` gives int32 word ids (padded with 0 / cut to
    ``sequence_length``), ``tiny_shakespeare`` int32 character windows and the same windows one
    character later as targets.

    Args:
        name: one of ``DATASETS``: digits, mnist, fashion_mnist, cifar10, cifar100,
            imdb_reviews, tiny_shakespeare.
        split: one of the data set's splits (``"train"``, ``"test"``; tiny_shakespeare also
            ``"validation"``).
        batch_size: examples per batch (the last batch may be smaller; one larger than the
            split gives a single batch of all of it).
        shuffle: reshuffle the examples every pass; the k-th pass over the data set has an
            order fixed by ``seed`` and k (``seed=None``: drawn from numpy's global generator,
            which ``keras.utils.set_random_seed`` seeds).
        augment: CIFAR only, train split only: random crop with zero padding 4 and a random
            horizontal flip, drawn anew every epoch (reproducible from ``seed``).
        one_hot: float32 one-hot labels instead of int32 class ids.
        data_dir: tensorflow-datasets' folder (downloaded and prepared data).
        seed: seed of the shuffle order and of the augmentation (an int >= 0).
        image_size: side of the square images (default: the data set's own; others are
            resized bilinearly).
        source_dir: a folder of the original files (see the module doc); overrides
            ``$ZOO_SOURCE_DIR``.
        vocab_size: imdb_reviews' vocabulary size, padding and unknown ids included.
        sequence_length: tokens per review (default 256) or characters per window (default
            100), at most `MAX_SEQUENCE_LENGTH`.

    Every argument is checked first (``ValueError`` naming it, its value and what is allowed):
    integers (NumPy ones too) within their limits (``image_size`` at most `MAX_IMAGE_SIZE`),
    True/False flags, paths, and an argument that does not apply to the data set
    (``image_size`` for text, ``sequence_length`` for images, ``vocab_size`` but for
    imdb_reviews).

    Example: ``train = zoo.training.data.load("mnist", batch_size=128, seed=0,
    source_dir="../shared/data/mnist")``.
    """

    dataset_spec = spec(name)
    check_name("split", split, dataset_spec.splits)
    batch_size = check_bounded_int("batch_size", batch_size, maximum=MAX_INT64, why=_INT64)
    shuffle = check_bool("shuffle", shuffle)
    augment = check_bool("augment", augment)
    one_hot = check_bool("one_hot", one_hot)
    if seed is not None:
        seed = check_bounded_int("seed", seed, minimum=0, maximum=MAX_INT64, why=_INT64)
    data_dir = check_path("data_dir", data_dir, none=True)
    if augment and not dataset_spec.augmentation:
        augmentable = ", ".join(n for n, s in DATASETS.items() if s.augmentation)
        raise ValueError(f"augment=True is defined for {augmentable}, not for {name!r}.")
    if augment and split != "train":
        raise ValueError(f"augment=True applies to the 'train' split only, got split={split!r}.")
    if name != "imdb_reviews":
        _check_unused_vocab_size(name, vocab_size)
    if dataset_spec.kind != "image":
        if image_size is not None:
            raise ValueError(f"image_size does not apply to the text data set {name!r}.")
        length = DEFAULT_SEQUENCE_LENGTH[name] if sequence_length is None else sequence_length
        length = check_bounded_int("sequence_length", length, maximum=MAX_SEQUENCE_LENGTH)
    else:
        if sequence_length is not None:
            raise ValueError(
                "sequence_length applies to the text data sets (imdb_reviews, "
                f"tiny_shakespeare), not to the image data set {name!r}."
            )
        image_size = check_bounded_int(
            "image_size",
            dataset_spec.default_image_size if image_size is None else image_size,
            maximum=MAX_IMAGE_SIZE,
        )
    features, labels, finish = _prepared(
        name,
        split,
        one_hot=one_hot,
        data_dir=data_dir,
        image_size=image_size,
        source_dir=source_dir,
        vocab_size=vocab_size,
        sequence_length=None if dataset_spec.kind == "image" else length,
    )
    return _batched(features, labels, batch_size, shuffle, augment, seed, finish)


def _prepared(
    name, split, *, one_hot, data_dir, image_size, source_dir, vocab_size, sequence_length
):
    """``(features, labels, finish)`` of a checked split: the arrays and the per-batch step
    (scaling, resizing, one-hot) that `_batched` applies; ``finish`` is None for digits."""
    import tensorflow as tf

    dataset_spec = spec(name)
    length = sequence_length
    if name == "digits":
        if source_dir is not None:
            raise ValueError("digits ships with scikit-learn; source_dir does not apply to it.")
        x_train, y_train, x_test, y_test = digits_arrays(image_size)
        features, labels = (x_train, y_train) if split == "train" else (x_test, y_test)
        if one_hot:
            labels = np.eye(dataset_spec.num_classes, dtype=np.float32)[labels]
        return features, labels, None

    folder = source_folder(name, source_dir)
    folder_key = None if folder is None else str(folder)
    data_key = None if data_dir is None else str(data_dir)
    if dataset_spec.kind == "image":
        features, labels = _image_arrays(name, split, folder_key, data_key)
    elif name == "imdb_reviews":
        vocab_size = check_positive_int("vocab_size", vocab_size, minimum=3)
        features, labels = _imdb_arrays(split, folder_key, data_key, vocab_size, length)
    else:
        features, labels = _shakespeare_arrays(split, folder_key, data_key, length)
    num_classes = dataset_spec.num_classes
    if num_classes is None:
        num_classes = len(vocabulary(name, data_dir=data_dir, source_dir=folder))

    native_size = features.shape[1] if dataset_spec.kind == "image" else None

    def finish(inputs, targets):
        if dataset_spec.kind == "image":
            inputs = tf.cast(inputs, tf.float32) / 255.0
            if image_size != native_size:
                inputs = tf.image.resize(inputs, (image_size, image_size), antialias=True)
                inputs = tf.clip_by_value(inputs, 0.0, 1.0)
        targets = tf.cast(targets, tf.int32)
        if one_hot:
            targets = tf.one_hot(targets, num_classes, dtype=tf.float32)
        return inputs, targets

    return features, labels, finish


def _batched(features, labels, batch_size, shuffle, augment, seed, finish=None):
    """The pipeline: an order per pass, gathered batch by batch (example by example when
    augmenting), finished (scaling, resizing, one-hot) per batch, prefetched.

    Pass k of the returned data set takes its order from a key drawn per pass from
    ``Dataset.random(seed)``; `epoch_stream` replays pass e with key e.
    """
    import tensorflow as tf

    count = len(features)
    inputs = tf.constant(features)
    targets = tf.constant(labels)
    if (shuffle or augment) and seed is None:
        seed = int(np.random.randint(0, 2**31 - 1))
    parallel = {"num_parallel_calls": tf.data.AUTOTUNE, "deterministic": True}

    def one_pass(key):
        pass_seed = tf.random.experimental.stateless_fold_in(
            tf.constant([seed or 0, 0], tf.int64), tf.cast(key, tf.int64)
        )
        order = tf.range(count, dtype=tf.int64)
        if shuffle:
            order = tf.random.experimental.stateless_shuffle(order, seed=pass_seed)
        indices = tf.data.Dataset.from_tensor_slices(order)
        if augment:
            augment_seed = tf.random.experimental.stateless_fold_in(pass_seed, 1)

            def augmented(position, index):
                seed_of_example = tf.random.experimental.stateless_fold_in(augment_seed, position)
                image = _augment_cifar(tf.gather(inputs, index), seed_of_example)
                return image, tf.gather(targets, index)

            batches = indices.enumerate().map(augmented, **parallel).batch(batch_size)
        else:
            batches = indices.batch(batch_size).map(
                lambda index: (tf.gather(inputs, index), tf.gather(targets, index)), **parallel
            )
        return batches.map(finish, **parallel) if finish is not None else batches

    if not (shuffle or augment):
        return _linked(one_pass(tf.constant(0, tf.int64)).prefetch(tf.data.AUTOTUNE), one_pass)
    keys = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1)
    num_batches = -(-count // batch_size)
    dataset = keys.flat_map(one_pass).apply(tf.data.experimental.assert_cardinality(num_batches))
    return _linked(dataset.prefetch(tf.data.AUTOTUNE), one_pass)


HOLDOUT_OPTIONS = (
    "one_hot",
    "data_dir",
    "image_size",
    "source_dir",
    "vocab_size",
    "sequence_length",
)
"""The arguments of `load` that `holdout` passes on (besides batch_size, seed and augment)."""


def holdout(
    name: str,
    *,
    fraction: float = 0.2,
    batch_size: int = 128,
    seed: int | None = None,
    augment: bool = False,
    **options,
):
    """``(train, validation)`` for model selection, keeping the test split for the final check.

    A data set with a validation split (tiny_shakespeare) gives its train and validation
    splits. Otherwise the validation set is the train split's last ``fraction`` of examples (in
    the files' order: the same examples in every run), unshuffled; the rest is the training
    set, shuffled every pass from ``seed``. Both carry `EPOCH_PASS`, so `fit` resumes exactly.

    Args:
        name: a data set of `DATASETS`.
        fraction: the share of the train split held out, in (0, 1) (lecture 003: a validation
            set separate from the test set for choosing hyperparameters).
        batch_size, seed, augment: as for `load` (augmentation only on the training part).
        **options: the other arguments of `load` (`HOLDOUT_OPTIONS`); ``split`` and ``shuffle``
            are holdout's own choice and refused.

    Example: ``train, validation = holdout("digits", fraction=0.2, seed=0, image_size=28)``.
    """
    fraction = check_number("fraction", fraction, low=0.0, high=1.0, low_open=True, high_open=True)
    dataset_spec = spec(name)
    for key in options:
        if key in ("split", "shuffle"):
            raise ValueError(
                f"holdout chooses {key} itself (the train split, its training part shuffled and "
                f"its validation part not); drop {key}={options[key]!r}."
            )
        check_name("holdout's keyword argument", key, HOLDOUT_OPTIONS)
    if "validation" in dataset_spec.splits:
        return (
            load(name, "train", batch_size=batch_size, seed=seed, augment=augment, **options),
            load(name, "validation", batch_size=batch_size, shuffle=False, **options),
        )
    # `load` checks every argument on the training split; its arrays are cached.
    load(name, "train", batch_size=batch_size, shuffle=False, seed=seed, augment=augment, **options)
    arguments = {
        "one_hot": False,
        "data_dir": None,
        "image_size": None,
        "source_dir": None,
        "vocab_size": DEFAULT_VOCAB_SIZE,
        "sequence_length": None,
        **options,
    }
    if dataset_spec.kind == "image" and arguments["image_size"] is None:
        arguments["image_size"] = dataset_spec.default_image_size
    if dataset_spec.kind != "image" and arguments["sequence_length"] is None:
        arguments["sequence_length"] = DEFAULT_SEQUENCE_LENGTH[name]
    features, labels, finish = _prepared(name, "train", **arguments)
    held = min(len(features) - 1, max(1, round(len(features) * fraction)))
    return (
        _batched(features[:-held], labels[:-held], batch_size, True, augment, seed, finish),
        _batched(features[-held:], labels[-held:], batch_size, False, False, seed, finish),
    )


# Per-feature standardisation (lecture 003, "Normalization: essential preprocessing").

STANDARDIZE_METHODS = ("zscore", "minmax")
"""`standardize`'s methods: ``zscore`` (x - mu_i) / sigma_i, each feature a unit Gaussian, and
``minmax`` (x - m_i) / (M_i - m_i), each feature in [0, 1] (seed 003, "Normalization")."""


@dataclasses.dataclass(frozen=True, eq=False)
class Standardizer:
    """Per-feature statistics of a training set and the map z = (x - offset) / scale they define.

    Made by `standardize` (fitted on the training split only); ``apply`` maps any split with the
    training split's statistics, ``layer`` puts the same map inside a model.

    Attributes:
        method: ``"zscore"`` (offset the mean mu, scale the standard deviation sigma, population
            form, ddof 0, as ``keras.layers.Normalization.adapt`` and scikit-learn's
            ``StandardScaler``) or ``"minmax"`` (offset the minimum m, scale the range M - m, as
            scikit-learn's ``MinMaxScaler``).
        axis: the axes holding separate features, as positive indices of the batched inputs
            (``keras.layers.Normalization``'s ``axis``); ``()`` for one scalar statistic.
        statistics: float64 arrays over the feature axes: ``{"mean", "std"}`` or ``{"min",
            "max"}``, as measured on the training split.
        count: how many values each statistic was computed from (examples x the positions of
            the other axes).

    A feature that is constant on the training split (sigma = 0 or M = m: the always-blank border
    pixels of the digits, say) gets scale 1, as scikit-learn does: it maps to x - offset (0 on
    the training split) instead of dividing by zero (``Normalization`` would divide by
    ``keras.config.epsilon()`` = 1e-7 and blow up any other value by 10^7).
    """

    method: str
    axis: tuple[int, ...]
    statistics: dict
    count: int

    @property
    def offset(self) -> np.ndarray:
        """The mean (zscore) or the minimum (minmax) per feature (float64)."""
        return self.statistics["mean" if self.method == "zscore" else "min"]

    @property
    def scale(self) -> np.ndarray:
        """The standard deviation (zscore) or the range M - m (minmax) per feature, 1 where it
        is 0 (float64)."""
        if self.method == "zscore":
            spread = self.statistics["std"]
        else:
            spread = self.statistics["max"] - self.statistics["min"]
        return np.where(spread > 0, spread, 1.0)

    def _broadcast(self, rank: int, values: np.ndarray) -> np.ndarray:
        """``values`` (over the feature axes) reshaped to broadcast against inputs of ``rank``."""
        shape = [1] * rank
        for axis, size in zip(self.axis, values.shape, strict=True):
            shape[axis] = size
        return values.reshape(shape)

    def _check_inputs(self, shape, what: str) -> None:
        """ValueError unless inputs of ``shape`` (batch first) fit the feature axes."""
        rank = len(shape)
        if self.axis and max(self.axis) >= rank:
            raise ValueError(
                f"{what} has inputs of rank {rank} (batch first); the statistics are per axis "
                f"{self.axis} of the training inputs."
            )
        sizes = self.offset.shape
        for axis, size in zip(self.axis, sizes, strict=True):
            if shape[axis] is not None and shape[axis] != size:
                raise ValueError(
                    f"{what}'s inputs have shape {tuple(shape)}; the statistics were measured on "
                    f"inputs with {size} features along axis {axis} (sizes {sizes} on axes "
                    f"{self.axis})."
                )

    def __call__(self, inputs):
        """The standardised ``inputs`` (batch first): a NumPy array for an array (float32 for
        integer inputs, else their dtype), a tf tensor for a tf tensor."""
        import tensorflow as tf

        if isinstance(inputs, tf.Tensor):
            dtype = inputs.dtype if inputs.dtype.is_floating else tf.float32
            self._check_inputs(tuple(inputs.shape), "the input")
            rank = inputs.shape.rank
            offset = tf.constant(self._broadcast(rank, self.offset), dtype)
            scale = tf.constant(self._broadcast(rank, self.scale), dtype)
            return (tf.cast(inputs, dtype) - offset) / scale
        array = np.asarray(inputs)
        dtype = array.dtype if np.issubdtype(array.dtype, np.floating) else np.float32
        self._check_inputs(array.shape, "the input")
        offset = self._broadcast(array.ndim, self.offset).astype(dtype)
        scale = self._broadcast(array.ndim, self.scale).astype(dtype)
        return (array.astype(dtype) - offset) / scale

    def apply(self, dataset):
        """``dataset`` with its inputs standardised by the training split's statistics.

        A data set of ``(inputs, labels, ...)`` batches has its inputs mapped and the rest
        passed on; a data set of input batches alone is mapped whole; a NumPy array is returned
        standardised (`__call__`). A data set from `load`, `holdout` or `transform` keeps its
        `EPOCH_PASS` (the map runs through `transform`), so `zoo.training.fit` still resumes
        exactly.

        Example: ``test = scaler.apply(load("digits", "test", shuffle=False))``.
        """
        import tensorflow as tf

        if not isinstance(dataset, tf.data.Dataset):
            return self(dataset)
        spec = dataset.element_spec
        inputs = spec[0] if isinstance(spec, tuple) else spec
        if not isinstance(inputs, tf.TensorSpec):
            raise ValueError(
                "standardize works on one input tensor per batch; the data set yields "
                f"{inputs!r} as inputs."
            )
        self._check_inputs(tuple(inputs.shape), "the data set")

        def mapped(*element):
            if len(element) == 1:
                return self(element[0])
            return (self(element[0]), *element[1:])

        def on_pass(one_pass):
            return one_pass.map(mapped, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)

        if getattr(dataset, EPOCH_PASS, None) is None:
            return on_pass(dataset)
        return transform(dataset, on_pass)

    def layer(self, *, invert: bool = False, name: str | None = None):
        """The same map as a ``keras.layers.Normalization`` layer with fixed statistics (mean =
        offset, variance = scale^2), to put in front of a model so that it takes raw inputs
        (it is saved with the model; ``invert=True`` undoes the map, e.g. for regression
        targets). Any backend.

        Example: ``keras.Sequential([keras.Input((8, 8, 1)), scaler.layer(), ...])``.
        """
        import keras

        return keras.layers.Normalization(
            axis=self.axis or None,
            mean=self.offset,
            variance=np.square(self.scale),
            invert=check_bool("invert", invert),
            name=name,
        )


def _feature_axes(axis, rank: int) -> tuple[int, ...]:
    """``axis`` (Normalization's: an int, a tuple of ints or None) as sorted positive axes of
    inputs of ``rank`` (batch first); the batch axis cannot hold features."""
    if axis is None:
        return ()
    axes = (axis,) if isinstance(axis, (int, np.integer)) else axis
    if (
        not isinstance(axes, (tuple, list))
        or not axes
        or not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axes)
    ):
        raise ValueError(
            f"axis must be an int, a tuple of ints or None (as keras.layers.Normalization's), "
            f"got {axis!r}."
        )
    positive = sorted({int(a) % rank if -rank <= a < rank else rank for a in axes})
    if positive[-1] >= rank or positive[0] == 0:
        raise ValueError(
            f"axis {axis!r} must name feature axes of the inputs: 1 to {rank - 1} or -1 to "
            f"-{rank - 1} for inputs of rank {rank} (batch first; the batch axis 0 is reduced)."
        )
    return tuple(positive)


def _input_batches(train):
    """The input batches of one pass over ``train`` as NumPy arrays, and what to call it."""
    import tensorflow as tf

    if not isinstance(train, tf.data.Dataset):
        array = np.asarray(train)
        if array.dtype == object or not (
            np.issubdtype(array.dtype, np.number) or array.dtype == bool
        ):
            raise ValueError(
                "standardize needs a tf.data.Dataset of (inputs, labels) batches or a numeric "
                f"array of inputs (batch first), got {type(train).__name__}."
            )
        return iter([array]), "the array"
    one_pass = getattr(train, EPOCH_PASS, None)
    dataset = train if one_pass is None else one_pass(tf.constant(0, tf.int64))
    if int(dataset.cardinality()) == int(tf.data.INFINITE_CARDINALITY):
        raise ValueError("standardize needs a finite training set (one pass), got an endless one.")
    spec = dataset.element_spec
    inputs = spec[0] if isinstance(spec, tuple) else spec
    if not isinstance(inputs, tf.TensorSpec):
        raise ValueError(
            "standardize works on one input tensor per batch; the data set yields "
            f"{inputs!r} as inputs."
        )
    if not (inputs.dtype.is_floating or inputs.dtype.is_integer or inputs.dtype.is_bool):
        raise ValueError(f"standardize needs numeric inputs, got dtype {inputs.dtype.name}.")
    if isinstance(spec, tuple):
        dataset = dataset.map(lambda *element: element[0])
    return dataset.as_numpy_iterator(), "the training set"


def standardize(train, method: str = "zscore", *, axis=-1) -> Standardizer:
    """Fit per-feature standardisation on the training split: a `Standardizer`.

    Lecture 003 ("Normalization", essential preprocessing): Gaussian normalisation
    X[:, i] = (X[:, i] - mu_i) / sigma_i makes each feature a unit Gaussian; min-max
    normalisation X[:, i] = (X[:, i] - m_i) / (M_i - m_i) puts each feature in [0, 1]. The
    statistics come from the training split alone and are then applied, unchanged, to the
    validation and test splits (`Standardizer.apply`), so no information from them leaks into
    training.

    Args:
        train: the training split: a ``tf.data.Dataset`` of ``(inputs, labels)`` batches (or of
            input batches), e.g. from `load` or `holdout` (one pass is read), or a NumPy array of
            inputs, batch first.
        method: ``"zscore"`` or ``"minmax"`` (`STANDARDIZE_METHODS`).
        axis: the axes holding separate features, as ``keras.layers.Normalization``'s ``axis``:
            ``-1`` (the default) gives the columns of an (N, d) table their own statistics, the
            lecture's X[:, i] (on images (N, H, W, C): per channel); ``(1, 2, 3)`` every pixel
            of every channel; ``None`` one mean and deviation for all values.

    Returns:
        A `Standardizer`: ``.apply(dataset)`` (keeps `EPOCH_PASS`), ``.layer()`` (a
        ``keras.layers.Normalization`` with these statistics, to put inside a model) and
        ``.statistics``.

    The statistics are accumulated batch by batch in float64 (Chan et al.'s pairwise update of
    the mean and the sum of squared deviations); for ``zscore`` they equal
    ``keras.layers.Normalization.adapt``'s mean and variance (which are float32). An empty
    training set, non-finite values (NaN, infinity) or an axis that is not a feature axis
    raise ``ValueError``.

    Example:
        >>> train, validation = holdout("digits", seed=0, image_size=8)
        >>> scaler = standardize(train, "zscore", axis=(1, 2, 3))     # per pixel
        >>> train, validation = scaler.apply(train), scaler.apply(validation)
    """
    method = check_name("method", method, STANDARDIZE_METHODS)
    batches, what = _input_batches(train)
    axes = None
    count = 0
    total_mean = total_m2 = low = high = None
    for batch in batches:
        values = np.asarray(batch, dtype=np.float64)
        if values.ndim < 1 or values.shape[0] == 0:
            continue
        if axes is None:
            axes = _feature_axes(axis, values.ndim)
            shape = values.shape
        elif values.ndim != len(shape) or any(values.shape[a] != shape[a] for a in axes):
            raise ValueError(
                f"{what}'s batches change shape along the feature axes {axes}: "
                f"{shape} then {values.shape}."
            )
        if not np.all(np.isfinite(values)):
            raise ValueError(
                f"{what} contains NaN or infinite inputs; clean or impute them before "
                "standardising (the statistics would be NaN)."
            )
        reduced = tuple(a for a in range(values.ndim) if a not in axes)
        n = int(np.prod([values.shape[a] for a in reduced]))
        if method == "minmax":
            batch_low, batch_high = values.min(axis=reduced), values.max(axis=reduced)
            low = batch_low if low is None else np.minimum(low, batch_low)
            high = batch_high if high is None else np.maximum(high, batch_high)
        else:
            mean = values.mean(axis=reduced)
            m2 = np.square(values - values.mean(axis=reduced, keepdims=True)).sum(axis=reduced)
            if total_mean is None:
                total_mean, total_m2 = mean, m2
            else:
                delta = mean - total_mean
                combined = count + n
                total_mean = total_mean + delta * (n / combined)
                total_m2 = total_m2 + m2 + np.square(delta) * (count * n / combined)
        count += n
    if axes is None:
        raise ValueError(f"standardize needs data: {what} is empty (no examples).")
    if method == "minmax":
        statistics = {"min": low, "max": high}
    else:
        statistics = {"mean": total_mean, "std": np.sqrt(total_m2 / count)}
    return Standardizer(method=method, axis=axes, statistics=statistics, count=count)
