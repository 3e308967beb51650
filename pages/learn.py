"""Learn page: short lessons on what a CNN does, each at /learn?lesson=N."""

from cnnviz.ui import frame, learn

frame.page_setup()
learn.draw()
