"""The imports of cnnviz.training and cnnviz.cluster: no circles (lazy and type-checking imports
count), the catalogue of presets without CPU checks, and the modules the pages read without
TensorFlow kept free of it."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.paths import REPO

ROOT = REPO
PACKAGE = ROOT / "cnnviz"
OWN = ("cnnviz.training", "cnnviz.cluster")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imports_of(name: str) -> set[str]:
    """Every cnnviz module `name` imports, wherever the import statement stands."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from cnnviz.training import fitting` imports the module cnnviz.training.fitting.
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {module for module in found if module in MODULES and module != name}


GRAPH = {name: imports_of(name) for name in MODULES}


def circles_through(names) -> list[list[str]]:
    """The import circles that pass through any of `names` (a depth-first search)."""
    circles = []
    for start in names:
        stack = [(start, [start])]
        seen = set()
        while stack:
            node, path = stack.pop()
            for target in GRAPH[node]:
                if target == start:
                    circles.append(path)
                elif target not in seen:
                    seen.add(target)
                    stack.append((target, [*path, target]))
    return circles


def test_no_import_circle_passes_through_training_or_cluster():
    own = [name for name in MODULES if name.startswith(OWN)]
    assert len(own) > 20
    assert circles_through(own) == []


def test_the_known_circles_are_broken():
    assert "cnnviz.training.job" not in {
        target
        for name in MODULES
        if name.startswith("cnnviz.training.callbacks")
        for target in GRAPH[name]
    }
    for name in ("cnnviz.cluster.ray_jobs", "cnnviz.cluster.ray_actor"):
        assert "cnnviz.cluster.executors" not in GRAPH[name], name


def test_presets_say_what_they_want_and_need_no_cpu_check():
    assert "cnnviz.training.precision" not in GRAPH["cnnviz.training.presets"]
    from cnnviz.training import presets, settings

    wants = [
        preset.name
        for preset in presets.PRESETS.values()
        if preset.suggested.get("mixed_precision") == settings.WHERE_NATIVE
    ]
    assert wants and "vgg_small" in wants
    assert all(
        preset.suggested.get("mixed_precision") in (None, settings.WHERE_NATIVE)
        for preset in presets.PRESETS.values()
    )


@pytest.mark.parametrize("native", [True, False])
def test_the_training_settings_decide_a_wish_for_this_machine(monkeypatch, native):
    from cnnviz.training import precision, settings

    monkeypatch.setattr(precision, "bfloat16_is_native", lambda: native)
    decided = settings.for_this_machine({"epochs": 3, "mixed_precision": settings.WHERE_NATIVE})
    assert decided == ({"epochs": 3, "mixed_precision": True} if native else {"epochs": 3})
    assert settings.for_this_machine({"mixed_precision": False}) == {"mixed_precision": False}


def test_what_the_pages_read_of_a_job_loads_without_tensorflow():
    light = [
        "cnnviz.training.job_interface",
        "cnnviz.training.job_base",
        "cnnviz.training.job_state",
        "cnnviz.training.presets",
        "cnnviz.training.runs",
        "cnnviz.training.settings",
        "cnnviz.cluster.settings",
    ]
    code = (
        f"import sys\nfor name in {light!r}: __import__(name)\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'ray') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
