"""Lesson 8: the tiny network's forward pass and every gradient, against references."""

import numpy as np
import pytest

from cnnviz.lessons import backprop


@pytest.fixture
def setting():
    weights = backprop.starting_weights()
    image, label = backprop.lesson_image()
    return weights, image, label


def test_the_convolution_matches_loops_over_windows():
    rng = np.random.default_rng(1)
    image, kernel = rng.normal(size=(7, 7)), rng.normal(size=(3, 3))
    expected = np.array(
        [[np.sum(image[r : r + 3, c : c + 3] * kernel) + 0.25 for c in range(5)] for r in range(5)]
    )
    np.testing.assert_allclose(backprop.convolve(image, kernel, 0.25), expected, rtol=1e-12)


def test_the_forward_pass_matches_a_numpy_reference(setting):
    weights, image, label = setting
    values = backprop.forward(weights, image, label)
    relu = np.maximum(backprop.convolve(image, weights.kernel, weights.bias), 0)
    scores = relu.reshape(-1) @ weights.dense + weights.dense_bias
    probabilities = np.exp(scores) / np.exp(scores).sum()
    np.testing.assert_allclose(values.scores, scores, rtol=1e-12)
    np.testing.assert_allclose(values.probabilities, probabilities, rtol=1e-12)
    assert values.loss == pytest.approx(-np.log(probabilities[label]), rel=1e-12)
    assert values.flat.tolist() == values.relu.reshape(-1).tolist()


@pytest.mark.parametrize("index", range(5))
def test_every_gradient_matches_central_finite_differences(index):
    weights = backprop.starting_weights(seed=index)
    image, label = backprop.lesson_image(index)
    values = backprop.forward(weights, image, label)
    gradients = backprop.backward(weights, values)
    numeric = backprop.finite_differences(weights, image, label)
    for name in ("kernel", "bias", "dense", "dense_bias"):
        error = backprop.relative_error(getattr(gradients, name), numeric[name])
        assert error < 1e-4, f"{name}: relative error {error:.2e}"
    # Not a vacuous match: the filter's gradient is not zero.
    assert np.abs(gradients.kernel).max() > 1e-3


def test_relu_passes_gradients_only_where_it_passed_values(setting):
    weights, image, label = setting
    values = backprop.forward(weights, image, label)
    gradients = backprop.backward(weights, values)
    blocked = values.pre_activation <= 0
    assert blocked.any() and (~blocked).any()
    assert np.all(gradients.pre_activation[blocked] == 0)
    np.testing.assert_array_equal(gradients.pre_activation[~blocked], gradients.relu[~blocked])
    # Softmax with cross-entropy: p - y, which sums to zero.
    assert gradients.scores.sum() == pytest.approx(0, abs=1e-12)
    assert gradients.scores[label] == pytest.approx(values.probabilities[label] - 1)


def test_the_gradients_match_tensorflows_gradient_tape(setting):
    import tensorflow as tf

    weights, image, label = setting
    kernel = tf.Variable(weights.kernel.reshape(3, 3, 1, 1))
    dense = tf.Variable(weights.dense)
    with tf.GradientTape() as tape:
        pre = tf.nn.conv2d(image.reshape(1, 7, 7, 1), kernel, 1, "VALID") + weights.bias
        scores = tf.reshape(tf.nn.relu(pre), (1, -1)) @ dense + weights.dense_bias
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits([label], scores)[0]
    kernel_gradient, dense_gradient = tape.gradient(loss, [kernel, dense])
    gradients = backprop.backward(weights, backprop.forward(weights, image, label))
    assert backprop.relative_error(gradients.kernel, kernel_gradient.numpy()[..., 0, 0]) < 1e-10
    assert backprop.relative_error(gradients.dense, dense_gradient.numpy()) < 1e-10


def test_one_step_on_the_filter_lowers_the_loss(setting):
    weights, image, label = setting
    step = backprop.step_on_filter(weights, image, label)
    assert step.after.loss < step.before.loss
    np.testing.assert_allclose(
        step.weights_after.kernel, weights.kernel - 0.1 * step.gradients.kernel, rtol=1e-12
    )
    np.testing.assert_array_equal(step.weights_after.dense, weights.dense)  # only the filter moved
    assert step.after.probabilities[label] > step.before.probabilities[label]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda w, i, y: backprop.forward(w, i[:5], y), "7x7 image"),
        (lambda w, i, y: backprop.forward(w, i, 3), "between 0 and 2"),
        (lambda w, i, y: backprop.step_on_filter(w, i, y, 0), "above 0"),
        (lambda w, i, y: backprop.lesson_image(50), "between 0 and 49"),
    ],
)
def test_bad_input_says_what_is_wrong(setting, call, message):
    with pytest.raises(ValueError, match=message):
        call(*setting)
