"""Lessons: the computations behind the Learn page, from real arrays (NumPy, and Keras where a
lesson trains), returned as plain data for cnnviz.figures to draw."""
