"""Colours the explaining figures share, so one kind of mark looks the same in every view."""

BAR_COLOUR = "#1f77b4"  # plain bars: neurons, probabilities, positive contributions, shares
NEGATIVE_COLOUR = "#d62728"  # a negative contribution, or the one cell picked out
HEATMAP_COLOURS = "Turbo"  # heatmaps laid over a picture (Grad-CAM, saliency)
