"""Pictures of what the network does: probability bars, the 28x28 input it sees and the
preprocessing stages, first-layer weights as tiles and the hidden activations (the confusion matrix
and the gallery of misread test digits are in ui.results).

Each view is a ui.view.View: it caches its rendering and rebuilds it only when `set...()` gives
it new data, so drawing it every frame is one blit.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pygame

from ui import theme
from ui.view import View

# An "inferno"-like sequential colour map (black - purple - orange - pale yellow) as a 256-entry LUT.
_ANCHORS = np.array([(0, 0, 4), (40, 11, 84), (101, 21, 110), (159, 42, 99), (212, 72, 66),
                     (245, 125, 21), (250, 193, 39), (252, 255, 164)], dtype=np.float32)
_pos = np.linspace(0, 1, len(_ANCHORS))
LUT = np.stack([np.interp(np.linspace(0, 1, 256), _pos, _ANCHORS[:, c]) for c in range(3)],
               axis=-1).astype(np.uint8)


def colormap(a: np.ndarray) -> np.ndarray:
    """Values in [0, 1], any shape, to RGB uint8 (shape + (3,)) with the sequential map."""
    idx = (np.clip(np.nan_to_num(a), 0.0, 1.0) * 255).astype(np.uint8)
    return LUT[idx]


def diverging(a: np.ndarray) -> np.ndarray:
    """Values in [-1, 1] to RGB: negative blue, zero near black, positive orange-red."""
    a = np.clip(np.nan_to_num(a), -1.0, 1.0)[..., None]
    base = np.array([16, 18, 22], np.float32)
    pos = np.array([255, 128, 64], np.float32)
    neg = np.array([70, 150, 255], np.float32)
    out = base + np.where(a > 0, a * (pos - base), -a * (neg - base))
    return out.astype(np.uint8)


GRAY_PALETTE = [(i, i, i) for i in range(256)]


def rgb_surface(rgb: np.ndarray, size=None, smooth: bool = False) -> pygame.Surface:
    """An (H, W, 3) uint8 array as a Surface, optionally scaled to `size` (w, h)."""
    surf = pygame.surfarray.make_surface(rgb.transpose(1, 0, 2))
    if size is not None and tuple(size) != surf.get_size():
        size = (max(1, int(size[0])), max(1, int(size[1])))
        surf = (pygame.transform.smoothscale if smooth else pygame.transform.scale)(surf, size)
    return surf


def shrink(a: np.ndarray, max_side: int) -> np.ndarray:
    """Every f-th pixel of a 2-D image so its longer side is about 2 * max_side: a thumbnail of a
    big drawing costs microseconds instead of a millisecond (the pad's strokes are thick enough)."""
    f = max(a.shape) // (2 * max_side)
    return a[::f, ::f] if f >= 2 else a


def gray_surface(a: np.ndarray, size=None, smooth: bool = False) -> pygame.Surface:
    """A 2-D image (float in [0, 1] or uint8) as an 8-bit gray Surface, optionally scaled to `size`
    (nearest neighbour).

    `smooth` first subsamples a large image (keeps every f-th pixel, see `shrink`; no averaging) so a
    big drawing becomes a thumbnail cheaply; the pad's thick strokes survive it.
    """
    a = np.asarray(a)
    if smooth and size is not None:
        a = shrink(a, max(size))
    if a.dtype != np.uint8:
        a = (np.clip(a, 0, 1) * 255).astype(np.uint8)  # NaN never gets here: nn checks its inputs
    surf = pygame.surfarray.make_surface(a.T)
    surf.set_palette(GRAY_PALETTE)
    if size is not None and tuple(size) != surf.get_size():
        surf = pygame.transform.scale(surf, (max(1, int(size[0])), max(1, int(size[1]))))
    return surf


class ProbabilityBars(View):
    """Ten horizontal bars, one per digit, the winner highlighted; `set(None)` shows them empty."""

    def __init__(self, rect):
        super().__init__(rect)
        self.probs: np.ndarray | None = None

    def set(self, probs) -> None:
        self.probs = None if probs is None else np.asarray(probs, dtype=np.float64).reshape(-1)
        self._cache = None

    def render(self, surf):
        w, h = surf.get_size()
        row = h / 10
        best = int(np.argmax(self.probs)) if self.probs is not None else -1
        bar_x, bar_w = 26, w - 26 - 58
        for d in range(10):
            y = int(d * row)
            cy = int(y + row / 2)
            colour = theme.TEXT if d == best else theme.TEXT_DIM
            theme.blit_text(surf, str(d), (12, cy), theme.NORMAL, colour, bold=d == best, anchor="center")
            track = pygame.Rect(bar_x, cy - int(row * 0.32), bar_w, max(4, int(row * 0.64)))
            pygame.draw.rect(surf, theme.INPUT_BG, track, border_radius=3)
            if self.probs is not None:
                p = float(self.probs[d])
                fill = track.copy()
                fill.w = max(0, int(round(bar_w * p)))
                if fill.w > 0:
                    pygame.draw.rect(surf, theme.ACCENT if d == best else theme.ACCENT_DARK, fill,
                                     border_radius=3)
                theme.blit_text(surf, f"{100 * p:5.1f} %", (w - 4, cy), theme.SMALL, colour,
                                anchor="midright")


class NetworkInput(View):
    """The 28x28 image the network sees, magnified with a faint pixel grid, and the preprocessing
    stages as small thumbnails underneath."""

    SHORT_NAMES = {"centred 28x28": "centred", "fit 20x20": "fit 20x20", "resized 28x28": "resized"}

    def __init__(self, rect):
        super().__init__(rect)
        self.x: np.ndarray | None = None
        self.stages: list[tuple[str, np.ndarray]] = []
        self.caption = ""
        self._grid_cache: pygame.Surface | None = None

    def set(self, x, stages: Sequence[tuple[str, np.ndarray]] = (), caption: str = "") -> None:
        self.x = None if x is None else np.asarray(x, dtype=np.float32).reshape(28, 28)
        self.stages = list(stages)
        self.caption = caption
        self._cache = None

    def big_rect(self) -> pygame.Rect:
        w, h = self.rect.size
        thumbs_h = 78 if self.stages else 0
        side = max(28, min(w, h - thumbs_h - 20))
        side = side // 28 * 28
        return pygame.Rect((w - side) // 2, 0, side, side)

    def _grid(self, size: tuple[int, int]) -> pygame.Surface:
        """The faint 28x28 grid over the magnified image, drawn once per size (every stroke re-renders)."""
        if self._grid_cache is None or self._grid_cache.get_size() != size:
            cell = size[0] // 28
            grid = self._grid_cache = pygame.Surface(size, pygame.SRCALPHA)
            for i in range(1, 28):
                pygame.draw.line(grid, (90, 90, 110, 60), (i * cell, 0), (i * cell, size[1]))
                pygame.draw.line(grid, (90, 90, 110, 60), (0, i * cell), (size[0], i * cell))
        return self._grid_cache

    def render(self, surf):
        w, h = surf.get_size()
        big = self.big_rect()
        if self.x is None:
            pygame.draw.rect(surf, theme.INPUT_BG, big)
        else:
            surf.blit(gray_surface(self.x, big.size), big)
            if big.w // 28 >= 5:  # a pixel grid shows how coarse 28x28 is
                surf.blit(self._grid(big.size), big)
        pygame.draw.rect(surf, theme.PANEL_BORDER, big.inflate(2, 2), 1)
        if self.caption:
            theme.blit_text(surf, theme.fit_text(self.caption, w, theme.SMALL), (w // 2, big.bottom + 4),
                            theme.SMALL, theme.TEXT_DIM, anchor="midtop")
        if not self.stages:
            return
        n = len(self.stages)
        gap = 6
        t = min(54, (w - gap * (n - 1)) // n)
        x = (w - (n * t + (n - 1) * gap)) // 2
        y = min(h - t - 16, big.bottom + 26)
        for name, img in self.stages:
            name = self.SHORT_NAMES.get(name, name)
            img = np.asarray(img)
            if img.ndim == 2 and img.size:
                ih, iw = img.shape
                s = t / max(ih, iw)
                size = (max(1, int(iw * s)), max(1, int(ih * s)))
                thumb = gray_surface(img, size, smooth=max(ih, iw) > t)
                r = thumb.get_rect(center=(x + t // 2, y + t // 2))
                pygame.draw.rect(surf, theme.INPUT_BG, (x, y, t, t))
                surf.blit(thumb, r)
            pygame.draw.rect(surf, theme.PANEL_BORDER, (x - 1, y - 1, t + 2, t + 2), 1)
            theme.blit_text(surf, theme.fit_text(name, t + gap, theme.SMALL), (x + t // 2, y + t + 2),
                            theme.SMALL, theme.TEXT_FAINT, anchor="midtop")
            x += t + gap


def _grid_shape(n: int, w: int, h: int, gap: int = 2) -> tuple[int, int, int]:
    """Columns, rows and cell size (px) that fit n square cells in w x h with the largest cells."""
    best = (1, n, 1)
    for cols in range(1, n + 1):
        rows = math.ceil(n / cols)
        size = min((w + gap) // cols, (h + gap) // rows) - gap
        if size > best[2]:
            best = (cols, rows, size)
    return best


class WeightTiles(View):
    """First-layer weights: one 28x28 tile per hidden unit (the column w[0][:, j]), orange for
    positive, blue for negative weights, each tile scaled by its own largest |w|. Shows the first
    units that fit at a readable size (at most MAX_TILES)."""

    MIN_TILE = 34
    MAX_TILES = 96

    def __init__(self, rect):
        super().__init__(rect)
        self.w0: np.ndarray | None = None
        self.shown = 0

    def set(self, w0) -> None:
        self.w0 = None if w0 is None else np.asarray(w0, dtype=np.float32)
        self._cache = None

    def render(self, surf):
        w, h = surf.get_size()
        area_h = h - 22
        if self.w0 is None or self.w0.ndim != 2 or self.w0.shape[0] != 784:
            theme.blit_text(surf, "No model", (w // 2, h // 2), theme.NORMAL, theme.TEXT_FAINT, anchor="center")
            return
        n_units = self.w0.shape[1]
        gap = 3
        n = min(n_units, self.MAX_TILES)
        cols, rows, size = _grid_shape(n, w, area_h, gap)
        while size < self.MIN_TILE and n > 1:  # too many units: show the first ones that fit
            n = max(1, min(n - 1, ((w + gap) // (self.MIN_TILE + gap)) * ((area_h + gap) // (self.MIN_TILE + gap))))
            cols, rows, size = _grid_shape(n, w, area_h, gap)
        self.shown = n
        tiles = self.w0[:, :n].T.reshape(n, 28, 28)
        scale = np.abs(tiles).max(axis=(1, 2), keepdims=True)
        rgb = diverging(tiles / np.where(scale > 0, scale, 1))  # (n, 28, 28, 3)
        x0 = (w - (cols * (size + gap) - gap)) // 2
        for i in range(n):
            r, c = divmod(i, cols)
            surf.blit(rgb_surface(rgb[i], (size, size), smooth=True), (x0 + c * (size + gap), r * (size + gap)))
        more = f"first {n} of {n_units} units" if n < n_units else f"all {n_units} units"
        caption = f"First-layer weights, a 28x28 tile per unit ({more}): orange +, blue −"
        theme.blit_text(surf, theme.fit_text(caption, w - 4, theme.SMALL), (w // 2, h - 2), theme.SMALL,
                        theme.TEXT_DIM, anchor="midbottom")


class ActivationView(View):
    """Hidden-layer activations for the current digit: one heat-map grid per hidden layer."""

    def __init__(self, rect):
        super().__init__(rect)
        self.layers: list[np.ndarray] = []
        self.names: list[str] = []

    def set(self, activations: Sequence[np.ndarray] | None, names: Sequence[str] = ()) -> None:
        """`activations`: the hidden layers' a (each (n_l,) or (1, n_l)); None shows an empty view."""
        self.layers = [] if activations is None else [np.asarray(a, np.float32).reshape(-1) for a in activations]
        self.names = list(names)
        self._cache = None

    def render(self, surf):
        w, h = surf.get_size()
        if not self.layers:
            theme.blit_text(surf, "Draw a digit to see which hidden units it switches on",
                            (w // 2, h // 2), theme.NORMAL, theme.TEXT_FAINT, anchor="center")
            return
        n = len(self.layers)
        gap = 16
        col_w = (w - gap * (n - 1)) // n
        x = 0
        for l, a in enumerate(self.layers):
            name = self.names[l] if l < len(self.names) else ""
            top = a.max(initial=0.0)
            lo = min(0.0, a.min(initial=0.0))
            norm = (a - lo) / (top - lo) if top > lo else np.zeros_like(a)
            cols, rows, size = _grid_shape(a.size, col_w, h - 40, gap=1)
            cells = np.zeros(cols * rows, np.float32)
            cells[:a.size] = norm
            rgb = colormap(cells.reshape(rows, cols))
            if cols * rows > a.size:  # cells past the last unit are blank
                flat = rgb.reshape(-1, 3)
                flat[a.size:] = theme.PANEL
            img = rgb_surface(rgb, (cols * (size + 1), rows * (size + 1)))
            ix = x + (col_w - img.get_width()) // 2
            surf.blit(img, (ix, 20))
            active = float((a > 1e-6).mean()) * 100 if a.size else 0.0
            theme.blit_text(surf, f"Hidden layer {l + 1}: {a.size} units {name}", (x + col_w // 2, 2),
                            theme.SMALL, theme.TEXT, anchor="midtop")
            theme.blit_text(surf, f"{active:.0f} % above zero · max {top:.2f}",
                            (x + col_w // 2, 20 + img.get_height() + 3), theme.SMALL, theme.TEXT_DIM,
                            anchor="midtop")
            x += col_w + gap
