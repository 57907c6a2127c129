"""The distribution installs the four top-level folders under the single import package `zoo`."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from .conftest import REPO


def test_wheel_maps_the_folders_under_zoo(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("keras_lecture_zoo-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for package in ("zoo", "zoo/models", "zoo/layers", "zoo/training", "zoo/tuning"):
        assert f"{package}/__init__.py" in names
    for folder, package in (("zoo/models", "zoo/models"), ("layers", "zoo/layers")):
        for source in (REPO / folder).glob("*.py"):
            assert f"{package}/{source.name}" in names, f"{source} is missing from the wheel"
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
