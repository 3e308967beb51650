"""A disposed job's traced graphs leave TensorFlow's gradient registry (see gradient_registry)."""

import gc

import pytest
from tensorflow.python.framework import func_graph, ops

from cnnviz.training import gradient_registry
from helpers.jobs import make_job, run_to_finish


def test_the_tensorflow_internal_it_relies_on_is_still_there():
    assert isinstance(ops._gradient_registry._registry, dict)
    assert gradient_registry.install()


def _custom_gradients() -> set[str]:
    return {name for name in ops._gradient_registry._registry if "CustomGradient" in name}


def _traced_graphs() -> int:
    gc.collect()
    return sum(isinstance(thing, func_graph.FuncGraph) for thing in gc.get_objects())


@pytest.mark.trains
def test_dispose_removes_the_registrations_its_training_made_and_frees_the_graphs(mnist):
    before = _custom_gradients()
    graphs_before = _traced_graphs()
    job = make_job(mnist, train_limit=200)
    run_to_finish(job)
    added = _custom_gradients() - before
    assert added, "training registered no custom gradient: the leak this guards against moved"
    assert _traced_graphs() > graphs_before
    job.dispose()
    del job
    assert not (_custom_gradients() & added)
    assert _traced_graphs() == graphs_before


def test_forget_ignores_names_it_does_not_know():
    assert gradient_registry.forget(["no-such-gradient"]) == 0
