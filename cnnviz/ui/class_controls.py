"""The class's settings as pages use them (issue 20): the classroom controls and the challenge,
read from the database at most once every few seconds per app server, and applied by every page.

The database is shared by the class's app servers, so a change by the teacher on one reaches
the others within READ_SECONDS; on the teacher's own server it applies at once (a write
forgets the copy).
"""

from __future__ import annotations

import logging
import threading
import time

import sqlalchemy as sa
import streamlit as st

from cnnviz import app_files
from cnnviz.classroom import challenge as challenge_module
from cnnviz.classroom import controls as controls_module
from cnnviz.model import spec as spec_module
from cnnviz.model import spec_limits
from cnnviz.store import class_settings
from cnnviz.store.database import StoreError
from cnnviz.training import limits as training_limits
from cnnviz.ui import saving, teacher_signin

_LOGGER = logging.getLogger(__name__)
READ_SECONDS = 2.0  # how old a read copy of the settings may be
_LOCK = threading.Lock()
_READ: dict[int, tuple[float, dict]] = {}  # id(engine) -> (when read, the settings)


def settings() -> dict[str, dict]:
    """Every class setting (a short-lived copy of the database's; one SELECT when stale).

    A store that cannot be opened or read gives no settings: the page then says in one line
    what is wrong with the store (state.workspace), rather than a traceback from here.
    """
    try:
        engine = saving.store().engine
    except (StoreError, ValueError) as error:
        _LOGGER.error("the class settings cannot be read: %s", error)
        return {}
    now = time.monotonic()
    with _LOCK:
        kept = _READ.get(id(engine))
    if kept is not None and now - kept[0] < READ_SECONDS:
        return kept[1]
    try:
        read = class_settings.read_settings(engine)
    except sa.exc.SQLAlchemyError as error:
        _LOGGER.error("the class settings cannot be read: %s", error)
        return {}
    with _LOCK:
        _READ[id(engine)] = (now, read)
    return read


def write(name: str, value: dict | None) -> None:
    """Stores one class setting; this server's next read sees it."""
    engine = saving.store().engine
    class_settings.write_setting(engine, name, value)
    with _LOCK:
        _READ.pop(id(engine), None)


def controls() -> controls_module.Controls:
    return controls_module.Controls.from_dict(settings().get(class_settings.CONTROLS))


def challenge() -> challenge_module.Challenge | None:
    """The class's challenge, or None when none is set (or the kept one cannot be read)."""
    values = settings().get(class_settings.CHALLENGE)
    if values is None:
        return None
    try:
        return challenge_module.Challenge.from_dict(values)
    except ValueError:
        return None


def is_hidden(page: str) -> bool:
    """Whether `page` (a pages/ script's name) is hidden from this visitor.

    A signed-in teacher sees every page, to look before showing it to the class.
    """
    return controls().is_hidden(page) and not teacher_signin.is_signed_in()


def refuse_if_hidden(page: str) -> None:
    """On a hidden page: a short notice instead of the page (its address typed or kept)."""
    if not is_hidden(page):
        return
    title = controls_module.HIDEABLE_PAGES.get(page, page)
    st.info(
        f"Your teacher has hidden the {title} page for now. It comes back when they show it "
        "again; the other pages work as before.",
        icon=":material/visibility_off:",
    )
    st.page_link(app_files.page_script("home"), label="Go to Start", icon=":material/home:")
    st.stop()


def navigation_page(script: str, title: str, icon: str, default: bool = False):
    """app.py's st.Page for `script` ("pages/x.py"), left out of the sidebar when hidden.

    A hidden page stays routable (visibility="hidden"), so that its address opens the page and
    the page itself says it is hidden, rather than Streamlit's "page not found".
    """
    name = script.rsplit("/", 1)[-1].removesuffix(".py")
    hidden = not default and is_hidden(name)
    return st.Page(
        script,
        title=title,
        icon=icon,
        default=default,
        visibility="hidden" if hidden else "visible",
    )


def max_epochs() -> int | None:
    """Epochs per training: the server's limit or the teacher's lower cap."""
    server = spec_limits.from_environment()
    return controls_module.class_limits(server, controls()).max_epochs


class ClassCapError(spec_module.SpecError):
    """A model over the teacher's cap (under the server's own limit)."""


def training_problem(spec, info, settings_values) -> ValueError | None:
    """What stops this spec training here: the server's limits first, then the class's caps.

    The class's epoch cap bounds the Train page's epochs box (max_epochs), so only the
    parameters are checked here.
    """
    error = training_limits.training_problem(spec, info, settings_values)
    if error is not None:
        return error
    caps = controls()
    if caps.max_params is None:
        return None
    infos = spec_module.validate(spec, info.input_shape, info.num_classes, info.title)
    problem = controls_module.params_problem(spec_module.total_params(infos), caps)
    return ClassCapError(problem) if problem else None
