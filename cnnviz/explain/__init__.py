"""Looking inside a trained model: inspection, value arithmetic, techniques, evaluation (arrays)."""
