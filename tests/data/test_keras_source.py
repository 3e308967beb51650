"""Tests for cnnviz.data.keras_source: sparing a first page a useless TensorFlow import."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from cnnviz.data import keras_source
from helpers.paths import REPO


@pytest.fixture
def no_network(monkeypatch):
    def no_address(host, *arguments, **keywords):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(keras_source.socket, "getaddrinfo", no_address)


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    cache = tmp_path / "keras" / "datasets"
    monkeypatch.setattr(keras_source, "keras_cache_dirs", lambda: [tmp_path / "missing", cache])
    return cache


def test_no_cached_copy_and_no_network_rules_keras_out(no_network, empty_cache):
    reason = keras_source.why_keras_cannot_load("mnist")
    assert reason == (
        "no copy in Keras's cache and no network: storage.googleapis.com has no address"
    )
    assert "www.cs.toronto.edu" in keras_source.why_keras_cannot_load("cifar10")


@pytest.mark.parametrize(
    "name, cached", [("mnist", "mnist.npz"), ("fashion_mnist", "fashion-mnist")]
)
def test_a_cached_copy_lets_keras_try_without_a_network(no_network, empty_cache, name, cached):
    empty_cache.mkdir(parents=True)
    (empty_cache / cached).mkdir()
    assert keras_source.why_keras_cannot_load(name) is None
    # Another data set's copy is not this one's.
    assert keras_source.why_keras_cannot_load("cifar10") is not None


def test_a_network_lets_keras_try(empty_cache, monkeypatch):
    asked = []
    monkeypatch.setattr(
        keras_source.socket, "getaddrinfo", lambda host, *rest, **keywords: asked.append(host)
    )
    assert keras_source.why_keras_cannot_load("fashion_mnist") is None
    assert asked == ["storage.googleapis.com"]


def test_a_data_set_keras_does_not_know_is_never_ruled_out(no_network, empty_cache):
    assert keras_source.why_keras_cannot_load("emnist") is None


def test_cache_folders_follow_keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    folders = keras_source.keras_cache_dirs()
    assert folders[0] == tmp_path / "datasets"
    assert Path(os.path.expanduser("~/.keras/datasets")) in folders
    assert Path("/tmp/.keras/datasets") in folders


def test_the_first_data_set_load_without_network_imports_no_tensorflow(tmp_path):
    """A fresh server offline used to import Keras (TensorFlow, seconds) to learn it could not
    download MNIST. Run in a new Python: this test session may have imported Keras already."""
    code = f"""
import json, socket, sys
from pathlib import Path
def no_address(*arguments, **keywords):
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
socket.getaddrinfo = no_address
from cnnviz.data import datasets, keras_source
keras_source.keras_cache_dirs = lambda: [Path({str(tmp_path)!r})]
dataset = datasets.load_dataset("mnist")
print(json.dumps({{"source": dataset.source, "keras": "keras" in sys.modules,
                  "tensorflow": "tensorflow" in sys.modules}}))
"""
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    environment.pop("CNNVIZ_OFFLINE", None)  # as a server started without it
    environment.pop("CNNVIZ_DATA_DIR", None)
    result = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {
        "source": "sample",
        "keras": False,
        "tensorflow": False,
    }
    assert "Keras could not load mnist (no copy in Keras's cache" in result.stderr
