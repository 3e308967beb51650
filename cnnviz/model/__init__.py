"""The model: the layer catalogue, shape rules, spec checks, diagram facts and server limits.

Pure Python: nothing here imports TensorFlow or Keras, so the Build page stays fast. What needs
Keras to build a model lives apart, in cnnviz.model.with_keras.
"""
