"""Where the app's own files are: app.py, pages/, assets/ and .streamlit/config.toml.

A source checkout keeps them at the top level, beside the cnnviz package. A built wheel carries
copies inside the package, as cnnviz/_app/ (setup.py's build step puts them there), because an
installed package has no "beside" of its own. Everything that reads these files asks here.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# The folder name inside the package in a built wheel; setup.py uses the same name.
PACKAGED_DIR_NAME = "_app"
APP_SCRIPT = "app.py"
PAGES_DIR = "pages"
# What the app needs at run time, relative to app_dir(); the wheel test checks each is there.
REQUIRED = (APP_SCRIPT, PAGES_DIR, "assets", ".streamlit/config.toml")


def app_dir() -> Path:
    """The folder holding app.py, pages/, assets/ and .streamlit/.

    cnnviz/_app in an installed wheel, else the checkout's root (an editable install). When
    neither holds app.py, the checkout's root is returned and `cnnviz app` says what is missing.
    """
    packaged = PACKAGE_DIR / PACKAGED_DIR_NAME
    if (packaged / APP_SCRIPT).is_file():
        return packaged
    return PACKAGE_DIR.parent


def assets_dir() -> Path:
    """The bundled data set samples, example pictures and the page icon."""
    return app_dir() / "assets"


def missing_files(folder: Path | None = None) -> list[str]:
    """Which of the REQUIRED files and folders the app folder lacks (none when complete)."""
    folder = app_dir() if folder is None else folder
    return [name for name in REQUIRED if not (folder / name).exists()]


def page_script(name: str) -> str:
    """A page as st.page_link and st.switch_page name it: relative to app.py ('pages/train.py')."""
    return f"{PAGES_DIR}/{name}.py"
