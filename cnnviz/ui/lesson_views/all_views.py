"""Import every lesson view module, so each registers its views in registry.VIEWS.

One line per view module (a new lesson adds its line), each imported only to register.
"""

import cnnviz.ui.lesson_views.backprop  # noqa: F401
import cnnviz.ui.lesson_views.descent  # noqa: F401
import cnnviz.ui.lesson_views.overfitting  # noqa: F401
