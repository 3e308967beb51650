"""A restarted server's store, timed, and its memory with N workspaces loaded.

    python -m cnnviz.bench.store_memory STATE_DIR DATABASE_URL ID[,ID...]

Run by `cnnviz bench store` in a fresh process, as a restarted server is one: it times opening
the store (the store's imports, the engine, the migrations, this server's row and the marking
of orphaned runs), reads the resident memory (VmRSS) after that, after TensorFlow's import and
the sample data's load (what the first model costs any server once), and after loading the
workspaces named, their models restored as on a visit. Prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import time


def resident_megabytes() -> float:
    """This process's resident memory now (VmRSS of /proc/self/status), in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("/proc/self/status has no VmRSS line")


def measure(state_dir: str, database_url: str, workspace_ids: list[str]) -> dict:
    started = time.perf_counter()
    from cnnviz.store import database
    from cnnviz.store.settings import StoreSettings
    from cnnviz.training.job_state import JobState

    store = database.open_store(StoreSettings.for_folder(state_dir, database_url=database_url))
    interrupted = store.interrupt_orphaned_runs(str(JobState.INTERRUPTED))
    open_seconds = time.perf_counter() - started
    opened_mb = resident_megabytes()
    try:
        import keras  # noqa: F401 - its import is what is measured here

        from cnnviz.bench import store_workspaces

        sample = store_workspaces.load_sample()
        ready_mb = resident_megabytes()
        started = time.perf_counter()
        loaded = [
            store_workspaces.load_kept(store, workspace_id, lambda _name: sample)
            for workspace_id in workspace_ids
        ]
        load_seconds = time.perf_counter() - started
        loaded_mb = resident_megabytes()
        models = sum(work["job"] is not None for work in loaded)
        workspaces = len(store.workspace_ids())
    finally:
        store.close()
    return {
        "open_seconds": round(open_seconds, 3),
        "interrupted": len(interrupted),
        "stored_workspaces": workspaces,
        "opened_mb": round(opened_mb, 1),
        "ready_mb": round(ready_mb, 1),
        "loaded_mb": round(loaded_mb, 1),
        "loaded": len(loaded),
        "models": models,
        "load_seconds": round(load_seconds, 3),
    }


if __name__ == "__main__":
    state, url, ids = sys.argv[1:4]
    print(json.dumps(measure(state, url, [one for one in ids.split(",") if one])))
