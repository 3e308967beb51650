"""A training job brought back from a stored checkpoint, as it stood when the checkpoint was taken.

The app stores a Checkpoint (cnnviz.training.checkpoints) after every finished epoch and when a
segment ends; after a restart it builds each run's job again from the last one. The job gets
the checkpoint's weights, its optimizer's state, its epoch count, progress and history, and its
state: a finished, stopped, diverged or failed run stands as it did (Inspect and Evaluate work
at once), a run that was training is interrupted. Continue (`job.start(epochs=k)`) then goes on
from epochs_done with the same optimizer state and epoch order as an uninterrupted run.

Which kind of job is the caller's choice: cnnviz.cluster.executors.restore_job picks the one the
server trains with (in this process, or on Ray) and calls this with its job factory; the training
package itself knows only the in-process job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cnnviz.training import fitting
from cnnviz.training.checkpoints import Checkpoint
from cnnviz.training.settings import TrainingSettings

# new_job(spec, dataset, settings, *, name, owner_alive) -> an untrained job with restore_from;
# cnnviz.cluster.executors.new_job has this form.
JobFactory = Callable[..., Any]


def restore_job(
    spec: dict,
    dataset,
    checkpoint: Checkpoint,
    *,
    name: str,
    owner_alive: Callable[[], bool] | None = None,
    executor: JobFactory | None = None,
):
    """A job standing where the checkpoint's job stood, ready to be inspected or continued.

    Args:
        spec: the layer spec the checkpoint's model was built from.
        dataset: the data set it trained on (the same one: the epoch order depends on it).
        checkpoint: the stored checkpoint.
        name: the job's label, such as "Run 2".
        owner_alive: as for TrainingJob.
        executor: makes the untrained job (see JobFactory); None makes an in-process
            TrainingJob. cnnviz.cluster.executors.restore_job passes the server's choice.

    Raises:
        ValueError: when the checkpoint's settings are not valid, or its weights or optimizer
            state do not fit the spec's model.
    """
    settings = TrainingSettings.from_dict(dict(checkpoint.settings))
    if executor is None:
        from cnnviz.training.job import TrainingJob

        model = fitting.build_seeded_model(
            spec, dataset.input_shape, dataset.num_classes, settings.seed
        )
        job = TrainingJob(spec, dataset, settings, owner_alive=owner_alive, name=name, model=model)
    else:
        job = executor(spec, dataset, settings, name=name, owner_alive=owner_alive)
    try:
        job.restore_from(checkpoint)
    except ValueError:
        job.dispose(timeout=0)
        raise
    return job
