"""A drawing or photo of one digit to an MNIST-like 28x28: white digit on black, fitted and centred.

MNIST was made this way (LeCun et al.): each digit was cropped to its ink, scaled so its longer side
is 20 px with anti-aliasing, keeping the aspect ratio, and pasted into a 28x28 field so that its
centre of mass lies at the centre. A network trained on MNIST has only seen digits like that; a
drawing that is simply resized to 28x28 (thin, small, off-centre) is mostly misread. So:

    image -> ink intensity (polarity from the border) -> crop to the ink (leaving out a stray speck
    far from the digit) -> fit 20x20 (area averaging) -> centre of mass at (14, 14) in 28x28 ->
    max scaled to 1.

Measured with benchmarks/drawings_eval.py: this lifts drawn digits from 42 % (plain resize)
to 98.5 % on average (worst collection 97.0 %). Making thin or thick strokes MNIST-like (grey dilation/erosion to MNIST's median
width) was tried and dropped: thickening changed nothing, thinning cost up to 8 points on bold fonts
and marker digits. Lanczos or bilinear instead of area averaging made no difference.

Only NumPy and Pillow; this module never imports pygame.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from .errors import DataError
from .files import file_problem, shown

SIZE = 28  # output side, like MNIST
BOX = 20  # the longer side of the digit after fitting
CENTRE = 14.0  # MNIST's centre of mass, in pixel-index coordinates (measured: 13.99, 14.01)
MAX_PIXELS = 40_000_000  # refuse bigger images (a 6000x6000 photo still fits)

EMPTY_MESSAGE = "Nothing to recognise: the image is empty."
MIN_CONTRAST = 0.08  # ink below this (on a 0-1 scale) is paper texture or noise, not a digit
MIN_INK_PIXELS = 4  # fewer pixels of strong ink than this is a dot, not a digit
BBOX_THRESHOLD = 0.25  # ink weaker than this fraction of the darkest stroke does not widen the crop
NOISE_FLOOR = 0.10  # ink weaker than this fraction of the darkest stroke is set to 0
SPECK_MASS = 0.1  # a separate bit of ink with less than this share of it ...
SPECK_GAP = 0.25  # ... and at least this far away (times the digit's extent) is a stray speck

DOWN_FILTER = Image.BOX  # area averaging, as MNIST's anti-aliasing
UP_FILTER = Image.LANCZOS  # a tiny drawing enlarged smoothly, without blocks

LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R 601, as Pillow's convert("L")


@dataclass(frozen=True)
class Preprocessed:
    """The result of preprocess_digit.

    x: (28, 28) float32 in [0, 1], white digit on black, ready for the network (reshape to 784).
    empty: True when there was nothing to recognise; x is then all zeros.
    stages: (name, 2-D float32 image in [0, 1]) for display: "drawing" (ink of the whole image),
        "crop", "fit 20x20", "centred 28x28" (the last three blank when the image is empty).
    message: why the image could not be used ("" when it could).
    """

    x: np.ndarray
    empty: bool = False
    stages: list = field(default_factory=list)
    message: str = ""


# ----- any image to ink intensity -----------------------------------------------------------------

def _scale_to_unit(a: np.ndarray) -> np.ndarray:
    """Pixel values of any numeric dtype to float32 in [0, 1]: uint8 / 255, uint16 / 65535, bool 0/1.

    Other integers and floats must lie in [0, 1] (float only), [0, 255] or [0, 65535].
    Raises DataError for NaN/inf, other ranges and non-numeric dtypes.
    """
    kind = a.dtype.kind
    if kind == "b":
        return a.astype(np.float32)
    if kind == "u" and a.dtype.itemsize == 1:
        return a.astype(np.float32) * np.float32(1 / 255)
    if kind == "u" and a.dtype.itemsize == 2:  # also big-endian 16-bit PNG data (I;16B)
        return a.astype(np.float32) * np.float32(1 / 65535)
    if kind not in "iuf":
        raise DataError(f"Image pixels must be numbers (got dtype {a.dtype}); pass a uint8 or float array.")
    if kind == "f" and not np.isfinite(a).all():
        raise DataError("The image contains NaN or infinite values; pass finite pixel values.")
    lo, hi = float(a.min()), float(a.max())
    if lo < 0:
        raise DataError(f"Pixel values must not be negative (got {lo:g}); use 0-255 or 0-1.")
    if kind == "f" and hi <= 1.0:
        return a.astype(np.float32)
    if hi <= 255:
        return a.astype(np.float32) * np.float32(1 / 255)
    if hi <= 65535:
        return a.astype(np.float32) * np.float32(1 / 65535)
    raise DataError(f"Pixel values must lie in 0-1, 0-255 or 0-65535 (got a maximum of {hi:g}).")


def _pil_to_array(image: Image.Image) -> np.ndarray:
    """A PIL image of any mode to an array (H, W), (H, W, 3) or (H, W, 4) (alpha last)."""
    mode = image.mode
    try:
        if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F", "L"):
            return np.asarray(image)
        if "A" in mode or "a" in mode or "transparency" in image.info:
            return np.asarray(image.convert("RGBA"))
        if mode in ("1", "P") or mode.startswith("I;"):
            return np.asarray(image.convert("L"))
        return np.asarray(image.convert("RGB"))
    except (ValueError, OSError) as exc:  # a mode Pillow cannot convert, or truncated data
        raise DataError(f"Cannot read this {mode} image ({exc}); save it as PNG (L or RGB) first.") from None


def _gray(image) -> np.ndarray:
    """Any accepted image to a gray (H, W) float32 in [0, 1]; transparency is composited away.

    A transparent background must not look like ink, whatever colour its hidden pixels carry:
    the image is laid on white when its visible pixels are mostly dark, else on black.
    """
    if isinstance(image, Image.Image):
        a = _pil_to_array(image)
    else:
        try:
            a = np.asarray(image)
        except Exception as exc:  # e.g. a ragged nested list
            raise DataError(f"Cannot read the image as an array ({exc}).") from None
    if a.dtype == object:
        raise DataError("Image pixels must be numbers (got Python objects); pass a uint8 or float array.")
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (2, 3, 4)):
        raise DataError(
            f"An image must be (height, width) or (height, width, 3 or 4 channels) (got shape {a.shape})."
        )
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise DataError(f"The image has no pixels (shape {a.shape}).")
    if a.shape[0] * a.shape[1] > MAX_PIXELS:
        raise DataError(
            f"The image is too large ({a.shape[1]}x{a.shape[0]} pixels); scale it below "
            f"{MAX_PIXELS // 1_000_000} megapixels first."
        )
    if a.ndim == 2:
        return _scale_to_unit(a)
    if a.dtype == np.uint8 and a.shape[2] == 3:
        return _scale_to_unit(np.asarray(Image.fromarray(a, "RGB").convert("L")))  # C, not NumPy
    a = _scale_to_unit(a)
    colour, alpha = (a[:, :, :1], a[:, :, 1]) if a.shape[2] == 2 else (a[:, :, :3], None)
    if a.shape[2] == 4:
        alpha = a[:, :, 3]
    gray = colour[:, :, 0] if colour.shape[2] == 1 else colour @ LUMA
    if alpha is None or alpha.min() >= 0.999:
        return gray
    weight = float(alpha.sum())
    if weight < 1e-6:  # fully transparent: nothing drawn
        return np.zeros_like(gray)
    paper = 1.0 if float((alpha * gray).sum()) / weight < 0.5 else 0.0
    return alpha * gray + (1.0 - alpha) * np.float32(paper)


def ink_image(image) -> np.ndarray:
    """Ink intensity (H, W) float32 in [0, 1]: 0 = paper, 1 = the strongest possible ink.

    The paper's gray is the median of the outer frame of pixels (a digit touching an edge does not
    change it). Ink is whichever of "lighter than the paper" and "darker than the paper" reaches
    further, so black-on-white and white-on-black give the same result.
    Raises DataError for unusable input (see preprocess_digit).
    """
    g = _gray(image)
    if g.shape[0] <= 2 or g.shape[1] <= 2:
        border = g.ravel()
    else:
        border = np.concatenate((g[0], g[-1], g[1:-1, 0], g[1:-1, -1]))
    paper = np.float32(np.median(border))
    lighter = float(g.max()) - paper
    darker = paper - float(g.min())
    ink = g - paper if lighter >= darker else paper - g
    return np.maximum(ink, 0, out=ink)


# ----- resizing ---------------------------------------------------------------------------------------

def _box_reduce(a: np.ndarray, factor: int) -> np.ndarray:
    """Average factor x factor blocks (the edges that do not fill a block are padded with 0)."""
    if factor <= 1:
        return a
    h, w = a.shape
    hp, wp = -(-h // factor) * factor, -(-w // factor) * factor
    if (hp, wp) != (h, w):
        a = np.pad(a, ((0, hp - h), (0, wp - w)))
    return a.reshape(hp // factor, factor, wp // factor, factor).mean(axis=(1, 3), dtype=np.float32)


def _resize(a: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a float32 image with anti-aliasing: area averaging down, Lanczos up; clipped to >= 0."""
    h, w = a.shape
    # Whole-block averaging first, so a 2000 px drawing costs a few ms, not a Lanczos with 600 taps.
    factor = min(h // max(height, 1), w // max(width, 1)) // 2
    if factor >= 2:
        a = _box_reduce(a, factor)
        h, w = a.shape
    down = h >= height and w >= width
    img = Image.fromarray(np.ascontiguousarray(a, dtype=np.float32), "F")
    out = np.asarray(img.resize((width, height), DOWN_FILTER if down else UP_FILTER), dtype=np.float32)
    return np.maximum(out, 0)  # Lanczos rings slightly below 0


def _fit_size(h: int, w: int, box: float) -> tuple[int, int]:
    """(height, width) with the longer side `box`, keeping the aspect ratio, each at least 1."""
    s = box / max(h, w)
    return max(1, round(h * s)), max(1, round(w * s))


# ----- the pipeline -------------------------------------------------------------------------------

def _empty(drawing: np.ndarray) -> Preprocessed:
    """Nothing to recognise: x and the later stages are blank, so a display can still show them."""
    x = np.zeros((SIZE, SIZE), np.float32)
    stages = [("drawing", drawing), ("crop", np.zeros((BOX, BOX), np.float32)),
              ("fit 20x20", np.zeros((BOX, BOX), np.float32)), ("centred 28x28", x)]
    return Preprocessed(x=x, empty=True, stages=stages, message=EMPTY_MESSAGE)


def _centre(fit: np.ndarray) -> np.ndarray:
    """Paste the fitted digit into 28x28 with its centre of mass at (14, 14), kept inside the field.

    Whole-pixel shift, as MNIST's (its centres of mass spread +-0.5 px, std 0.29 = 1/sqrt(12)).
    """
    fh, fw = fit.shape
    mass = float(fit.sum())
    cy = float(fit.sum(axis=1) @ np.arange(fh, dtype=np.float32)) / mass
    cx = float(fit.sum(axis=0) @ np.arange(fw, dtype=np.float32)) / mass
    oy = min(max(int(round(CENTRE - cy)), 0), SIZE - fh)
    ox = min(max(int(round(CENTRE - cx)), 0), SIZE - fw)
    x = np.zeros((SIZE, SIZE), np.float32)
    x[oy:oy + fh, ox:ox + fw] = fit
    return x


def _ink_span(counts: np.ndarray) -> tuple[int, int]:
    """[start, stop) of the ink along one axis from its profile (strong-ink pixels per row or column),
    leaving out a stray speck at either end: a run of ink with under SPECK_MASS of the ink, separated
    from the rest by a gap of at least SPECK_GAP times the rest's extent (an accidental click far from
    the digit would otherwise shrink the digit to fit both into 20x20)."""
    lit = counts > 0
    starts = np.flatnonzero(lit & ~np.concatenate(([False], lit[:-1])))
    stops = np.flatnonzero(lit & ~np.concatenate((lit[1:], [False]))) + 1
    mass = np.add.reduceat(counts, starts) if len(starts) else np.zeros(0)
    first, last, total = 0, len(starts) - 1, float(counts.sum())
    while first < last:
        if mass[first] < SPECK_MASS * total and starts[first + 1] - stops[first] >= SPECK_GAP * (stops[last] - starts[first + 1]):
            total -= mass[first]
            first += 1
        elif mass[last] < SPECK_MASS * total and starts[last] - stops[last - 1] >= SPECK_GAP * (stops[last - 1] - starts[first]):
            total -= mass[last]
            last -= 1
        else:
            break
    return int(starts[first]), int(stops[last])


def preprocess_digit(image) -> Preprocessed:
    """One digit image to an MNIST-like x (28, 28) float32 in [0, 1], white on black.

    image: a NumPy array (H, W) or (H, W, 3 or 4) of uint8, uint16, bool or float (0-1 or 0-255),
        or a PIL image of any mode (transparent pixels are background).
    Returns Preprocessed (x, empty, stages, message); a blank or nearly blank image (no ink, or fewer
    than 4 pixels of it) gives empty=True and x all zeros.
    Raises DataError for a wrong shape, no pixels, NaN or infinite values, or a non-numeric dtype.
    """
    drawing = ink_image(image)
    peak = float(drawing.max())
    if peak < MIN_CONTRAST:
        return _empty(drawing)
    strong = drawing > BBOX_THRESHOLD * peak
    top, bottom, left, right = 0, strong.shape[0], 0, strong.shape[1]
    for _ in range(3):  # a speck left out along one axis no longer widens the other
        span = (*_ink_span(strong[:, left:right].sum(axis=1)), *_ink_span(strong[top:bottom].sum(axis=0)))
        if span == (top, bottom, left, right):
            break
        top, bottom, left, right = span
    crop = drawing[top:bottom, left:right]
    peak = float(crop.max())  # the digit's own strongest ink, not a darker speck's left outside
    if np.count_nonzero(crop > 0.5 * peak) < MIN_INK_PIXELS:
        return _empty(drawing)
    crop = np.where(crop >= NOISE_FLOOR * peak, crop, np.float32(0)) * np.float32(1 / peak)

    fh, fw = _fit_size(*crop.shape, BOX)
    fit = _resize(crop, fh, fw)
    peak = float(fit.max())
    if peak <= 0:
        return _empty(drawing)
    fit *= np.float32(1 / peak)  # contrast: the strongest ink is 1, like MNIST's
    np.minimum(fit, 1, out=fit)
    box = np.zeros((BOX, BOX), np.float32)
    box[(BOX - fh) // 2:(BOX - fh) // 2 + fh, (BOX - fw) // 2:(BOX - fw) // 2 + fw] = fit

    x = _centre(fit)
    stages = [("drawing", drawing), ("crop", crop), ("fit 20x20", box), ("centred 28x28", x)]
    return Preprocessed(x=x, empty=False, stages=stages, message="")


def naive_resize(image) -> np.ndarray:
    """The whole image plainly resized to (28, 28) float32 in [0, 1], only its polarity fixed.

    What a network sees "without preprocessing": no crop, no fitting, no centring.
    Raises DataError like preprocess_digit.
    """
    ink = ink_image(image)
    out = _resize(ink, SIZE, SIZE)
    return np.clip(out, 0, 1, out=out)


# The formats a digit drawing or photo comes in; Pillow is never asked to try any other. Each further
# decoder is more code that a damaged file can break in new ways (damaged AVIF, DDS and BLP raised
# RuntimeError and NotImplementedError), and EPS/PS would run Ghostscript, where `{ } loop` never ends.
# Common ones first: Pillow imports every plugin the first time a name outside its common five is tried.
FORMATS = ("PNG", "JPEG", "BMP", "GIF", "PPM", "TIFF", "WEBP", "ICO")  # PPM also reads PGM, PBM
FORMATS_SHOWN = "PNG, JPEG, BMP, GIF, TIFF, WebP, PPM/PGM/PBM or ICO"


def open_image(path) -> Image.Image:
    """Read an image file fully, upright as its EXIF orientation says; only the FORMATS are opened.

    Raises DataError with a short reason (the caller names the file) for anything that goes wrong:
    a missing file or a non-regular one (a FIFO would block forever; refused before opening), another
    format, a damaged or too large image (the size is checked from the header, before any pixel is
    decoded), or any exception from a decoder, so one bad file in a batch is only that file's error.
    """
    import warnings

    from PIL import ImageOps, UnidentifiedImageError

    try:  # one stat for the usual regular file; file_problem (10 us, 1.5 % of predict's time) words the rest
        regular = stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, TypeError, ValueError):
        regular = False
    try:
        problem = None if regular else file_problem(path, "picture")
    except (TypeError, ValueError) as exc:  # e.g. a NUL in the name
        raise DataError(f"not a usable file name ({_one_line(exc)})") from None
    if problem:
        raise DataError(problem.removeprefix(shown(path) + " "))
    try:
        with warnings.catch_warnings():
            # We check the size ourselves; and "Corrupt EXIF data" from a damaged TIFF or JPEG is a
            # multi-line warning on stderr that says nothing the user can act on: the pixels decode or not.
            warnings.simplefilter("ignore")
            with Image.open(path, formats=FORMATS) as im:
                if im.width * im.height > MAX_PIXELS:
                    raise DataError(f"the image is {im.width}x{im.height}; scale it below "
                                    f"{MAX_PIXELS // 1_000_000} megapixels first")
                im.load()
                return ImageOps.exif_transpose(im)  # phone photos store "rotate me" instead of rotating
    except DataError:
        raise
    except FileNotFoundError:  # removed since file_problem looked
        raise DataError("no such file") from None
    except IsADirectoryError:
        raise DataError("is a folder, not an image") from None
    except UnidentifiedImageError:
        raise DataError(f"not an image of a kind read here ({FORMATS_SHOWN})") from None
    except Image.DecompressionBombError:
        raise DataError("the image is too large") from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:  # truncated or damaged image data
        raise DataError(f"damaged image ({_one_line(exc)})") from None
    except Exception as exc:  # any other decoder failure (RuntimeError, struct.error, ...) is this file's
        raise DataError(f"damaged image ({type(exc).__name__}: {_one_line(exc)})") from None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__
