"""Colours the explaining figures share, so one kind of mark looks the same in every view."""

BAR_COLOUR = "#1f77b4"  # plain bars: neurons, probabilities, positive contributions, shares
NEGATIVE_COLOUR = "#d62728"  # a negative contribution, or the one cell picked out
HEATMAP_COLOURS = "Turbo"  # heatmaps laid over a picture (Grad-CAM, saliency)
# Signed attributions (Integrated Gradients): blue against the class, red for it, and zero
# transparent, so the picture shows through wherever a pixel does not matter. Each side fades
# in its own hue rather than through white, which would vanish over a white stroke.
SIGNED_COLOURS = [
    [0.0, "rgba(33, 102, 172, 1)"],
    [0.5, "rgba(33, 102, 172, 0)"],
    [0.5, "rgba(178, 24, 43, 0)"],
    [1.0, "rgba(178, 24, 43, 1)"],
]
