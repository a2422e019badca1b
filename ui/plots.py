"""Line plots drawn with pygame: axes, "nice" ticks, a legend with the latest values.

A plot is a ui.view.View: it renders into a cached surface and redraws only after `set_series`
or a resize, so a plot updated a few times a second costs almost nothing on the frames in between.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import pygame

from ui import theme
from ui.view import View


@dataclass
class Series:
    """One line: x and y values, a colour, a name; `points` draws a dot at each sample."""
    name: str
    x: Sequence[float]
    y: Sequence[float]
    colour: tuple
    points: bool = False
    fmt: str = "{:.3f}"


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About n round tick values (1, 2 or 5 times a power of ten) covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(1, n)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks, v = [], first
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 10))
        v += step
    return ticks


def _fmt_tick(v: float, step: float) -> str:
    """A tick label with as many decimals as the tick step needs."""
    if step >= 1:
        return f"{v:.0f}"
    d = max(0, -math.floor(math.log10(step) + 1e-9))
    return f"{v:.{d}f}"


class LinePlot(View):
    """A titled line plot. `y_range` fixes the y axis (e.g. (0, 100) for accuracy), else it fits the data."""

    def __init__(self, rect, title: str, x_label: str = "", y_range: tuple | None = None,
                 y_floor: float | None = None, empty_text: str = "No data yet", y_focus: bool = False):
        """y_focus: leave the first 5 % of the x span out of the y range (a loss starts far above
        where it ends; those points are still drawn, clipped at the top)."""
        super().__init__(rect)
        self.y_focus = y_focus
        self.title, self.x_label, self.y_range, self.y_floor = title, x_label, y_range, y_floor
        self.empty_text = empty_text
        self.series: list[Series] = []
        self.x_min_span = 1.0

    def set_series(self, series: list[Series], x_min_span: float = 1.0) -> None:
        self.series = series
        self.x_min_span = x_min_span
        self._cache = None

    # --- rendering -----------------------------------------------------------------------
    def _bounds(self):
        xs = [float(v) for s in self.series for v in s.x]
        ys = [float(v) for s in self.series for v in s.y if math.isfinite(float(v))]
        if not xs or not ys:
            return None
        x0, x1 = 0.0, max(max(xs), self.x_min_span)
        lo, hi = min(ys), max(ys)
        if self.y_focus:
            cut = 0.05 * max(xs)
            late = [float(v) for s in self.series for a, v in zip(s.x, s.y) if a >= cut and math.isfinite(float(v))]
            if late:
                hi = max(late)
        if self.y_range is not None:
            y0, y1 = self.y_range
            if lo > y0 + (y1 - y0) * 0.5:  # zoom in on the interesting top part
                y0 = max(y0, math.floor(lo / 5) * 5 - 5)
        else:
            pad = (hi - lo) * 0.08 or max(abs(hi) * 0.1, 1e-3)
            y0, y1 = lo - pad, hi + pad
            if self.y_floor is not None:
                y0 = max(self.y_floor, y0)
        return x0, x1, y0, y1

    def render(self, surf: pygame.Surface) -> None:
        w, h = surf.get_size()
        theme.blit_text(surf, self.title, (4, 2), theme.SMALL, theme.TEXT_DIM, bold=True)
        if self.x_label:
            theme.blit_text(surf, f"x: {self.x_label}", (w - 10, 2), theme.SMALL, theme.TEXT_FAINT,
                            anchor="topright")
        # Legend under the title, with the latest values.
        x = 4
        shown = [s for s in self.series if any(math.isfinite(float(v)) for v in s.y)]
        for s in shown or self.series[:1]:
            pygame.draw.line(surf, s.colour, (x, 28), (x + 14, 28), 3)
            last = next((float(v) for v in reversed(s.y) if math.isfinite(float(v))), None)
            label = s.name + (f" {s.fmt.format(last)}" if last is not None else "")
            x = theme.blit_text(surf, label, (x + 19, 28), theme.SMALL, theme.TEXT, anchor="midleft").right + 14
        plot = pygame.Rect(44, 44, w - 44 - 10, h - 44 - 30)
        if plot.w < 20 or plot.h < 20:
            return
        pygame.draw.rect(surf, theme.INPUT_BG, plot)
        b = self._bounds()
        if b is None:
            theme.blit_text(surf, theme.fit_text(self.empty_text, plot.w - 8, theme.SMALL), plot.center,
                            theme.SMALL, theme.TEXT_FAINT, anchor="center")
            pygame.draw.rect(surf, theme.PANEL_BORDER, plot, 1)
            return
        x0, x1, y0, y1 = b

        def to_px(xv, yv):
            return (plot.x + (xv - x0) / (x1 - x0) * plot.w,
                    plot.bottom - (yv - y0) / ((y1 - y0) or 1) * plot.h)

        yt = nice_ticks(y0, y1, max(3, plot.h // 32))
        ystep = yt[1] - yt[0] if len(yt) > 1 else 1
        for v in yt:
            _, py = to_px(x0, v)
            pygame.draw.line(surf, theme.PLOT_GRID, (plot.x, py), (plot.right - 1, py))
            theme.blit_text(surf, _fmt_tick(v, ystep), (plot.x - 5, py), theme.SMALL, theme.TEXT_DIM,
                            anchor="midright")
        xt = [v for v in nice_ticks(x0, x1, max(3, plot.w // 45)) if v >= x0]
        xstep = xt[1] - xt[0] if len(xt) > 1 else 1
        for v in xt:
            px, _ = to_px(v, y0)
            pygame.draw.line(surf, theme.PLOT_GRID, (px, plot.y), (px, plot.bottom - 1))
            theme.blit_text(surf, _fmt_tick(v, xstep), (px, plot.bottom + 3), theme.SMALL, theme.TEXT_DIM,
                            anchor="midtop")
        clip = surf.get_clip()
        surf.set_clip(plot)
        for s in self.series:
            pts = [to_px(float(a), float(c)) for a, c in zip(s.x, s.y) if math.isfinite(float(c))]
            if len(pts) > 1:
                if len(pts) > plot.w * 2:  # no point drawing more vertices than pixels
                    step = len(pts) // (plot.w * 2) + 1
                    pts = pts[::step] + [pts[-1]]
                pygame.draw.aalines(surf, s.colour, False, pts)
                pygame.draw.lines(surf, s.colour, False, [(p[0], p[1] + 1) for p in pts], 1)
            if s.points or len(pts) == 1:
                for p in pts:
                    pygame.draw.circle(surf, s.colour, p, 3)
        surf.set_clip(clip)
        pygame.draw.rect(surf, theme.PANEL_BORDER, plot, 1)
