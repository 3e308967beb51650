"""Training: settings, schedules, losses, precision, presets, the job and its callbacks, the
queue of trainings and the run history.

Importing the package imports nothing: the modules that need TensorFlow (job, fitting,
callbacks, recording's users) load it only when imported themselves, so the pages that only show
settings, presets or a job's state stay quick.
"""
