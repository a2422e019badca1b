"""What does augmentation cost? augment_batch on 128 digits against one plain training step.

    python benchmarks/augment_speed.py [--batch 128] [--repeats 500] [--threads 1]

Prints medians (the machines are shared and noisy): microseconds per augment_batch call alone, a
plain 784-256-128-10 train_step, and the time of an epoch of 20,000 digits with and without
augmentation, where the two compete for the caches. Goal: an augmented epoch <= 1.5x a plain one.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=500)
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1, as the trainer)")
    ap.add_argument("--epoch-size", type=int, default=20000)
    args = ap.parse_args(argv)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)  # before NumPy loads
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import numpy as np

    from nn.augment import augment_batch
    from nn.network import Network

    rng = np.random.default_rng(0)
    # Half the pixels 0, the rest in (0, 1]: the cost does not depend on the values.
    x = np.clip(rng.random((args.epoch_size, 784), dtype=np.float32) * 2 - 1, 0, 1)
    labels = rng.integers(0, 10, args.epoch_size)
    xb, lb = x[: args.batch], labels[: args.batch]

    def median_us(f, repeats):
        for _ in range(20):
            f()
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            f()
            times.append(time.perf_counter() - t)
        return float(np.median(times)) * 1e6

    aug_us = median_us(lambda: augment_batch(xb, rng), args.repeats)
    net = Network((256, 128), seed=0, batch_size=args.batch)
    step_us = median_us(lambda: net.train_step(xb, lb), args.repeats)
    print(f"augment_batch, {args.batch} digits: {aug_us:8.0f} us")
    print(f"plain train_step, batch {args.batch}: {step_us:8.0f} us  (augment/step = {aug_us / step_us:.2f})")

    epochs = {}
    for name, augment in (("plain", None), ("augmented", augment_batch), ("plain again", None)):
        net = Network((256, 128), seed=0, batch_size=args.batch)
        t = time.perf_counter()
        net.partial_fit(x, labels, augment=augment)
        epochs[name] = time.perf_counter() - t
    plain = min(epochs["plain"], epochs["plain again"])
    print(f"epoch of {args.epoch_size} digits: plain {plain:.3f} s, augmented {epochs['augmented']:.3f} s "
          f"({epochs['augmented'] / plain:.2f}x; goal <= 1.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
