"""The reliability diagram: on the test set, the calibrated confidence of each answer (x, 0-1)
against how often answers of that confidence are right (y), in 15 equal-width bins, with the
diagonal a perfectly calibrated model would follow and the expected calibration error (ECE)."""
from __future__ import annotations

import numpy as np
import pygame

from ui import theme
from ui.calib import cal
from ui.view import View

BINS = 15


def compact(n: int) -> str:
    """A count in at most four characters: 7, 812, 9.8k, 12k."""
    return str(n) if n < 1000 else f"{n / 1000:.1f}k" if n < 10000 else f"{n // 1000}k"


class ReliabilityView(View):
    """Accuracy against calibrated confidence, a bar per bin with its count shown faintly."""

    def __init__(self, rect):
        super().__init__(rect)
        self.bins: tuple | None = None   # (mean confidence, accuracy, count), each (BINS,)
        self.ece: float | None = None
        self.caption = ""

    def set(self, confidence, correct, caption: str = "") -> None:
        """confidence (n,) calibrated, correct (n,) bool; caption names the set and the weights."""
        confidence = np.asarray(confidence, dtype=np.float64).reshape(-1)
        correct = np.asarray(correct, dtype=bool).reshape(-1)
        if len(confidence) == 0 or len(confidence) != len(correct):
            self.bins, self.ece, self.caption = None, None, ""
        else:
            self.bins = tuple(np.asarray(a) for a in cal.reliability(confidence, correct, BINS))
            self.ece = float(cal.expected_calibration_error(confidence, correct, BINS))
            self.caption = f"{caption}: ECE {100 * self.ece:.1f} %"
        self._cache = None

    def render(self, surf):
        w, h = surf.get_size()
        if self.bins is None:
            theme.blit_text(surf, "The reliability diagram appears once the test digits are scored",
                            (w // 2, h // 2), theme.NORMAL, theme.TEXT_FAINT, anchor="center")
            return
        side = max(40, min(w - 200, h - 64))
        plot = pygame.Rect(44, 18, side, side)
        pygame.draw.rect(surf, theme.INPUT_BG, plot)
        for t in (0.25, 0.5, 0.75):
            gx, gy = plot.x + int(t * side), plot.bottom - int(t * side)
            pygame.draw.line(surf, theme.PLOT_GRID, (gx, plot.y), (gx, plot.bottom))
            pygame.draw.line(surf, theme.PLOT_GRID, (plot.x, gy), (plot.right, gy))
        for t in (0.0, 0.5, 1.0):
            theme.blit_text(surf, f"{t:g}", (plot.x + int(t * side), plot.bottom + 3), theme.SMALL,
                            theme.TEXT_DIM, anchor="midtop")
            theme.blit_text(surf, f"{t:g}", (plot.x - 5, plot.bottom - int(t * side)), theme.SMALL,
                            theme.TEXT_DIM, anchor="midright")
        conf, acc, count = self.bins
        bw = side / BINS
        for i in range(BINS):
            if count[i] <= 0:
                continue
            x0 = plot.x + int(i * bw)
            bar = pygame.Rect(x0 + 1, plot.bottom - int(round(acc[i] * side)), max(1, int(bw) - 2),
                              int(round(acc[i] * side)))
            pygame.draw.rect(surf, theme.ACCENT_DARK, bar)
            dot = (plot.x + int(conf[i] * side), plot.bottom - int(round(acc[i] * side)))
            pygame.draw.circle(surf, theme.ACCENT, dot, 3)
            if bw >= 14:
                theme.blit_text(surf, compact(int(count[i])), (x0 + int(bw / 2), max(plot.y, bar.y - 2)),
                                9, theme.TEXT_FAINT, anchor="midbottom")
        pygame.draw.line(surf, theme.WARN, plot.bottomleft, plot.topright)  # perfect calibration
        pygame.draw.rect(surf, theme.PANEL_BORDER, plot.inflate(2, 2), 1)
        theme.blit_text(surf, "confidence →", (plot.centerx, plot.bottom + 18), theme.SMALL, theme.TEXT_FAINT,
                        anchor="midtop")
        label = theme.text("accuracy ↑", theme.SMALL, theme.TEXT_FAINT)
        surf.blit(pygame.transform.rotate(label, 90), (4, plot.centery - label.get_width() // 2))
        tx = plot.right + 16
        n = int(count.sum())
        lines = [("Reliability", theme.TEXT), (f"{n:,} answers, {BINS} bins", theme.TEXT_DIM),
                 (f"ECE {100 * self.ece:.1f} %", theme.TEXT), ("", None),
                 ("bars: how often right", theme.TEXT_DIM), ("dots: mean confidence", theme.TEXT_DIM),
                 ("amber line: perfectly honest", theme.WARN), ("numbers: answers per bin", theme.TEXT_FAINT)]
        for k, (line, colour) in enumerate(lines):
            if line:
                theme.blit_text(surf, theme.fit_text(line, w - tx - 4, theme.SMALL), (tx, plot.y + 18 * k),
                                theme.SMALL, colour)
        theme.blit_text(surf, theme.fit_text(self.caption, w - 8, theme.SMALL), (w // 2, h - 2), theme.SMALL,
                        theme.TEXT_DIM, anchor="midbottom")
