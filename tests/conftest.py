"""Shared test set-up and fixtures (plain helper functions are in tests/helpers/).

The environment is fixed at import time, before any test module imports cnnviz or TensorFlow,
so that no test ever reaches for the network or a developer's own data folder. Fixtures import
cnnviz inside their bodies, so that collecting the tests imports no TensorFlow.
"""

import os
import tempfile

import pytest

os.environ["CNNVIZ_OFFLINE"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.pop("CNNVIZ_DATA_DIR", None)
# Work the app keeps goes to a folder of this test run's own, never a developer's state folder
# (servers the tests start inherit it); CNNVIZ_DATABASE_URL is set by the tests that want one.
os.environ["CNNVIZ_STATE_DIR"] = tempfile.mkdtemp(prefix="cnnviz-test-state-")
os.environ.pop("CNNVIZ_DATABASE_URL", None)


@pytest.fixture(scope="session")
def mnist():
    """The bundled MNIST sample (6,000 training and 1,000 test images), loaded once.

    Its arrays are read-only, so one copy serves every test.
    """
    from cnnviz.data import datasets

    dataset = datasets.load_dataset("mnist")
    assert dataset.is_sample
    return dataset


@pytest.fixture(scope="module")
def tiny_model():
    """The Tiny preset built for 28x28x1 and 10 classes, untrained, with seeded weights."""
    import keras

    from cnnviz.model.with_keras import builder
    from cnnviz.training import presets

    keras.utils.set_random_seed(0)
    spec = presets.preset_spec("tiny", (28, 28, 1), 10)
    return builder.build_model(spec, (28, 28, 1), 10)


@pytest.fixture(scope="module")
def trained_app(request):
    """The app after one short training (see helpers.apptest), on the page the test module
    names in TRAINED_APP_PAGE (the Train page when it names none); one per module."""
    from helpers.apptest import assert_no_exception, open_app, train_one_short_epoch

    app = open_app()
    train_one_short_epoch(app)
    page = getattr(request.module, "TRAINED_APP_PAGE", None)
    if page is not None:
        app.switch_page(page).run()
        assert_no_exception(app)
    return app
