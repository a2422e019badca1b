"""Seeded collections of "people's digits" that are not MNIST, written as PNG files for evaluation.

Each generator takes (n, rng) and returns a list of (PIL image, label). Collections:
- fonts: the digits of the TrueType/OpenType fonts on this machine (DejaVu, URW, Noto, ...), at random
  sizes, positions, small rotations and stroke weights, in both polarities.
- pen: digits drawn as pen strokes (hand-made control points per digit, jittered, slanted, rotated)
  2-40 px wide on canvases 100-800 px, round joins, both polarities, some coloured ink.
- mnist_big: MNIST test digits enlarged 2-10x and moved off-centre on bigger canvases, some inverted.
- tiny: pen or font digits only 10-20 px tall on canvases 200-1000 px.
- thick: marker digits whose stroke is 15-30 % of the digit's height.
Images are saved as grayscale (L) or RGB PNG. Only NumPy and Pillow.
"""

from __future__ import annotations

import glob
import gzip
import math
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

# ----- digits as pen strokes ----------------------------------------------------------------------
# Control points in a unit box (x right, y down). A stroke is a list of pieces ("s" = smooth curve
# through the points, "l" = straight segments) drawn as one polyline; a digit is a list of strokes.
# Several variants per digit, as people write them differently (open or closed 4, 7 with a bar...).

def _ellipse(cx, cy, rx, ry, start=-90.0, sweep=360.0, k=14):
    return [(cx + rx * math.cos(math.radians(start + sweep * i / k)),
             cy + ry * math.sin(math.radians(start + sweep * i / k))) for i in range(k + 1)]


DIGIT_STROKES = {
    0: [[[("s", _ellipse(0.5, 0.5, 0.4, 0.5))]],
        [[("s", _ellipse(0.5, 0.5, 0.33, 0.5, start=-120, sweep=380))]]],
    1: [[[("l", [(0.5, 0.0), (0.5, 1.0)])]],
        [[("l", [(0.25, 0.22), (0.55, 0.0), (0.55, 1.0)])]],
        [[("l", [(0.3, 0.2), (0.55, 0.0), (0.55, 1.0)])], [("l", [(0.3, 1.0), (0.8, 1.0)])]]],
    2: [[[("s", [(0.12, 0.25), (0.35, 0.03), (0.65, 0.02), (0.84, 0.22), (0.76, 0.45), (0.45, 0.72),
                 (0.12, 1.0)]), ("l", [(0.12, 1.0), (0.9, 1.0)])]],
        [[("s", [(0.15, 0.2), (0.5, 0.0), (0.85, 0.25), (0.6, 0.6), (0.15, 0.95)]),
          ("s", [(0.15, 0.95), (0.3, 0.85), (0.6, 0.95), (0.9, 0.95)])]]],
    3: [[[("s", [(0.15, 0.12), (0.45, 0.0), (0.78, 0.12), (0.76, 0.35), (0.45, 0.48)]),
          ("s", [(0.45, 0.48), (0.8, 0.6), (0.85, 0.82), (0.6, 1.0), (0.3, 1.0), (0.1, 0.86)])]],
        [[("l", [(0.15, 0.0), (0.85, 0.0), (0.45, 0.42)]),
          ("s", [(0.45, 0.42), (0.8, 0.55), (0.86, 0.8), (0.6, 1.0), (0.3, 1.0), (0.1, 0.85)])]]],
    4: [[[("l", [(0.7, 1.0), (0.7, 0.0), (0.08, 0.68), (0.92, 0.68)])]],
        [[("l", [(0.22, 0.0), (0.12, 0.6), (0.9, 0.6)])], [("l", [(0.68, 0.25), (0.68, 1.0)])]]],
    5: [[[("l", [(0.85, 0.0), (0.28, 0.0), (0.22, 0.45)]),
          ("s", [(0.22, 0.45), (0.5, 0.36), (0.8, 0.5), (0.86, 0.75), (0.65, 0.97), (0.35, 1.0), (0.1, 0.88)])]],
        [[("l", [(0.25, 0.02), (0.2, 0.45)]),
          ("s", [(0.2, 0.45), (0.5, 0.36), (0.8, 0.5), (0.86, 0.75), (0.65, 0.97), (0.35, 1.0), (0.1, 0.88)])],
         [("l", [(0.25, 0.02), (0.88, 0.0)])]]],
    6: [[[("s", [(0.75, 0.02), (0.45, 0.2), (0.22, 0.5), (0.18, 0.78), (0.38, 1.0), (0.65, 0.98),
                 (0.82, 0.78), (0.7, 0.56), (0.45, 0.52), (0.22, 0.68)])]]],
    7: [[[("l", [(0.1, 0.0), (0.9, 0.0), (0.4, 1.0)])]],
        [[("l", [(0.1, 0.05), (0.9, 0.0)]), ("s", [(0.9, 0.0), (0.6, 0.45), (0.45, 1.0)])]],
        [[("l", [(0.1, 0.0), (0.9, 0.0), (0.4, 1.0)])], [("l", [(0.35, 0.5), (0.8, 0.5)])]]],
    8: [[[("s", [(0.5, 0.0), (0.2, 0.2), (0.5, 0.47), (0.8, 0.72), (0.5, 1.0), (0.2, 0.72), (0.5, 0.47),
                 (0.8, 0.2), (0.5, 0.0)])]],
        [[("s", _ellipse(0.5, 0.25, 0.27, 0.25))], [("s", _ellipse(0.5, 0.73, 0.34, 0.27))]]],
    9: [[[("s", _ellipse(0.45, 0.28, 0.33, 0.28, start=0, sweep=360))], [("l", [(0.78, 0.28), (0.75, 1.0)])]],
        [[("s", _ellipse(0.45, 0.28, 0.33, 0.28, start=0, sweep=360)),
          ("s", [(0.78, 0.28), (0.75, 0.7), (0.55, 1.0)])]]],
}


def _catmull_rom(points, samples=8):
    """Smooth curve through the points (Catmull-Rom); the ends are kept."""
    p = np.asarray(points, dtype=np.float64)
    if len(p) < 3:
        return p
    p = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    t = np.linspace(0, 1, samples, endpoint=False)[:, None]
    out = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        out.append(0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t ** 2
                          + (-p0 + 3 * p1 - 3 * p2 + p3) * t ** 3))
    out.append(p[-2][None])
    return np.vstack(out)


def _stroke_polylines(label, rng, jitter=0.03):
    """The digit's strokes as (m, 2) arrays in the unit box, control points jittered."""
    variants = DIGIT_STROKES[label]
    strokes = variants[rng.integers(len(variants))]
    lines = []
    for stroke in strokes:
        pts = []
        for kind, ctrl in stroke:
            c = np.asarray(ctrl) + rng.normal(0, jitter, (len(ctrl), 2))
            if pts:  # pieces of one stroke meet where the previous ended
                c[0] = pts[-1][-1]
            pts.append(_catmull_rom(c) if kind == "s" else c)
        lines.append(np.vstack(pts))
    return lines


def _random_affine(rng, height, aspect, rotate=12.0, shear=0.3):
    """2x2 matrix mapping the unit box to pixels: width/height, slant (shear) and rotation."""
    a = math.radians(rng.uniform(-rotate, rotate))
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    sh = np.array([[1.0, -rng.uniform(-shear / 3, shear)], [0.0, 1.0]])  # mostly right-leaning
    return rot @ sh @ np.diag([height * aspect, height])


def _colours(rng):
    """(ink, paper) RGB colours: dark on light paper or light on a dark pad, some coloured."""
    if rng.random() < 0.5:
        paper = tuple(int(v) for v in rng.integers(215, 256, 3)) if rng.random() < 0.3 else (255, 255, 255)
        ink = tuple(int(v) for v in rng.integers(0, 90, 3)) if rng.random() < 0.4 else (0, 0, 0)
    else:
        paper = tuple(int(v) for v in rng.integers(0, 40, 3)) if rng.random() < 0.3 else (0, 0, 0)
        ink = tuple(int(v) for v in rng.integers(170, 256, 3)) if rng.random() < 0.4 else (255, 255, 255)
    return ink, paper


def draw_pen_digit(label, rng, canvas=(400, 400), height=200.0, width=10.0, centre=None,
                   aspect=None, supersample=2):
    """One pen-drawn digit as an RGB image; strokes `width` px wide with round joins and caps."""
    cw, ch = canvas
    ss = supersample
    aspect = rng.uniform(0.55, 0.8) if aspect is None else aspect
    m = _random_affine(rng, height * ss, aspect)
    lines = [pts @ m.T for pts in _stroke_polylines(label, rng)]
    allp = np.vstack(lines)
    lo, hi = allp.min(0), allp.max(0)
    margin = width * ss / 2 + 1
    if centre is None:  # anywhere that keeps the whole digit on the canvas
        span = hi - lo + 2 * margin
        free = np.maximum(np.array([cw * ss, ch * ss]) - span, 0)
        offset = rng.uniform(0, 1, 2) * free + margin - lo
    else:
        offset = np.asarray(centre, dtype=float) * ss - (lo + hi) / 2
    ink, paper = _colours(rng)
    img = Image.new("RGB", (cw * ss, ch * ss), paper)
    draw = ImageDraw.Draw(img)
    w = max(1, int(round(width * ss)))
    r = w / 2
    for pts in lines:
        pts = pts + offset
        draw.line([tuple(p) for p in pts], fill=ink, width=w)
        for x, y in pts:  # round joins and caps (PIL's joint="curve" leaves gaps in wide lines)
            draw.ellipse([x - r + 0.5, y - r + 0.5, x + r - 0.5, y + r - 0.5], fill=ink)
    return img.resize((cw, ch), Image.BOX) if ss > 1 else img


def _finish(img, rng):
    """Save as grayscale half of the time, else RGB."""
    return img.convert("L") if rng.random() < 0.5 else img.convert("RGB")


def _labels(n, rng):
    return rng.permutation(np.arange(n) % 10)


def pen_collection(n, rng):
    """Pen strokes 2-40 px wide on canvases 100-800 px."""
    out = []
    for label in _labels(n, rng):
        side = int(rng.integers(100, 801))
        canvas = (side, int(np.clip(side * rng.uniform(0.8, 1.25), 100, 800)))
        height = min(canvas) * rng.uniform(0.3, 0.9)
        width = min(rng.uniform(2, 40), height * 0.2)
        img = draw_pen_digit(int(label), rng, canvas, height, width)
        out.append((_finish(img, rng), int(label)))
    return out


def thick_collection(n, rng):
    """Marker digits: stroke 15-30 % of the digit's height."""
    out = []
    for label in _labels(n, rng):
        side = int(rng.integers(120, 700))
        height = side * rng.uniform(0.4, 0.85)
        width = height * rng.uniform(0.15, 0.3)
        img = draw_pen_digit(int(label), rng, (side, side), height, width, aspect=rng.uniform(0.65, 0.9))
        out.append((_finish(img, rng), int(label)))
    return out


# ----- fonts --------------------------------------------------------------------------------------
_NOT_DIGIT_FONTS = ("StandardSymbols", "D050000L", "Dingbat", "Symbol", "Z003")


def _draws_digits(path) -> bool:
    """True when the font has its own glyph for each digit (not the empty box of a missing glyph)."""
    try:
        font = ImageFont.truetype(path, 40)
        masks = [bytes(font.getmask(ch)) for ch in "0123456789\ue000"]  # U+E000: never a digit
    except OSError:
        return False
    return len(set(masks)) == len(masks)


_fonts_cache: list[str] | None = None


def font_files():
    """The TrueType/OpenType fonts on this machine that draw ordinary digits, sorted."""
    global _fonts_cache
    if _fonts_cache is None:
        found = []
        for pattern in ("/usr/share/fonts/**/*.ttf", "/usr/share/fonts/**/*.otf",
                        "/usr/local/share/fonts/**/*.ttf", "/usr/local/share/fonts/**/*.otf"):
            found += glob.glob(pattern, recursive=True)
        _fonts_cache = sorted(f for f in set(found) if _draws_digits(f)
                              and not any(bad in os.path.basename(f) for bad in _NOT_DIGIT_FONTS))
    return list(_fonts_cache)


def draw_font_digit(label, font_path, rng, height, canvas=None):
    """One digit in a font, `height` px tall, at a random place with a small rotation; RGB."""
    size = max(6, int(round(height / 0.72)))  # digits are about 0.72 em tall
    font = ImageFont.truetype(font_path, size)
    ink, paper = _colours(rng)
    stroke = int(rng.integers(0, max(1, size // 25) + 1)) if rng.random() < 0.4 else 0
    x0, y0, x1, y1 = font.getbbox(str(label), stroke_width=stroke)
    pad = 4 + stroke
    glyph = Image.new("RGB", (x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), paper)
    ImageDraw.Draw(glyph).text((pad - x0, pad - y0), str(label), font=font, fill=ink,
                               stroke_width=stroke, stroke_fill=ink)
    glyph = glyph.rotate(rng.uniform(-8, 8), resample=Image.BICUBIC, expand=True, fillcolor=paper)
    gw, gh = glyph.size
    if canvas is None:
        canvas = (int(gw * rng.uniform(1.1, 3.0)) + 8, int(gh * rng.uniform(1.1, 2.5)) + 8)
    cw, ch = max(canvas[0], gw), max(canvas[1], gh)
    img = Image.new("RGB", (cw, ch), paper)
    img.paste(glyph, (int(rng.integers(0, cw - gw + 1)), int(rng.integers(0, ch - gh + 1))))
    return img


def font_collection(n, rng):
    """Digits in every installed font, 20-300 px tall."""
    fonts = font_files()
    if not fonts:
        return []
    out = []
    for i, label in enumerate(_labels(n, rng)):
        font = fonts[(i * 7 + int(rng.integers(len(fonts)))) % len(fonts)]
        img = draw_font_digit(int(label), font, rng, height=rng.uniform(20, 300))
        out.append((_finish(img, rng), int(label)))
    return out


def tiny_collection(n, rng):
    """Digits 10-20 px tall (pen or font) on canvases 200-1000 px."""
    fonts = font_files()
    out = []
    for label in _labels(n, rng):
        side = int(rng.integers(200, 1001))
        height = rng.uniform(10, 20)
        if fonts and rng.random() < 0.5:
            digit = draw_font_digit(int(label), fonts[int(rng.integers(len(fonts)))], rng, height)
            paper = digit.getpixel((0, 0))
            img = Image.new("RGB", (side, side), paper)
            img.paste(digit, (int(rng.integers(0, side - digit.size[0])), int(rng.integers(0, side - digit.size[1]))))
        else:
            img = draw_pen_digit(int(label), rng, (side, side), height, rng.uniform(1.0, 3.0), supersample=4)
        out.append((_finish(img, rng), int(label)))
    return out


# ----- MNIST enlarged -----------------------------------------------------------------------------

def load_mnist_rows(path, rows):
    """Rows (label, 784 pixels) uint8 of an MNIST CSV(.gz) with a header, only the given row numbers."""
    wanted = set(int(r) for r in rows)
    out = {}
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as f:
        next(f)
        for i, line in enumerate(f):
            if i in wanted:
                out[i] = np.array(line.split(","), dtype=np.uint8)
                if len(out) == len(wanted):
                    break
    return np.stack([out[r] for r in rows if r in out])


def mnist_collection(n, rng, csv_path, exclude=frozenset()):
    """MNIST test digits enlarged 2-10x, placed off-centre on a bigger canvas, some inverted.

    exclude: rows (label and pixels as bytes) not to use, e.g. those the project ships as a sample.
    """
    # Read a seeded subset of the 10,000 rows, a few more than needed to make up for excluded ones.
    wanted = rng.permutation(10000)[: int(n * 1.2) + 10]
    data = load_mnist_rows(csv_path, sorted(wanted))
    data = data[[row.tobytes() not in exclude for row in data]][:n]
    out = []
    for row in data[rng.permutation(len(data))]:
        label, pixels = int(row[0]), row[1:].reshape(28, 28)
        k = rng.uniform(2, 10)
        side = int(round(28 * k))
        digit = Image.fromarray(pixels, "L").resize((side, side), Image.BICUBIC)
        cw, ch = int(side * rng.uniform(1.2, 2.5)), int(side * rng.uniform(1.2, 2.5))
        img = Image.new("L", (cw, ch), 0)
        img.paste(digit, (int(rng.integers(0, cw - side + 1)), int(rng.integers(0, ch - side + 1))))
        if rng.random() < 0.5:
            img = Image.fromarray(255 - np.asarray(img), "L")
        out.append((img.convert("RGB") if rng.random() < 0.5 else img, label))
    return out


COLLECTIONS = {
    "fonts": font_collection,
    "pen": pen_collection,
    "mnist_big": mnist_collection,
    "tiny": tiny_collection,
    "thick": thick_collection,
}


def write_collection(items, directory):
    """Save (image, label) pairs as PNG files named NNNN_label.png; returns (paths, labels)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths, labels = [], []
    for i, (img, label) in enumerate(items):
        p = directory / f"{i:04d}_{label}.png"
        img.save(p)
        paths.append(str(p))
        labels.append(label)
    return paths, np.array(labels)
