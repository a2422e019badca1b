"""How fast nn.data reads mnist_train.csv (.csv and .csv.gz) against np.loadtxt, and a cached load.

Each measurement runs in a fresh subprocess, so peak memory is that load's alone: `peak` is the
tracemalloc peak (NumPy reports its buffers to tracemalloc) from a separate run, since tracing slows
Python a little; `maxrss` is the whole process, interpreter and NumPy included. Methods alternate
within each round, so a busy neighbour on the machine hurts both alike. Medians are printed.

    python benchmarks/load_speed.py [--repeats 3]

Needs ../shared/mnist/mnist_train.csv.gz beside the repository; says so and exits 0 without it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_TRAIN = ROOT.parent / "shared" / "mnist" / "mnist_train.csv.gz"

CHILD = r"""
import json, resource, sys, time, tracemalloc
sys.path.insert(0, sys.argv[4])
import numpy as np
from nn.data import load_mnist
method, path, mode = sys.argv[1:4]

def run():
    if method == "loadtxt":
        return np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.uint8)
    if method == "cached":
        load_mnist(path)  # fills the cache (DIGITS_CACHE_DIR) if needed; the timed load below reads it
        start = time.perf_counter()
        load_mnist(path)
        return time.perf_counter() - start
    return load_mnist(path, cache=False)

if mode == "memory":
    tracemalloc.start()
start = time.perf_counter()
result = run()
seconds = result if method == "cached" else time.perf_counter() - start
peak = tracemalloc.get_traced_memory()[1] if mode == "memory" else 0
print(json.dumps({"seconds": seconds, "peak_mb": peak / 1e6,
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(method: str, path: Path, mode: str, env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, method, str(path), mode, str(ROOT)],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per method and file (default 3)")
    args = parser.parse_args(argv)
    if not SHARED_TRAIN.is_file():
        print(f"Skipped: {SHARED_TRAIN} not found (the shared MNIST files sit beside the repository).")
        return 0

    with tempfile.TemporaryDirectory(prefix="load-speed-") as tmp:
        plain = Path(tmp) / "mnist_train.csv"
        with gzip.open(SHARED_TRAIN, "rb") as src, open(plain, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        env = dict(os.environ, DIGITS_CACHE_DIR=str(Path(tmp) / "cache"), OPENBLAS_NUM_THREADS="1")
        print(f"mnist_train.csv: {plain.stat().st_size / 1e6:.1f} MB; .csv.gz: {SHARED_TRAIN.stat().st_size / 1e6:.1f} MB"
              f"; median of {args.repeats} runs")
        print(f"{'file':14} {'method':22} {'seconds':>8} {'peak MB':>8} {'maxrss MB':>10}")
        for label, path in ((".csv", plain), (".csv.gz", SHARED_TRAIN)):
            methods = {"np.loadtxt": "loadtxt", "nn.data.load_mnist": "ours"}
            times = {name: [] for name in methods}
            for _ in range(args.repeats):
                for name, method in methods.items():
                    times[name].append(measure(method, path, "time", env)["seconds"])
            for name, method in methods.items():
                memory = measure(method, path, "memory", env)
                print(f"{label:14} {name:22} {statistics.median(times[name]):8.3f} {memory['peak_mb']:8.1f}"
                      f" {memory['maxrss_mb']:10.1f}")
        cached = [measure("cached", plain, "time", env)["seconds"] for _ in range(args.repeats)]
        memory = measure("cached", plain, "memory", env)
        print(f"{'.csv':14} {'load_mnist, cached':22} {statistics.median(cached):8.3f} {memory['peak_mb']:8.1f}"
              f" {memory['maxrss_mb']:10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
