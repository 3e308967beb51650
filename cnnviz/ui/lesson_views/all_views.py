"""Import every lesson view module, so each registers its views in registry.VIEWS."""

from cnnviz.ui.lesson_views import backprop, descent  # noqa: F401 - imported to register
