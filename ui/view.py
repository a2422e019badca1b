"""`View`: the base of the window's pictures (ui.plots, ui.visuals, ui.results), a widget that
caches its rendering and can pull its data from state when a version number moves on."""
from __future__ import annotations

import math
import time
from typing import Any, Callable

import pygame

from ui import theme
from ui.widgets import Widget


class View(Widget):
    """A widget that renders into a cached surface (on a panel background) and rebuilds it only
    when its data or size changes (`invalidate()`, `resize()`), so drawing it every frame is one
    blit. Subclasses implement `render(surface)`.

    A view can pull its data from state: `follow(version, pull)` makes `update()` call `pull()`
    (which hands the view its data through `set...()`) whenever `version()` has moved on since the
    last pull, so the code that changes the state never needs to know which views show it."""

    def __init__(self, rect):
        super().__init__(rect)
        self._cache: pygame.Surface | None = None
        self._version: Callable[[], Any] | None = None
        self._pull: Callable[[], Any] = lambda: None
        self._when: Callable[[float], bool] | None = None
        self._seen: Any = None
        self._pulled_at = -math.inf
        self.pulled = False  # True for the update() that took new data

    def follow(self, version: Callable[[], Any], pull: Callable[[], Any],
               when: Callable[[float], bool] | None = None) -> "View":
        """Pull from state when `version()` changes. `when(seconds since the last pull)` may hold a
        pull back (a hidden tab, a rate limit); the view starts as showing the current version."""
        self._version, self._pull, self._when = version, pull, when
        self._seen = version()
        return self

    def update(self, dt: float) -> None:
        self.pulled = False
        if self._version is None:
            return
        v = self._version()
        if v == self._seen:
            return
        now = time.perf_counter()
        if self._when is not None and not self._when(now - self._pulled_at):
            return
        self._seen, self._pulled_at = v, now
        self._pull()
        self.pulled = True

    def resize(self, rect) -> None:
        rect = pygame.Rect(rect)
        if rect.size != self.rect.size:
            self._cache = None
        self.rect = rect

    def invalidate(self) -> None:
        self._cache = None

    def draw(self, surface: pygame.Surface) -> None:
        if not self.visible or self.rect.w < 8 or self.rect.h < 8:
            return
        if self._cache is None:
            self._cache = pygame.Surface(self.rect.size)
            self._cache.fill(theme.PANEL)
            self.render(self._cache)
        surface.blit(self._cache, self.rect)

    def render(self, surface: pygame.Surface) -> None:
        raise NotImplementedError
