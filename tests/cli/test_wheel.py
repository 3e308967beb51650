"""A built wheel carries the app's own files, so `cnnviz app` runs from `pip install .` too.

Builds the wheel from a copy of the checkout in a temporary folder (a few seconds), with the
setuptools already installed (no build isolation, so no index is needed).
"""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cnnviz import app_files
from helpers.paths import REPO

# What the build reads: the package, its settings and the app's files.
BUILD_INPUTS = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "cnnviz")
PACKAGED = f"cnnviz/{app_files.PACKAGED_DIR_NAME}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in (*BUILD_INPUTS, *app_files.REQUIRED):
        origin, target = REPO / name, source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, target)
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    result = subprocess.run(
        [*command, "-w", str(out), str(source)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = out.glob("cnnviz-*.whl")
    return wheel


@pytest.fixture(scope="module")
def wheel_names(wheel) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_carries_app_py_and_the_streamlit_settings(wheel_names):
    assert f"{PACKAGED}/app.py" in wheel_names
    assert f"{PACKAGED}/.streamlit/config.toml" in wheel_names


def test_the_wheel_carries_every_page_and_every_asset(wheel_names):
    pages = sorted(path.name for path in (REPO / "pages").glob("*.py"))
    assert len(pages) >= 7
    for name in pages:
        assert f"{PACKAGED}/pages/{name}" in wheel_names
    assets = [path for path in (REPO / "assets").rglob("*") if path.is_file()]
    assert any(path.suffix == ".npz" for path in assets)  # the data set samples
    for path in assets:
        assert f"{PACKAGED}/{path.relative_to(REPO).as_posix()}" in wheel_names


def test_the_wheel_carries_every_package_and_the_command(wheel, wheel_names):
    """Subpackages are found too (cnnviz/cli, cnnviz/bench ...), and `cnnviz` runs cli.main."""
    packages = list((REPO / "cnnviz").rglob("__init__.py"))
    assert len(packages) >= 3
    for path in packages:
        assert path.relative_to(REPO).as_posix() in wheel_names
    assert "cnnviz/cli/__main__.py" in wheel_names
    with zipfile.ZipFile(wheel) as archive:
        entry_points = archive.read("cnnviz-0.1.0.dist-info/entry_points.txt").decode()
    assert "cnnviz = cnnviz.cli.main:main" in entry_points.splitlines()


def test_the_wheel_puts_nothing_at_the_top_of_site_packages(wheel_names):
    tops = {name.split("/")[0] for name in wheel_names}
    assert tops == {"cnnviz", "cnnviz-0.1.0.dist-info"}
    assert not any("__pycache__" in name for name in wheel_names)
