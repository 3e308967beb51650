"""Where the repository's files are, for tests in any folder below tests/."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "app.py")
ASSETS = REPO / "assets"
MNIST_SAMPLE = ASSETS / "samples" / "mnist.npz"
