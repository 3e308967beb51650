"""The Keras callbacks a TrainingJob trains with, one behaviour each (like keras's own).

- HistoryRecorder hands every batch's and epoch's metrics to the job.
- WeightBackup keeps a copy of the last finite weights, to restore after a divergence.
- StopOnNonFiniteLoss stops training, and marks the job diverged, once the loss is NaN or inf.
- LossWarning warns while the loss sits at chance level or has grown by orders of magnitude.
- StopCheck stops training once the job has been asked to stop (or its owner has gone).
- LearningRateSchedule moves the learning rate along a schedule (cnnviz.training.lr_schedules).

Each talks to the job only through the CallbackTarget Protocol
(cnnviz.training.job_interface), never its class. Keras's TensorFlow backend calls every hook
on the training thread, between two steps (it never dispatches batch-end hooks to other
threads: its `IS_THREAD_SAFE` is False), so each hook must stay cheap: together they add about 2
microseconds a batch to the 4.5 that Keras's own callback handling takes (measured with a
CallbackList of these callbacks and one of Keras's History alone), against several milliseconds
for a training step. The weight backup runs on a timer, not every batch, for the same reason.
"""

from cnnviz.training.callbacks.history_recorder import HistoryRecorder
from cnnviz.training.callbacks.learning_rate_schedule import LearningRateSchedule
from cnnviz.training.callbacks.loss_warning import LossWarning, loss_warning
from cnnviz.training.callbacks.stop_check import StopCheck
from cnnviz.training.callbacks.stop_on_non_finite_loss import StopOnNonFiniteLoss
from cnnviz.training.callbacks.weight_backup import WeightBackup

__all__ = [
    "HistoryRecorder",
    "LearningRateSchedule",
    "LossWarning",
    "StopCheck",
    "StopOnNonFiniteLoss",
    "WeightBackup",
    "loss_warning",
]
