"""The distribution installs the four top-level folders under the single import package `zoo`."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import venv
import zipfile

import pytest

from .conftest import REPO


def build_wheel(folder: pathlib.Path) -> pathlib.Path:
    """The checkout built into a wheel in ``folder`` (no dependencies, no isolation)."""
    options = ["--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir", str(folder)]
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", *options, str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = folder.glob("keras_lecture_zoo-*.whl")
    return wheel


def test_wheel_maps_the_folders_under_zoo(tmp_path):
    wheel = build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    for package in ("zoo", "zoo/models", "zoo/weights", "zoo/layers", "zoo/training", "zoo/tuning"):
        assert f"{package}/__init__.py" in names
    for folder, package in (
        ("zoo/models", "zoo/models"),
        ("zoo/weights", "zoo/weights"),
        ("layers", "zoo/layers"),
    ):
        for source in (REPO / folder).glob("*.py"):
            assert f"{package}/{source.name}" in names, f"{source} is missing from the wheel"
    # the recorded cards: without them zoo list / zoo info would import and build every family
    wheel_cards = zipfile.ZipFile(wheel).read("zoo/models/cards.json")
    assert wheel_cards == (REPO / "zoo" / "models" / "cards.json").read_bytes()
    # the weights' data: ImageNet's class names and the shipped presets, byte for byte
    data = [REPO / "zoo/weights/imagenet_class_index.json"]
    data += sorted((REPO / "zoo/weights/presets").glob("*.weights.h5"))
    for path in data:
        inside = zipfile.ZipFile(wheel).read(str(path.relative_to(REPO)))
        assert inside == path.read_bytes(), f"{path} is missing from the wheel"
    top_level = {name.split("/")[0] for name in names if not name.endswith(".dist-info/RECORD")}
    assert {t for t in top_level if not t.endswith(".dist-info")} == {"zoo"}
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "zoo = zoo.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_import_zoo_exposes_the_subpackages_on_first_use():
    """``import zoo`` alone gives ``zoo.tuning.hypermodel`` and friends (PEP 562), loading
    nothing of them until used (a fresh interpreter, so the suite's imports do not count)."""
    script = (
        "import sys, zoo\n"
        "lazy = ('zoo.models', 'zoo.layers', 'zoo.training', 'zoo.tuning')\n"
        "assert not any(name in sys.modules for name in lazy), sorted(sys.modules)\n"
        "assert callable(zoo.tuning.hypermodel) and callable(zoo.training.data.load)\n"
        "assert zoo.layers.Maxout and zoo.models.build is zoo.build\n"
        "assert {'layers', 'models', 'training', 'tuning'} <= set(dir(zoo))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.slow
def test_the_built_wheel_works_in_a_fresh_environment(tmp_path):
    """The wheel installed into a new virtual environment, away from the checkout, runs
    `zoo list`, `zoo info lenet5` and a one-epoch `zoo train lenet5 --dataset digits`. Its
    dependencies come from the ones already installed here (this environment's site-packages
    added behind the new one's, so nothing is downloaded and the checkout's editable install
    stays out of reach): a module or data file missing from the wheel fails it."""
    wheel = build_wheel(tmp_path / "wheels")
    env_dir = tmp_path / "fresh"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    fresh_site = pathlib.Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--target",
            str(fresh_site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    # Dependencies: this environment's site-packages, searched after the fresh one. A plain
    # path line in a .pth file does not run that folder's own .pth hooks, so the checkout's
    # editable finder is not installed there.
    here = [p for p in map(pathlib.Path, sys.path) if p.name == "site-packages" and p.is_dir()]
    (fresh_site / "dependencies.pth").write_text("\n".join(str(p) for p in here) + "\n")
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    script = (
        "import sys, zoo, zoo.cli\n"
        f"assert zoo.__file__.startswith({str(fresh_site)!r}), zoo.__file__\n"
        "for argv in (['list'], ['info', 'lenet5'],\n"
        "             ['train', 'lenet5', '--dataset', 'digits', '--epochs', '1']):\n"
        "    status = zoo.cli.main(argv)\n"
        "    assert status == 0, (argv, status)\n"
        "    print('ok', ' '.join(argv), flush=True)\n"
    )
    result = subprocess.run(
        [python, "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert result.stdout.count("\nok ") + result.stdout.startswith("ok ") == 3
    assert "test accuracy:" in result.stdout
