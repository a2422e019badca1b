"""Random small affine distortions of a batch of digits, for training: shifts, rotations, scaling, slant.

A network trained on MNIST as it is learns where digits sit in the 28x28 field very precisely.
Moving each training digit a little (a different way every epoch) adds about half a point on the
MNIST test set (512-256, 8 epochs: 98.5 -> 98.8-98.9 %) and makes the network far less fragile
when a digit is NOT preprocessed. On preprocessed drawings the gain is small, because
preprocessing already puts each digit where MNIST's are.

Each output pixel p' takes the value of the source pixel nearest to p = c + F^-1 (p' - c - t)
(c the image centre, F = s R(theta) [[1, k], [0, 1]], t the shift). Nearest-neighbour sampling,
not bilinear: it trained networks as accurate as bilinear warps did (8-epoch runs above, within
0.1 point either way) at a quarter of the cost, and it keeps uint8 pixels uint8 until the end.
Groups of GROUP consecutive digits share one random transform, so the source positions are
computed once per group; the training loop shuffles every epoch, so each digit still meets a new
transform every time. Cheap enough that an augmented epoch costs little more than a plain one
(benchmarks/augment_speed.py).
"""

from __future__ import annotations

import threading

import numpy as np

from .errors import ConfigError, DataError

SIDE = 28
_P = SIDE + 2  # padded side: a zero border all round, which every clamped position outside reads
_CENTRE = (SIDE - 1) / 2  # rotate and scale about the middle of the pixel grid
CHUNK = 1024  # larger inputs are warped in pieces of this many digits
GROUP = 8  # digits that share one random transform (see augment_batch)

# Output pixel coordinates relative to the centre, and a row of ones for the shift: (3, 784).
_gy, _gx = np.mgrid[0:SIDE, 0:SIDE].astype(np.float32) - np.float32(_CENTRE)
_GRID = np.stack([_gx.ravel(), _gy.ravel(), np.ones(SIDE * SIDE, np.float32)])
del _gy, _gx

_local = threading.local()


def _workspace(g: int, k: int, dtype) -> np.ndarray:
    """This thread's reused zero-bordered (g, 30, 30, k) array of `dtype` for g groups of k digits
    (only its inside is ever written)."""
    cache = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = {}
    key = (g, k, np.dtype(dtype).str)
    plane = cache.get(key)
    if plane is None:
        if len(cache) >= 4:  # a training run uses one or two batch sizes; keep memory bounded
            cache.clear()
        plane = cache[key] = np.zeros((g, _P, _P, k), dtype)
    return plane


def _values(size: int) -> np.ndarray:
    """This thread's reused float32 output buffer, at least `size` long (see warp_batch)."""
    buf = getattr(_local, "values", None)
    if buf is None or buf.size < size:
        buf = _local.values = np.empty(size, np.float32)
    return buf[:size]


def _check(max_shift, max_rotate, scale, max_shear) -> tuple[float, float, float, float, float]:
    try:
        shift, rotate, shear = float(max_shift), float(max_rotate), float(max_shear)
        lo, hi = (float(v) for v in scale)
    except (TypeError, ValueError):
        raise ConfigError(
            f"Augmentation settings must be numbers, scale a pair (got max_shift={max_shift!r}, "
            f"max_rotate={max_rotate!r}, scale={scale!r}, max_shear={max_shear!r})."
        ) from None
    if not (0 <= shift <= SIDE and 0 <= rotate <= 180 and 0 <= shear <= 1):
        raise ConfigError(
            f"Use 0 <= max_shift <= 28 px, 0 <= max_rotate <= 180 degrees and 0 <= max_shear <= 1 "
            f"(got {shift:g}, {rotate:g}, {shear:g})."
        )
    if not (0 < lo <= hi):
        raise ConfigError(f"scale must be (low, high) with 0 < low <= high, e.g. (0.9, 1.1) (got {scale!r}).")
    return shift, rotate, lo, hi, shear


def affine_maps(theta, s, k, tx, ty) -> np.ndarray:
    """Inverse maps (n, 2, 3) float32 for the forward transforms p' = c + t + s R(theta) K (p - c).

    theta: (n,) radians (positive turns +x towards +y, i.e. clockwise on screen), s: (n,) zoom,
    k: (n,) slant with K = [[1, k], [0, 1]], tx, ty: (n,) shifts in px. Row i maps output pixel
    coordinates (x' - c, y' - c, 1) to the source point (x, y) + 1 (the padding's offset).
    """
    theta, s, k, tx, ty = (np.asarray(v, dtype=np.float32) for v in (theta, s, k, tx, ty))
    # F^-1 = (1/s) K^-1 R(-theta), K^-1 = [[1, -k], [0, 1]]
    cos, sin = np.cos(theta) / s, np.sin(theta) / s
    a = np.empty((len(theta), 2, 3), np.float32)
    a[:, 0, 0] = cos - k * sin
    a[:, 0, 1] = sin + k * cos
    a[:, 1, 0] = -sin
    a[:, 1, 1] = cos
    # source = c + F^-1 (p' - c - t), +1 for the padding
    a[:, 0, 2] = np.float32(_CENTRE + 1) - a[:, 0, 0] * tx - a[:, 0, 1] * ty
    a[:, 1, 2] = np.float32(_CENTRE + 1) - a[:, 1, 0] * tx - a[:, 1, 1] * ty
    return a


def inverse_maps(n: int, rng: np.random.Generator, max_shift=2.0, max_rotate=12.0, scale=(0.9, 1.1),
                 max_shear=0.0) -> np.ndarray:
    """Random per-sample inverse maps (n, 2, 3) (see affine_maps).

    theta uniform in +-max_rotate degrees, s uniform in `scale`, slant k uniform in +-max_shear,
    shifts uniform in +-max_shift px. Raises ConfigError for invalid settings.
    """
    shift, rotate, lo, hi, shear = _check(max_shift, max_rotate, scale, max_shear)
    r = rng.random((5, n), dtype=np.float32) * 2 - 1  # uniform in [-1, 1)
    return affine_maps(r[0] * np.float32(np.radians(rotate)),
                       np.float32((lo + hi) / 2) + r[1] * np.float32((hi - lo) / 2),
                       r[2] * np.float32(shear), r[3] * np.float32(shift), r[4] * np.float32(shift))


def source_pixels(maps: np.ndarray) -> np.ndarray:
    """For inverse maps (g, 2, 3): (g, 784) indices into a zero-bordered 30x30 image of the pixel
    each output pixel takes its value from (nearest neighbour; outside the field -> the border)."""
    g = len(maps)
    src = np.matmul(np.asarray(maps, np.float32).reshape(2 * g, 3), _GRID).reshape(g, 2, SIDE * SIDE)
    np.clip(src, 0, _P - 1, out=src)  # 0 and 29 are the zero border
    src += 0.5
    np.floor(src, out=src)  # round half up, the same way everywhere
    return (src[:, 1] * _P + src[:, 0]).astype(np.intp)


def warp_batch(x: np.ndarray, maps: np.ndarray, pixels: bool = False):
    """Apply inverse maps (g, 2, 3) (see inverse_maps) to x (n, 784): float32 (n, 784) in [0, 1]
    (uint8 0-255 is divided by 255, floats are kept).

    n must be a multiple of g: digit i uses map i // (n / g), so g = n gives every digit its own
    map and smaller g lets groups of digits share one. Everything outside the 28x28 field is 0.
    pixels=True returns (values (n, m), pixels (m,)) instead: only the output pixels that can be
    non-zero in some digit (sorted), the others being 0 in all of them (see Network.train_step);
    values then lives in a buffer that the next pixels=True call in the same thread overwrites.
    """
    n, g = len(x), len(maps)
    k = n // g
    if g * k != n:
        raise ValueError(f"{n} digits cannot share {g} maps evenly")
    # plane[group, pixel, j] is digit j of the group at that padded pixel, so one gathered item
    # (the k values side by side, seen as a single k * itemsize-byte value) serves the whole group.
    plane = _workspace(g, k, x.dtype)
    digits = x.reshape(g, k, SIDE, SIDE)
    for j in range(k):  # digit by digit: faster than one transposing copy
        plane[:, 1:SIDE + 1, 1:SIDE + 1, j] = digits[:, j]
    base = source_pixels(maps) + np.arange(0, g * _P * _P, _P * _P, dtype=np.intp)[:, None]
    used = None
    if pixels:
        # An output pixel of a group can only be lit if its source pixel is lit in a digit of the group.
        ink = np.zeros((g, _P, _P), x.dtype)
        ink[:, 1:SIDE + 1, 1:SIDE + 1] = digits.max(axis=1)
        used = np.flatnonzero(np.take(ink.reshape(-1), base).max(axis=0))
        base = base[:, used]
    items = plane.reshape(-1, k).view(np.dtype((np.void, k * x.itemsize))).reshape(-1)
    gathered = np.take(items, base).view(x.dtype).reshape(g, -1, k)  # (g, m, k)
    m = gathered.shape[1]
    # The training form (pixels=True) reuses one output buffer: fresh arrays of a size that changes
    # every batch cost page faults that can double the time of this function.
    out = _values(n * m).reshape(g, k, m) if pixels else np.empty((g, k, m), np.float32)
    if x.dtype == np.uint8:
        np.multiply(gathered.transpose(0, 2, 1), np.float32(1 / 255), out=out)
    else:
        np.copyto(out, gathered.transpose(0, 2, 1))
    out = out.reshape(n, m)
    return (out, used) if pixels else out


def augment_batch(x, rng: np.random.Generator, max_shift=2.0, max_rotate=12.0, scale=(0.9, 1.1),
                  max_shear=0.0, group: int = GROUP, pixels: bool = False):
    """A randomly shifted, rotated, scaled (and optionally slanted) copy of each digit.

    x: (n, 784) (or (n, 28, 28)) uint8 0-255 or float in [0, 1], white on black.
    rng: np.random.Generator (the same state gives the same result). max_shift: px (uniform in
    +-max_shift), max_rotate: degrees, scale: (low, high) zoom factor, max_shear: slant k of
    x' = x + k y. group: consecutive digits that share one random transform (1: each digit its
    own; a last, shorter group gets its own).
    Returns a new float32 array of x's shape with values in [0, 1] (uint8 is divided by 255), or
    with pixels=True a pair (values (n, m) float32, pixels (m,)): the output restricted to the
    pixels that can be non-zero, as Network.train_step takes it. That form is for training loops:
    values is overwritten by the next pixels=True call in the same thread. Batches that are not
    whole groups, or larger than CHUNK, come back as the plain array even then.
    Raises DataError for a wrong shape and ConfigError for invalid settings.
    """
    x = np.asarray(x)
    shape = x.shape
    if x.ndim == 3 and shape[1:] == (SIDE, SIDE):
        x = x.reshape(len(x), -1)
    if x.ndim != 2 or x.shape[1] != SIDE * SIDE:
        raise DataError(f"augment_batch expects images of shape (n, 784) or (n, 28, 28) (got {shape}).")
    if not (isinstance(group, (int, np.integer)) and 1 <= group <= CHUNK):
        raise ConfigError(f"group must be a whole number from 1 to {CHUNK} (got {group!r}).")
    n = len(x)
    maps = inverse_maps(-(-n // group), rng, max_shift, max_rotate, scale, max_shear)
    if x.dtype != np.uint8:
        x = x.astype(np.float32, copy=False)
    if n and n <= CHUNK and n % group == 0:
        out = warp_batch(x, maps, pixels)
    else:
        pixels = False  # pieces would each have their own pixels; keep the simple form
        out = np.zeros((n, SIDE * SIDE), np.float32)
        chunk = CHUNK - CHUNK % group
        for i in range(0, n, chunk):  # bounded scratch memory
            part, first = x[i:i + chunk], i // group
            full = len(part) - len(part) % group
            if full:
                out[i:i + full] = warp_batch(part[:full], maps[first:first + full // group])
            if full < len(part):
                out[i + full:i + len(part)] = warp_batch(part[full:], maps[first + full // group:][:1])
    return out if pixels else out.reshape(shape)
