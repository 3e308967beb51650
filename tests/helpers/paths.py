"""Where the repository's files are, for tests in any folder below tests/."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "app.py")
ASSETS = REPO / "assets"
MNIST_SAMPLE = ASSETS / "samples" / "mnist.npz"
# The machine's full data sets (MNIST, CIFAR-10; see its README): beside the repository, or where
# this machine keeps them for every worktree.
SHARED_DATASETS = next(
    (
        folder
        for folder in (REPO.parent / "shared" / "datasets", Path("/work/shared/datasets"))
        if folder.exists()
    ),
    REPO.parent / "shared" / "datasets",
)
