"""Tests for cnnviz.figures as a package: only it imports plotly, it stays light to import, its
modules share helpers through public names only, and the shared picture helpers hold their
values."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cnnviz.figures import images
from helpers.paths import REPO

ROOT = REPO
FIGURES = ROOT / "cnnviz" / "figures"


def python_files() -> list[Path]:
    files = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "cnnviz").rglob("*.py")]
    return [path for path in files if path.exists()]


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function (lazy imports count)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_only_the_figures_package_imports_plotly():
    outside = [
        str(path.relative_to(ROOT))
        for path in python_files()
        if FIGURES not in path.parents
        and any(name.split(".")[0] == "plotly" for name in imported_modules(path))
    ]
    assert outside == [], "plotly belongs in cnnviz/figures/ only; draw the figure there"


def test_the_flat_plot_modules_are_gone():
    for old in ("plots", "explanation_plots", "diagram_plots", "evaluation_plots"):
        assert not (ROOT / "cnnviz" / f"{old}.py").exists()
        for path in python_files():
            assert f"cnnviz.{old}" not in imported_modules(path), f"{path} imports cnnviz.{old}"


def test_figure_modules_use_no_private_name_of_another_module():
    reaches = []
    for path in FIGURES.glob("*.py"):
        tree = ast.parse(path.read_text())
        modules = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cnnviz")
            for alias in node.names
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cnnviz"):
                reaches += [f"{path.name}: {a.name}" for a in node.names if a.name.startswith("_")]
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in modules
                and node.attr.startswith("_")
            ):
                reaches.append(f"{path.name}:{node.lineno}: {node.value.id}.{node.attr}")
    assert reaches == []


def test_importing_every_figure_module_loads_no_tensorflow_keras_or_streamlit():
    # The Build page draws its diagram on every edit and must not pay for TensorFlow.
    modules = sorted(path.stem for path in FIGURES.glob("*.py") if path.stem != "__init__")
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module('cnnviz.figures.' + name)\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'streamlit') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "[]"


# The shared picture helpers ----------------------------------------------------------------------


def test_scale_each_stretches_every_tile_on_its_own_and_flattens_flat_ones():
    tiles = np.array(
        [[[0.0, 2.0], [4.0, 8.0]], [[5.0, 5.0], [5.0, 5.0]], [[-1.0, 1.0], [0.0, 0.0]]]
    )
    scaled = images.scale_each(tiles)
    np.testing.assert_allclose(scaled[0], [[0.0, 0.25], [0.5, 1.0]])
    np.testing.assert_array_equal(scaled[1], np.zeros((2, 2)))
    np.testing.assert_allclose(scaled[2], [[0.0, 1.0], [0.5, 0.5]])
    assert scaled.dtype == np.float32


def test_mosaic_places_tiles_row_by_row_with_one_pixel_gaps():
    tiles = np.arange(5 * 2 * 3, dtype=np.float32).reshape(5, 2, 3)
    picture, numbers = images.mosaic(tiles, fill=np.nan)
    # Five 2x3 tiles: 2 columns keep the mosaic roughly square, so 3 rows; one-pixel gaps.
    assert picture.shape == (3 * 2 + 2, 2 * 3 + 1)
    np.testing.assert_array_equal(picture[0:2, 4:7], tiles[1])
    np.testing.assert_array_equal(picture[6:8, 0:3], tiles[4])
    assert np.isnan(picture[2]).all() and np.isnan(picture[:, 3]).all()
    assert numbers[6, 0] == 5 and numbers[2, 0] == 0 and numbers[0, 0] == 1
    # The last row's empty slot keeps the fill and is numbered 0.
    assert np.isnan(picture[6:8, 4:7]).all() and (numbers[6:8, 4:7] == 0).all()


def test_mosaic_in_one_row_when_asked():
    tiles = np.full((4, 3, 3, 3), 7, dtype=np.uint8)
    picture, numbers = images.mosaic(tiles, fill=255, columns=4)
    assert picture.shape == (3, 4 * 3 + 3, 3)
    assert (picture[:, 3] == 255).all() and sorted(np.unique(numbers)) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("count", "height", "width", "expected"),
    [(1, 3, 3, (1, 1)), (64, 3, 3, (8, 8)), (10, 5, 5, (3, 4)), (8, 1, 4, (4, 2))],
)
def test_grid_shape_is_roughly_square(count, height, width, expected):
    assert images.grid_shape(count, height, width) == expected


def test_as_rgb_repeats_gray_and_clips_to_bytes():
    rgb = images.as_rgb(np.array([[-5.0, 300.0]]))
    assert rgb.shape == (1, 2, 3) and rgb.dtype == np.uint8
    np.testing.assert_array_equal(rgb[0, 1], [255, 255, 255])
    with pytest.raises(ValueError, match="Received: shape"):
        images.as_rgb(np.zeros((2, 2, 4)))
