"""What does augmentation cost? An augmented training epoch against a plain one, on MNIST digits.

    python benchmarks/augment_speed.py [--threads 1] [--epoch-size 20000] [--rounds 3] [--train CSV]

Trains 784-256-128-10 (Adam, batch 128) on the first --epoch-size digits of the MNIST training file
(../shared/mnist, or --train; the bundled 6,000-digit sample when neither exists), one epoch plain
and one augmented exactly as `train --augment` and the window do, alternating for --rounds rounds
because the machines are shared and noisy, and prints the medians. Also prints the cost of one
augment_batch call on a batch of 128 on its own. --threads sets the BLAS threads: 1 is what the
window's trainer uses, 2 what the command line uses on these machines. Goal: an augmented epoch
<= 1.5x a plain one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1, as the window's trainer)")
    ap.add_argument("--epoch-size", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--train", default=str(ROOT.parent / "shared" / "mnist" / "mnist_train.csv.gz"))
    args = ap.parse_args(argv)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)  # before NumPy loads
    sys.path.insert(0, str(ROOT))
    import functools

    import numpy as np

    from nn.augment import augment_batch
    from nn.data import load_mnist
    from nn.network import Network

    path = Path(args.train)
    if not path.exists():
        path = ROOT / "assets" / "mnist_sample_train.csv.gz"
    x, labels = load_mnist(path)
    x, labels = x[: args.epoch_size], labels[: args.epoch_size]
    print(f"data: {len(x)} digits from {path}; {args.threads} BLAS thread(s)")

    augment = functools.partial(augment_batch, pixels=True)  # what the trainer passes
    rng = np.random.default_rng(0)
    xb = x[:128]
    for _ in range(20):
        augment(xb, rng)
    calls = []
    for _ in range(300):
        t = time.perf_counter()
        augment(xb, rng)
        calls.append(time.perf_counter() - t)
    print(f"augment_batch, 128 digits, alone: {statistics.median(calls) * 1e6:.0f} us")

    times = {"plain": [], "augmented": []}
    for _ in range(args.rounds):
        for name, f in (("plain", None), ("augmented", augment)):
            net = Network((256, 128), seed=0)
            t = time.perf_counter()
            net.partial_fit(x, labels, augment=f)
            times[name].append(time.perf_counter() - t)
    plain, augmented = (statistics.median(times[k]) for k in ("plain", "augmented"))
    for name, values in times.items():
        print(f"{name:9s} epoch of {len(x)} digits: {statistics.median(values):.3f} s "
              f"(runs: {', '.join(f'{v:.3f}' for v in values)})")
    print(f"augmented / plain: {augmented / plain:.2f}x  (goal <= 1.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
