"""The in-process job's going on from elsewhere: its optimizer's state, checkpoints, restoring.

A part of TrainingJob (cnnviz.training.job), kept in its own file so that the job's file stays
readable: `resume_from` is how a Ray actor continues another copy of a job, `restore_from` how
the app brings back a job from a stored checkpoint (cnnviz.training.restoring), and the
checkpoints are what it stores after each epoch. It works on the job's own record and model, as
the job's other methods do.
"""

from __future__ import annotations

import time

import numpy as np

from cnnviz.training import fitting
from cnnviz.training.checkpoints import Checkpoint
from cnnviz.training.job_interface import copy_history
from cnnviz.training.job_state import JobState


class RestorableJob:
    """TrainingJob's methods for going on from another copy of it (mixed into TrainingJob)."""

    def optimizer_state(self) -> tuple[str, list[np.ndarray]] | None:
        """The optimizer's name and a copy of its variables, as the last segment left them.

        For Adam these are the iteration count, the learning rate and the moments. None before
        the first segment has compiled the model, or once disposed of.
        """
        model = self.model
        if model is None or self._compiled_optimizer is None or not model.optimizer.built:
            return None
        values = [np.array(variable) for variable in model.optimizer.variables]
        return self._compiled_optimizer, values

    def resume_from(
        self,
        epochs_done: int,
        progress: float,
        optimizer_state: tuple[str, list[np.ndarray]] | None = None,
    ) -> None:
        """Go on from where another copy of this job stopped (its weights already set).

        The next segment counts its epochs, history and snapshots from there and shuffles as
        that epoch would; with `optimizer_state` (from optimizer_state()) its optimizer goes on
        too, as a Continue does in the job that trained. A segment with another optimizer still
        starts that one afresh.

        Raises:
            RuntimeError: when this job has trained already, is training, or was disposed of.
            ValueError: when the counts are out of range, the optimizer is unknown or its state
                does not fit the model.
        """
        if self.state != JobState.READY:
            raise RuntimeError("Only a job that has not trained can go on from another's state.")
        if self.model is None:
            raise RuntimeError("This job was closed; build a new model to train.")
        if epochs_done < 0 or not 0 <= progress <= epochs_done:
            raise ValueError(
                f"epochs_done must be >= 0 and progress between 0 and it. Received: "
                f"{epochs_done}, {progress}"
            )
        if optimizer_state is not None:
            optimizer, values = optimizer_state
            if optimizer not in fitting.OPTIMIZERS:
                raise ValueError(
                    f"Unknown optimizer {optimizer!r}; expected one of "
                    f"{', '.join(fitting.OPTIMIZERS)}."
                )
            fitting.set_optimizer_state(self.model, optimizer, values, self.settings)
            self._compiled_optimizer = optimizer
            self._compiled_smoothing = self.settings.label_smoothing
        with self._lock:
            self._record.epoch = int(epochs_done)
            self._record.progress = float(progress)

    def restore_from(self, checkpoint: Checkpoint) -> None:
        """Become the job the checkpoint was taken of: weights, optimizer, counts, history.

        The job then stands as that one stood (an active one as interrupted), so Inspect and
        Evaluate can use it at once, and a Continue (start) goes on from its epochs_done with
        its optimizer's state and the epoch order it would have had.

        Raises:
            RuntimeError: when this job has trained already, is training, or was disposed of.
            ValueError: when the weights or the optimizer's state do not fit the model.
        """
        self._check_restorable()
        self.model.set_weights(checkpoint.weights)
        if checkpoint.optimizer_state is None:
            # Compiled so that Evaluate can run; a Continue starts this optimizer afresh.
            fitting.compile_afresh(self.model, self.settings)
        self.resume_from(checkpoint.epochs_done, checkpoint.progress, checkpoint.optimizer_state)
        self._snapshots.add(round(checkpoint.progress, 4), checkpoint.weights)
        with self._lock:
            self._record.restore_history(checkpoint.history)
            self.train_seconds = float(checkpoint.train_seconds)
            self.samples_trained = int(checkpoint.samples_trained)
            self._set_restored_state_locked(checkpoint)

    def _checkpoint_of_model(self) -> Checkpoint | None:
        model = self.model
        if model is None:
            return None
        # Asked for while a segment trains (before its first epoch's checkpoint is kept, or
        # between an epoch's end and its checkpoint): the segment's own samples and time count
        # too, as the epochs do.
        with self._lock:
            running = self.state.is_active
        return self._checkpoint_with(model.get_weights(), running=running)

    def _checkpoint_with(self, weights: list[np.ndarray], running: bool) -> Checkpoint:
        """A checkpoint with these weights; `running` counts the running segment's time."""
        optimizer_state = self.optimizer_state()
        with self._lock:
            record = self._record
            seconds, samples = self.train_seconds, self.samples_trained
            if running and record.segment_started is not None:
                seconds += time.perf_counter() - record.segment_started
                samples += record.samples_done()
            return self._new_checkpoint_locked(
                epochs_done=record.epoch,
                progress=record.progress,
                weights=weights,
                optimizer_state=optimizer_state,
                # Without the running epoch's batches: the checkpoint ends where the epoch did.
                history=copy_history(record.history),
                train_seconds=seconds,
                samples_trained=samples,
            )
