"""The keys of a workspace dict, their first values, and nothing that needs Streamlit.

cnnviz.ui.state (the pages' way to the workspace) and cnnviz.ui.keeping (which writes the work
to the store and reads it back) both name the keys from here.
"""

from __future__ import annotations

from cnnviz.data.datasets import DATASETS
from cnnviz.lessons import progress as lesson_progress
from cnnviz.training import presets
from cnnviz.training.settings import TrainingSettings

# Keys inside the workspace dict.
DATASET = "cnnviz_dataset"  # name of the chosen data set, e.g. "mnist"
SPEC = "cnnviz_spec"  # the spec being edited on the Build page
LAYER_IDS = "cnnviz_layer_ids"  # a stable id per spec layer, so widgets follow moved layers
NEXT_LAYER_ID = "cnnviz_next_layer_id"  # the counter behind those ids
SPEC_UNDO = "cnnviz_spec_undo"  # the spec before the last preset load or import, for Undo
TRAIN_SETTINGS = "cnnviz_train_settings"  # the Train page's settings as a plain dict
JOB = "cnnviz_job"  # the current TrainingJob (its model is "the model"), or None
JOB_RUN_ID = "cnnviz_job_run_id"  # the run id of the current job in the run history
RUNS = "cnnviz_runs"  # the RunHistory
RECORDED = "cnnviz_recorded"  # marker of the last job state written to the run history
INSPECT = "cnnviz_inspect"  # the Inspect page's choices (image source, index, layer)
EVALUATE = "cnnviz_evaluate"  # the Evaluate page's choices (the confusion cell shown)
OWN_DATA = "cnnviz_own_data"  # the student's own pictures, a cnnviz.data.own_data.OwnData
OWN_DATA_PAGE = "cnnviz_own_data_page"  # the My data page's notes and widget generations
# The lessons: progress ({"done": [...], "right": {...}}) and the lessons' shared choices (the
# picture and lesson 2's kernel), plain JSON data only (cnnviz.lessons.progress).
LESSONS = "cnnviz_lessons"
NAME = "cnnviz_name"  # the student's display name, as they typed it (plain text)
# The ids of the teacher's hand-outs this student loaded or dismissed (issue 19): plain JSON.
HANDOUTS_DONE = "cnnviz_handouts_done"
# A message about keeping the work (a disk quota reached), shown on the next page drawn.
STORAGE_NOTICE = "cnnviz_storage_notice"

DEFAULT_DATASET = "mnist"
# The settings the Train page shows, starting from TrainingSettings's own defaults (the seed and
# the validation share are not shown and keep theirs).
TRAIN_PAGE_SETTINGS = (
    "epochs",
    "batch_size",
    "optimizer",
    "learning_rate",
    "lr_schedule",
    "label_smoothing",
    "test_time_flip",
    "mixed_precision",
    "train_limit",
)
DEFAULT_TRAIN_SETTINGS = {name: getattr(TrainingSettings(), name) for name in TRAIN_PAGE_SETTINGS}


def preset_train_settings(preset_name: str, input_shape: tuple[int, ...]) -> dict:
    """The Train page's settings for a preset: the ones it was tuned with, defaults for the rest."""
    suggested = presets.PRESETS[preset_name].settings_for(input_shape)
    return {name: suggested.get(name, default) for name, default in DEFAULT_TRAIN_SETTINGS.items()}


def fill_defaults(state: dict) -> None:
    """Give every key of a workspace dict its first value where it has none."""
    if DATASET not in state:
        state[DATASET] = DEFAULT_DATASET
    if SPEC not in state:
        info = DATASETS[state[DATASET]] if state[DATASET] in DATASETS else DATASETS[DEFAULT_DATASET]
        spec = presets.preset_spec(presets.DEFAULT_PRESET, info.input_shape, info.num_classes)
        next_id = state.get(NEXT_LAYER_ID, 1)
        state[SPEC] = spec
        state[LAYER_IDS] = list(range(next_id, next_id + len(spec.get("layers", []))))
        state[NEXT_LAYER_ID] = next_id + len(spec.get("layers", []))
    state.setdefault(SPEC_UNDO, None)
    if TRAIN_SETTINGS not in state:
        # The default preset's settings; its only shape-dependent one (test-time flips) is off
        # for it anyway, so the default data set's shape serves whatever the data set is.
        state[TRAIN_SETTINGS] = preset_train_settings(
            presets.DEFAULT_PRESET, DATASETS[DEFAULT_DATASET].input_shape
        )
    state.setdefault(JOB, None)
    state.setdefault(JOB_RUN_ID, None)
    state.setdefault(RECORDED, None)
    state.setdefault(INSPECT, {"source": "test", "index": 0, "upload": None})
    state.setdefault(LESSONS, lesson_progress.empty())
    if RUNS not in state:
        # Imported here so the first screen does not wait for what the runs need.
        from cnnviz.training.runs import RunHistory

        state[RUNS] = RunHistory()
