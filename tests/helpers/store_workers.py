"""Functions the store's tests run in separate processes (spawned, so importable by name)."""

import os
import signal
from pathlib import Path


def open_and_close(state_dir: str, database_url: str, barrier, results) -> None:
    """Opens a store (so migrates) when every process reached `barrier`, closes it, and reports
    the outcome ("ok" or the error)."""
    # Imported before the barrier, so that the processes migrate at the same moment.
    from cnnviz.store.database import open_store
    from cnnviz.store.settings import StoreSettings

    barrier.wait(60)
    try:
        store = open_store(StoreSettings(state_dir=Path(state_dir), database_url=database_url))
        store.close()
        results.put("ok")
    except Exception as error:  # the parent asserts on the text
        results.put(f"{type(error).__name__}: {error}")


def die_between_write_and_rename(state_dir: str, workspace_id: str, name: str) -> None:
    """Writes a blob, and is killed by SIGKILL after its temporary file, before its rename."""
    from cnnviz.store.database import open_store
    from cnnviz.store.settings import StoreSettings

    store = open_store(StoreSettings.for_folder(state_dir))

    def killed(*_args):
        os.kill(os.getpid(), signal.SIGKILL)

    os.replace = killed
    store.put_blob(workspace_id, name, b"new" * 1000)


def die_while_training(state_dir: str) -> None:
    """Opens a store, stamps a run as training on it, and is killed by SIGKILL."""
    from cnnviz.store.database import open_store
    from cnnviz.store.settings import StoreSettings

    store = open_store(StoreSettings.for_folder(state_dir))
    store.save_run("w", 1, {}, state="training", epochs_done=2, test_accuracy=None, training=True)
    os.kill(os.getpid(), signal.SIGKILL)


def die_inside_a_transaction(state_dir: str, database_url: str) -> None:
    """Saves a workspace, then is killed by SIGKILL inside the transaction of its next save:
    after the statement ran, before the commit."""
    import sqlalchemy as sa

    from cnnviz.store.database import open_store
    from cnnviz.store.settings import StoreSettings

    store = open_store(StoreSettings(state_dir=Path(state_dir), database_url=database_url))
    store.save_workspace("w", {"version": 1})
    store.save_run(
        "w", 1, {"kept": True}, state="finished", epochs_done=1, test_accuracy=0.5, training=False
    )

    @sa.event.listens_for(store.engine, "after_cursor_execute")
    def killed(_connection, _cursor, statement, *_args):
        if "workspaces" in statement and statement.lstrip().upper().startswith(
            ("INSERT", "UPDATE")
        ):
            os.kill(os.getpid(), signal.SIGKILL)

    store.save_workspace("w", {"version": 2})


def die_while_training_on(state_dir: str, database_url: str) -> None:
    """As die_while_training, on any database: stamps run ("w", 1) as training, then SIGKILL."""
    from cnnviz.store.database import open_store
    from cnnviz.store.settings import StoreSettings

    store = open_store(StoreSettings(state_dir=Path(state_dir), database_url=database_url))
    store.save_run("w", 1, {}, state="running", epochs_done=2, test_accuracy=None, training=True)
    os.kill(os.getpid(), signal.SIGKILL)
