"""Evaluate page: test accuracy, per-class figures, the confusion matrix and the mistakes."""

import numpy as np
import streamlit as st

from cnnviz.explain import evaluation
from cnnviz.figures import confusion
from cnnviz.training.job_state import JobState
from cnnviz.ui import data, frame, jobs
from cnnviz.ui import state as keys

# Images shown for a chosen cell and in the mistakes gallery, and per row.
CELL_IMAGES = 18
MISTAKE_IMAGES = 12
IMAGES_PER_ROW = 6
THUMBNAIL_PIXELS = 84  # small images are enlarged by whole pixels to about this size

frame.page_setup()

st.title("Evaluate your model")
# The model's own data set when the sidebar names another (cnnviz.training.model_data).
job, dataset = jobs.current_model_job(data.current_dataset(), "shows where it goes wrong")
info = dataset.info
if job.is_active:
    st.info(
        f"{job.name} is still training. Its evaluation appears here when it finishes, or as "
        f"soon as you stop it."
    )
    st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")
    st.stop()
if job.state == JobState.READY:
    st.caption(f"{job.name} is not trained yet: its answers are still guesses.")

with st.spinner(f"Evaluating {job.name} on {len(dataset.x_test):,} test images..."):
    # Computed once per model and training progress; reruns (every click) reuse it.
    result = evaluation.shared_cache.get(
        job.model,
        evaluation.job_version(job),
        dataset.x_test,
        dataset.y_test,
        info.class_names,
        flip=job.settings.test_time_flip,
    )
names = info.class_names
choices = keys.workspace().setdefault(keys.EVALUATE, {"cell": None})
if choices["cell"] is None or max(choices["cell"]) >= len(names):
    # Start on the most common confusion: the cell students learn most from.
    choices["cell"] = result.most_common_mistake()

first, second, third = st.columns(3)
first.metric(
    "Test accuracy",
    f"{result.accuracy:.2%}",
    help="Each test image judged by the mean of the network's answers for it and for its "
    "mirror image (test-time flip, as trained)."
    if job.settings.test_time_flip
    else None,
)
second.metric("Test images", f"{result.count:,}")
third.metric("Mistakes", f"{result.count - int(np.trace(result.confusion)):,}")
if dataset.is_sample:
    st.caption(f"On the bundled sample's {result.count:,} test images. {dataset.sample_notice()}")


def thumbnail(image: np.ndarray) -> np.ndarray:
    """The image enlarged by whole pixels, so small digits stay sharp."""
    factor = max(1, THUMBNAIL_PIXELS // image.shape[0])
    enlarged = np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)
    return enlarged[..., 0] if enlarged.shape[-1] == 1 else enlarged


def gallery(indices: np.ndarray, where: str) -> None:
    """Images with their true class and top guesses, each with a button to inspect it."""
    for start in range(0, len(indices), IMAGES_PER_ROW):
        columns = st.columns(IMAGES_PER_ROW)
        for column, index in zip(columns, indices[start : start + IMAGES_PER_ROW], strict=False):
            index = int(index)
            with column, st.container(border=True):
                st.image(thumbnail(dataset.x_test[index]), caption=f"test image {index}")
                guesses = "  \n".join(f"{name}: {p:.0%}" for name, p in result.guesses(index))
                st.caption(f"true: **{names[int(result.labels[index])]}**  \nguesses:  \n{guesses}")
                if st.button(
                    "Inspect",
                    key=f"evaluate_open_{where}_{index}",
                    icon=":material/visibility:",
                    help="Open this image on the Inspect page.",
                ):
                    inspect_choices = keys.workspace()[keys.INSPECT]
                    inspect_choices.update({"source": "test", "index": index})
                    st.switch_page("pages/inspect.py")


# ----- confusion matrix and per-class figures -----
matrix_column, classes_column = st.columns([3, 2], gap="large")
with matrix_column:
    st.subheader("Confusion matrix")
    st.caption(
        "Each row is a true class, each column what the network said. The diagonal holds its "
        "right answers; click any other cell to see those mistakes below."
    )
    event = st.plotly_chart(
        confusion.plot_confusion_matrix(result.confusion, names, choices["cell"]),
        on_select="rerun",
        selection_mode="points",
        key="evaluate_confusion",
    )
    clicked = [
        tuple(int(value) for value in point["customdata"][:2])
        for point in (event.selection.get("points", []) if event else [])
        if point.get("customdata") is not None
    ]
    # The chart keeps its selection across reruns: act on a click only once, so the class
    # choosers below can still change the cell afterwards.
    if not clicked:
        # A second click on the chosen cell clears the chart's selection; the next one counts.
        st.session_state.pop("evaluate_last_click", None)
    elif clicked[0] != st.session_state.get("evaluate_last_click"):
        st.session_state["evaluate_last_click"] = clicked[0]
        choices["cell"] = clicked[0]
        st.rerun()
with classes_column:
    st.subheader("Per class")
    metrics = result.class_metrics()
    st.dataframe(
        {
            "class": list(names),
            "images": metrics["support"].tolist(),
            "precision": (metrics["precision"] * 100).round(1).tolist(),
            "recall": (metrics["recall"] * 100).round(1).tolist(),
            "accuracy": (metrics["accuracy"] * 100).round(1).tolist(),
        },
        hide_index=True,
        column_config={
            name: st.column_config.NumberColumn(name, format="%.1f %%", help=meaning)
            for name, _, meaning in confusion.METRIC_BARS
        },
    )
    st.plotly_chart(confusion.plot_class_metrics(metrics, names))

# ----- one cell's images -----
st.subheader("Images in a cell")
true_column, predicted_column, _ = st.columns([1, 1, 2])


def choose_cell() -> None:
    choices["cell"] = (st.session_state["evaluate_true"], st.session_state["evaluate_predicted"])


for column, label, key, position in (
    (true_column, "True class", "evaluate_true", 0),
    (predicted_column, "Predicted class", "evaluate_predicted", 1),
):
    st.session_state[key] = choices["cell"][position]
    column.selectbox(
        label,
        range(len(names)),
        format_func=lambda value: names[value],
        key=key,
        on_change=choose_cell,
    )
true_class, predicted_class = choices["cell"]
in_cell = result.cell_indices(true_class, predicted_class)
what = "right" if true_class == predicted_class else "mistaken"
if len(in_cell) == 0:
    st.info(f"No test image of {names[true_class]} was taken for {names[predicted_class]}.")
else:
    st.markdown(
        f"**{len(in_cell):,}** test images of **{names[true_class]}** predicted as "
        f"**{names[predicted_class]}** ({what})"
        + (f"; the {CELL_IMAGES} most confident:" if len(in_cell) > CELL_IMAGES else ":")
    )
    gallery(in_cell[:CELL_IMAGES], "cell")

# ----- most confident mistakes -----
st.subheader("Most confident mistakes")
st.caption(
    "The wrong answers the network was surest of. Some are mislabelled or truly ambiguous "
    "images; others show what the network has not learned yet."
)
mistakes = result.most_confident_mistakes(MISTAKE_IMAGES)
if len(mistakes) == 0:
    st.success("No mistakes on the test images.")
else:
    gallery(mistakes, "mistake")
