"""Whether Keras's load_data() could get a data set, told without importing Keras.

Importing Keras imports TensorFlow, which takes about 3 s (longer on a busy machine). A fresh
server's first page loads the chosen data set, and without a local copy it used to import Keras
only to find no copy in Keras's cache and no network to download one, and then fall back to
the bundled sample. When both facts can be seen beforehand, the sample is used at once.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

# Per data set: how its files in Keras's cache folder (<keras home>/datasets) begin, and the
# host Keras downloads them from (as keras.datasets.<name>.load_data() names them).
KERAS_FILES = {
    "mnist": ("mnist", "storage.googleapis.com"),
    "fashion_mnist": ("fashion-mnist", "storage.googleapis.com"),
    "cifar10": ("cifar-10", "www.cs.toronto.edu"),
}


def keras_cache_dirs() -> list[Path]:
    """Every folder Keras may keep downloaded data sets in.

    Keras uses $KERAS_HOME, else ~/.keras, and /tmp/.keras when that is not writable; all three
    are looked at, so that a copy Keras would find is never missed.
    """
    homes = [os.environ.get("KERAS_HOME"), os.path.expanduser("~/.keras"), "/tmp/.keras"]
    return [Path(home).expanduser() / "datasets" for home in homes if home]


def _has_cached_copy(prefix: str) -> bool:
    for folder in keras_cache_dirs():
        try:
            if any(entry.name.startswith(prefix) for entry in folder.iterdir()):
                return True
        except OSError:  # no such folder, or not readable: no copy there
            continue
    return False


def _has_address(host: str) -> bool:
    try:
        socket.getaddrinfo(host, 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):  # socket.gaierror is an OSError
        return False
    return True


def why_keras_cannot_load(name: str) -> str | None:
    """Why load_data() would certainly fail for this data set, or None when it might work.

    It would fail when Keras's cache holds no copy and the download host has no address (no
    network, or no name service). A data set not in KERAS_FILES is never ruled out.
    """
    if name not in KERAS_FILES:
        return None
    prefix, host = KERAS_FILES[name]
    if _has_cached_copy(prefix) or _has_address(host):
        return None
    return f"no copy in Keras's cache and no network: {host} has no address"
