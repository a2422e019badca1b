"""How well does a model read digits that are not MNIST? Accuracy per generated collection.

    python benchmarks/drawings_eval.py [--model models/default.npz] [--n 300] [--seed 0]
        [--collections fonts,pen,mnist_big,tiny,thick] [--via-cli] [--keep DIR] [--errors]

Generates seeded collections (see benchmarks/drawings.py) as PNG files in a temporary folder and
classifies them twice: with preprocessing (nn.preprocess.preprocess_digit, in this process, or with
--via-cli through the real path `python main.py predict --json FILES...`, once per collection) and,
as a baseline, with a plain resize of the whole image (nn.preprocess.naive_resize). Prints a table
with the average and the worst collection. The goal: >= 96 % average, no collection below 90 %.
"mnist_big" needs ../shared/mnist/mnist_test.csv.gz (or --mnist); it is skipped when absent, and
leaves out the test rows shipped in assets/mnist_sample_test.csv.gz. "fonts" uses the TTF/OTF fonts
installed (Debian's fonts-dejavu-core, fonts-dejavu-extra, fonts-urw-base35 and fonts-noto-mono give
the 57 measured here); the count is printed, as results depend on it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import drawings  # noqa: E402  (benchmarks/drawings.py)

from nn.preprocess import naive_resize, preprocess_digit  # noqa: E402

MNIST_TEST = ROOT.parent / "shared" / "mnist" / "mnist_test.csv.gz"


def sample_rows() -> frozenset:
    """The MNIST test rows the project ships in assets/ (as bytes), so they are not reused here."""
    path = ROOT / "assets" / "mnist_sample_test.csv.gz"
    if not path.exists():
        return frozenset()
    rows = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.uint8, ndmin=2)
    return frozenset(row.tobytes() for row in rows)


def load_images(paths):
    images = []
    for p in paths:
        with Image.open(p) as im:
            im.load()
            images.append(im.copy())
    return images


def predict_in_process(net, images) -> np.ndarray:
    """Labels predicted with preprocess_digit; -1 where the image was judged empty."""
    xs, empty = [], []
    for im in images:
        p = preprocess_digit(im)
        xs.append(p.x.reshape(-1))
        empty.append(p.empty)
    pred = net.predict_proba(np.stack(xs)).argmax(axis=1)
    pred[np.array(empty)] = -1
    return pred


def predict_naive(net, images) -> np.ndarray:
    return net.predict_proba(np.stack([naive_resize(im).reshape(-1) for im in images])).argmax(axis=1)


def predict_via_cli(model, paths) -> np.ndarray:
    """Labels from `python main.py predict --json --model MODEL FILES...`; -1 for files it refused."""
    cmd = [sys.executable, str(ROOT / "main.py"), "predict", "--json", "--model", str(model), *map(str, paths)]
    run = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    found = {}
    for line in run.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            rec = json.loads(line)
            found[str(rec.get("file"))] = int(rec["digit"]) if "digit" in rec else -1
    if not found:
        raise SystemExit(f"main.py predict gave no JSON (exit {run.returncode}): {run.stderr.strip()[-500:]}")
    return np.array([found.get(str(p), -1) for p in paths])


def build(name, n, seed, mnist_path):
    rng = np.random.default_rng([seed, list(drawings.COLLECTIONS).index(name)])
    if name == "mnist_big":
        return drawings.mnist_collection(n, rng, mnist_path, exclude=sample_rows())
    return drawings.COLLECTIONS[name](n, rng)


def preprocess_ms(image, repeats=50) -> float:
    """Median milliseconds of preprocess_digit on one image."""
    preprocess_digit(image)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        preprocess_digit(image)
        times.append(time.perf_counter() - t)
    return 1e3 * float(np.median(times))


def confusions(labels, pred, k=4) -> str:
    pairs = {}
    for t, p in zip(labels, pred):
        if t != p:
            pairs[(t, p)] = pairs.get((t, p), 0) + 1
    top = sorted(pairs.items(), key=lambda kv: -kv[1])[:k]
    return ", ".join(f"{t}->{'empty' if p < 0 else p} x{c}" for (t, p), c in top)


def evaluate(net, names, n=300, seed=0, mnist_path=MNIST_TEST, via_cli=False, model_path=None,
             keep=None, show_errors=False, out=print) -> dict:
    """Accuracy per collection: {name: (n, accuracy preprocessed, accuracy naive)}."""
    results = {}
    with tempfile.TemporaryDirectory(prefix="drawings-") as tmp:
        base = Path(keep) if keep else Path(tmp)
        for name in names:
            if name == "mnist_big" and not Path(mnist_path).exists():
                out(f"{name:10s}  skipped: {mnist_path} not found")
                continue
            t0 = time.perf_counter()
            items = build(name, n, seed, mnist_path)
            if not items:
                out(f"{name:10s}  skipped: nothing generated (no fonts installed?)")
                continue
            paths, labels = drawings.write_collection(items, base / name)
            images = load_images(paths)
            if via_cli:
                pred = predict_via_cli(model_path, paths)
            else:
                pred = predict_in_process(net, images)
            naive = predict_naive(net, images)
            acc, acc_naive = float((pred == labels).mean()), float((naive == labels).mean())
            results[name] = (len(labels), acc, acc_naive)
            line = f"{name:10s} {len(labels):5d} {100 * acc:8.1f} % {100 * acc_naive:8.1f} %   ({time.perf_counter() - t0:.1f} s)"
            if show_errors:
                line += "   " + confusions(labels, pred)
            out(line)
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=str(ROOT / "models" / "default.npz"))
    ap.add_argument("--n", type=int, default=300, help="images per collection (default 300)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--collections", default=",".join(drawings.COLLECTIONS))
    ap.add_argument("--mnist", default=str(MNIST_TEST), help="MNIST test CSV for mnist_big")
    ap.add_argument("--via-cli", action="store_true", help="classify through `python main.py predict --json`")
    ap.add_argument("--keep", metavar="DIR", help="write the PNG files here and keep them")
    ap.add_argument("--errors", action="store_true", help="show the most common confusions")
    args = ap.parse_args(argv)

    from nn.errors import NNError
    from nn.model_io import load_model

    try:
        net, _ = load_model(args.model)
    except (NNError, OSError) as exc:
        print(f"Cannot load the model: {exc} Train one with `python main.py train`, or pass --model.")
        return 2
    names = [c.strip() for c in args.collections.split(",") if c.strip()]
    unknown = [c for c in names if c not in drawings.COLLECTIONS]
    if unknown:
        ap.error(f"unknown collection(s) {unknown}; choose from {list(drawings.COLLECTIONS)}")
    print(f"model {args.model}, {args.n} images per collection, seed {args.seed}"
          f"{', via main.py predict' if args.via_cli else ''}")
    rng = np.random.default_rng(args.seed)
    pad = np.asarray(drawings.draw_pen_digit(7, rng, (280, 280), 200, 16).convert("L"))
    photo = np.asarray(drawings.draw_pen_digit(7, rng, (2000, 2000), 1500, 60, supersample=1))
    print(f"preprocess_digit: {preprocess_ms(pad):.2f} ms for a 280x280 pad, "
          f"{preprocess_ms(photo, 5):.0f} ms for a 2000x2000 RGB image (medians)")
    if "fonts" in names or "tiny" in names:
        print(f"fonts: {len(drawings.font_files())} font files with digits")
    print(f"{'collection':10s} {'n':>5s} {'preprocessed':>12s} {'naive':>9s}")
    res = evaluate(net, names, args.n, args.seed, args.mnist, args.via_cli, args.model, args.keep,
                   show_errors=args.errors)
    if res:
        accs = np.array([r[1] for r in res.values()])
        naive = np.array([r[2] for r in res.values()])
        worst = min(res, key=lambda k: res[k][1])
        print(f"{'average':10s} {'':5s} {100 * accs.mean():8.1f} % {100 * naive.mean():8.1f} %")
        print(f"worst: {worst} {100 * res[worst][1]:.1f} %  (goal: average >= 96 %, none below 90 %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
