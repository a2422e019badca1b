"""Build the bundled sample: assets/mnist_sample_{train,test}.csv.gz from ../shared/mnist.

6,000 training digits (600 of each class) and 1,000 test digits (100 of each), drawn with a fixed seed
and kept in their original MNIST order; same CSV layout with header, gzip level 9, no timestamp, so
running it again gives byte-identical files.  Usage: python tools/make_sample.py [SHARED_MNIST_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nn.data import SAMPLE_SIZES, SAMPLE_TEST, SAMPLE_TRAIN, load_mnist, save_csv  # noqa: E402

SEED = 20240601


def balanced_subset(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of `per_class` random rows of each label 0-9; labels (n,) -> (10 * per_class,)."""
    picks = [rng.choice(np.flatnonzero(labels == k), size=per_class, replace=False) for k in range(10)]
    return np.sort(np.concatenate(picks))


def main(argv: list[str]) -> int:
    shared = Path(argv[0]) if argv else ROOT.parent / "shared" / "mnist"
    rng = np.random.default_rng(SEED)
    for split, out, size in (("train", SAMPLE_TRAIN, SAMPLE_SIZES[0]), ("test", SAMPLE_TEST, SAMPLE_SIZES[1])):
        source = shared / f"mnist_{split}.csv.gz"
        if not source.is_file():
            print(f"{source} not found; pass the folder holding mnist_train.csv.gz and mnist_test.csv.gz.",
                  file=sys.stderr)
            return 1
        x, labels = load_mnist(source, cache=False)
        idx = balanced_subset(labels, size // 10, rng)
        out.parent.mkdir(parents=True, exist_ok=True)
        save_csv(out, x[idx], labels[idx], compresslevel=9)
        print(f"{out.relative_to(ROOT)}: {idx.size:,} digits from {source.name}, {out.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
