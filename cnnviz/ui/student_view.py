"""A student's network, curves and confusion matrix, for the teacher: read-only.

Everything is read from the store (the kept spec, the run's history, its checkpoint); the
student's workspace is never attached, loaded into the registry or changed, and its address is
never shown.
"""

from __future__ import annotations

import logging

import streamlit as st

from cnnviz.classroom import names, overview
from cnnviz.figures import architecture, confusion, training_curves
from cnnviz.model import diagram
from cnnviz.ui import keeping, saving
from cnnviz.ui.shared_data import load_shared_dataset

_LOGGER = logging.getLogger(__name__)
_CONFUSION = "cnnviz_teacher_confusion"  # (workspace, run, updated) -> matrix, this session


def _dataset(row: overview.StudentRow, run_id: int | None):
    name = (row.latest_run.record.get("dataset") if row.latest_run else None) or None
    name = name or str(row.dataset)
    try:
        if run_id is not None:
            return keeping.load_dataset_of_run(
                saving.store(),
                row.workspace_id,
                run_id,
                name,
                lambda shared: load_shared_dataset(shared, None),
            )
        return load_shared_dataset(name, None)
    except (ValueError, OSError):
        return None


def _confusion_matrix(row: overview.StudentRow, dataset):
    """The run's confusion matrix on the test split, from its kept checkpoint; None without."""
    run = row.latest_run
    cache_key = (row.workspace_id, run.run_id, run.updated_at)
    kept = st.session_state.get(_CONFUSION)
    if kept is not None and kept[0] == cache_key:
        return kept[1]
    blob = saving.store().get_blob(row.workspace_id, keeping.checkpoint_blob(run.run_id))
    if blob is None:
        return None
    # TensorFlow loads here, only when the teacher asks for a confusion matrix.
    from cnnviz.cluster import executors
    from cnnviz.explain import evaluation
    from cnnviz.training import checkpoints

    job = executors.restore_job(
        run.record["spec"],
        dataset,
        checkpoints.Checkpoint.from_bytes(blob),
        name=f"Run {run.run_id} (teacher's copy)",
        executor=executors.Executor.LOCAL,
    )
    try:
        result = evaluation.evaluate(
            job.model, dataset.x_test, dataset.y_test, dataset.info.class_names
        )
    finally:
        job.dispose()
    st.session_state[_CONFUSION] = (cache_key, result.confusion)
    return result.confusion


def show(row: overview.StudentRow) -> None:
    """Draws one student's work, read-only."""
    who = names.display_name(row.name, row.number)
    st.subheader(f"{names.markdown_text(who)}'s network", anchor=False)
    st.caption("Read-only: nothing here changes the student's work.")
    run = row.latest_run
    dataset = _dataset(row, run.run_id if run else None)
    if dataset is not None:
        info = dataset.info
        network = diagram.build_diagram(row.spec, info.input_shape, info.num_classes)
        st.plotly_chart(architecture.plot_architecture(network), key="teacher_student_diagram")
    else:
        st.write(row.layers)
    if run is None:
        st.info("No training yet: no curves or confusion matrix to show.")
        return
    st.markdown(f"**Run {run.run_id}**: {names.markdown_text(row.state)}")
    st.plotly_chart(
        training_curves.plot_history(run.record.get("history") or {}),
        key="teacher_student_curves",
    )
    if dataset is None:
        st.info("The data set this run trained on is not on the server any more.")
        return
    if st.toggle("Show the confusion matrix (evaluates the model on the test images)"):
        try:
            with st.spinner("Evaluating the student's model..."):
                matrix = _confusion_matrix(row, dataset)
        except (ValueError, OSError) as error:
            _LOGGER.warning("a student's model could not be evaluated: %s", error)
            matrix = None
        if matrix is None:
            st.info("This run has no kept model (yet): no confusion matrix to show.")
        else:
            st.plotly_chart(
                confusion.plot_confusion_matrix(matrix, dataset.info.class_names),
                key="teacher_student_confusion",
            )
