"""A thread that refreshes a store's heartbeat, so other servers know this one still trains."""

from __future__ import annotations

import logging
import threading

_LOGGER = logging.getLogger(__name__)


def start_heartbeat_thread(store) -> threading.Event:
    """Starts a daemon thread calling `store.heartbeat()` every `heartbeat_seconds`.

    A failed heartbeat (the database briefly unreachable) is logged and tried again at the next
    beat: one missed beat must not stop the server's trainings.

    Args:
        store: an open cnnviz.store.database.Store.

    Returns:
        An Event: set it to stop the thread (before store.close()).
    """
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(store.settings.heartbeat_seconds):
            try:
                store.heartbeat()
            except Exception:
                _LOGGER.exception("the store's heartbeat failed; trying again at the next beat")

    threading.Thread(target=beat, name="cnnviz-store-heartbeat", daemon=True).start()
    return stop
