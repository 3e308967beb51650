"""Tests for trainings on Ray (cnnviz.cluster: executors, ray_jobs) on a local Ray instance.

The instance is started once for the module, on loopback only. Tiny models on the bundled MNIST
sample keep the file at a few minutes; most of that is Ray workers importing TensorFlow.
"""

import functools
import os
import signal

import numpy as np
import pytest

# Before Ray is imported: the local instance binds 127.0.0.1 only (see DESIGN.md).
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
ray = pytest.importorskip(
    "ray", reason="Ray is not installed; pip install -e '.[cluster]' runs these tests"
)


from cnnviz.cluster import executors, ray_actor, ray_jobs  # noqa: E402
from cnnviz.data import datasets  # noqa: E402
from cnnviz.training import settings as training_settings  # noqa: E402
from cnnviz.training.job import TrainingJob  # noqa: E402
from cnnviz.training.job_state import JobState, StopReason  # noqa: E402
from cnnviz.training.scheduler import TrainingScheduler  # noqa: E402
from helpers.commands import run_cli  # noqa: E402
from helpers.jobs import SLOWER_SPEC, TINY_SPEC, make_job, run_to_finish, wait_until  # noqa: E402
from helpers.paths import APP  # noqa: E402

WAIT_SECONDS = 240.0  # only bounds how long a broken test hangs
# Jobs that train in a Ray actor, named as the app's local jobs are not.
make_ray_job = functools.partial(make_job, job_class=ray_jobs.RayTrainingJob, name="ray test")


@pytest.fixture(scope="module")
def cluster():
    executors.connect(executors.LOCAL_ADDRESS)
    yield
    executors.shutdown()
    ray_actor.clear_dataset_refs()


@pytest.fixture
def one_actor_pool(cluster):
    """A pool of one trainer actor, after ending the shared pool's (they hold the CPUs)."""
    ray_actor.close_pools()
    pool = ray_actor.TrainerPool(1, executors.DEFAULT_CPUS_PER_TRAINING)
    yield pool
    pool.close()


def test_ray_binds_loopback_only(cluster):
    nodes = ray.nodes()
    assert nodes
    assert {node["NodeManagerAddress"] for node in nodes} == {"127.0.0.1"}
    assert ray.get_runtime_context().gcs_address.startswith("127.0.0.1:")


@pytest.mark.trains
def test_a_finished_run_brings_its_weights_back(cluster, mnist):
    job = make_ray_job(mnist, epochs=2)
    initial = [weight.copy() for weight in job.model.get_weights()]
    job.start()
    assert job.wait(WAIT_SECONDS)
    status = job.status()
    assert status.state == JobState.FINISHED, status.message
    assert status.epoch == 2 and job.epochs_done == 2
    steps = -(-270 // 64)  # 300 images less 10 % held out for validation, in batches of 64
    assert len(status.history["batch"]["loss"]) == 2 * steps
    assert status.history["epoch"]["epoch"] == [1.0, 2.0]
    assert [epoch for epoch, _ in job.weight_snapshots()] == [0.0, 1.0, 2.0]
    # The weights came back: they differ from the start and give the actor's test accuracy.
    trained = job.model.get_weights()
    assert any(not np.allclose(a, b) for a, b in zip(initial, trained, strict=True))
    _, accuracy = job.model.evaluate(mnist.x_test, mnist.y_test, verbose=0)
    assert accuracy == pytest.approx(status.test_accuracy, abs=1e-6)
    # The last snapshot is the returned weights in float16.
    np.testing.assert_allclose(job.weight_snapshots()[-1][1][0], trained[0], atol=1e-2)
    assert job.train_seconds > 0 and job.samples_trained == 2 * 270
    # An ended run still shows how long it took and how fast it went.
    assert status.elapsed_seconds > 0 and status.samples_per_second > 0
    assert executors.executor_of(job) == executors.Executor.RAY


@pytest.mark.trains
def test_stop_keeps_the_history_and_continue_adds_to_it(cluster, mnist):
    job = make_ray_job(mnist, SLOWER_SPEC, epochs=30, train_limit=3000, batch_size=32)
    job.start()
    wait_until(lambda: job.status().batch >= 3 or not job.is_active)
    job.stop(StopReason.USER)
    assert job.wait(WAIT_SECONDS)
    stopped = job.status()
    assert stopped.state == JobState.STOPPED
    assert stopped.message == StopReason.USER.message
    assert stopped.test_accuracy is not None  # a user's stop still measures test accuracy
    batches = len(stopped.history["batch"]["loss"])
    assert 3 <= batches < 30 * 85
    assert stopped.progress < 30

    settings = training_settings.TrainingSettings(epochs=1, train_limit=300, batch_size=64)
    job.start(epochs=1, settings=settings)
    assert job.wait(WAIT_SECONDS)
    continued = job.status()
    assert continued.state == JobState.FINISHED, continued.message
    assert continued.epoch == stopped.epoch + 1
    assert continued.progress == pytest.approx(stopped.progress + 1.0, abs=1e-3)
    assert len(continued.history["batch"]["loss"]) == batches + 5
    # The continued batches are counted after the stopped ones.
    assert continued.history["batch"]["epoch"][batches] > stopped.history["batch"]["epoch"][-1]


@pytest.mark.trains
def test_a_diverging_run_stops_as_diverged_with_finite_weights(cluster, mnist):
    job = make_ray_job(mnist)
    job.start()
    assert job.wait(WAIT_SECONDS)
    # Continue starts the actor from the server's weights: huge output weights make every
    # logit overflow to infinity, so the loss is NaN at the first batch.
    classifier = job.model.layers[-1]
    classifier.kernel.assign(np.full(classifier.kernel.shape, 1e38, dtype="float32"))
    job.start(epochs=1)
    assert job.wait(WAIT_SECONDS)
    status = job.status()
    assert status.state == JobState.DIVERGED, status.message
    assert "lower learning rate" in status.message
    assert all(np.isfinite(weight).all() for weight in job.model.get_weights())
    assert status.epoch == 1  # the diverged epoch does not count
    assert len(status.history["batch"]["loss"]) == 5 + 1


@pytest.mark.trains
def test_two_jobs_train_at_once_and_a_third_waits_its_turn(cluster, mnist):
    pool = TrainingScheduler(2)
    jobs = [make_ray_job(mnist, scheduler=pool, seed=n) for n in range(3)]
    for job in jobs:
        job.start()
    wait_until(lambda: pool.running_count == 2)
    assert jobs[2].status().state == JobState.QUEUED
    assert jobs[2].status().queue_position == 1
    for job in jobs:
        assert job.wait(WAIT_SECONDS)
    states = [job.status().state for job in jobs]
    assert states == [JobState.FINISHED] * 3
    # Each job kept its own weights: different seeds, different models.
    first, second = (job.model.get_weights()[0] for job in jobs[:2])
    assert not np.allclose(first, second)


@pytest.mark.trains
def test_a_killed_worker_fails_its_job_with_the_history_kept(cluster, mnist):
    pool = TrainingScheduler(2)
    victim = make_ray_job(mnist, SLOWER_SPEC, scheduler=pool, epochs=30, train_limit=3000)
    other = make_ray_job(mnist, scheduler=pool)
    victim.start()
    wait_until(lambda: len(victim.status().history["batch"]["loss"]) >= 2 or not victim.is_active)
    other.start()
    assert victim.worker_pid is not None
    os.kill(victim.worker_pid, signal.SIGKILL)
    assert victim.wait(WAIT_SECONDS)
    status = victim.status()
    assert status.state == JobState.FAILED
    assert status.message == ray_jobs.WORKER_LOST_MESSAGE
    assert len(status.history["batch"]["loss"]) >= 2
    assert other.wait(WAIT_SECONDS)
    assert other.status().state == JobState.FINISHED
    assert pool.running_count == 0


@pytest.mark.trains
def test_a_reused_actor_trains_as_a_fresh_one(one_actor_pool, mnist):
    first = make_ray_job(mnist, pool=one_actor_pool, seed=3)
    first_status = run_to_finish(first, WAIT_SECONDS)  # in a fresh actor
    (pid,) = one_actor_pool.idle_pids()
    # Another student's different model in between, with another seed and optimizer.
    between = make_ray_job(mnist, SLOWER_SPEC, pool=one_actor_pool, seed=5, optimizer="sgd")
    run_to_finish(between, WAIT_SECONDS)
    again = make_ray_job(mnist, pool=one_actor_pool, seed=3)
    again_status = run_to_finish(again, WAIT_SECONDS)
    assert one_actor_pool.idle_pids() == [pid]  # the same worker process all along
    for reused, fresh in zip(again.model.get_weights(), first.model.get_weights(), strict=True):
        np.testing.assert_array_equal(reused, fresh)
    assert again_status.test_accuracy == first_status.test_accuracy
    assert again_status.history == first_status.history
    assert [epoch for epoch, _ in again.weight_snapshots()] == [0.0, 1.0]
    # The actor's TensorFlow runs as many threads as it holds CPUs.
    actor = one_actor_pool.take()
    assert ray.get(actor.threads.remote(), timeout=WAIT_SECONDS) == (1, 1)
    one_actor_pool.give_back(actor)


@pytest.mark.trains
def test_a_killed_pooled_actor_is_replaced(one_actor_pool, mnist):
    victim = make_ray_job(mnist, SLOWER_SPEC, pool=one_actor_pool, epochs=30, train_limit=3000)
    victim.start()
    wait_until(lambda: len(victim.status().history["batch"]["loss"]) >= 2 or not victim.is_active)
    killed = victim.worker_pid
    assert killed is not None
    os.kill(killed, signal.SIGKILL)
    assert victim.wait(WAIT_SECONDS)
    assert victim.status().state == JobState.FAILED
    assert victim.status().message == ray_jobs.WORKER_LOST_MESSAGE
    assert one_actor_pool.actor_count == 1
    (replacement,) = one_actor_pool.idle_pids()
    assert replacement != killed
    later = make_ray_job(mnist, pool=one_actor_pool)
    assert run_to_finish(later, WAIT_SECONDS).test_accuracy > 0.1
    assert one_actor_pool.idle_pids() == [replacement]


def test_a_pool_never_holds_more_actors_than_its_size(one_actor_pool):
    first = one_actor_pool.take()
    asked = []

    def cancelled():  # every actor is busy: the second take waits until it is cancelled
        asked.append(True)
        return len(asked) >= 3

    assert one_actor_pool.take(cancelled) is None
    assert len(asked) == 3 and one_actor_pool.actor_count == 1
    one_actor_pool.give_back(first)
    assert one_actor_pool.take() == first
    one_actor_pool.give_back(first)


@pytest.mark.trains
def test_continue_on_ray_goes_on_as_continue_in_process(cluster, mnist):
    settings = training_settings.TrainingSettings(epochs=1, batch_size=64, train_limit=300)
    local = TrainingJob(TINY_SPEC, mnist, settings, scheduler=TrainingScheduler(1))
    remote = make_ray_job(mnist)
    for job in (local, remote):
        for _ in range(2):  # Train, then Continue
            job.start(epochs=1)
            assert job.wait(WAIT_SECONDS)
            assert job.status().state == JobState.FINISHED, job.status().message
    # Adam's iteration count and moments went on across the Continue: 2 x 5 steps.
    local_name, local_values = local.optimizer_state()
    remote_values = [np.array(variable) for variable in remote.model.optimizer.variables]
    assert local_name == "adam" and int(remote_values[0]) == int(local_values[0]) == 10
    for on_ray, in_process in zip(remote_values, local_values, strict=True):
        np.testing.assert_allclose(on_ray, in_process, rtol=1e-3, atol=1e-6)
    for on_ray, in_process in zip(
        remote.model.get_weights(), local.model.get_weights(), strict=True
    ):
        np.testing.assert_allclose(on_ray, in_process, rtol=1e-3, atol=1e-5)
    assert remote.history()["epoch"]["epoch"] == local.history()["epoch"]["epoch"] == [1.0, 2.0]
    assert [e for e, _ in remote.weight_snapshots()] == [e for e, _ in local.weight_snapshots()]


@pytest.mark.trains
def test_a_lost_cluster_gives_new_trainings_a_clear_message(mnist):
    job = make_ray_job(mnist)
    job.unreachable = "Ray cluster at '127.0.0.1:1' cannot be reached (Connection refused)."
    job.start()
    assert job.wait(WAIT_SECONDS)
    status = job.status()
    assert status.state == JobState.FAILED
    assert "Ray cluster cannot be reached" in status.message
    assert "127.0.0.1:1" in status.message


@pytest.mark.trains
def test_a_cluster_lost_while_the_app_runs_fails_new_trainings_clearly(cluster, mnist, monkeypatch):
    from cnnviz.cluster import ray_actor

    class LostCluster:
        gcs_address = "127.0.0.1:9"  # nothing listens there: as after the head went away

    monkeypatch.setattr(ray_actor.ray, "get_runtime_context", lambda: LostCluster())
    job = make_ray_job(mnist)
    job.start()
    assert job.wait(WAIT_SECONDS)
    status = job.status()
    assert status.state == JobState.FAILED
    assert "Ray cluster cannot be reached (127.0.0.1:9" in status.message
    assert status.history["batch"]["loss"] == []


def test_the_dataset_goes_into_the_object_store_once(cluster, mnist):
    assert ray_actor.dataset_ref(mnist) is ray_actor.dataset_ref(mnist)


def test_an_unreachable_address_is_named_in_one_line():
    with pytest.raises(ValueError, match="127.0.0.1:9"):
        executors.check_reachable("127.0.0.1:9", timeout=2.0)
    with pytest.raises(ValueError, match="no port"):
        executors.check_reachable("somewhere")
    executors.check_reachable(executors.LOCAL_ADDRESS)  # started on demand: nothing to check


def test_cpus_per_training_is_checked():
    assert executors.cpus_per_training({}) == 1.0
    assert executors.cpus_per_training({executors.RAY_CPUS_ENV: "2"}) == 2.0
    with pytest.raises(ValueError, match=executors.RAY_CPUS_ENV):
        executors.cpus_per_training({executors.RAY_CPUS_ENV: "none"})


def test_without_an_address_jobs_train_in_process(mnist, monkeypatch):
    monkeypatch.delenv(executors.RAY_ADDRESS_ENV, raising=False)
    settings = training_settings.TrainingSettings(epochs=1, train_limit=100)
    job = executors.new_job(TINY_SPEC, mnist, settings, name="local")
    assert isinstance(job, TrainingJob)
    assert executors.executor_of(job) == executors.Executor.LOCAL


# ----- the command line -----


def test_app_with_an_unreachable_cluster_exits_2_naming_the_address(capsys):
    status, _, stderr = run_cli(["app", "--ray-address", "127.0.0.1:9"], capsys)
    assert status == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("cnnviz app: error: Ray cluster at '127.0.0.1:9' cannot be reached")


def test_app_passes_the_ray_address_to_the_server(capsys, monkeypatch):
    from cnnviz.cli import launcher

    seen = {}

    class FakeStreamlit:
        def __init__(self, command, env, cwd):
            seen.update(env)

        def wait(self):
            return 0

    monkeypatch.setattr(launcher.subprocess, "Popen", FakeStreamlit)
    status, _, _ = run_cli(["app", "--ray-address", "local"], capsys)
    assert status == 0
    assert seen[executors.RAY_ADDRESS_ENV] == "local"


def test_bench_ray_address_needs_queued_jobs(capsys):
    status, _, stderr = run_cli(["bench", "--ray-address", "local", "--quick"], capsys)
    assert status == 2
    assert "--ray-address goes with --queued-jobs" in stderr


@pytest.mark.trains
def test_train_on_ray_says_so_and_saves_the_trained_model(cluster, tmp_path, capsys, monkeypatch):
    import json

    import keras

    monkeypatch.setenv("CNNVIZ_OFFLINE", "1")
    monkeypatch.delenv(datasets.DATA_DIR_ENV, raising=False)
    out = tmp_path / "run"
    arguments = ["train", "--dataset", "mnist", "--preset", "tiny", "--epochs", "1"]
    arguments += ["--limit", "300", "--out", str(out), "--ray-address", "local"]
    status, stdout, _ = run_cli(arguments, capsys)
    assert status == 0
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["executor"] == "ray"
    assert summary["state"] == "finished"
    model = keras.saving.load_model(out / "model.keras", safe_mode=True)
    mnist = datasets.load_dataset("mnist")
    _, accuracy = model.evaluate(mnist.x_test, mnist.y_test, verbose=0)
    assert accuracy == pytest.approx(summary["test_accuracy"], abs=1e-6)


# ----- the app -----


@pytest.mark.trains
def test_the_train_page_trains_on_ray_and_inspect_works_on_the_result(cluster, monkeypatch):

    from streamlit.testing.v1 import AppTest

    from cnnviz.ui import state as keys

    monkeypatch.setenv(executors.RAY_ADDRESS_ENV, executors.LOCAL_ADDRESS)
    monkeypatch.setenv("CNNVIZ_OFFLINE", "1")
    app = AppTest.from_file(APP)
    app.default_timeout = 120
    app.run()
    app.switch_page("pages/train.py").run()
    (train,) = [button for button in app.button if button.label == "Train"]
    train.click().run()
    assert not app.exception
    workspace = app.session_state[keys.WORKSPACE]
    job = workspace[keys.JOB]
    assert isinstance(job, ray_jobs.RayTrainingJob)
    assert job.wait(WAIT_SECONDS)
    assert job.state == JobState.FINISHED, job.message
    app.run()
    assert not app.exception
    (record,) = workspace[keys.RUNS].records()
    assert record.test_accuracy == job.test_accuracy
    app.switch_page("pages/inspect.py").run()
    assert not app.exception
