"""Pictures of how the model does on test digits: the confusion matrix and the gallery of misread
digits (click one to put it on the pad). Views like those in ui.visuals: cached, redrawn on new data."""
from __future__ import annotations

from typing import Callable

import numpy as np
import pygame

from ui import theme
from ui.view import View
from ui.visuals import gray_surface


class ConfusionView(View):
    """A 10x10 confusion matrix: rows are true digits, columns predictions; shading by row share."""

    def __init__(self, rect):
        super().__init__(rect)
        self.matrix: np.ndarray | None = None
        self.caption = ""

    def set(self, matrix, caption: str = "") -> None:
        self.matrix = None if matrix is None else np.asarray(matrix, dtype=np.int64).reshape(10, 10)
        self.caption = caption
        self._cache = None

    def render(self, surf):
        w, h = surf.get_size()
        if self.matrix is None:
            theme.blit_text(surf, "The confusion matrix appears after an epoch or once test digits are scored",
                            (w // 2, h // 2), theme.NORMAL, theme.TEXT_FAINT, anchor="center")
            return
        m = self.matrix
        cell = max(8, min((w - 160) // 10, (h - 44) // 10))
        gx = (w - cell * 10) // 2 - 40
        gy = 30
        rows = m.sum(axis=1, keepdims=True)
        share = m / np.where(rows > 0, rows, 1)
        for t in range(10):
            theme.blit_text(surf, str(t), (gx - 8, gy + t * cell + cell // 2), theme.SMALL, theme.TEXT_DIM,
                            anchor="midright")
            theme.blit_text(surf, str(t), (gx + t * cell + cell // 2, gy - 3), theme.SMALL, theme.TEXT_DIM,
                            anchor="midbottom")
            for p in range(10):
                s = float(share[t, p])
                if t == p:
                    colour = tuple(int(c1 + (c2 - c1) * s) for c1, c2 in zip(theme.INPUT_BG, (40, 150, 80)))
                else:
                    s = min(1.0, s * 8)  # mistakes are rare: stretch their shading
                    colour = tuple(int(c1 + (c2 - c1) * s) for c1, c2 in zip(theme.INPUT_BG, (190, 60, 60)))
                r = pygame.Rect(gx + p * cell, gy + t * cell, cell - 1, cell - 1)
                pygame.draw.rect(surf, colour, r)
                if cell >= 22 and m[t, p]:
                    label = str(int(m[t, p]))
                    size = theme.SMALL if cell >= 7 * len(label) + 4 else 10 if cell >= 6 * len(label) else 9
                    theme.blit_text(surf, label, r.center, size,
                                    theme.TEXT if t == p or s > 0.3 else theme.TEXT_DIM, anchor="center")
        theme.blit_text(surf, "predicted →", (gx + 5 * cell, gy - 17), theme.SMALL, theme.TEXT_FAINT,
                        anchor="midbottom")
        label = theme.text("true ↓", theme.SMALL, theme.TEXT_FAINT)
        surf.blit(pygame.transform.rotate(label, 90), (gx - 36, gy + 5 * cell - label.get_width() // 2))
        total = int(m.sum())
        acc = 100.0 * np.trace(m) / total if total else 0.0
        tx = gx + cell * 10 + 18
        lines = [self.caption, f"{total:,} digits", f"accuracy {acc:.2f} %", "",
                 "worst confusions:"]
        off = m.copy()
        np.fill_diagonal(off, 0)
        for k in np.argsort(off, axis=None)[::-1][:5]:
            t, p = divmod(int(k), 10)
            if off[t, p] > 0:
                lines.append(f"  {t} read as {p}: {off[t, p]}")
        y = gy
        for line in lines:
            if line:
                theme.blit_text(surf, theme.fit_text(line, w - tx - 4, theme.SMALL), (tx, y), theme.SMALL,
                                theme.TEXT if line == lines[2] else theme.TEXT_DIM)
            y += 18


class Gallery(View):
    """Misclassified test digits as tiles captioned "true → predicted"; clicking a tile calls
    `on_pick(image_784_uint8, true_label, predicted)`."""

    def __init__(self, rect, on_pick: Callable | None = None):
        super().__init__(rect)
        self.on_pick = on_pick
        self.images = np.zeros((0, 784), np.uint8)
        self.labels = np.zeros(0, np.int64)
        self.preds = np.zeros(0, np.int64)
        self.caption = ""
        self.hover = -1
        self._tiles: list[pygame.Rect] = []

    def set(self, images, labels, preds, caption: str = "") -> None:
        self.images = np.asarray(images).reshape(-1, 784)
        self.labels = np.asarray(labels).reshape(-1)
        self.preds = np.asarray(preds).reshape(-1)
        self.caption = caption
        self._cache = None

    def _layout(self) -> list[pygame.Rect]:
        w, h = self.rect.size
        t = 56
        cols = max(1, (w + 8) // (t + 8))
        rows = max(1, (h - 22 + 6) // (t + 22))
        n = min(len(self.images), cols * rows)
        x0 = (w - (cols * (t + 8) - 8)) // 2
        return [pygame.Rect(x0 + (i % cols) * (t + 8), 22 + (i // cols) * (t + 22), t, t) for i in range(n)]

    def handle_event(self, event) -> bool:
        if not self.visible:
            return False
        if event.type in (pygame.MOUSEMOTION, pygame.MOUSEBUTTONDOWN) and hasattr(event, "pos"):
            lx, ly = event.pos[0] - self.rect.x, event.pos[1] - self.rect.y
            hit = next((i for i, r in enumerate(self._layout()) if r.collidepoint(lx, ly)), -1)
            if event.type == pygame.MOUSEMOTION:
                if hit != self.hover:
                    self.hover = hit
                    self._cache = None
                return False
            if event.button == 1 and hit >= 0 and self.on_pick is not None:
                self.on_pick(self.images[hit], int(self.labels[hit]), int(self.preds[hit]))
                return True
        return False

    def render(self, surf):
        w, h = surf.get_size()
        theme.blit_text(surf, theme.fit_text(self.caption or "Misclassified test digits", w - 8, theme.SMALL),
                        (w // 2, 2), theme.SMALL, theme.TEXT_DIM, anchor="midtop")
        tiles = self._layout()
        if not tiles:
            theme.blit_text(surf, "No misclassified digits to show yet", (w // 2, h // 2), theme.NORMAL,
                            theme.TEXT_FAINT, anchor="center")
            return
        for i, r in enumerate(tiles):
            surf.blit(gray_surface(self.images[i].reshape(28, 28), r.size), r)
            pygame.draw.rect(surf, theme.ACCENT if i == self.hover else theme.PANEL_BORDER, r.inflate(2, 2),
                             2 if i == self.hover else 1)
            theme.blit_text(surf, f"{int(self.labels[i])} → {int(self.preds[i])}", (r.centerx, r.bottom + 3),
                            theme.SMALL, theme.TEXT_DIM, anchor="midtop")
