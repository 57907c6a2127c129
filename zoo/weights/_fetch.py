"""The file behind a tag: shipped in the package, or downloaded once and cached, hash-checked.

Shipped presets are read from ``zoo/weights/presets`` and their SHA-256 is checked at every load.
Official files go through Keras' own mechanism, ``keras.utils.get_file``, into Keras' cache
(``$KERAS_HOME/models``, by default ``~/.keras/models``, where keras.applications keeps the same
files, so one already there is reused). A file in the cache is checked against the hash its
source publishes *before* anything is downloaded or read, so a damaged or foreign file is
refused with a clear error and nothing is loaded; it is left where it is for the user to look at.
"""

from __future__ import annotations

import hashlib
import os
import pathlib

from zoo.weights._records import Weights

PRESETS = pathlib.Path(__file__).resolve().parent / "presets"


def cache_dir() -> pathlib.Path:
    """Keras' cache folder, read when called: ``$KERAS_HOME`` or ``~/.keras``."""
    return pathlib.Path(os.environ.get("KERAS_HOME") or pathlib.Path.home() / ".keras")


def _digest(path: pathlib.Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_file(record: Weights, path: pathlib.Path) -> None:
    """ValueError unless ``path`` has the hash ``record`` publishes (SHA-256 for a shipped file;
    ``file_hash`` for a downloaded one: md5, a SHA-256 prefix or a SHA-256)."""
    if record.sha256 is not None:
        kind, expected = "sha256", record.sha256
    elif record.file_hash is not None:
        kind, expected = record.file_hash.split(":", 1)
    else:
        return  # the source publishes no hash (keras.applications' MobileNet files)
    algorithm = "md5" if kind == "md5" else "sha256"
    actual = _digest(path, algorithm)
    if actual == expected or (kind == "sha256-prefix" and actual.startswith(expected)):
        return
    label = "the first digits of its SHA-256" if kind == "sha256-prefix" else algorithm
    raise ValueError(
        f"weights file {str(path)!r} for {record.model!r} tag {record.tag!r} is damaged or "
        f"another file: its {algorithm} is {actual}, the source publishes {label} {expected}. "
        "Nothing was loaded"
        + (
            "; reinstall keras-lecture-zoo."
            if record.url is None
            else f"; delete it to download it again from {record.url}."
        )
    )


def fetch(record: Weights) -> pathlib.Path:
    """The checked local file of ``record``: the shipped one, the cached one, or one downloaded
    now with ``keras.utils.get_file`` (md5 checked by Keras where the source publishes it)."""
    if record.url is None:
        path = PRESETS / record.file_name
        if not path.is_file():
            raise FileNotFoundError(
                f"the weights file {record.file_name!r} of {record.model!r} tag {record.tag!r} "
                f"is missing from {str(PRESETS)!r}; reinstall keras-lecture-zoo."
            )
        check_file(record, path)
        return path
    folder = cache_dir() / "models"
    path = folder / record.file_name
    if path.is_file():
        check_file(record, path)
        return path
    import keras

    md5 = record.file_hash[4:] if record.file_hash and record.file_hash.startswith("md5:") else None
    try:
        downloaded = keras.utils.get_file(
            record.file_name,
            record.url,
            cache_dir=str(cache_dir()),
            cache_subdir="models",
            file_hash=md5,
        )
    except Exception as error:
        raise OSError(
            f"cannot download the weights {record.tag!r} of {record.model!r} from "
            f"{record.url} ({error}). Without a network, put the file at {str(path)!r}."
        ) from None
    check_file(record, pathlib.Path(downloaded))
    return pathlib.Path(downloaded)
