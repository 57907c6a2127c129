"""The download path without a network: files pre-placed in Keras' cache, checked by hash.

``keras.utils.get_file`` is replaced by a function that fails the test, except where a test
stands in for the network on purpose; every other case must be answered from the cache.
"""

from __future__ import annotations

import dataclasses
import hashlib
import pathlib

import keras
import pytest

from zoo.weights import _fetch, _table

RESNET18 = _table.resolve("resnet18", "imagenet1k_v1", {}, {})
VGG16 = _table.resolve("vgg_d", "imagenet1k_keras", {}, {})
CONTENT = b"stand-in for a weights file\n" * 100


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """Keras' cache in tmp_path ($KERAS_HOME/models), and no network: get_file fails."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(keras.utils, "get_file", lambda *a, **k: pytest.fail("downloaded"))
    folder = tmp_path / "models"
    folder.mkdir()
    return folder


def _placed(folder: pathlib.Path, record, content=CONTENT) -> pathlib.Path:
    path = folder / record.file_name
    path.write_bytes(content)
    return path


def test_a_cached_file_with_the_published_md5_is_used_as_it_is(cache):
    record = dataclasses.replace(VGG16, file_hash=f"md5:{hashlib.md5(CONTENT).hexdigest()}")
    path = _placed(cache, record)
    assert _fetch.fetch(record) == path and path.read_bytes() == CONTENT


def test_a_cached_file_with_another_md5_is_refused_and_kept(cache):
    path = _placed(cache, VGG16)
    with pytest.raises(ValueError, match=r"damaged or another file: its md5 is .*64373286793e3c8b"):
        _fetch.fetch(VGG16)
    assert path.read_bytes() == CONTENT  # left for the user to look at, nothing loaded


def test_torchvision_files_are_checked_by_the_sha256_prefix_in_their_name(cache):
    prefix = hashlib.sha256(CONTENT).hexdigest()[:8]
    record = dataclasses.replace(RESNET18, file_hash=f"sha256-prefix:{prefix}")
    path = _placed(cache, record)
    assert _fetch.fetch(record) == path
    with pytest.raises(ValueError, match="the first digits of its SHA-256 f37072fd"):
        _fetch.fetch(RESNET18)


def test_build_refuses_a_damaged_cached_file_before_building(cache, monkeypatch):
    from zoo.models import _registry

    _placed(cache, RESNET18)
    monkeypatch.setattr(_registry, "_run_builder", lambda *a: pytest.fail("built"))
    with pytest.raises(ValueError, match="Nothing was loaded; delete it to download it again"):
        _registry.build("resnet18", weights="imagenet1k_v1")


def test_a_missing_file_is_downloaded_by_keras_get_file_into_its_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    calls = []

    def get_file(name, origin, *, cache_dir, cache_subdir, file_hash):
        calls.append((name, origin, cache_dir, cache_subdir, file_hash))
        path = pathlib.Path(cache_dir, cache_subdir, name)
        path.parent.mkdir(parents=True)
        path.write_bytes(CONTENT)
        return str(path)

    monkeypatch.setattr(keras.utils, "get_file", get_file)
    record = dataclasses.replace(VGG16, file_hash=f"md5:{hashlib.md5(CONTENT).hexdigest()}")
    path = _fetch.fetch(record)
    assert path == tmp_path / "models" / VGG16.file_name
    assert calls == [
        (VGG16.file_name, VGG16.url, str(tmp_path), "models", hashlib.md5(CONTENT).hexdigest())
    ]


def test_no_network_says_where_to_put_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure: [Errno -2] Name or service not known")

    monkeypatch.setattr(keras.utils, "get_file", offline)
    where = str(tmp_path / "models" / RESNET18.file_name)
    with pytest.raises(OSError, match=f"Without a network, put the file at '{where}'"):
        _fetch.fetch(RESNET18)


def test_a_damaged_shipped_file_gets_a_clear_error(tmp_path, monkeypatch):
    record = dataclasses.replace(
        RESNET18, url=None, file_hash=None, sha256="0" * 64, file_name="lenet5.x.weights.h5"
    )
    monkeypatch.setattr(_fetch, "PRESETS", tmp_path)
    with pytest.raises(FileNotFoundError, match=r"is missing from .*reinstall"):
        _fetch.fetch(record)
    (tmp_path / record.file_name).write_bytes(CONTENT)
    with pytest.raises(ValueError, match=r"its sha256 is .* 0000000000.*reinstall keras-lecture"):
        _fetch.fetch(record)
