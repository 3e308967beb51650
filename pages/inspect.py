"""Inspect page: what the network makes of one image, layer by layer, and why it decides."""

import streamlit as st

from cnnviz.explain import inspection
from cnnviz.figures import images, predictions
from cnnviz.training.job_state import JobState
from cnnviz.ui import data, frame, inspect_image, inspect_views, jobs
from cnnviz.ui import state as keys

frame.page_setup()

st.title("Look inside")
# The model's own data set when the sidebar names another (cnnviz.training.model_data).
job, dataset = jobs.current_model_job(data.current_dataset(), "shows what it learned")
info = dataset.info
if job.is_active:
    st.caption(f"{job.name} is still training: you see its weights as they are right now.")
elif job.state == JobState.READY:
    st.caption(f"{job.name} is not trained yet: its filters are still random.")
choices = keys.workspace()[keys.INSPECT]

# ----- replay: every view below shows the model as it was after the chosen epoch -----
snapshots = job.weight_snapshots()
epoch_options = [*(epoch for epoch, _ in snapshots), "now"]
when = st.select_slider(
    "Weights after epoch",
    epoch_options,
    value="now",
    format_func=lambda value: "latest" if value == "now" else f"{value:g}",
    help="Replay training: epoch 0 is the random start. Everything below follows this slider.",
    disabled=len(epoch_options) < 2,
    key="inspect_epoch",
)
if when == "now":
    model = job.model
    choices.pop("replay", None)
    epoch_text = "latest weights"
else:
    replay_key = (id(job), when)
    stored = choices.get("replay")
    if stored is None or stored[0] != replay_key:
        # One copy at a time: the previous epoch's copy is dropped here.
        stored = choices["replay"] = (
            replay_key,
            inspection.model_with_weights(job.model, dict(snapshots)[when]),
        )
    model = stored[1]
    epoch_text = f"after epoch {when:g}"

# ----- the image -----
st.header("The image")
chosen = inspect_image.choose_image(dataset, choices)
if chosen is None:
    st.stop()
# The same look Evaluate takes: with the run's test-time flips, the mean of the image and its
# mirror image, so the two pages agree on what the network guesses for one image.
flip = job.settings.test_time_flip
probabilities = inspection.predict_probabilities(model, chosen.prepared[None], flip=flip)[0]
predicted = int(probabilities.argmax())
original_column, prepared_column, guesses_column = st.columns([1, 1, 2])
with original_column:
    if chosen.original is not None:
        st.plotly_chart(
            images.plot_image(chosen.original, title=f"Yours: {chosen.origin}"),
            width="stretch",
        )
    else:
        st.metric("True class", chosen.true_label or "?")
        st.caption(chosen.origin)
with prepared_column:
    st.plotly_chart(images.plot_image(chosen.prepared, title="What the network takes"))
    if chosen.note:
        st.caption(chosen.note)
with guesses_column:
    top = sorted(enumerate(probabilities), key=lambda pair: -pair[1])[:3]
    st.plotly_chart(
        predictions.plot_predictions(
            [(info.class_names[index], float(value)) for index, value in top],
            title=f"The network's top guesses ({epoch_text})",
        ),
        width="stretch",
    )
    if flip:
        st.caption(
            "With test-time flips, as this run was trained and Evaluate measures: each guess is "
            "the mean of the network's answers for the image and its mirror image."
        )

augmentation = inspection.leading_augmentation(job.spec)
if augmentation:
    names = [layer["type"] for layer in augmentation]
    with st.expander(f"What training sees: this image after {', '.join(names)}"):
        if st.button("New copies", icon=":material/casino:", key="inspect_new_copies"):
            choices["augment_seed"] = choices.get("augment_seed", 0) + 1
        copies = inspection.augmented_copies(
            chosen.prepared, augmentation, count=8, seed=choices.get("augment_seed", 0)
        )
        st.plotly_chart(images.plot_augmented_copies(copies, names), width="stretch")
        st.caption(
            "In training, every epoch shows the network a new random copy like these, so it "
            "cannot learn the pictures by heart. Everything else on this page, and every test, "
            "uses the image unchanged."
        )

# ----- the views -----
view = st.segmented_control(
    "View",
    list(inspect_views.VIEWS),
    default=choices.get("view", "overview"),
    format_func=inspect_views.VIEWS.get,
    key="inspect_view",
)
choices["view"] = view = view or choices.get("view", "overview")
if view == "overview":
    inspect_views.show_overview(model, job.spec, chosen.prepared, info.class_names)
elif view == "looked":
    inspect_views.show_where_it_looked(model, chosen.prepared, info.class_names, predicted)
elif view == "filters":
    inspect_views.show_filters(model, epoch_text, choices)
else:
    inspect_views.show_statistics(model, job.spec, dataset)
