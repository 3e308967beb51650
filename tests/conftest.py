"""Shared test set-up.

The environment is fixed at import time, before any test module imports cnnviz or TensorFlow,
so that no test ever reaches for the network or a developer's own data folder.
"""

import os

os.environ["CNNVIZ_OFFLINE"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.pop("CNNVIZ_DATA_DIR", None)
