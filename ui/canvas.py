"""The drawing pad: smooth round-brush strokes, erasing with the right button, undo per stroke.

The pad is white ink on black, like MNIST. `to_array()` gives what is drawn as an (H, W) uint8
grayscale array for `nn.preprocess.preprocess_digit`; `changed` is set whenever the drawing
changes, and the app clears it after predicting.
"""
from __future__ import annotations

import numpy as np
import pygame

from ui import theme
from ui.visuals import gray_surface
from ui.widgets import Widget

UNDO_DEPTH = 40
BRUSH_STEPS = (0.5, 0.7, 0.85, 1.0, 1.2, 1.45, 1.75)  # brush radius in MNIST pixels of the pad


class Canvas(Widget):
    """A square drawing pad in `rect`. Left button draws, right button erases, the wheel sizes the brush."""

    def __init__(self, rect, brush_step: int = 3):
        super().__init__(rect)
        # An 8-bit surface with a gray palette (index = ink level): `to_array` copies the pixels.
        self.surface = gray_surface(np.zeros((self.rect.h, self.rect.w), np.uint8))
        self.brush_step = brush_step
        self.changed = False
        self.empty = True
        self._undo: list[pygame.Surface] = []
        self._stroke: list[tuple[float, float]] | None = None
        self._erasing = False
        self._hover: tuple[int, int] | None = None

    @staticmethod
    def _resized(a: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        """(H, W) uint8 resized to size (w, h) with bilinear filtering."""
        from PIL import Image
        return np.asarray(Image.fromarray(a).resize(size, Image.BILINEAR))

    def _resize_surface(self, surf: pygame.Surface, size) -> pygame.Surface:
        a = np.ascontiguousarray(pygame.surfarray.array2d(surf).T.astype(np.uint8))
        return gray_surface(self._resized(a, size))

    # --- geometry ------------------------------------------------------------------------
    @property
    def brush_radius(self) -> float:
        """Brush radius in pad pixels (a pad is 28 MNIST pixels wide)."""
        return BRUSH_STEPS[self.brush_step] * self.rect.w / 28.0

    def set_brush_step(self, step: int) -> None:
        self.brush_step = max(0, min(len(BRUSH_STEPS) - 1, step))

    def resize(self, rect) -> None:
        """Move/resize the pad, scaling the drawing (and the undo history) to the new size."""
        rect = pygame.Rect(rect)
        if rect.size != self.rect.size:
            self.surface = self._resize_surface(self.surface, rect.size)
            self._undo = [self._resize_surface(s, rect.size) for s in self._undo]
            self.changed = True
        self.rect = rect

    def _local(self, pos) -> tuple[float, float]:
        return float(pos[0] - self.rect.x), float(pos[1] - self.rect.y)

    # --- editing -------------------------------------------------------------------------
    def _push_undo(self) -> None:
        self._undo.append(self.surface.copy())
        del self._undo[:-UNDO_DEPTH]

    def _stamp_segment(self, p0, p1) -> None:
        """Round-brush circles from p0 to p1, spaced closely enough to look like one smooth line."""
        r = self.brush_radius
        colour = theme.PAD_BG if self._erasing else theme.INK
        if self._erasing:
            r *= 1.6  # an eraser a bit wider than the pen is easier to use
        dx, dy = p1[0] - p0[0], p1[1] - p0[1]
        n = max(1, int(np.hypot(dx, dy) / max(1.0, r / 4)))
        for i in range(1, n + 1):
            t = i / n
            pygame.draw.circle(self.surface, colour, (p0[0] + dx * t, p0[1] + dy * t), r)

    def _add_point(self, p) -> None:
        """Extend the stroke to p, smoothing corners with quadratic curves through the midpoints."""
        pts = self._stroke
        if pts is None:
            return
        if pts and np.hypot(p[0] - pts[-1][0], p[1] - pts[-1][1]) < 1.0:
            return
        pts.append(p)
        if len(pts) == 1:
            pygame.draw.circle(self.surface, theme.PAD_BG if self._erasing else theme.INK, p,
                               self.brush_radius * (1.6 if self._erasing else 1.0))
        elif len(pts) == 2:
            self._stamp_segment(pts[0], ((pts[0][0] + p[0]) / 2, (pts[0][1] + p[1]) / 2))
        else:
            a, c, b = pts[-3], pts[-2], p
            m0 = ((a[0] + c[0]) / 2, (a[1] + c[1]) / 2)
            m1 = ((c[0] + b[0]) / 2, (c[1] + b[1]) / 2)
            length = np.hypot(c[0] - m0[0], c[1] - m0[1]) + np.hypot(m1[0] - c[0], m1[1] - c[1])
            n = max(1, int(length / max(2.0, self.brush_radius / 2)))
            prev = m0
            for i in range(1, n + 1):
                t = i / n
                q = ((1 - t) ** 2 * m0[0] + 2 * (1 - t) * t * c[0] + t * t * m1[0],
                     (1 - t) ** 2 * m0[1] + 2 * (1 - t) * t * c[1] + t * t * m1[1])
                self._stamp_segment(prev, q)
                prev = q
        self._mark_changed()

    def _end_stroke(self) -> None:
        pts = self._stroke
        if pts and len(pts) >= 2:
            last, prev = pts[-1], pts[-2]
            self._stamp_segment(((last[0] + prev[0]) / 2, (last[1] + prev[1]) / 2), last)
            self._mark_changed()
        self._stroke = None

    def _mark_changed(self) -> None:
        self.changed = True
        self.empty = False

    def begin_stroke(self, pos, erase: bool = False) -> None:
        self._push_undo()
        self._erasing = erase
        self._stroke = []
        self._add_point(self._local(pos))

    def clear(self) -> None:
        """Wipe the pad (undoable)."""
        if not self.empty:
            self._push_undo()
        self.surface.fill(theme.PAD_BG)
        self._stroke = None
        self.empty = True
        self.changed = True

    def undo(self) -> bool:
        """Take back the last stroke (or clear); False when there is nothing to undo."""
        if not self._undo:
            return False
        self.surface = self._undo.pop()
        self._stroke = None
        self.empty = not self.to_array().any()
        self.changed = True
        return True

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    def set_image(self, image: np.ndarray) -> None:
        """Put a grayscale image (e.g. a 28x28 test digit, uint8 or float in [0, 1]) on the pad (undoable)."""
        img = np.asarray(image, dtype=np.float32)
        if img.ndim == 1:
            img = img.reshape(28, 28)
        if img.max(initial=0) > 1.0:
            img = img / 255.0
        g = (np.clip(img, 0, 1) * 255).astype(np.uint8)
        self._push_undo()
        self.surface = gray_surface(self._resized(g, self.rect.size))
        self._stroke = None
        self.empty = not g.any()
        self.changed = True

    def to_array(self) -> np.ndarray:
        """The drawing as an (H, W) uint8 array, 0 = background, 255 = ink."""
        view = pygame.surfarray.pixels2d(self.surface)  # (W, H) uint8, locks the surface
        try:
            return view.T.copy()  # a copy: the view would follow later strokes and keep the lock
        finally:
            del view

    # --- events --------------------------------------------------------------------------
    def handle_event(self, event) -> bool:
        if not (self.visible and self.enabled):
            return False
        t = event.type
        if t == pygame.MOUSEBUTTONDOWN and event.button in (1, 3) and self.rect.collidepoint(event.pos):
            self.begin_stroke(event.pos, erase=event.button == 3)
            return True
        if t == pygame.MOUSEMOTION:
            self._hover = event.pos if self.rect.collidepoint(event.pos) else None
            buttons = getattr(event, "buttons", None)
            if self._stroke is not None and buttons is not None and not (buttons[0] or buttons[2]):
                self._end_stroke()  # the button came up outside the window: the release was never seen
                return True
            if self._stroke is not None:
                x = min(max(event.pos[0], self.rect.left), self.rect.right - 1)
                y = min(max(event.pos[1], self.rect.top), self.rect.bottom - 1)
                self._add_point(self._local((x, y)))
                return True
            return False
        if t == pygame.MOUSEBUTTONUP and event.button in (1, 3) and self._stroke is not None:
            self._end_stroke()
            return True
        if t == pygame.MOUSEWHEEL and self._hover is not None:
            self.set_brush_step(self.brush_step + (1 if event.y > 0 else -1))
            return True
        return False

    def draw(self, surface: pygame.Surface) -> None:
        surface.blit(self.surface, self.rect)
        # A faint frame for the area the preprocessing fits the digit into (20x20 of 28x28).
        if self.empty:
            theme.blit_text(surface, "Draw a digit here", (self.rect.centerx, self.rect.centery - 12),
                            theme.LARGE, theme.TEXT_DIM, anchor="center")
            for i, line in enumerate(("left button draws · right button erases",
                                      "mouse wheel changes the pen size")):
                theme.blit_text(surface, line, (self.rect.centerx, self.rect.centery + 14 + 17 * i),
                                theme.SMALL, theme.TEXT_FAINT, anchor="center")
        pygame.draw.rect(surface, theme.PANEL_BORDER, self.rect.inflate(2, 2), 1)
        if self._hover is not None:
            r = self.brush_radius * (1.6 if (self._stroke is not None and self._erasing) else 1.0)
            clip = surface.get_clip()
            surface.set_clip(self.rect)
            pygame.draw.circle(surface, theme.ACCENT, self._hover, max(2, int(r)), 1)
            surface.set_clip(clip)
