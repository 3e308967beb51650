"""Share links in the app: loading the spec a link carries when a page opens.

A share link is any page's address with a `spec` query parameter (cnnviz.export.share_links). The
parameter is taken out of the address as soon as it is read, so reloading the page does not
load it again over later edits; every other parameter (such as the workspace id) stays.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.data.datasets import DATASETS
from cnnviz.export import share_links
from cnnviz.ui import state as keys

# Session-state key of a message about a link, shown on the next page drawn (a UI message, not
# part of the user's work: it must not survive into another session).
NOTICE = "cnnviz_share_notice"


def read_share_link() -> None:
    """Load the spec of a share link in the address, if there is one; say how it went.

    A broken link changes nothing: the message says what is wrong and that the layers are
    unchanged. A good one replaces the layers (Undo on the Build page brings them back) and
    switches to the data set the spec was shared for.
    """
    token = st.query_params.get(share_links.QUERY_PARAMETER)
    if token is not None:
        del st.query_params[share_links.QUERY_PARAMETER]
        st.session_state[NOTICE] = load_token(token)
    notice = st.session_state.pop(NOTICE, None)
    if notice is not None:
        kind, message = notice
        if kind == "success":
            st.success(message, icon=":material/link:")
        else:
            st.error(message, icon=":material/link_off:")


def load_token(token: str) -> tuple[str, str]:
    """Apply a share-link token to the workspace; return ("success" or "error", message)."""
    try:
        spec = share_links.decode_spec(token)
    except share_links.ShareLinkError as problem:
        return "error", f"{problem} Your layers are unchanged."
    except ValueError as problem:  # a SpecError: a well-formed link with unusable layers
        return (
            "error",
            f"The share link's layers cannot be used: {problem} Your layers are unchanged.",
        )
    state = keys.workspace()
    dataset = spec.get("dataset")
    switched = ""
    if dataset in DATASETS and dataset != state[keys.DATASET]:
        state[keys.DATASET] = dataset
        switched = f" The data set is now {DATASETS[dataset].title}, as it was shared."
    keys.set_spec(spec, remember_undo=True)
    title = f"“{spec['name']}”" if spec.get("name") else "a network"
    return (
        "success",
        f"Loaded {title} from the share link: {len(spec['layers'])} layers.{switched} "
        f"Undo on the Build page brings back your own layers.",
    )


def share_url(spec: dict, dataset_name: str) -> str:
    """The link that opens this spec on the Build page, for this data set."""
    shared = {**spec, "dataset": dataset_name}
    # st.context.url is this page's address without its query (so without private parameters);
    # outside a browser (tests, scripts) there is none, and the link is relative.
    page_url = st.context.url or "build"
    if not page_url.rstrip("/").endswith("/build") and page_url != "build":
        page_url = page_url.rstrip("/") + "/build"
    return share_links.share_url(page_url, shared)
