"""The only part of cnnviz that imports Streamlit: session state, shared widgets, patches."""
