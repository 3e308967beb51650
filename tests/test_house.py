"""The house rules of cnnviz's layout, checked by reading the code with ast (nothing is run but
the imports of the TensorFlow-free test).

- no import circles, lazy imports inside functions and `if TYPE_CHECKING:` imports included;
- no module uses another module's private (`_name`) names;
- every import points down ORDER, the one order of packages the README's architecture draws;
- at most MAX_FLAT_MODULES modules directly in cnnviz/;
- no file over MAX_FILE_LINES lines, except the few in LONG_FILES (each with its reason, and
  never over MAX_LONG_FILE_LINES);
- no function over MAX_FUNCTION_LINES lines unless the line above its `def` (or above its
  first decorator) says why, as `# long: <reason>`;
- the modules that must never import TensorFlow are apart (KERAS_FREE_PACKAGES, and the Build
  page's path), and each is imported in a fresh Python to prove it;
- only cnnviz/app_files.py knows where app.py, pages/ and assets/ are.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = next(path for path in Path(__file__).resolve().parents if (path / "pyproject.toml").exists())
PACKAGE = ROOT / "cnnviz"

# The order of the packages, top to bottom: a module may import the modules of its own package
# and of the packages after its own, never those before it. "cnnviz" stands for the modules
# directly in cnnviz/ (the package's face and app_files). pages/, app.py and cnnviz/__main__.py
# stand above them all and may import any of them.
ORDER = [
    "ui",
    "cli",
    "bench",
    "lessons",
    "classroom",
    "cluster",
    "training",
    "export",
    "figures",
    "explain",
    "store",
    "model",
    "data",
    "cnnviz",
]
FACE = "cnnviz"
ENTRY_MODULES = {"cnnviz.__main__"}

MAX_FLAT_MODULES = 6
MAX_FILE_LINES = 400
MAX_LONG_FILE_LINES = 450
# Files allowed between MAX_FILE_LINES and MAX_LONG_FILE_LINES, by path, with why splitting
# them would hurt.
LONG_FILES: dict[str, str] = {
    "cnnviz/store/workspaces.py": "one lock guards creating, attaching, loading and unloading "
    "for the caps; split, the rules of that lock would be read in two places",
    "cnnviz/model/spec.py": "every check a spec gets, in the order they run, read as one; the "
    "layer records of the next issue take the per-type argument facts out of it",
    "cnnviz/data/own_data.py": "OwnData, one class holding a student's data set (adding, "
    "renaming, removing, building), beside the picture preparation only it uses",
}
MAX_FUNCTION_LINES = 60
LONG_FUNCTION_REASON = re.compile(r"\s*# long: \S")

# Packages whose every module imports without TensorFlow or Keras, and the subpackages of them
# that do need Keras (kept apart under a name that says so).
KERAS_FREE_PACKAGES = (
    "cnnviz.model",
    "cnnviz.data",
    "cnnviz.figures",
    "cnnviz.store",
    "cnnviz.classroom",
)
KERAS_SUBPACKAGES = ("cnnviz.model.with_keras",)
# The page that must open without TensorFlow: it and everything it imports on load.
KERAS_FREE_PAGES = ("pages/build.py",)

# A path to the app's own files: a string naming assets/, pages/, app.py or .streamlit/.
APP_FILE_PATH = re.compile(r"(?:^|[/\\])(?:assets|pages|app\.py|\.streamlit)(?:[/\\]|$)")
APP_FILES_MODULE = "cnnviz.app_files"


# ----- reading the code -----------------------------------------------------------------------


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def library_modules() -> dict[str, Path]:
    """Every module of the cnnviz package by its dotted name (a built wheel's _app/ copy aside)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        if "__pycache__" in parts or "_app" in parts:
            continue
        found[module_name(path)] = path
    return found


@cache
def entry_files() -> dict[str, Path]:
    """app.py and the pages: above the library, importing it."""
    files = {"app": ROOT / "app.py"}
    files.update({module_name(path): path for path in sorted((ROOT / "pages").glob("*.py"))})
    return {name: path for name, path in files.items() if path.exists()}


def packages() -> set[str]:
    return {name for name, path in library_modules().items() if path.name == "__init__.py"}


@cache
def syntax_tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def where(path: Path, line: int) -> str:
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    return f"{shown}:{line}"


@dataclass(frozen=True)
class Arrow:
    """One import of a cnnviz module by another file."""

    source: str
    target: str
    path: Path
    line: int


def from_base(module: str, node: ast.ImportFrom) -> str:
    """The module a `from ... import` reads from, with relative imports resolved."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if module not in packages():
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def module_aliases(module: str, tree: ast.AST) -> dict[str, str]:
    """Local names bound to cnnviz modules anywhere in a file: {local name: module}."""
    modules, aliases = library_modules(), {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "cnnviz":
                    local = alias.asname or alias.name.split(".")[0]
                    aliases[local] = alias.name if alias.asname else "cnnviz"
        elif isinstance(node, ast.ImportFrom):
            base = from_base(module, node)
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:
                    aliases[alias.asname or alias.name] = f"{base}.{alias.name}"
    return aliases


def import_targets(module: str, node: ast.stmt) -> list[str]:
    """The cnnviz modules one import statement imports (as written; parents not added)."""
    modules, targets = library_modules(), []
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names if alias.name in modules]
    elif isinstance(node, ast.ImportFrom):
        base = from_base(module, node)
        for alias in node.names:
            if f"{base}.{alias.name}" in modules:
                targets.append(f"{base}.{alias.name}")
            elif base in modules:
                targets.append(base)
    return [target for target in dict.fromkeys(targets) if target != module]


@cache
def arrows() -> list[Arrow]:
    """Every import of a cnnviz module by cnnviz, the pages and app.py, wherever it stands."""
    found = []
    for module, path in {**library_modules(), **entry_files()}.items():
        for node in ast.walk(syntax_tree(path)):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in import_targets(module, node):
                    found.append(Arrow(module, target, path, node.lineno))
    return found


def package_of(module: str) -> str:
    """The ORDER entry a library module belongs to: its subpackage, or FACE for cnnviz/x.py."""
    parts = module.split(".")
    if len(parts) > 2 or (len(parts) == 2 and module in packages()):
        return parts[1]
    return FACE


# ----- the rules -------------------------------------------------------------------------------


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    index, low, on_stack, stack, groups = {}, {}, set(), [], []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def test_the_circle_finder_finds_a_lazy_three_module_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert circles(graph) == [["a", "b", "c"]]


def test_no_import_circles():
    graph = {module: set() for module in library_modules()}
    for arrow in arrows():
        if arrow.source in graph:
            graph[arrow.source].add(arrow.target)
    found = []
    for group in circles(graph):
        lines = [
            f"{where(arrow.path, arrow.line)} {arrow.source} -> {arrow.target}"
            for arrow in arrows()
            if arrow.source in group and arrow.target in group
        ]
        found.append("circle " + " / ".join(group) + ":\n  " + "\n  ".join(lines))
    assert found == [], "\n".join(found)


def private_reaches(module: str, path: Path) -> list[str]:
    """Uses of another cnnviz module's `_private` names: imported by name, or as attributes."""
    tree, modules = syntax_tree(path), library_modules()
    aliases = module_aliases(module, tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = from_base(module, node)
            if base.split(".")[0] == "cnnviz" and base != module:
                found += [
                    f"{where(path, node.lineno)} imports {base}.{alias.name}"
                    for alias in node.names
                    if is_private(alias.name)
                ]
        elif isinstance(node, ast.Attribute) and is_private(node.attr):
            owner = dotted_name(node.value)
            if owner is None or owner.split(".")[0] not in aliases:
                continue
            head, _, rest = owner.partition(".")
            resolved = aliases[head] + (f".{rest}" if rest else "")
            if resolved in modules and resolved != module:
                found.append(f"{where(path, node.lineno)} uses {resolved}.{node.attr}")
    return found


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def dotted_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        owner = dotted_name(node.value)
        return None if owner is None else f"{owner}.{node.attr}"
    return None


def test_the_private_reach_finder_sees_both_ways_in(tmp_path):
    assert is_private("_scale_each") and not is_private("__version__")
    module = next(iter(library_modules()))
    source = (
        f"from {module} import _hidden, shown\n"
        "import cnnviz.app_files\n"
        "def f():\n"
        "    return cnnviz.app_files._folder, shown._fine\n"
    )
    path = tmp_path / "probe.py"
    path.write_text(source)
    syntax_tree.cache_clear()
    reaches = private_reaches("probe", path)
    assert [text.split(" ", 1)[1] for text in reaches] == [
        f"imports {module}._hidden",
        "uses cnnviz.app_files._folder",
    ]


def test_no_module_uses_another_modules_private_names():
    found = []
    for module, path in {**library_modules(), **entry_files()}.items():
        found += private_reaches(module, path)
    assert found == [], "make the name public in its module, or move the code:\n" + "\n".join(found)


def test_the_order_names_every_package():
    missing = sorted({package_of(module) for module in library_modules()} - set(ORDER))
    assert missing == [], f"add these packages to ORDER (and the README's map): {missing}"


def label(package: str) -> str:
    return "cnnviz/*.py" if package == FACE else f"cnnviz/{package}/"


def test_every_import_points_down_the_order():
    wrong = []
    for arrow in arrows():
        if arrow.source not in library_modules() or arrow.source in ENTRY_MODULES:
            continue  # pages/, app.py and __main__ stand above everything
        source, target = package_of(arrow.source), package_of(arrow.target)
        if source in ORDER and target in ORDER and ORDER.index(target) < ORDER.index(source):
            wrong.append(
                f"{where(arrow.path, arrow.line)} {arrow.source} imports {arrow.target}: "
                f"{label(source)} may import only "
                + ", ".join(label(name) for name in ORDER[ORDER.index(source) :])
            )
    assert wrong == [], "\n".join(wrong)


def test_few_modules_directly_in_the_package():
    flat = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(flat) <= MAX_FLAT_MODULES, f"cnnviz/ holds {len(flat)} modules: {flat}"


def counted_files() -> list[Path]:
    return [*library_modules().values(), *entry_files().values()]


def line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_file_over_the_line_limit():
    long = []
    for path in counted_files():
        name, lines = str(path.relative_to(ROOT)), line_count(path)
        limit = MAX_LONG_FILE_LINES if name in LONG_FILES else MAX_FILE_LINES
        if lines > limit:
            long.append(f"{name}: {lines} lines (at most {limit})")
    assert long == [], "split these by concern:\n" + "\n".join(long)


def test_every_long_file_exemption_is_still_needed_and_says_why():
    for name, reason in LONG_FILES.items():
        assert reason.strip(), f"{name} needs a reason in LONG_FILES"
        assert line_count(ROOT / name) > MAX_FILE_LINES, f"{name} is short now: drop its entry"


def long_functions(path: Path) -> list[str]:
    """Functions over MAX_FUNCTION_LINES lines without a `# long: <reason>` line above them."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    for node in ast.walk(syntax_tree(path)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        length = node.end_lineno - node.lineno + 1
        first = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
        above = lines[first - 2] if first >= 2 else ""
        if length > MAX_FUNCTION_LINES and not LONG_FUNCTION_REASON.match(above):
            found.append(f"{where(path, node.lineno)} {node.name}: {length} lines")
    return found


def test_the_long_function_rule_takes_a_reason_above_the_def(tmp_path):
    body = "".join(f"    x{index} = {index}\n" for index in range(MAX_FUNCTION_LINES))
    path = tmp_path / "probe.py"
    path.write_text(
        f"def plain():\n{body}\n\n# long: one table, read top to bottom\n@cache\n"
        f"def explained():\n{body}\n\ndef short():\n    return 1\n"
    )
    syntax_tree.cache_clear()
    found = long_functions(path)
    assert [text.split(" ", 1)[1] for text in found] == [f"plain: {MAX_FUNCTION_LINES + 1} lines"]


def test_no_function_over_the_line_limit_without_a_reason():
    found = [text for path in counted_files() for text in long_functions(path)]
    assert found == [], (
        "split these, or put '# long: <why>' on the line above the def:\n" + "\n".join(found)
    )


# ----- what must not import TensorFlow ----------------------------------------------------------


def is_type_checking(test: ast.expr) -> bool:
    return dotted_name(test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")


def load_time_imports(module: str, statements: list[ast.stmt]) -> list[str]:
    """The cnnviz modules a file imports when it is loaded: not those inside functions, nor
    those under `if TYPE_CHECKING:`."""
    found = []
    for node in statements:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found += import_targets(module, node)
        elif isinstance(node, ast.If):
            found += [] if is_type_checking(node.test) else load_time_imports(module, node.body)
            found += load_time_imports(module, node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                found += load_time_imports(module, block)
        elif isinstance(node, (ast.With, ast.ClassDef)):
            found += load_time_imports(module, node.body)
    return found


def with_parents(module: str) -> list[str]:
    """A module and the packages Python imports before it."""
    parts = module.split(".")
    return [".".join(parts[:end]) for end in range(1, len(parts) + 1)]


def loaded_on_import(module: str) -> set[str]:
    """The library modules loading `module` loads: it, its packages and, in turn, theirs."""
    modules, loaded = library_modules(), set()
    waiting = [module]
    while waiting:
        for needed in with_parents(waiting.pop()):
            if needed in modules and needed not in loaded:
                loaded.add(needed)
                waiting += load_time_imports(needed, syntax_tree(modules[needed]).body)
    return loaded


@cache
def keras_free_modules() -> list[str]:
    """The modules that must import without TensorFlow or Keras."""
    modules = library_modules()
    chosen = {name for name in modules if package_of(name) == FACE and name not in ENTRY_MODULES}
    for name in modules:
        inside = any(name == free or name.startswith(free + ".") for free in KERAS_FREE_PACKAGES)
        apart = any(name == keras or name.startswith(keras + ".") for keras in KERAS_SUBPACKAGES)
        if inside and not apart:
            chosen.add(name)
    for page in KERAS_FREE_PAGES:
        path = ROOT / page
        for name in load_time_imports(module_name(path), syntax_tree(path).body):
            chosen |= loaded_on_import(name)
    return sorted(chosen)


@cache
def keras_free_groups() -> dict[str, list[str]]:
    """The Keras-free modules grouped under the module whose import loads them all.

    One fresh Python per group, not per module: importing a module imports what it needs in
    the same fresh Python, which proves those too (each Python costs about half a second, and
    there are some 50 modules). The group's Python checks that it really loaded them.
    """
    chosen = set(keras_free_modules())
    loads = {name: loaded_on_import(name) & chosen for name in chosen}
    groups, covered = {}, set()
    for name in sorted(chosen, key=lambda name: (-len(loads[name]), name)):
        if name not in covered:
            groups[name] = sorted(loads[name])
            covered |= loads[name]
    return groups


def test_the_keras_free_packages_exist_and_hold_the_build_page():
    modules = library_modules()
    for package in (*KERAS_FREE_PACKAGES, *KERAS_SUBPACKAGES):
        assert package in modules, f"{package} is named here but is not a package"
    # The Build page's own needs (the catalogue, spec checks, diagram facts) are among them.
    assert {"cnnviz.model.spec", "cnnviz.model.layer_types", "cnnviz.model.diagram"} <= set(
        keras_free_modules()
    )
    grouped = [name for group in keras_free_groups().values() for name in group]
    assert sorted(set(grouped)) == keras_free_modules()


# Run in a fresh Python: import a root module; report TensorFlow or Keras if they were loaded,
# with the chain of cnnviz lines that imported the first of them, and the group's modules that
# were not loaded (which would mean this test misread the imports).
IMPORT_PROBE = """
import importlib, json, sys, traceback
chain = []
class Spy:
    def find_spec(self, name, path=None, target=None):
        if name in ("tensorflow", "keras") and not chain:
            chain.extend(f"{frame.filename}:{frame.lineno}" for frame in traceback.extract_stack()
                         if "/cnnviz/" in frame.filename)
sys.meta_path.insert(0, Spy())
importlib.import_module(ROOT_MODULE)
heavy = sorted(name for name in ("tensorflow", "keras") if name in sys.modules)
print(json.dumps([heavy, chain, sorted(set(GROUP) - set(sys.modules))]))
"""


@pytest.mark.parametrize("root", keras_free_groups())
def test_modules_import_without_tensorflow_or_keras(root):
    group = keras_free_groups()[root]
    code = f"ROOT_MODULE = {root!r}\nGROUP = {group!r}\n{IMPORT_PROBE}"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    heavy, chain, not_loaded = json.loads(result.stdout.strip().splitlines()[-1])
    chain = [str(Path(line).relative_to(ROOT)) if line.startswith("/") else line for line in chain]
    assert heavy == [], (
        f"importing {root} loads {heavy}, through:\n  " + "\n  ".join(chain) + "\n"
        f"None of {group} may. Import it inside the function that needs it, or move that code "
        f"to a package that may, such as {KERAS_SUBPACKAGES[0]}."
    )
    assert not_loaded == [], f"{root} did not load {not_loaded}: this test misread its imports"


# ----- where the app's files are ----------------------------------------------------------------


def docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes of a module, its classes and functions."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def app_file_paths(path: Path) -> list[str]:
    """Path building to the app's files: `__file__`, or a string naming assets/, pages/, ..."""
    tree = syntax_tree(path)
    skip = docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "__file__":
            found.append(f"{where(path, node.lineno)} uses __file__")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skip
            and APP_FILE_PATH.search(node.value)
        ):
            found.append(f"{where(path, node.lineno)} names {node.value!r}")
    return sorted(found, key=lambda text: int(text.split(" ")[0].rsplit(":", 1)[1]))


def test_the_app_file_finder_sees_file_and_folder_names(tmp_path):
    path = tmp_path / "probe.py"
    path.write_text(
        '"""Reads assets/ for samples."""\n'
        "HERE = Path(__file__).parent\n"
        'ICON = HERE / "assets" / "icon.png"\n'
        'PAGE = "pages/build.py"\n'
        'TEXT = "the training pages of a book"\n'
    )
    syntax_tree.cache_clear()
    assert [text.split(" ", 1)[1] for text in app_file_paths(path)] == [
        "uses __file__",
        "names 'assets'",
        "names 'pages/build.py'",
    ]


def test_only_app_files_knows_where_the_app_files_are():
    found = []
    for module, path in library_modules().items():
        if module != APP_FILES_MODULE:
            found += app_file_paths(path)
    assert found == [], "ask cnnviz.app_files for these paths:\n" + "\n".join(found)
