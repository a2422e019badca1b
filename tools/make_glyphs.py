"""Build assets/nondigit_glyphs.npz: non-digit glyphs of freely licensed fonts, each as preprocess_digit sees it.

    python tools/make_glyphs.py [--out assets/nondigit_glyphs.npz]

Renders nn.nondigits.GLYPH_CHARS (Latin, Greek, Cyrillic, symbols; no digits nor digit look-alikes,
see nn.nondigits.EXCLUDED) in the TRAIN_FONTS found under /usr/share/fonts, and the CJK characters in
Droid Sans Fallback, white on black at 64 px, through nn.preprocess.preprocess_digit to 28x28 uint8.
A character a font lacks (its mask equals the mask of U+E000, the "missing glyph" box) is skipped.
Keys: images (n, 784) uint8, chars (n,) str, fonts (n,) str; loadable with allow_pickle=False.
The fonts used for evaluation (benchmarks/nondigits_eval.py: URW base35, Noto Mono) are never used here.
Running it again with the same fonts gives the same array (np.savez_compressed).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nn.nondigits import CJK, GLYPH_CHARS  # noqa: E402
from nn.preprocess import preprocess_digit  # noqa: E402

FONT_DIR = Path("/usr/share/fonts/truetype")
# Debian fonts-dejavu-core / fonts-dejavu-extra (Bitstream Vera licence): a spread of weights and styles.
TRAIN_FONTS = [f"dejavu/{name}.ttf" for name in (
    "DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-ExtraLight",
    "DejaVuSansCondensed-BoldOblique", "DejaVuSansMono", "DejaVuSerif", "DejaVuSerif-Bold",
    "DejaVuSerif-Italic", "DejaVuSerifCondensed-BoldItalic")]
CJK_FONT = "droid/DroidSansFallbackFull.ttf"  # Debian fonts-droid-fallback (Apache 2.0)


def render(char: str, font: ImageFont.FreeTypeFont) -> np.ndarray | None:
    """One character white on black, preprocessed to (784,) uint8; None when it is blank."""
    x0, y0, x1, y1 = font.getbbox(char)
    img = Image.new("L", (x1 - x0 + 16, y1 - y0 + 16), 0)
    ImageDraw.Draw(img).text((8 - x0, 8 - y0), char, font=font, fill=255)
    p = preprocess_digit(img)
    return None if p.empty else np.round(p.x.reshape(-1) * 255).astype(np.uint8)


def glyphs_of(path: Path, chars: str):
    """(images, chars) of the characters the font really has."""
    font = ImageFont.truetype(str(path), 64)
    missing = bytes(font.getmask("\ue000"))
    images, kept = [], []
    for c in chars:
        if bytes(font.getmask(c)) == missing:
            continue
        x = render(c, font)
        if x is not None:
            images.append(x)
            kept.append(c)
    return images, kept


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(ROOT / "assets" / "nondigit_glyphs.npz"))
    args = ap.parse_args(argv)
    images, chars, fonts = [], [], []
    plan = [(FONT_DIR / f, "".join(c for c in GLYPH_CHARS if c not in CJK)) for f in TRAIN_FONTS]
    plan.append((FONT_DIR / CJK_FONT, CJK))
    for path, wanted in plan:
        if not path.exists():
            print(f"missing {path}: install its Debian package (see assets/NONDIGIT_GLYPHS_LICENSE.md)")
            return 1
        got, kept = glyphs_of(path, wanted)
        images += got
        chars += kept
        fonts += [path.stem] * len(kept)
        print(f"{path.name:40s} {len(kept):4d} glyphs")
    np.savez_compressed(args.out, images=np.stack(images), chars=np.array(chars, dtype=str),
                        fonts=np.array(fonts, dtype=str))
    print(f"{len(images)} glyphs -> {args.out} ({Path(args.out).stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
