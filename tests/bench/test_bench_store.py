"""`cnnviz bench store`, at small sizes on the bundled sample (the browser part is in tests/e2e)."""

import json

import pytest

from cnnviz.cli import main as cli

SMALL = ["--workspaces", "5", "--active", "2", "--rounds", "1", "--no-server"]


@pytest.mark.parametrize(
    ("options", "start"),
    [
        (["--workspaces", "0"], "--workspaces must be 1 or more. Received: 0"),
        (["--workspaces", "3", "--active", "4"], "--active must not be more than --workspaces"),
        (["--database-url", "sqlite:////tmp/x.sqlite3"], "--database-url: SQLite is measured"),
    ],
)
def test_bench_store_refuses_bad_options_in_one_line(options, start, capsys):
    assert cli.main(["bench", "store", *options]) == 2
    stderr = capsys.readouterr().err
    assert stderr.startswith(f"cnnviz bench: error: {start}")
    assert len(stderr.strip().splitlines()) == 1


@pytest.mark.trains
def test_bench_store_prints_each_figure_with_its_goal_and_a_json_line(capsys):
    status = cli.main(["bench", "store", *SMALL, "--presets", "keras_example,tiny"])
    lines = capsys.readouterr().out.strip().splitlines()
    # 1 is a goal missed on a busy machine: a figure, not a failure of the benchmark.
    assert status in (0, 1), lines
    assert lines[0].startswith("Keeping work on SQLite (sqlite:///")
    assert (
        lines[1]
        == "1. Saving while training: the Keras example, 6,000 images (sample), 1 paired epochs"
    )
    assert lines[2].startswith("  round 1: ") and "the listener's writes" in lines[2]
    assert "the goal of 3 % is for full MNIST (--data-dir)" in lines[3]
    assert lines[4].startswith("2. A returning student's model loaded")
    assert lines[5].startswith("  keras_example: ") and lines[6].startswith("  tiny: ")
    assert "(goal < 1 s: " in lines[7]
    assert lines[8].startswith("3. Restart with 5 stored workspaces")
    assert "(goal < 5 s: " in lines[9]
    assert lines[10].startswith("4. Memory of that process: ")
    assert "with 2 of 2 workspaces loaded with models" in lines[10]
    summary = json.loads(lines[-1])
    assert summary["goal_met"] is (status == 0)
    assert summary["backend"] == "SQLite"
    training = summary["training"]
    # One write per epoch and one as the segment ends; not judged on the sample.
    assert training["listener_calls"] == 2 and training["goal_met"] is None
    assert training["training_images"] == 6000 and training["dataset_source"] == "sample"
    assert training["kept_bytes"] > 1_000_000  # a checkpoint, a .keras file, replay weights
    assert set(summary["model_load"]["seconds"]) == {"keras_example", "tiny"}
    memory = summary["restart"]["memory"]
    assert memory["stored_workspaces"] == 5 and memory["loaded"] == memory["models"] == 2
    assert memory["interrupted"] == 0
    # TensorFlow's import is the largest part; loading the models adds to it.
    assert memory["opened_mb"] < memory["ready_mb"] < memory["loaded_mb"]
    assert "first_page_seconds" not in summary["restart"]


def test_the_bench_stores_under_the_apps_names_and_keys():
    """The benchmark writes as the app does without importing it (the house's order)."""
    from cnnviz.bench import store_workspaces as bench
    from cnnviz.ui import keeping, saving
    from cnnviz.ui import workspace_keys as keys

    assert bench.blob_names(3) == {
        "checkpoint": keeping.checkpoint_blob(3),
        "model": keeping.model_blob(3),
        "replay": saving.REPLAY_BLOB.format(run_id=3),
    }
    assert (bench.NEXT_RUN_KEY, bench.JOB_RUN_KEY) == (keeping.NEXT_RUN_KEY, keys.JOB_RUN_ID)
    plain = bench.plain_data({"layers": [{"type": "Flatten"}]}, 7, 3)
    assert set(plain) == {*keeping.PLAIN_KEYS, keeping.NEXT_RUN_KEY}
    assert plain[keys.JOB_RUN_ID] == 3 and plain[keys.NAME] == "Student 7"


@pytest.fixture
def sample_store(tmp_path):
    from cnnviz.store.database import open_store
    from cnnviz.store.settings import StoreSettings

    store = open_store(StoreSettings.for_folder(tmp_path / "state"))
    yield store
    store.close()


@pytest.mark.trains
def test_the_apps_own_load_and_writes_match_the_benchmarks(sample_store):
    from cnnviz.bench import store_workspaces as bench
    from cnnviz.ui import keeping, saving, workspace_data
    from cnnviz.ui import workspace_keys as keys

    data = bench.load_sample()
    sample = bench.train_sample_run("tiny", data, images=10)
    workspace_id = bench.store_workspace(sample_store, 1, sample, with_model=True)
    restored = []
    work = keeping.load_workspace(
        sample_store,
        workspace_id,
        lambda _work, row, blob: restored.append((row, blob)) or "job",
        workspace_data.WorkspaceData,  # keeping's default (dict) cannot hold its keeper
    )
    ((row, blob),) = restored
    assert work[keys.JOB] == "job" and work[keys.JOB_RUN_ID] == row.run_id == 3
    assert blob == sample.checkpoint and len(work[keys.RUNS]) == 3
    ours = bench.load_kept(sample_store, workspace_id, lambda _name: data)
    assert ours["job"].epochs_done == 1 and len(ours["runs"]) == 3
    ours["job"].dispose()
    # One epoch trained with the app's listener and one with the benchmark's: the same files
    # and the same row.
    written = {}
    for name, watch in (
        ("app", lambda wid, job: saving.watch_job(sample_store, wid, 1, job, {})),
        ("bench", lambda wid, job: bench.watch(sample_store, wid, 1, job)),
    ):
        job = bench.new_sample_job("tiny", data, images=10)
        wid = f"{name}0"
        watch(wid, job)
        job.start()
        job.wait()
        (run,) = sample_store.load_runs(wid)
        written[name] = (sample_store.blob_names(wid), run.state, run.epochs_done, run.server_id)
        job.dispose()
    assert written["app"] == written["bench"]
    assert written["app"][0] == sorted(bench.blob_names(1).values())
