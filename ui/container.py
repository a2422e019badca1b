"""The widget container: each widget is registered once, with its name, its place in the layout,
when it is shown and when it is enabled (pygame_gui's UIManager is the model).

The order of registration is the order for events and for drawing, so adding a button is one
`add` call. A widget's place is a key of the rectangles ui.layout computes, or a (row, argument)
pair: the widgets of a row are laid out together in the order they were added (see `rows`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

import pygame

Rule = Callable[[], bool]


@dataclass
class Entry:
    name: str
    widget: Any
    place: Any = None                     # "key" or ("row", argument); None: placed by hand
    shown: Rule | None = None             # None: always; hidden widgets get no events and no drawing
    enabled: Rule | None = None           # None: leave `enabled` alone
    sync: Callable[[Any], None] | None = None  # per frame: relabel or restyle from state
    events: bool = True                   # False: never offered events (labels, bars)
    fallback: bool = False                # offered an event only if no widget before it used it
    static: bool = False                  # drawn once into the background, not every frame


class Widgets:
    """An ordered set of named widgets and their rules."""

    def __init__(self):
        self._entries: list[Entry] = []
        self._by_name: dict[str, Entry] = {}

    def add(self, name: str, widget, place=None, shown: Rule | None = None, enabled: Rule | None = None,
            sync: Callable[[Any], None] | None = None, events: bool = True, fallback: bool = False,
            static: bool = False):
        """Register `widget` under `name` (unique); returns the widget."""
        if name in self._by_name:
            raise ValueError(f"A widget named {name!r} is registered already.")
        entry = Entry(name, widget, place, shown, enabled, sync, events, fallback, static)
        self._entries.append(entry)
        self._by_name[name] = entry
        return widget

    def __getitem__(self, name: str):
        return self._by_name[name].widget

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator:
        return (e.widget for e in self._entries)

    def shown(self, name: str) -> bool:
        e = self._by_name[name]
        return e.shown is None or bool(e.shown())

    # ---------------------------------------------------------------- geometry
    def rows(self) -> dict[str, list[tuple[str, Any]]]:
        """The rows the layout has to fill: {row: [(name, argument), ...]} in registration order."""
        out: dict[str, list[tuple[str, Any]]] = {}
        for e in self._entries:
            if isinstance(e.place, tuple):
                out.setdefault(e.place[0], []).append((e.name, e.place[1]))
        return out

    def place(self, rects: dict) -> None:
        """Give every placed widget its rectangle: rects[key] for a key, rects[name] for a row's widget."""
        for e in self._entries:
            if e.place is None:
                continue
            rect = pygame.Rect(rects[e.name if isinstance(e.place, tuple) else e.place])
            if hasattr(e.widget, "resize"):
                e.widget.resize(rect)  # views and the pad rebuild what depends on their size
            else:
                e.widget.rect = rect

    # ---------------------------------------------------------------- the frame
    def handle_event(self, event: pygame.event.Event) -> bool:
        """Offer a mouse event to the shown widgets in order; True if one used it. A focused widget
        (a text field being edited) sees it first, so a click elsewhere blurs it before the click
        acts. A move goes to every widget (each follows the pointer for its hover look) except a
        `fallback` one after a widget used it (a stroke dragged over the gallery is the pad's);
        anything else stops at the first widget that uses it."""
        used = False
        focused = [e for e in self._entries if getattr(e.widget, "focused", False)]
        for e in focused + [e for e in self._entries if e not in focused]:
            if not e.events or (e.fallback and used) or (e.shown is not None and not e.shown()):
                continue
            if e.widget.handle_event(event):
                used = True
                if event.type != pygame.MOUSEMOTION:
                    break
        return used

    def update(self, dt: float) -> list:
        """Apply the rules and run every widget's `update`; returns the shown views that pulled new
        data from state this frame (their areas need drawing)."""
        for e in self._entries:
            if e.enabled is not None:
                e.widget.enabled = bool(e.enabled())
            if e.sync is not None:
                e.sync(e.widget)
        fresh = []
        for e in self._entries:
            e.widget.update(dt)
            if getattr(e.widget, "pulled", False) and (e.shown is None or e.shown()):
                fresh.append(e.widget)
        return fresh

    def draw(self, surface: pygame.Surface, static: bool = False) -> None:
        """Draw the shown widgets in order: the per-frame ones, or (static=True) the background ones."""
        for e in self._entries:
            if e.static == static and (e.shown is None or e.shown()):
                e.widget.draw(surface)
