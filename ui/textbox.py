"""The one-line text field of the settings form: typing, a cursor, and parsing on Enter or blur
(bad text turns it red with the reason; the last good value stays)."""
from __future__ import annotations

from typing import Any, Callable

import pygame

from ui import theme
from ui.widgets import Widget


class TextBox(Widget):
    """A one-line text field that parses its text on Enter or when it loses focus.

    `parse(text) -> value` raises ValueError (NNError is one) with the reason when the text is bad;
    the box then turns red, `error` holds the reason, `value` keeps the last good value, and
    `on_error(reason)` is called. A good value calls `on_change(value)` when it differs.
    """

    def __init__(self, rect, text: str, parse: Callable[[str], Any],
                 on_change: Callable[[Any], Any] | None = None,
                 on_error: Callable[[str], Any] | None = None, max_len: int = 40):
        super().__init__(rect)
        self.parse, self.on_change, self.on_error, self.max_len = parse, on_change, on_error, max_len
        self.text = text
        self.value = parse(text)
        self.good_text = text
        self.error: str | None = None
        self.focused = False
        self.cursor = len(text)
        self._blink = 0.0
        self._scroll = 0

    # --- focus and parsing -------------------------------------------------------------
    def focus(self) -> None:
        if self.enabled and not self.focused:
            self.focused = True
            self.cursor = len(self.text)
            self._blink = 0.0

    def blur(self) -> None:
        if self.focused:
            self.focused = False
            self.commit()

    def commit(self) -> bool:
        """Parse the text; True if it was good."""
        try:
            value = self.parse(self.text)
        except ValueError as e:
            self.error = str(e) or "Invalid value."
            if self.on_error is not None:
                self.on_error(self.error)
            return False
        self.error = None
        self.good_text = self.text
        changed = value != self.value
        self.value = value
        if changed and self.on_change is not None:
            self.on_change(value)
        return True

    def set_text(self, text: str) -> None:
        """Replace the text and parse it at once."""
        self.text = text
        self.cursor = len(text)
        self.commit()

    # --- events ------------------------------------------------------------------------
    def _cursor_from_x(self, x: int) -> int:
        f = theme.font(theme.NORMAL)
        rel = x - (self.rect.x + 6) + self._scroll
        best, best_d = 0, abs(rel)
        for i in range(1, len(self.text) + 1):
            d = abs(f.size(self.text[:i])[0] - rel)
            if d < best_d:
                best, best_d = i, d
        return best

    def handle_event(self, event):
        if not self.visible:
            return False
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            if self.rect.collidepoint(event.pos) and self.enabled:
                self.focus()
                self.cursor = self._cursor_from_x(event.pos[0])
                return True
            if self.focused:
                self.blur()  # a click elsewhere commits; the click still goes on to its target
            return False
        if not self.focused:
            return False
        if event.type == pygame.TEXTINPUT:
            ch = "".join(c for c in event.text if c.isprintable())
            if ch and len(self.text) + len(ch) <= self.max_len:
                self.text = self.text[:self.cursor] + ch + self.text[self.cursor:]
                self.cursor += len(ch)
            self._blink = 0.0
            return True
        if event.type == pygame.KEYDOWN:
            self._blink = 0.0
            k = event.key
            if k in (pygame.K_RETURN, pygame.K_KP_ENTER):
                self.focused = not self.commit()  # stay in the box while the text is bad
            elif k == pygame.K_ESCAPE:
                self.text, self.error, self.focused = self.good_text, None, False
            elif k == pygame.K_TAB:
                self.blur()
            elif k == pygame.K_BACKSPACE and self.cursor > 0:
                self.text = self.text[:self.cursor - 1] + self.text[self.cursor:]
                self.cursor -= 1
            elif k == pygame.K_DELETE:
                self.text = self.text[:self.cursor] + self.text[self.cursor + 1:]
            elif k == pygame.K_LEFT:
                self.cursor = max(0, self.cursor - 1)
            elif k == pygame.K_RIGHT:
                self.cursor = min(len(self.text), self.cursor + 1)
            elif k == pygame.K_HOME:
                self.cursor = 0
            elif k == pygame.K_END:
                self.cursor = len(self.text)
            elif k == pygame.K_a and event.mod & pygame.KMOD_CTRL:
                self.cursor = len(self.text)
            return True  # every key goes to the focused box, never to the shortcuts
        if event.type == pygame.KEYUP:
            return True
        return False

    def update(self, dt):
        self._blink = (self._blink + dt) % 1.0

    def draw(self, surface):
        if not self.visible:
            return
        r = self.rect
        bg = theme.INPUT_BG if self.enabled else theme.BUTTON_DISABLED
        border = theme.ERROR if self.error else (theme.INPUT_FOCUS if self.focused else theme.INPUT_BORDER)
        pygame.draw.rect(surface, bg, r, border_radius=theme.RADIUS - 1)
        pygame.draw.rect(surface, border, r, 2 if (self.error or self.focused) else 1,
                         border_radius=theme.RADIUS - 1)
        f = theme.font(theme.NORMAL)
        colour = theme.ERROR if self.error else (theme.TEXT if self.enabled else theme.TEXT_FAINT)
        inner = r.inflate(-12, -4)
        cursor_x = f.size(self.text[:self.cursor])[0]
        if cursor_x - self._scroll > inner.w:
            self._scroll = cursor_x - inner.w
        elif cursor_x < self._scroll:
            self._scroll = cursor_x
        if f.size(self.text)[0] <= inner.w:
            self._scroll = 0
        surf = theme.text(self.text, theme.NORMAL, colour)
        clip = surface.get_clip()
        surface.set_clip(inner.clip(clip) if clip else inner)
        surface.blit(surf, (inner.x - self._scroll, r.centery - surf.get_height() // 2))
        if self.focused and self._blink < 0.55:
            x = inner.x + cursor_x - self._scroll
            pygame.draw.line(surface, theme.TEXT, (x, r.y + 6), (x, r.bottom - 7), 1)
        surface.set_clip(clip)
