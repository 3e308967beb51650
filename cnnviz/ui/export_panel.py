"""The Build page's export and share section: code, the trained model, a share link, and
loading a .keras model as the current one."""

from __future__ import annotations

import streamlit as st

from cnnviz import quantities
from cnnviz.data import file_reading
from cnnviz.data.datasets import DATASETS
from cnnviz.export import python_code, share_links
from cnnviz.training.job_state import JobState
from cnnviz.ui import data as data_choice
from cnnviz.ui import jobs, share
from cnnviz.ui import state as keys

KERAS_ADVICE = (
    "A model within this server's parameter limit is smaller, even saved with its optimizer's "
    "state; `cnnviz inspect --model` reads larger files on the command line."
)


def _current_job(spec: dict, info):
    """The session's model when it was built from these layers on this data set, else None."""
    job = keys.workspace()[keys.JOB]
    if job is None or job.spec != spec or job.dataset.info.name != info.name:
        return None
    return job


def export_panel(spec: dict, dataset, error) -> None:
    """Draw the section; `error` is the spec's first problem (None when it is valid)."""
    info = dataset.info
    st.header("Export and share")
    if error is not None:
        st.info("Fix the layers first: code and links are written for a network that works.")
    else:
        _share_and_code(spec, info)
    _trained_model(spec, info)
    _load_model(dataset)


def _share_and_code(spec: dict, info) -> None:
    link_column, code_column = st.columns(2, gap="large")
    with link_column:
        st.subheader("Share link")
        try:
            url = share.share_url(spec, info.name)
        except share_links.ShareLinkError as problem:
            st.warning(str(problem))
        else:
            st.code(url, language=None, wrap_lines=True)
            st.caption(
                f"Copy it (the button at the right of the box) and send it: opening it loads "
                f"these layers for {info.title}. It holds only the layers, not your training."
            )
    with code_column:
        st.subheader("Code")
        # A layer the generator cannot write yet is explained in place of its code.
        keras_text = _code_or_problem(python_code.keras_code, spec, info)
        pytorch_text = _code_or_problem(python_code.pytorch_code, spec, info)
        columns = st.columns(2)
        for column, (framework, text) in zip(
            columns, (("Keras", keras_text), ("PyTorch", pytorch_text)), strict=True
        ):
            if isinstance(text, str):
                column.download_button(
                    f"{framework} code (.py)",
                    text,
                    file_name=f"cnnviz_{framework.lower()}_model.py",
                    mime="text/x-python",
                    icon=":material/code:",
                    on_click="ignore",
                    width="stretch",
                )
        for framework, text in (("Keras", keras_text), ("PyTorch", pytorch_text)):
            with st.expander(f"Show the {framework} code"):
                if isinstance(text, str):
                    st.code(text, language="python")
                else:
                    st.warning(str(text))


def _code_or_problem(write, spec: dict, info) -> str | ValueError:
    try:
        return write(spec, info.input_shape, info.num_classes)
    except ValueError as problem:
        return problem


def _trained_model(spec: dict, info) -> None:
    st.subheader("Trained model (.keras)")
    job = _current_job(spec, info)
    if job is None or job.state == JobState.READY:
        st.caption("Train these layers first; the trained model can then be downloaded here.")
        return
    if job.is_active:
        st.caption(f"{job.name} is still training; its model can be downloaded when it ends.")
        return
    # Imported here: saving needs TensorFlow, which the Build page does not load otherwise.
    from cnnviz.export import model_files

    model = job.model
    st.download_button(
        f"Download {job.name} (.keras)",
        # Written only when clicked: saving takes a moment and most visits do not download.
        lambda: model_files.save_keras_bytes(model),
        file_name="cnnviz_model.keras",
        mime="application/octet-stream",
        icon=":material/file_download:",
        on_click="ignore",
        help="Architecture and weights. Load it here, or in Keras with "
        "keras.saving.load_model('cnnviz_model.keras').",
    )


def _load_model(dataset) -> None:
    info = dataset.info
    uploaded = st.file_uploader(
        "Load a trained model (.keras)",
        type=["keras"],
        key="keras_upload",
        help="A model saved by cnnviz, or a Keras model made of the layers cnnviz offers and "
        "starting with Rescaling(1/255). It becomes your current model, ready to inspect and "
        f"evaluate. At most {quantities.format_bytes(file_reading.UPLOAD_KERAS_BYTES)}.",
    )
    if uploaded is None or st.session_state.get("keras_upload_done") == uploaded.file_id:
        return
    st.session_state["keras_upload_done"] = uploaded.file_id
    from cnnviz.export import model_files

    with st.spinner(f"Loading {uploaded.name}..."):
        try:
            # The uploader's own cap, in cnnviz's words (the browser lets up to the server's
            # cap through, so Streamlit never answers with its own refusal below it).
            file_reading.check_upload(
                "The file", uploaded.size, file_reading.UPLOAD_KERAS_BYTES, KERAS_ADVICE
            )
            loaded = model_files.load_keras_bytes(uploaded.getvalue(), info.title)
        except ValueError as problem:
            st.error(f"Could not load {uploaded.name}: {problem} Your work is unchanged.")
            return
    own = data_choice.own_dataset()
    candidates = [*DATASETS.values(), *([own.info] if own is not None else [])]
    mismatch = model_files.dataset_mismatch(uploaded.name, loaded, info, candidates)
    if mismatch is not None:
        st.error(mismatch)
        return
    adopt_model(loaded, dataset, uploaded.name)
    st.rerun()


def adopt_model(loaded, dataset, file_name: str) -> None:
    """Make a loaded model the session's current model, with its layers in the editor.

    It becomes a finished run named after the file, with its test accuracy measured, so
    Inspect, Evaluate and Compare show it as they show a run trained here.
    """
    from cnnviz.explain import evaluation
    from cnnviz.training.job import TrainingJob
    from cnnviz.training.settings import TrainingSettings

    state = keys.workspace()
    # The model it replaces keeps its run in Compare and lets go of its memory.
    jobs.reset_job()
    settings = TrainingSettings(**state[keys.TRAIN_SETTINGS])
    job = TrainingJob(loaded.spec, dataset, settings, model=loaded.model, name=file_name)
    result = evaluation.shared_cache.get(
        job.model,
        evaluation.job_version(job),
        dataset.x_test,
        dataset.y_test,
        dataset.info.class_names,
        flip=job.settings.test_time_flip,
    )
    job.mark_trained_elsewhere(f"Loaded from {file_name}.", result.accuracy)
    state[keys.JOB] = job
    state[keys.JOB_RUN_ID] = state[keys.RUNS].new_run_id()
    keys.set_spec(loaded.spec, remember_undo=True)
    st.session_state[share.NOTICE] = (
        "success",
        f"Loaded {file_name}: {len(loaded.spec['layers'])} layers with their trained weights "
        f"({result.accuracy:.2%} on the test images). Inspect and Evaluate now show it.",
    )
