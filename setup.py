"""Build step: a wheel carries the app's files inside the cnnviz package, as cnnviz/_app/.

The checkout keeps app.py, pages/, assets/ and .streamlit/config.toml at the top level, where
`streamlit run app.py` and an editable install (`pip install -e .`) use them. An installed wheel
has no top level of its own, so the build copies them into the package; cnnviz.app_files looks
there first. Everything else about the package is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
# The same names as cnnviz.app_files.PACKAGED_DIR_NAME and REQUIRED (setup.py cannot import
# the package it builds); the wheel test checks they agree.
PACKAGED_DIR = Path("cnnviz") / "_app"
APP_FILES = ("app.py", "pages", "assets", ".streamlit/config.toml")


class BuildWithAppFiles(build_py):
    """build_py, plus copies of the app's files under cnnviz/_app in the build folder."""

    def run(self):
        super().run()
        if self.editable_mode:
            return  # an editable install serves the checkout's own files
        target = Path(self.build_lib) / PACKAGED_DIR
        # A build folder left from an earlier build may hold files deleted since.
        shutil.rmtree(target, ignore_errors=True)
        for name in APP_FILES:
            source = HERE / name
            destination = target / name
            if source.is_dir():
                # No bytecode or editor leftovers: only what the checkout tracks matters.
                ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")
                shutil.copytree(source, destination, ignore=ignore, dirs_exist_ok=True)
            elif source.is_file():
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, destination)
            else:
                # A wheel without them installs fine and fails only at `cnnviz app`: stop here.
                raise FileNotFoundError(f"{source} is missing; build from a full checkout.")


setup(cmdclass={"build_py": BuildWithAppFiles})
