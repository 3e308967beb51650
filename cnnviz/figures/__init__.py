"""Every plotly figure of the app, and the only package that imports plotly.

Every ``plot_*`` function takes plain data (lists, numpy arrays, dicts from the library) and
returns a ``go.Figure`` without showing it, so pages decide where it goes and tests can look
inside it. The modules, by what they draw:

- images: the shared picture helpers (mosaics, per-tile scaling, picture layout), the input
  image and augmented copies;
- training_curves: loss and accuracy while training, and runs compared;
- layer_grids: a convolution layer's kernels and a layer's feature maps as mosaics;
- predictions: the most likely classes as bars;
- overview: one image's path through the whole network;
- value_arithmetic: the numbers behind one output value (convolution, pooling, dense);
- techniques: heatmap overlays (Grad-CAM, saliency), filter pictures, activation statistics;
- architecture: the Build page's diagram;
- confusion: the Evaluate page's confusion matrix and per-class bars.

This file imports nothing, so importing one figure module does not load the others.
"""
