"""The display: the window, the surface the layout is drawn on (off-screen and scaled down when
the window is smaller than theme.MIN_SIZE), the layout's rectangles, and what needs flipping this
frame: everything, or only the parts of the window that changed (a full flip costs more than
drawing on a software X server)."""
from __future__ import annotations

import time
from typing import Callable

import pygame

from ui import layout, theme


class Screen:
    """The window and its damage bookkeeping; `layout` holds ui.layout.compute's rectangles."""

    def __init__(self, size: tuple[int, int]):
        self.window = pygame.display.set_mode(size, pygame.RESIZABLE)
        pygame.display.set_caption(theme.TITLE)
        pygame.display.set_icon(theme.icon())
        self.surface = self.window           # what we draw on (an off-screen one when the window is small)
        self.scale = 1.0
        self.layout: dict = {}
        self.dirty = True                    # redraw and flip everything
        self.damage: list[pygame.Rect] = []  # or flip only these parts
        self.redraws = 0                     # frames actually drawn and flipped
        self._last_mouse = (-1, -1)

    def relayout(self, rows) -> dict:
        """Lay out for the current window size (fluid above MIN_SIZE, scaled below); returns the rectangles."""
        size, self.scale = layout.logical_size(self.window.get_size())
        self.surface = self.window if self.scale == 1.0 else pygame.Surface(size)
        self.layout = layout.compute(size, rows)
        return self.layout

    def window_changed(self) -> bool:
        """After a resize event: True when the window's size differs from the one laid out."""
        self.window = pygame.display.get_surface() or self.window
        return self.window.get_size() != self.layout.get("window")

    # ------------------------------------------------------------------ damage
    def areas(self) -> list[pygame.Rect]:
        """The window's parts that a partial update can refresh on their own."""
        L = self.layout
        w, _ = L["size"]
        return [L["col1"], L["col2"], L["col3"], L["status"], pygame.Rect(0, 0, w, theme.TOP_BAR_H + 8)]

    def mark(self, area: pygame.Rect) -> None:
        self.damage.append(area)

    def mark_where(self, inside: Callable[[pygame.Rect], bool]) -> None:
        """Mark the part of the window `inside` picks (the whole window when none does)."""
        area = next((r for r in self.areas() if inside(r)), None)
        if area is None:
            self.dirty = True
        elif area not in self.damage:
            self.damage.append(area)

    def mark_event(self, event, precise: bool = True) -> None:
        """Mark what an event may change: a mouse move only the panels under the old and the new
        pointer position (hover, the brush outline, a stroke); anything else the whole window.
        `precise=False` (an overlay is up) marks the whole window for a move too."""
        if event.type == pygame.MOUSEMOTION and self.scale == 1.0 and precise:
            for pos in (event.pos, self._last_mouse):
                self.mark_where(lambda r, pos=pos: r.collidepoint(pos))
            self._last_mouse = event.pos
        else:
            self.dirty = True

    @property
    def changed(self) -> bool:
        return self.dirty or bool(self.damage)

    # ------------------------------------------------------------------ flip
    def present(self) -> None:
        """Show what was drawn: scaled into the window when small, else flip all or the damaged parts."""
        if self.surface is not self.window:
            lw, lh = self.surface.get_size()
            size = (int(lw * self.scale), int(lh * self.scale))
            self.window.fill(theme.BG)
            self.window.blit(pygame.transform.smoothscale(self.surface, size), (0, 0))
        if self.dirty or self.surface is not self.window:
            pygame.display.flip()
        else:  # only the panels that changed: a full flip costs more than drawing on a software X server
            pygame.display.update([r.inflate(2, 2) for r in self.damage])
        self.redraws += 1
        self.dirty = False
        self.damage = []

    def hold(self, seconds: float, draw: Callable[[], None]) -> None:
        """Keep `draw()`'s picture up for `seconds` (a message to read as the window closes),
        redrawn so that an uncovered window is not blank; input meanwhile goes nowhere."""
        end = time.perf_counter() + seconds
        while True:
            pygame.event.get()
            draw()
            self.dirty = True
            self.present()
            if time.perf_counter() >= end:
                return
            time.sleep(min(0.05, max(0.0, end - time.perf_counter())))

    def to_logical(self, event: pygame.event.Event) -> pygame.event.Event:
        """Map mouse positions into the scaled-down layout when the window is small."""
        if self.scale == 1.0 or not hasattr(event, "pos"):
            return event
        d = dict(event.__dict__)
        d["pos"] = (int(event.pos[0] / self.scale), int(event.pos[1] / self.scale))
        return pygame.event.Event(event.type, d)
