"""Small pygame widgets: Button, Label, ProgressBar, Choice, Toggle, Tabs and StatusBar; the text
field is ui.textbox, and ui.view has `View`, the base of the cached pictures.

Every widget has `rect`, `handle_event(event) -> bool` (True if the event was used), `update(dt)`
(dt in seconds) and `draw(surface)`. Callbacks run on the main thread, inside handle_event.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import pygame

from ui import theme


class Widget:
    """Base class: a rectangle that can be hidden or disabled."""

    def __init__(self, rect):
        self.rect = pygame.Rect(rect)
        self.visible = True
        self.enabled = True

    def handle_event(self, event: pygame.event.Event) -> bool:
        return False

    def update(self, dt: float) -> None:
        pass

    def draw(self, surface: pygame.Surface) -> None:
        pass

    def _passes_on(self, event: pygame.event.Event) -> bool:
        """Follow the pointer into `hover`; True when the event is not for this widget to act on:
        it is hidden or disabled, or the event is a mouse move."""
        if not self.visible:
            return True
        if event.type == pygame.MOUSEMOTION:
            self.hover = self.rect.collidepoint(event.pos)
            return True
        return not self.enabled


class Label(Widget):
    """Text in a rectangle, aligned left, centre or right, shortened with an ellipsis if too long."""

    def __init__(self, rect, text: str = "", size: int = theme.NORMAL, colour=theme.TEXT,
                 bold: bool = False, align: str = "left"):
        super().__init__(rect)
        self.text, self.size, self.colour, self.bold, self.align = text, size, colour, bold, align

    def draw(self, surface):
        if not self.visible or not self.text:
            return
        s = theme.fit_text(self.text, self.rect.w, self.size, self.bold)
        anchor = {"left": "midleft", "center": "center", "right": "midright"}[self.align]
        pos = getattr(self.rect, anchor)
        theme.blit_text(surface, s, pos, self.size, self.colour, self.bold, anchor)


class Button(Widget):
    """A push button with hover, pressed and disabled looks; `on_click()` runs on release inside."""

    def __init__(self, rect, text: str, on_click: Callable[[], Any] | None = None,
                 kind: str = "normal", enabled: bool = True):
        super().__init__(rect)
        self.text, self.on_click, self.kind = text, on_click, kind
        self.enabled = enabled
        self.hover = False
        self.pressed = False

    def handle_event(self, event):
        if self._passes_on(event):
            if not self.enabled:
                self.pressed = False  # disabled mid-press: the release must not click
            return False
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1 and self.rect.collidepoint(event.pos):
            self.pressed = True
            return True
        if event.type == pygame.MOUSEBUTTONUP and event.button == 1 and self.pressed:
            self.pressed = False
            if self.rect.collidepoint(event.pos):
                if self.on_click is not None:
                    self.on_click()
                return True
        return False

    def click(self) -> None:
        """Act as if clicked (for keyboard shortcuts); does nothing when disabled."""
        if self.enabled and self.visible and self.on_click is not None:
            self.on_click()

    def _colours(self):
        if not self.enabled:
            return theme.BUTTON_DISABLED, theme.TEXT_FAINT
        base, hover = theme.BUTTON, theme.BUTTON_HOVER
        if self.kind == "primary":
            base, hover = theme.BUTTON_PRIMARY, theme.BUTTON_PRIMARY_HOVER
        elif self.kind == "danger":
            base, hover = theme.BUTTON_DANGER, theme.BUTTON_DANGER_HOVER
        if self.pressed and self.hover:
            return theme.BUTTON_PRESSED, theme.TEXT
        return (hover if self.hover else base), theme.TEXT

    def draw(self, surface):
        if not self.visible:
            return
        fill, fg = self._colours()
        rect = self.rect.move(0, 1) if (self.pressed and self.hover) else self.rect
        pygame.draw.rect(surface, fill, rect, border_radius=theme.RADIUS)
        if self.enabled and self.kind == "normal":
            pygame.draw.rect(surface, theme.PANEL_BORDER, rect, 1, border_radius=theme.RADIUS)
        label = theme.fit_text(self.text, rect.w - 8, theme.NORMAL)
        theme.blit_text(surface, label, rect.center, theme.NORMAL, fg, anchor="center")


class Choice(Widget):
    """Pick one of a few options: click the right half (or wheel down) for the next, the left for
    the previous. Shows `‹ value ›`. `on_change(value)` runs when it changes."""

    def __init__(self, rect, options: Sequence[str], value: str,
                 on_change: Callable[[str], Any] | None = None):
        super().__init__(rect)
        self.options = list(options)
        self.value = value if value in self.options else self.options[0]
        self.on_change = on_change
        self.hover = False

    def set(self, value: str) -> None:
        if value in self.options and value != self.value:
            self.value = value
            if self.on_change is not None:
                self.on_change(value)

    def step(self, delta: int) -> None:
        i = self.options.index(self.value)
        self.set(self.options[(i + delta) % len(self.options)])

    def handle_event(self, event):
        if self._passes_on(event):
            return False
        if event.type == pygame.MOUSEBUTTONDOWN and self.rect.collidepoint(event.pos):
            if event.button == 1:
                self.step(-1 if event.pos[0] < self.rect.x + self.rect.w * 0.3 else 1)
                return True
            if event.button == 3:
                self.step(-1)
                return True
        if event.type == pygame.MOUSEWHEEL and self.hover:
            self.step(-1 if event.y > 0 else 1)
            return True
        return False

    def draw(self, surface):
        if not self.visible:
            return
        r = self.rect
        fill = theme.BUTTON_HOVER if (self.hover and self.enabled) else theme.INPUT_BG
        if not self.enabled:
            fill = theme.BUTTON_DISABLED
        pygame.draw.rect(surface, fill, r, border_radius=theme.RADIUS - 1)
        pygame.draw.rect(surface, theme.INPUT_BORDER, r, 1, border_radius=theme.RADIUS - 1)
        fg = theme.TEXT if self.enabled else theme.TEXT_FAINT
        arrow = theme.TEXT_DIM if self.enabled else theme.TEXT_FAINT
        theme.blit_text(surface, "‹", (r.x + 8, r.centery), theme.LARGE, arrow, anchor="midleft")
        theme.blit_text(surface, "›", (r.right - 8, r.centery), theme.LARGE, arrow, anchor="midright")
        theme.blit_text(surface, self.value, r.center, theme.NORMAL, fg, anchor="center")


class Toggle(Widget):
    """An on/off switch with a text label to its right."""

    def __init__(self, rect, text: str, value: bool = False,
                 on_change: Callable[[bool], Any] | None = None):
        super().__init__(rect)
        self.text, self.value, self.on_change = text, bool(value), on_change

    def set(self, value: bool) -> None:
        if bool(value) != self.value:
            self.value = bool(value)
            if self.on_change is not None:
                self.on_change(self.value)

    def handle_event(self, event):
        if not (self.visible and self.enabled):
            return False
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1 and self.rect.collidepoint(event.pos):
            self.set(not self.value)
            return True
        return False

    def draw(self, surface):
        if not self.visible:
            return
        r = self.rect
        h = min(18, r.h - 4)
        track = pygame.Rect(r.x, r.centery - h // 2, int(h * 1.8), h)
        on = self.value
        colour = (theme.ACCENT if on else theme.INPUT_BORDER) if self.enabled else theme.BUTTON_DISABLED
        pygame.draw.rect(surface, colour, track, border_radius=h // 2)
        knob_x = track.right - h // 2 if on else track.x + h // 2
        pygame.draw.circle(surface, theme.TEXT if self.enabled else theme.TEXT_FAINT,
                           (knob_x, track.centery), h // 2 - 2)
        fg = theme.TEXT if self.enabled else theme.TEXT_FAINT
        label = theme.fit_text(self.text, r.right - track.right - 8, theme.NORMAL)
        theme.blit_text(surface, label, (track.right + 8, r.centery), theme.NORMAL, fg, anchor="midleft")


class ProgressBar(Widget):
    """A horizontal bar filled to `fraction` (0..1) with a text over it; `busy` animates stripes."""

    def __init__(self, rect, fraction: float = 0.0, text: str = ""):
        super().__init__(rect)
        self.fraction, self.text = fraction, text
        self.busy = False
        self.colour = theme.ACCENT_DARK
        self._t = 0.0

    def update(self, dt):
        self._t += dt

    def draw(self, surface):
        if not self.visible:
            return
        r = self.rect
        pygame.draw.rect(surface, theme.INPUT_BG, r, border_radius=theme.RADIUS - 1)
        f = max(0.0, min(1.0, self.fraction))
        if f > 0:
            pygame.draw.rect(surface, self.colour, (r.x, r.y, max(2 * theme.RADIUS, int(r.w * f)), r.h),
                             border_radius=theme.RADIUS - 1)
        if self.busy:  # a light moving along the bar
            x = r.x + int((self._t * 0.6 % 1.0) * (r.w + 80)) - 80
            band = pygame.Rect(x, r.y, 80, r.h).clip(r)
            if band.w > 0:
                s = pygame.Surface(band.size, pygame.SRCALPHA)
                s.fill((255, 255, 255, 28))
                surface.blit(s, band)
        pygame.draw.rect(surface, theme.INPUT_BORDER, r, 1, border_radius=theme.RADIUS - 1)
        if self.text:
            label = theme.fit_text(self.text, r.w - 10, theme.SMALL)
            theme.blit_text(surface, label, r.center, theme.SMALL, theme.TEXT, anchor="center")


class Tabs(Widget):
    """A row of tabs; `value` is the selected name, `on_change(name)` runs when it changes."""

    def __init__(self, rect, names: Sequence[str], value: str | None = None,
                 on_change: Callable[[str], Any] | None = None):
        super().__init__(rect)
        self.names = list(names)
        self.value = value or self.names[0]
        self.on_change = on_change
        self.hover: str | None = None

    def text_size(self) -> int:
        """NORMAL, or SMALL when the names do not fit the row at NORMAL with a little padding."""
        f = theme.font(theme.NORMAL)
        fits = sum(f.size(n)[0] + 8 for n in self.names) <= self.rect.w
        return theme.NORMAL if fits else theme.SMALL

    def tab_rects(self) -> list[tuple[str, pygame.Rect]]:
        """Tabs as wide as their text plus padding, the padding shrunk to fit the row."""
        f = theme.font(self.text_size())
        widths = [f.size(n)[0] for n in self.names]
        pad = max(6, min(24, (self.rect.w - sum(widths) - 2 * len(widths)) // max(1, len(widths))))
        out, x = [], self.rect.x
        for name, w in zip(self.names, widths):
            out.append((name, pygame.Rect(x, self.rect.y, w + pad, self.rect.h)))
            x += w + pad + 2
        return out

    def set(self, name: str) -> None:
        if name in self.names and name != self.value:
            self.value = name
            if self.on_change is not None:
                self.on_change(name)

    def handle_event(self, event):
        if not self.visible:
            return False
        if event.type == pygame.MOUSEMOTION:
            self.hover = next((n for n, r in self.tab_rects() if r.collidepoint(event.pos)), None)
            return False
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            for name, r in self.tab_rects():
                if r.collidepoint(event.pos):
                    self.set(name)
                    return True
        return False

    def draw(self, surface):
        if not self.visible:
            return
        for name, r in self.tab_rects():
            selected = name == self.value
            if selected:
                pygame.draw.rect(surface, theme.BUTTON_HOVER, r, border_radius=theme.RADIUS)
                pygame.draw.line(surface, theme.ACCENT, (r.x + 6, r.bottom - 2), (r.right - 7, r.bottom - 2), 2)
            elif name == self.hover:
                pygame.draw.rect(surface, theme.BUTTON, r, border_radius=theme.RADIUS)
            colour = theme.TEXT if selected else theme.TEXT_DIM
            theme.blit_text(surface, name, r.center, self.text_size(), colour, anchor="center")


class StatusBar(Widget):
    """The bottom line: a message coloured by level (info, ok, warn, error), a spinner while busy,
    and a text on the right (e.g. frames per second)."""

    LEVEL_COLOURS = {"info": theme.TEXT_DIM, "ok": theme.GOOD, "warn": theme.WARN, "error": theme.ERROR}

    def __init__(self, rect):
        super().__init__(rect)
        self.message = ""
        self.level = "info"
        self.right = ""
        self.busy = False
        self._t = 0.0
        self._flash = 0.0

    @property
    def flashing(self) -> bool:
        """The highlight of a new message is still fading (the bar needs redrawing)."""
        return self._flash > 0

    def set(self, message: str, level: str = "info") -> None:
        self.message = " ".join(str(message).split())  # one line, always
        self.level = level if level in self.LEVEL_COLOURS else "info"
        self._flash = 0.6

    def update(self, dt):
        self._t += dt
        self._flash = max(0.0, self._flash - dt)

    def draw(self, surface):
        r = self.rect
        pygame.draw.rect(surface, theme.PANEL, r)
        pygame.draw.line(surface, theme.PANEL_BORDER, r.topleft, r.topright)
        if self._flash > 0:  # a brief highlight so a new message is noticed
            s = pygame.Surface(r.size, pygame.SRCALPHA)
            s.fill((*self.LEVEL_COLOURS[self.level], int(40 * self._flash / 0.6)))
            surface.blit(s, r)
        x = r.x + theme.MARGIN
        if self.busy:
            cx, cy = x + 7, r.centery
            for i in range(8):
                a = self._t * 8 + i * math.pi / 4
                shade = 60 + 24 * i
                pygame.draw.circle(surface, (shade, shade, shade),
                                   (cx + int(5 * math.cos(a)), cy + int(5 * math.sin(a))), 1.6)
            x += 20
        right_w = 0
        if self.right:
            rr = theme.blit_text(surface, self.right, (r.right - theme.MARGIN, r.centery), theme.SMALL,
                                 theme.TEXT_FAINT, anchor="midright")
            right_w = rr.w + 16
        msg = theme.fit_text(self.message, r.right - x - right_w - theme.MARGIN, theme.NORMAL)
        theme.blit_text(surface, msg, (x, r.centery), theme.NORMAL, self.LEVEL_COLOURS[self.level],
                        anchor="midleft")
