"""Train page: settings, Train / Stop / Continue / Reset, and curves drawn while it learns."""

import streamlit as st

from cnnviz.figures import training_curves
from cnnviz.training import lr_schedules, precision
from cnnviz.training import settings as training_settings
from cnnviz.training.job_state import JobState
from cnnviz.ui import class_controls, data, frame, jobs
from cnnviz.ui import state as keys

frame.page_setup(show_job_status=False)

BATCH_SIZES = [16, 32, 64, 128, 256, 512]
LEARNING_RATES = [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]
LABEL_SMOOTHINGS = [0.0, 0.05, 0.1, 0.2, 0.3]
BFLOAT16_NATIVE = precision.bfloat16_is_native()

st.title("Train")
dataset = data.current_dataset()
info = dataset.info
spec = keys.workspace()[keys.SPEC]
# The server's epoch limit (or the teacher's lower cap) bounds the box; without one, a generous
# bound keeps it a number box.
MAX_EPOCHS = class_controls.max_epochs() or 1000
# The server's limits, then the class's caps (issue 20), each with its own message.
spec_error = class_controls.training_problem(spec, info, keys.workspace()[keys.TRAIN_SETTINGS])
job = keys.workspace()[keys.JOB]
if dataset.is_sample:
    st.caption(
        f":material/info: Training on the bundled sample of {info.title} "
        f"({len(dataset.x_train):,} images). The Start page says how to get the full set.",
        help=dataset.sample_notice(),
    )

# ----- settings (kept in session state so they survive page switches) -----
saved = {**keys.DEFAULT_TRAIN_SETTINGS, **keys.workspace()[keys.TRAIN_SETTINGS]}
with st.container(border=True):
    st.markdown("**Settings**")
    columns = st.columns(5)
    epochs = columns[0].number_input(
        "Epochs",
        min_value=1,
        max_value=MAX_EPOCHS,
        value=min(saved["epochs"], MAX_EPOCHS),
        help="How many times the network sees every training image.",
    )
    batch_size = columns[1].selectbox(
        "Batch size",
        BATCH_SIZES,
        index=BATCH_SIZES.index(saved["batch_size"]),
        help="Images per weight update. Smaller batches update more often but more noisily.",
    )
    optimizer = columns[2].selectbox(
        "Optimizer",
        list(training_settings.OPTIMIZER_NAMES),
        index=list(training_settings.OPTIMIZER_NAMES).index(saved["optimizer"]),
        format_func=training_settings.OPTIMIZER_TITLES.get,
        help="How the weights move downhill on the loss. Adam is a good default.",
    )
    # A preset's own rate (e.g. 0.002) joins the choices rather than being rounded away.
    learning_rates = sorted({*LEARNING_RATES, saved["learning_rate"]})
    learning_rate = columns[3].select_slider(
        "Learning rate",
        learning_rates,
        value=saved["learning_rate"],
        help="The size of each step. Too large and training diverges; too small and it crawls. "
        "With a schedule, the largest step.",
    )
    full_count = len(dataset.x_train)
    limit_default = saved["train_limit"] or full_count
    train_limit = columns[4].number_input(
        "Training images",
        # An own data set can hold fewer than 100 training images.
        min_value=min(100, full_count),
        max_value=full_count,
        value=min(limit_default, full_count),
        step=500,
        help=f"Train on a subset for speed; {full_count:,} are available. "
        "A tenth of them is held out to validate after each epoch.",
    )
    recipe = st.columns(5, vertical_alignment="bottom")
    lr_schedule = recipe[0].selectbox(
        "Learning-rate schedule",
        list(lr_schedules.SCHEDULE_NAMES),
        index=list(lr_schedules.SCHEDULE_NAMES).index(saved["lr_schedule"]),
        format_func=lr_schedules.SCHEDULE_TITLES.get,
        help="Constant keeps the rate. Cosine decay lowers it smoothly to zero by the last "
        "batch. One cycle raises it over the first quarter, then lowers it to zero: big steps "
        "while the network finds its way, small ones to settle. Each Train or Continue runs "
        "one whole schedule.",
    )
    label_smoothing = recipe[1].select_slider(
        "Label smoothing",
        sorted({*LABEL_SMOOTHINGS, saved["label_smoothing"]}),
        value=saved["label_smoothing"],
        help="Train towards 90 % (at 0.1) for the true class instead of 100 %, the rest spread "
        "over the others: the network stops pushing its confidence ever higher and often "
        "generalises better. Its loss curves stay above zero even for perfect answers.",
    )
    test_time_flip = recipe[2].checkbox(
        "Test-time flip",
        value=saved["test_time_flip"],
        help="Judge each test image by the mean of the network's answers for it and for its "
        "mirror image. For photos (CIFAR-10); a mirrored digit is another symbol.",
    )
    mixed_precision = recipe[3].checkbox(
        "bfloat16 arithmetic",
        value=saved["mixed_precision"],
        help="Compute in 16-bit bfloat16 while training; the weights stay 32-bit. About 1.5x "
        "faster on processors with bfloat16 instructions"
        + (
            " (this server has them)."
            if BFLOAT16_NATIVE
            else "; this server lacks them, so here it is slower."
        )
        + " Test accuracy, Inspect and Evaluate always compute in 32-bit.",
    )
settings_dict = {
    "epochs": int(epochs),
    "batch_size": int(batch_size),
    "optimizer": optimizer,
    "learning_rate": float(learning_rate),
    "lr_schedule": lr_schedule,
    "label_smoothing": float(label_smoothing),
    "test_time_flip": bool(test_time_flip),
    "mixed_precision": bool(mixed_precision),
    "train_limit": None if train_limit >= full_count else int(train_limit),
}
keys.workspace()[keys.TRAIN_SETTINGS] = settings_dict
settings = training_settings.TrainingSettings(**settings_dict)

# ----- buttons -----
active = job is not None and job.is_active
same_model = job is not None and job.spec == spec and job.dataset.info.name == info.name
buttons = st.columns([1, 1, 1, 1, 3])
if buttons[0].button(
    "Train",
    type="primary",
    icon=":material/play_arrow:",
    disabled=active or spec_error is not None,
    help="Build a fresh model from your layers and train it.",
    width="stretch",
):
    jobs.start_training(spec, dataset, settings)
    st.rerun()
if buttons[1].button(
    "Stop",
    icon=":material/stop:",
    disabled=not active,
    help="Stop after the current batch. What it learned so far is kept.",
    width="stretch",
):
    jobs.stop_training()
    st.rerun()
if buttons[2].button(
    "Continue",
    icon=":material/fast_forward:",
    disabled=active or job is None or job.state == JobState.READY or not same_model,
    help=f"Train the same model for {int(epochs)} more epoch(s), keeping its weights.",
    width="stretch",
):
    try:
        jobs.continue_training(int(epochs), settings)
    except ValueError as error:
        st.error(str(error), icon=":material/dns:")
    else:
        st.rerun()
if buttons[3].button(
    "Reset",
    icon=":material/restart_alt:",
    disabled=job is None,
    help="Forget the current model (its run stays on the Compare page).",
    width="stretch",
):
    jobs.reset_job()
    st.rerun()

if spec_error is not None:
    st.error(f"Training cannot start yet: {spec_error}", icon=":material/error:")
    st.page_link("pages/build.py", label="Fix them on the Build page", icon=":material/build:")
if job is not None and not same_model:
    st.caption(
        f"The model below ({job.name}) was built from earlier layers or another data set. "
        "Train builds one from your current layers."
    )


# ----- live progress: redrawn every second while the job runs -----
@st.fragment(run_every=1.0 if active else None)
def live_progress() -> None:
    current = keys.workspace()[keys.JOB]
    if current is None:
        st.info("Press **Train** to start. Curves appear here as the network learns.")
        return
    status = current.status()
    st.markdown(f"#### {current.name}")
    st.write(jobs.describe_status(current.name, status))
    if status.state == JobState.RUNNING and status.target_epochs:
        st.progress(min(1.0, status.progress / status.target_epochs))
    if status.state == JobState.QUEUED:
        st.caption(jobs.queue_summary(status))
    if status.state == JobState.DIVERGED:
        st.error(status.message, icon=":material/warning:")
    elif status.state == JobState.FAILED:
        st.error(status.message, icon=":material/error:")
    elif status.warning and status.state == JobState.RUNNING:
        st.warning(status.warning, icon=":material/trending_flat:")
    metrics = st.columns(5)
    metrics[0].metric("Epochs done", f"{status.progress:.2f}".rstrip("0").rstrip("."))
    speed = status.samples_per_second
    metrics[1].metric("Images / second", f"{speed:,.0f}" if speed else "--")
    metrics[2].metric("Elapsed", jobs.format_duration(status.elapsed_seconds))
    metrics[3].metric("Time left", jobs.format_duration(status.eta_seconds))
    accuracy = status.test_accuracy
    metrics[4].metric(
        "Test accuracy",
        f"{accuracy:.2%}" if accuracy is not None else "--",
        help=f"Measured on the {len(dataset.x_test):,} test images after training.",
    )
    st.plotly_chart(training_curves.plot_history(status.history))
    if active and not current.is_active:
        jobs.record_finished_job()
        st.rerun()


live_progress()
