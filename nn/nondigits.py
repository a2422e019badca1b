"""Images that are not digits, made by the program itself: training material for "not a digit".

make_nondigits(n, rng) draws each image on a 140x140 pad with Pillow's ImageDraw (a pen 3-12 px wide
with round ends, as a mouse drawing) and prepares it with preprocess_digit, exactly as a drawing from
the window is, so position, scale and centring match what the network sees. Kinds (KINDS):

- scribble: a random pen walk of 4-14 steps, smoothed.
- shape: outlined square, rectangle, triangle, diamond, star, cross (+), X, #, arrow, polygon,
  circle with a cross in it, zig-zag.
- speck: one to five dots (a single dot fills the 20x20 box after preprocessing, as from the pad).
- blob: a filled ellipse or polygon.
- line: one straight stroke, more than 35 degrees away from vertical (a vertical or slanted stroke is
  how people write 1).
- hatch: 3-8 parallel strokes, sometimes crossed.
- glyph: a glyph of the bundled array (assets/nondigit_glyphs.npz, made by tools/make_glyphs.py:
  Latin, Greek, Cyrillic letters, symbols, some CJK) with a small random affine distortion.

Left out on purpose: anything drawn like a digit. A plain ring or ellipse outline (a 0), a vertical
line (a 1), and the look-alike characters in EXCLUDED. Only NumPy and Pillow; reads no font.

Speed (measured, one core): 20,000 images in about 8.5 s (0.42 ms each; preprocess_digit is most of it).
Deterministic: the same rng seed gives the same images and kinds.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from .errors import DataError
from .preprocess import preprocess_digit

GLYPHS_PATH = Path(__file__).resolve().parent.parent / "assets" / "nondigit_glyphs.npz"
KINDS = ("scribble", "shape", "speck", "blob", "line", "hatch", "glyph")
PAD = 140  # drawing side in px; the window's pad is 280, drawn at half size here for speed

# Characters rendered into the bundled array (and, from other fonts, into the evaluation set).
LATIN = "ACEFHJKLMNPRTUVWXYacdefhjkmnprtuvwxy"
GREEK = "ΑΓΔΕΗΚΛΜΝΞΠΡΣΤΥΦΧΨΩαγεζηκλμνξπρτυφχψω"
CYRILLIC = "АГДЕЖИЙКЛМНПРТУФХЦШЩЪЫЬЮЯвгджийклмнптфхцшщъыьэюя"
SYMBOLS = "@&%$?+=<>#*~^§¶¥€£¢©®±×÷¬µ¿→←↑↓∞≈≠≤≥√∑∫♠♣♥♦★☺"
CJK = "的是不人我在有他这中大来上国个到说们为和你地出道也时年得就那要下以生会自着去之过家学对可里后小么心多天而能好都然没日于起还发成事只作当想看文无开手用主行方又如前所本见经头面公同从动长"

# Look-alikes left out, and why: each is drawn like a digit in handwriting, so calling it "not a
# digit" would teach the network to refuse real digits.
EXCLUDED = {
    "0": "OoQDØøΟοΘθϴОо°º",  # a ring, an oval or a slashed zero
    "1": "lIi|!/\\()[]{}ıΙιІіӀ'`∫",  # one upright or slanted stroke (a '!' loses its dot as a speck)
    "2": "ZzΖƻ",
    "3": "ЗзƷʒӠ",
    "4": "Чч",
    "5": "SsЅѕ",
    "6": "bGбδ",
    "7": "",  # nothing in these scripts is written like a 7 (Γ and ⌐ lack the slanted stem)
    "8": "BßВвΒβ",  # Latin, Cyrillic and Greek capital B look alike; italic в too
    "9": "qgϑ",
}
EXCLUDED_CHARS = "".join(EXCLUDED.values()) + "0123456789"
GLYPH_CHARS = "".join(c for c in LATIN + GREEK + CYRILLIC + SYMBOLS + CJK if c not in EXCLUDED_CHARS)


# ----- pen ----------------------------------------------------------------------------------------

def _pen(draw, pts, width):
    """A polyline with round joins and ends, `width` px wide, white on black."""
    pts = [tuple(map(float, p)) for p in pts]
    if len(pts) > 1:
        draw.line(pts, fill=255, width=width, joint="curve")
    r = width / 2
    for x, y in (pts[0], pts[-1]) if len(pts) > 1 else pts:
        draw.ellipse([x - r, y - r, x + r, y + r], fill=255)


def _smooth(p: np.ndarray, samples=6) -> np.ndarray:
    """A Chaikin-like smoothing of a pen walk: each segment cut in `samples` and averaged twice."""
    t = np.linspace(0, 1, samples, endpoint=False)[:, None, None]
    dense = (p[:-1] * (1 - t) + p[1:] * t).transpose(1, 0, 2).reshape(-1, 2)
    dense = np.vstack([dense, p[-1:]])
    k = np.ones(samples) / samples
    if len(dense) > samples:
        dense = np.stack([np.convolve(dense[:, i], k, mode="valid") for i in (0, 1)], axis=1)
    return dense


def _regular(n, cx, cy, r, rot, inner=None):
    """Vertices of a regular n-gon (or a star when `inner` is a ratio) around (cx, cy)."""
    k = 2 * n if inner else n
    return [(cx + r * (inner if inner and i % 2 else 1) * math.cos(rot + 2 * math.pi * i / k),
             cy + r * (inner if inner and i % 2 else 1) * math.sin(rot + 2 * math.pi * i / k)) for i in range(k)]


def _scribble(draw, rng, w):
    steps = int(rng.integers(4, 15))
    p = np.cumsum(rng.normal(0, 25, (steps, 2)), axis=0)
    p = (p - p.mean(0)) / max(np.abs(p - p.mean(0)).max(), 1) * rng.uniform(30, 60) + PAD / 2
    _pen(draw, _smooth(p), w)


def _shape(draw, rng, w):
    c, r = PAD / 2 + rng.uniform(-8, 8, 2), rng.uniform(30, 55)
    cx, cy = c
    rot = rng.uniform(-0.3, 0.3)
    name = ("square", "rect", "triangle", "diamond", "star", "plus", "x", "hash", "arrow", "polygon",
            "circle_cross", "zigzag")[int(rng.integers(12))]
    if name in ("square", "rect", "triangle", "diamond", "polygon", "star"):
        n = {"square": 4, "rect": 4, "triangle": 3, "diamond": 4, "polygon": int(rng.integers(5, 9)), "star": 5}[name]
        base = rot + (math.pi / 4 if name in ("square", "rect") else -math.pi / 2)
        pts = _regular(n, cx, cy, r, base, inner=rng.uniform(0.35, 0.5) if name == "star" else None)
        if name == "rect":
            s = rng.uniform(0.4, 0.7)
            pts = [(cx + (x - cx), cy + (y - cy) * s) for x, y in pts]
        _pen(draw, pts + pts[:1], w)
    elif name in ("plus", "x"):
        a = rot + (math.pi / 4 if name == "x" else 0)
        for t in (a, a + math.pi / 2):
            _pen(draw, [(cx - r * math.cos(t), cy - r * math.sin(t)), (cx + r * math.cos(t), cy + r * math.sin(t))], w)
    elif name == "hash":
        for s in (-0.35, 0.35):
            _pen(draw, [(cx + s * r, cy - r), (cx + s * r + 0.2 * r, cy + r)], w)
            _pen(draw, [(cx - r, cy + s * r), (cx + r, cy + s * r)], w)
    elif name == "arrow":
        a = rng.uniform(-math.pi, math.pi)
        tip = (cx + r * math.cos(a), cy + r * math.sin(a))
        _pen(draw, [(cx - r * math.cos(a), cy - r * math.sin(a)), tip], w)
        for d in (2.6, -2.6):
            _pen(draw, [tip, (tip[0] + 0.45 * r * math.cos(a + d), tip[1] + 0.45 * r * math.sin(a + d))], w)
    elif name == "circle_cross":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=255, width=w)
        _pen(draw, [(cx - r, cy), (cx + r, cy)], w)
        _pen(draw, [(cx, cy - r), (cx, cy + r)], w)
    else:  # zigzag
        k = int(rng.integers(3, 7))
        xs = np.linspace(cx - r, cx + r, k + 1)
        _pen(draw, [(x, cy + (r * 0.4 if i % 2 else -r * 0.4)) for i, x in enumerate(xs)], w)


def _speck(draw, rng, w):
    for _ in range(int(rng.integers(1, 6))):
        x, y = rng.uniform(20, PAD - 20, 2)
        r = rng.uniform(1.5, 1.2 * w + 2)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=255)


def _blob(draw, rng, w):
    cx, cy = PAD / 2 + rng.uniform(-10, 10, 2)
    if rng.random() < 0.5:
        rx, ry = rng.uniform(15, 50, 2)
        draw.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=255)
    else:
        k = int(rng.integers(4, 10))
        a = np.sort(rng.uniform(0, 2 * math.pi, k))
        rr = rng.uniform(20, 55, k)
        draw.polygon([(cx + q * math.cos(t), cy + q * math.sin(t)) for q, t in zip(rr, a)], fill=255)


def _line(draw, rng, w):
    a = math.radians(rng.uniform(-55, 55))  # from horizontal; never within 35 degrees of vertical
    r = rng.uniform(25, 60)
    cx, cy = PAD / 2 + rng.uniform(-10, 10, 2)
    _pen(draw, [(cx - r * math.cos(a), cy - r * math.sin(a)), (cx + r * math.cos(a), cy + r * math.sin(a))], w)


def _hatch(draw, rng, w):
    k = int(rng.integers(3, 9))
    a = rng.uniform(0, math.pi)
    r = rng.uniform(30, 55)
    for angle in (a, a + rng.uniform(0.8, 2.3)) if rng.random() < 0.4 else (a,):
        d = np.array([math.cos(angle), math.sin(angle)])
        n = np.array([-d[1], d[0]])
        for s in np.linspace(-r, r, k):
            c = PAD / 2 + s * n + rng.normal(0, 2, 2)
            _pen(draw, [c - r * d, c + r * d], w)


_DRAWERS = {"scribble": _scribble, "shape": _shape, "speck": _speck, "blob": _blob, "line": _line,
            "hatch": _hatch}


# ----- glyphs -------------------------------------------------------------------------------------

_glyphs_cache: dict = {}


def load_glyphs(path=GLYPHS_PATH) -> dict:
    """The bundled glyphs: {"images": (n, 784) uint8, "chars": (n,) str, "fonts": (n,) str}.

    Raises DataError when the file is missing or malformed.
    """
    key = str(path)
    if key not in _glyphs_cache:
        try:
            with np.load(path, allow_pickle=False) as f:
                data = {k: f[k] for k in ("images", "chars", "fonts")}
        except (OSError, KeyError, ValueError) as exc:
            raise DataError(f"Cannot read the bundled glyphs {path} ({exc}); run tools/make_glyphs.py.") from None
        if data["images"].ndim != 2 or data["images"].shape[1] != 784 or data["images"].dtype != np.uint8:
            raise DataError(f"{path}: images must be (n, 784) uint8 (got {data['images'].shape} {data['images'].dtype}).")
        _glyphs_cache[key] = data
    return _glyphs_cache[key]


def _glyph(rng, glyphs) -> np.ndarray:
    """One bundled glyph at 2x, with a random affine (rotate +-15 deg, shear, squash), re-preprocessed."""
    img = Image.fromarray(glyphs[int(rng.integers(len(glyphs)))].reshape(28, 28), "L").resize((56, 56), Image.BILINEAR)
    a = math.radians(rng.uniform(-15, 15))
    sx, sy, sh = rng.uniform(0.8, 1.2), rng.uniform(0.8, 1.2), rng.uniform(-0.25, 0.25)
    m = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]) @ np.array([[sx, sh], [0, sy]])
    inv = np.linalg.inv(m)
    c = np.array([28.0, 28.0])
    off = c - inv @ c
    img = img.transform((56, 56), Image.AFFINE, (inv[0, 0], inv[0, 1], off[0], inv[1, 0], inv[1, 1], off[1]),
                        resample=Image.BILINEAR)
    return np.asarray(img)


def make_nondigits(n: int, rng: np.random.Generator, kinds=None, glyphs_path=GLYPHS_PATH):
    """n images that are not digits, as the network sees a drawing: (x, kinds).

    n: how many; rng: a numpy Generator (the same seed gives the same images).
    kinds: a sequence of names from KINDS to draw from (default all), chosen in turn so that each
        kind gets n / len(kinds) images, in a shuffled order.
    Returns x (n, 784) uint8 0-255, white ink on black like MNIST, and kinds (n,) str.
    Raises DataError for an unknown kind or n < 0, or when "glyph" is asked for and the bundled
    array cannot be read.
    """
    kinds = tuple(KINDS if kinds is None else kinds)
    bad = [k for k in kinds if k not in KINDS]
    if bad or not kinds:
        raise DataError(f"Unknown non-digit kind(s) {bad or kinds!r}; choose from {', '.join(KINDS)}.")
    if n < 0:
        raise DataError(f"The number of images must be 0 or more (got {n}).")
    glyphs = load_glyphs(glyphs_path)["images"] if "glyph" in kinds else None
    names = np.array(kinds)[rng.permutation(np.arange(n) % len(kinds))]
    x = np.zeros((n, 784), np.uint8)
    for i, kind in enumerate(names):
        for _ in range(20):  # a drawing that preprocessing calls empty (a speck too small) is redrawn
            if kind == "glyph":
                image = _glyph(rng, glyphs)
            else:
                img = Image.new("L", (PAD, PAD), 0)
                _DRAWERS[kind](ImageDraw.Draw(img), rng, int(rng.integers(3, 13)))
                image = np.asarray(img)
            p = preprocess_digit(image)
            if not p.empty:
                break
        x[i] = np.round(p.x.reshape(-1) * 255)
    return x, names.astype(str)
