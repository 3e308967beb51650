"""The interactive part of each lesson (widgets, a computation, a figure), one module a view,
registered by name in cnnviz.ui.lesson_views.registry."""
