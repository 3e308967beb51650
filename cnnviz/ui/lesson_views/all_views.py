"""Import every lesson view module, so that each registers its view in registry.VIEWS.

The Learn page imports this module. One line per view module: add yours on its own line.
"""

# ruff: noqa: F401 - each is imported for its registration only
import cnnviz.ui.lesson_views.activations_view
import cnnviz.ui.lesson_views.backprop
import cnnviz.ui.lesson_views.convolution_view
import cnnviz.ui.lesson_views.dense_view
import cnnviz.ui.lesson_views.descent
import cnnviz.ui.lesson_views.images_view
import cnnviz.ui.lesson_views.loss_view
import cnnviz.ui.lesson_views.overfitting
import cnnviz.ui.lesson_views.pooling_view
