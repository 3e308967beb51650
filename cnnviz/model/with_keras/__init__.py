"""The part of the model that needs Keras (TensorFlow): building a spec, the ResidualBlock layer."""
