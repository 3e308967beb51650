"""Compare page: overlay the curves of chosen runs and set their settings side by side."""

import streamlit as st

from cnnviz.figures import training_curves
from cnnviz.model import spec as spec_module
from cnnviz.ui import frame
from cnnviz.ui import state as keys

frame.page_setup()

st.title("Compare runs")
history = keys.workspace()[keys.RUNS]
records = history.records()
if not records:
    st.info(
        "No runs yet. Every training you finish or stop is kept here, so you can compare, "
        "for example, two learning rates or a network with and without dropout."
    )
    st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")
    st.stop()

names = {record.run_id: record.name for record in records}
chosen_ids = st.multiselect(
    "Runs to compare",
    list(names),
    default=[record.run_id for record in records[-4:]],
    format_func=names.get,
    key="compare_runs",
)
chosen = [record for record in records if record.run_id in chosen_ids]
if not chosen:
    st.info("Pick at least one run above.")
    st.stop()

st.plotly_chart(
    training_curves.plot_compare([(record.name, record.history) for record in chosen]),
    width="stretch",
)
st.dataframe([record.summary_row() for record in chosen], hide_index=True)
st.caption(
    f"The session keeps your last {history.max_runs} runs. Solid lines: validation; dashed: "
    "training."
)

st.subheader("Each run's layers")
for record in chosen:
    with st.expander(f"{record.name}: {len(record.spec['layers'])} layers, {record.dataset}"):
        st.write(", ".join(spec_module.describe_layer(layer) for layer in record.spec["layers"]))
        columns = st.columns(2)
        if columns[0].button(
            "Edit these layers on the Build page",
            key=f"load_run_{record.run_id}",
            icon=":material/construction:",
        ):
            keys.set_spec(record.spec, remember_undo=True)
            st.switch_page("pages/build.py")
        if columns[1].button(
            "Remove this run", key=f"remove_run_{record.run_id}", icon=":material/delete:"
        ):
            history.remove(record.run_id)
            st.rerun()
        st.code(spec_module.to_json(record.spec), language="json")
