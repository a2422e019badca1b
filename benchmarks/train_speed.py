"""Seconds per epoch of our NumPy trainer against PyTorch CPU on the same network, in the same run.

784-256-128-10, ReLU, softmax cross-entropy, Adam lr 1e-3, batch 128, float32, 60,000 MNIST
training digits (../shared/mnist, or --train CSV). PyTorch is optional: when it is not importable
only our figure is printed. Epochs alternate between the two so machine noise hits both alike;
medians are reported.

    python benchmarks/train_speed.py [--epochs 8] [--threads N] [--train CSV]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=8, help="timed epochs per framework (default 8)")
    p.add_argument("--threads", type=int, default=None,
                   help="BLAS/torch threads (default: all cores for torch; ours picks 1 or all by timing)")
    p.add_argument("--train", default=str(ROOT.parent / "shared" / "mnist" / "mnist_train.csv.gz"))
    return p.parse_args()


def main() -> int:
    args = parse_args()
    if args.threads:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)
    from nn.data import load_mnist
    from nn.network import Network

    if not Path(args.train).exists():
        print(f"skipped: {args.train} not found (pass --train CSV)")
        return 0
    x, labels = load_mnist(args.train)
    print(f"data: {len(x)} digits from {args.train}")
    net = Network((256, 128), "relu", "cross_entropy", "adam", lr=1e-3, batch_size=128, seed=0)

    torch_epoch = None
    try:
        import torch

        if args.threads:
            torch.set_num_threads(args.threads)
        torch_epoch = make_torch_epoch(torch, x, labels)
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    except ImportError:
        print("torch: not installed; printing our figure only")

    ours, theirs = [], []
    net.partial_fit(x[:5000], labels[:5000])  # warm-up: first-touch of buffers, BLAS start-up
    if torch_epoch:
        torch_epoch(5000)
    for _ in range(args.epochs):
        t = time.perf_counter()
        net.partial_fit(x, labels)
        ours.append(time.perf_counter() - t)
        if torch_epoch:
            t = time.perf_counter()
            torch_epoch(len(x))
            theirs.append(time.perf_counter() - t)
    o = statistics.median(ours)
    print(f"numpy (ours): {o:.3f} s/epoch (median of {len(ours)}: {', '.join(f'{v:.3f}' for v in ours)})")
    tuner = net.fitter.tuner
    if tuner is not None:  # nn/blas.py: one BLAS thread while that was faster (a busy machine)
        total = sum(tuner.steps_on.values())
        print(f"  BLAS threads chosen by timing: 1 thread for {100 * tuner.steps_on[1] / max(total, 1):.0f} % "
              f"of the steps, {tuner.most} for the rest (pin them with --threads N)")
    if theirs:
        t = statistics.median(theirs)
        print(f"pytorch cpu : {t:.3f} s/epoch (median of {len(theirs)}: {', '.join(f'{v:.3f}' for v in theirs)})")
        print(f"ratio ours/pytorch: {o / t:.2f}  (goal <= 0.60)")
        # The machine's speed drifts between rounds; each round's own ratio cancels most of that.
        pairs = [a / b for a, b in zip(ours, theirs)]
        print(f"per-round ratios: {', '.join(f'{r:.2f}' for r in pairs)}; median {statistics.median(pairs):.2f}")
    return 0


def make_torch_epoch(torch, x, labels):
    """A function training PyTorch's 784-256-128-10 for one epoch on the first n digits."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10),
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt = torch.from_numpy(x)  # uint8, converted per batch like ours
    yt = torch.from_numpy(labels.astype("int64"))

    def epoch(n):
        perm = torch.randperm(n)
        for i in range(0, n, 128):
            idx = perm[i:i + 128]
            xb = xt[idx].float().div_(255)
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yt[idx])
            loss.backward()
            opt.step()

    return epoch


if __name__ == "__main__":
    sys.exit(main())
