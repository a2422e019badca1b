"""Does the model tell digits from non-digits? AUROC, rejection per kind and calibration, via main.py predict.

    python benchmarks/nondigits_eval.py [--model models/default.npz] [--n 200] [--seed 0]

The non-digits here are never used for training and are made differently from nn/nondigits.py:
- eval_glyphs: nn.nondigits.GLYPH_CHARS in fonts NOT in the bundled array (URW base35, Noto Mono),
  rendered now from the installed fonts (skipped with a message when none are installed), random size,
  rotation and polarity on a bigger canvas.
- bezier: cubic Bezier scribbles whose pen width varies along the stroke (pressure).
- pen_shapes: hearts, spirals, houses, smileys, triangles drawn as thin/ragged polylines, grey ink on white.
- noise: photo-like patches (smoothed random noise, thresholded or not).
Digits: benchmarks/drawings.py's collections (pen, fonts, thick, tiny) and MNIST test rows from
../shared/mnist/mnist_test.csv.gz when present. All are PNG files in a temporary folder, judged by
`python main.py predict --json`; the score is "confidence" when the model gives it, else the top
probability; an image judged empty or an error counts as refused with score 0. Prints AUROC (digits vs non-digits), the share of non-digits answered "unsure" or
"not a digit" per kind (from "verdict"; 0 when the model gives no verdict), the share of digits
keeping "digit", and the expected calibration error (15 equal-width bins) on each digit collection.
"""

from __future__ import annotations

import argparse
import glob
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import drawings  # noqa: E402

from nn.nondigits import GLYPH_CHARS  # noqa: E402

MNIST_TEST = ROOT.parent / "shared" / "mnist" / "mnist_test.csv.gz"
EVAL_FONT_GLOBS = ("/usr/share/fonts/opentype/urw-base35/*.otf", "/usr/share/fonts/truetype/noto/NotoMono*.ttf",
                   "/usr/share/fonts/truetype/noto/NotoSansMono*.ttf")
NOT_TEXT = ("StandardSymbols", "D050000L", "Z003")


def eval_glyphs(n, rng):
    fonts = sorted(f for g in EVAL_FONT_GLOBS for f in glob.glob(g) if not any(b in f for b in NOT_TEXT))
    out = []
    for i in range(n if fonts else 0):
        font = ImageFont.truetype(fonts[int(rng.integers(len(fonts)))], int(rng.integers(30, 160)))
        missing = bytes(font.getmask("\ue000"))
        for _ in range(20):
            c = GLYPH_CHARS[int(rng.integers(len(GLYPH_CHARS)))]
            if bytes(font.getmask(c)) != missing:
                break
        ink, paper = (0, 255) if rng.random() < 0.5 else (255, 0)
        x0, y0, x1, y1 = font.getbbox(c)
        img = Image.new("L", (x1 - x0 + 40, y1 - y0 + 40), paper)
        ImageDraw.Draw(img).text((20 - x0, 20 - y0), c, font=font, fill=ink)
        out.append(img.rotate(rng.uniform(-10, 10), fillcolor=paper, expand=True))
    return out


def bezier(n, rng):
    out = []
    for _ in range(n):
        img = Image.new("L", (300, 300), 255)
        d = ImageDraw.Draw(img)
        p = rng.uniform(40, 260, (3 * int(rng.integers(1, 4)) + 1, 2))
        for s in range(0, len(p) - 1, 3):
            t = np.linspace(0, 1, 60)[:, None]
            c = ((1 - t) ** 3 * p[s] + 3 * (1 - t) ** 2 * t * p[s + 1] + 3 * (1 - t) * t ** 2 * p[s + 2] + t ** 3 * p[s + 3])
            w = 3 + 8 * np.sin(np.pi * t[:, 0]) * rng.uniform(0.3, 1)  # pressure: thin ends, thick middle
            for (x, y), r in zip(c, w):
                d.ellipse([x - r, y - r, x + r, y + r], fill=int(rng.integers(0, 60)))
        out.append(img)
    return out


def pen_shapes(n, rng):
    out = []
    for i in range(n):
        img = Image.new("L", (200, 200), 255)
        d = ImageDraw.Draw(img)
        w, ink = int(rng.integers(2, 6)), int(rng.integers(0, 120))
        kind = i % 5
        if kind == 0:  # heart
            t = np.linspace(0, 2 * np.pi, 80)
            pts = np.c_[16 * np.sin(t) ** 3, -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))]
        elif kind == 1:  # spiral
            t = np.linspace(0, rng.uniform(3, 6) * np.pi, 120)
            pts = np.c_[t * np.cos(t), t * np.sin(t)]
        elif kind == 2:  # house
            pts = np.array([(-1, 1), (-1, -0.2), (0, -1), (1, -0.2), (1, 1), (-1, 1), (1, -0.2), (-1, -0.2), (1, 1)])
        elif kind == 3:  # smiley: face ring with eyes and a mouth
            r = rng.uniform(50, 80)
            d.ellipse([100 - r, 100 - r, 100 + r, 100 + r], outline=ink, width=w)
            for ex in (-0.35, 0.35):
                d.ellipse([100 + ex * r - 6, 100 - 0.3 * r - 6, 100 + ex * r + 6, 100 - 0.3 * r + 6], fill=ink)
            d.arc([100 - 0.5 * r, 100 - 0.3 * r, 100 + 0.5 * r, 100 + 0.5 * r], 20, 160, fill=ink, width=w)
            out.append(img)
            continue
        else:  # triangle
            pts = np.array([(0, -1), (1, 0.8), (-1, 0.8), (0, -1)])
        pts = pts - pts.mean(0)
        pts = pts / np.abs(pts).max() * rng.uniform(50, 85) + 100 + rng.normal(0, 1.5, pts.shape)
        d.line([tuple(q) for q in pts], fill=ink, width=w)
        out.append(img)
    return out


def noise(n, rng):
    out = []
    for _ in range(n):
        a = rng.uniform(0, 255, (120, 120)).astype(np.uint8)
        img = Image.fromarray(a, "L").filter(ImageFilter.GaussianBlur(rng.uniform(2, 8)))
        if rng.random() < 0.5:
            b = np.asarray(img)
            img = Image.fromarray(np.where(b > np.percentile(b, 70), 255, 0).astype(np.uint8), "L")
        out.append(img)
    return out


NONDIGITS = {"eval_glyphs": eval_glyphs, "bezier": bezier, "pen_shapes": pen_shapes, "noise": noise}
DIGITS = ("pen", "fonts", "thick", "tiny")


def predict(model, paths):
    """{path: record} from main.py predict --json, in chunks."""
    found = {}
    for s in range(0, len(paths), 500):
        cmd = [sys.executable, str(ROOT / "main.py"), "predict", "--json", "--model", str(model), *paths[s:s + 500]]
        run = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=900)
        for line in run.stdout.splitlines():
            if line.startswith("{"):
                rec = json.loads(line)
                found[rec["file"]] = rec
    return found


def auroc(pos, neg) -> float:
    """P(score of a digit > score of a non-digit), ties counted half (Mann-Whitney U / (n_pos n_neg))."""
    s = np.concatenate([pos, neg])
    order = s.argsort(kind="mergesort")
    ranks = np.empty(len(s))
    ranks[order] = np.arange(1, len(s) + 1)
    for v in np.unique(s):  # average ranks of ties
        m = s == v
        ranks[m] = ranks[m].mean()
    return float((ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def ece(conf, correct, bins=15) -> float:
    """Expected calibration error: sum over equal-width bins of (n_b / n) |accuracy_b - confidence_b|."""
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    return float(sum(abs(correct[idx == b].mean() - conf[idx == b].mean()) * (idx == b).mean()
                     for b in range(bins) if (idx == b).any()))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=str(ROOT / "models" / "default.npz"))
    ap.add_argument("--n", type=int, default=200, help="images per collection")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    sets = {}
    with tempfile.TemporaryDirectory(prefix="nondigits-") as tmp:
        for i, (name, make) in enumerate(NONDIGITS.items()):
            imgs = make(args.n, np.random.default_rng([args.seed, 100 + i]))
            if not imgs:
                print(f"{name}: skipped (no evaluation fonts installed: fonts-urw-base35, fonts-noto-mono)")
                continue
            sets[name] = (False, drawings.write_collection([(im, -1) for im in imgs], Path(tmp) / name))
        for i, name in enumerate(DIGITS):
            items = drawings.COLLECTIONS[name](args.n, np.random.default_rng([args.seed, i]))
            if items:
                sets[name] = (True, drawings.write_collection(items, Path(tmp) / name))
        if MNIST_TEST.exists():
            items = drawings.mnist_collection(args.n, np.random.default_rng([args.seed, 9]), MNIST_TEST)
            sets["mnist_big"] = (True, drawings.write_collection(items, Path(tmp) / "mnist_big"))
        else:
            print(f"mnist_big: skipped ({MNIST_TEST} not found)")
        recs = predict(args.model, [p for _, (paths, _) in sets.values() for p in paths])
    pos, neg, rows, eces, pooled = [], [], [], {}, ([], [])
    for name, (is_digit, (paths, labels)) in sets.items():
        got = [(recs.get(p), lab) for p, lab in zip(paths, labels)]
        conf = np.array([r.get("confidence", max(r["probabilities"])) if r and "digit" in r else 0.0 for r, _ in got])
        verdict = [r.get("verdict", "digit") if r and "digit" in r else "empty/error" for r, _ in got]
        (pos if is_digit else neg).append(conf)
        if is_digit:
            correct = np.array([bool(r and r.get("digit") == lab) for r, lab in got], float)
            eces[name] = ece(conf, correct)
            pooled[0].append(conf)
            pooled[1].append(correct)
            rows.append(f"{name:12s} digits     n={len(got):4d}  keep 'digit' {100 * np.mean([v == 'digit' for v in verdict]):5.1f} %"
                        f"  accuracy {100 * correct.mean():5.1f} %  ECE {eces[name]:.3f}")
        else:
            rej = np.mean([v in ("unsure", "not a digit", "empty/error") for v in verdict])
            rows.append(f"{name:12s} non-digits n={len(got):4d}  refused {100 * rej:5.1f} %  mean confidence {conf.mean():.3f}")
    print(f"model {args.model}; score: {'confidence' if any('confidence' in r for r in recs.values()) else 'top probability'}")
    print("\n".join(rows))
    if pos and neg:
        p, q = np.concatenate(pos), np.concatenate(neg)
        print(f"AUROC digits vs non-digits: {auroc(p, q):.3f}   (issue goal >= 0.97)")
        thr = np.quantile(p, 0.03)
        print(f"keeping 97 % of digits (score >= {thr:.3f}) passes {100 * (q >= thr).mean():.1f} % of non-digits")
    if eces:
        worst = max(eces, key=eces.get)
        print(f"ECE pooled {ece(np.concatenate(pooled[0]), np.concatenate(pooled[1])):.3f}, "
              f"worst {worst} {eces[worst]:.3f}   (issue goal <= 0.02)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
