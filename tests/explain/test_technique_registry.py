"""Tests for cnnviz.explain.technique_registry and Integrated Gradients: the registry's entries,
its checks, and the completeness axiom on a small trained MNIST model."""

from __future__ import annotations

import subprocess
import sys

import keras
import numpy as np
import pytest

from cnnviz.explain import technique_registry, techniques
from cnnviz.explain.technique_registry import TECHNIQUES, Explanation, Technique
from cnnviz.model.with_keras import builder
from cnnviz.training import presets

MNIST_SHAPE = (28, 28, 1)


@pytest.fixture(scope="module")
def trained_tiny(mnist):
    """The Tiny preset after two short epochs on 2,000 sample images (about 80 % right)."""
    keras.utils.set_random_seed(0)
    spec = presets.preset_spec("tiny", MNIST_SHAPE, 10)
    model = builder.build_model(spec, MNIST_SHAPE, 10)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(mnist.x_train[:2000], mnist.y_train[:2000], epochs=2, batch_size=64, verbose=0)
    return model


def probability(model, image, class_index: int) -> float:
    return float(model.predict(image[None].astype("float32"), verbose=0)[0, class_index])


@pytest.mark.trains
def test_integrated_gradients_add_up_to_the_change_of_probability(trained_tiny, mnist):
    model = trained_tiny
    for index in range(5):
        image = mnist.x_test[index]
        found = techniques.integrated_gradients(model, image)
        predicted = int(np.argmax(model.predict(image[None], verbose=0)[0]))
        assert found["class_index"] == predicted
        np.testing.assert_array_equal(found["baseline"], np.zeros(MNIST_SHAPE, np.float32))
        # F is the class's softmax probability, measured here by Keras itself.
        difference = probability(model, image, predicted) - probability(
            model, found["baseline"], predicted
        )
        assert abs(difference) > 0.05  # a test of something, not of 0 = 0
        total = float(found["attributions"].sum())
        assert abs(total - difference) <= 0.05 * abs(difference) + 0.001, (index, total)
        # Black pixels are the baseline's own values, so they get exactly nothing.
        assert not found["attributions"][image == 0].any()
        assert found["attributions"].shape == MNIST_SHAPE
        assert (found["attributions"] < 0).any() and (found["attributions"] > 0).any()


@pytest.mark.trains
def test_integrated_gradients_explain_a_chosen_class_and_check_their_steps(trained_tiny, mnist):
    image = mnist.x_test[0]
    found = techniques.integrated_gradients(trained_tiny, image, class_index=3, steps=16)
    difference = probability(trained_tiny, image, 3) - probability(
        trained_tiny, np.zeros_like(image), 3
    )
    assert found["class_index"] == 3
    assert float(found["attributions"].sum()) == pytest.approx(difference, abs=0.003)
    with pytest.raises(ValueError, match="steps must be a whole number"):
        techniques.integrated_gradients(trained_tiny, image, steps=0)


def test_every_entry_is_named_by_its_key_and_explains_one_image(tiny_model, mnist):
    image = mnist.x_test[0]
    assert list(TECHNIQUES)[:4] == ["grad_cam", "saliency", "smooth_grad", "integrated_gradients"]
    for name, technique in TECHNIQUES.items():
        assert technique.name == name and technique.title and technique.help.endswith(".")
        explanation = technique_registry.explain(technique, tiny_model, image, class_index=2)
        assert isinstance(explanation, Explanation) and explanation.name == name
        assert explanation.class_index == 2
        assert explanation.heatmap.shape == MNIST_SHAPE[:2]
        assert bool(explanation.layer_name) == technique.needs_layer
        if not explanation.signed:
            assert explanation.heatmap.min() >= 0 and explanation.heatmap.max() <= 1
    ig = technique_registry.explain(TECHNIQUES["integrated_gradients"], tiny_model, image)
    assert ig.signed and ig.baseline is not None and ig.attributions.shape == MNIST_SHAPE
    np.testing.assert_allclose(ig.heatmap, ig.attributions.sum(axis=-1), rtol=1e-6)


def test_the_registry_refuses_a_taken_name_an_unknown_name_and_a_misplaced_layer(tiny_model):
    with pytest.raises(ValueError, match="already registered"):
        technique_registry.register(TECHNIQUES["saliency"])
    with pytest.raises(ValueError, match="choose one of: grad_cam, saliency"):
        technique_registry.technique_named("lime")
    image = np.zeros(MNIST_SHAPE, np.uint8)
    with pytest.raises(ValueError, match="looks at the input, not at a layer"):
        technique_registry.explain(TECHNIQUES["saliency"], tiny_model, image, layer_name="x")
    dense = tiny_model.layers[-1].name
    with pytest.raises(
        ValueError, match=f"feature maps; choose one of: .*Received: layer='{dense}'"
    ):
        technique_registry.explain(TECHNIQUES["grad_cam"], tiny_model, image, layer_name=dense)


def test_a_registered_technique_is_offered_and_run(tiny_model, monkeypatch):
    def explain(model, image, class_index, layer_name):
        heatmap = np.full(image.shape[:2], 0.25, np.float32)
        return Explanation("dummy", heatmap, heatmap, class_index or 0)

    dummy = Technique("dummy", "Dummy", "Dummy: a quarter everywhere.", False, explain)
    monkeypatch.setitem(TECHNIQUES, "dummy", dummy)
    assert technique_registry.technique_named("dummy") is dummy
    found = technique_registry.explain(dummy, tiny_model, np.zeros(MNIST_SHAPE), 4)
    assert found.class_index == 4 and found.heatmap.max() == 0.25


def test_the_registry_imports_no_tensorflow():
    code = (
        "import sys, cnnviz.explain.technique_registry as r; "
        "print(len(r.TECHNIQUES), 'tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.split() == ["4", "False", "False"]
