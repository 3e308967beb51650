"""A whole workspace as one zip a student downloads, and the same zip opened again.

The zip holds `cnnviz-workspace.json` (the format, the plain data and the runs) and the files
the workspace keeps (`files/<name>`: the model's checkpoint and `.keras` file, the own
pictures, a run's own data set). Opening one is checked like every upload: the zip's size, its
entries' names (only those two kinds, no paths), what they claim unpacked and what they really
hold; JSON that is not a workspace is refused with a message, and nothing is written until all
of it has been read. It opens as a new workspace at a new address, so the one open stays as it
is.
"""

from __future__ import annotations

import io
import json
import zipfile

from cnnviz.store import blobs
from cnnviz.store.database import Store

FORMAT = "cnnviz-workspace"
VERSION = 1
MANIFEST = "cnnviz-workspace.json"
FILES_FOLDER = "files/"
# Files that are only for replaying a training stay on the server (they are large and the
# server makes them again on the next training).
LEFT_OUT_SUFFIXES = (".replay.npz",)
MAX_ZIP_BYTES = 64 * 2**20
MAX_UNPACKED_BYTES = 256 * 2**20
MAX_ENTRIES = 200
ACTIVE_STATES = ("queued", "starting", "running")


def export_workspace(store: Store, workspace_id: str) -> bytes:
    """The workspace as a zip.

    Raises:
        ValueError: when the store keeps no workspace with this id (nothing changed yet).
    """
    stored = store.load_workspace(workspace_id)
    if stored is None:
        raise ValueError(
            "There is nothing to download yet: this workspace is saved once you change "
            "something (a layer, a setting, a training)."
        )
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "name": stored.name,
        "data": stored.data,
        "runs": [
            {
                "run_id": run.run_id,
                "record": run.record,
                "state": run.state,
                "epochs_done": run.epochs_done,
                "test_accuracy": run.test_accuracy,
            }
            for run in store.load_runs(workspace_id)
        ],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, indent=1))
        for name in store.blob_names(workspace_id):
            if name.endswith(LEFT_OUT_SUFFIXES):
                continue
            data = store.get_blob(workspace_id, name)
            if data is not None:
                archive.writestr(FILES_FOLDER + name, data)
    return buffer.getvalue()


def _refuse(detail: str) -> ValueError:
    return ValueError(
        f"This file is not a workspace downloaded from cnnviz ({detail}). Choose the .zip that "
        "'Download everything' gave you."
    )


def _valid_blob_name(name: str) -> bool:
    try:
        blobs.check_blob_name(name)
    except ValueError:
        return False
    return True


def _read_entries(data: bytes) -> tuple[dict, dict[str, bytes]]:
    if len(data) > MAX_ZIP_BYTES:
        raise ValueError(
            f"The file is {len(data) / 2**20:,.1f} MB; a workspace zip may have at most "
            f"{MAX_ZIP_BYTES // 2**20} MB."
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        raise _refuse("it is not a readable .zip") from None
    if len(infos) > MAX_ENTRIES:
        raise _refuse(f"it has {len(infos)} files")
    if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
        raise _refuse(f"it would unpack to more than {MAX_UNPACKED_BYTES // 2**20} MB")
    manifest_bytes, files = None, {}
    for info in infos:
        if info.is_dir():
            continue
        name = info.filename
        if name != MANIFEST and not (
            name.startswith(FILES_FOLDER) and _valid_blob_name(name[len(FILES_FOLDER) :])
        ):
            raise _refuse(f"it holds {name[:80]!r}")
        try:
            with archive.open(info) as entry:
                content = entry.read(info.file_size + 1)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
            raise _refuse(f"{name[:80]!r} cannot be read") from None
        if len(content) != info.file_size:
            raise _refuse(f"{name[:80]!r} is not the size it claims")
        if name == MANIFEST:
            manifest_bytes = content
        else:
            files[name[len(FILES_FOLDER) :]] = content
    if manifest_bytes is None:
        raise _refuse(f"{MANIFEST} is missing")
    try:
        manifest = json.loads(manifest_bytes)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise _refuse(f"{MANIFEST} is not JSON a workspace holds") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _refuse("its description is not a cnnviz workspace's")
    if manifest.get("version") != VERSION:
        raise ValueError(
            f"This workspace was saved by another version of cnnviz (format version "
            f"{manifest.get('version')!r}; this one reads {VERSION}). Open it with that version."
        )
    if not isinstance(manifest.get("data"), dict) or not isinstance(manifest.get("runs"), list):
        raise _refuse("its description lacks the work")
    return manifest, files


def _checked_runs(runs: list) -> list[dict]:
    checked = []
    for run in runs:
        if not isinstance(run, dict) or not isinstance(run.get("record"), dict):
            raise _refuse("a run's record is damaged")
        run_id = run.get("run_id")
        if not isinstance(run_id, int) or isinstance(run_id, bool) or run_id < 1:
            raise _refuse("a run's number is damaged")
        accuracy = run.get("test_accuracy")
        if accuracy is not None and not isinstance(accuracy, (int, float)):
            raise _refuse("a run's accuracy is damaged")
        checked.append(run)
    return checked


def import_workspace(store: Store, data: bytes, workspace_id: str) -> None:
    """Keep the zip's work as the (new) workspace `workspace_id`.

    Everything is read and checked before anything is written; a quota that the files would
    pass refuses the whole zip and removes what was written of it.

    Raises:
        ValueError: when the file is not a cnnviz workspace zip (the message says what to do);
            cnnviz.store.database.QuotaExceeded (a ValueError) when it does not fit.
    """
    manifest, files = _read_entries(data)
    runs = _checked_runs(manifest["runs"])
    name = manifest.get("name")
    store.save_workspace(
        workspace_id, manifest["data"], name=name if isinstance(name, str) else None
    )
    try:
        for run in runs:
            state = str(run.get("state", "finished"))
            store.save_run(
                workspace_id,
                run["run_id"],
                run["record"],
                # A run downloaded while it trained is not training here.
                state="interrupted" if state in ACTIVE_STATES else state,
                epochs_done=int(run.get("epochs_done") or 0),
                test_accuracy=run.get("test_accuracy"),
                training=False,
            )
        for blob_name, content in files.items():
            store.put_blob(workspace_id, blob_name, content)
    except Exception:
        store.delete_workspace(workspace_id)
        raise
