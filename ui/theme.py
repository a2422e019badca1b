"""Colours, fonts, sizes and the frame rate of the window, in one place.

Text is rendered through `text()`, which caches the surfaces: rendering a string costs tens of
microseconds and the window draws about a hundred of them every frame.
"""
from __future__ import annotations

import functools
import os

import pygame

FPS = 60
WINDOW_SIZE = (1280, 720)   # designed for a 1280x720 screen
MIN_SIZE = (1100, 640)      # below this the whole layout is drawn at MIN_SIZE and scaled down
TITLE = "Digit recognizer"

# Colours (dark theme).
BG = (23, 25, 30)
PANEL = (33, 36, 43)
PANEL_BORDER = (52, 57, 68)
TEXT = (228, 230, 235)
TEXT_DIM = (148, 154, 166)
TEXT_FAINT = (100, 106, 118)
ACCENT = (86, 160, 255)
ACCENT_DARK = (46, 96, 170)
GOOD = (82, 196, 120)
WARN = (238, 178, 64)
ERROR = (238, 92, 92)
INPUT_BG = (19, 21, 25)
INPUT_BORDER = (70, 76, 90)
INPUT_FOCUS = ACCENT
BUTTON = (50, 55, 66)
BUTTON_HOVER = (64, 70, 84)
BUTTON_PRESSED = (40, 44, 53)
BUTTON_DISABLED = (38, 41, 48)
BUTTON_PRIMARY = (40, 110, 200)
BUTTON_PRIMARY_HOVER = (56, 128, 222)
BUTTON_DANGER = (150, 56, 56)
BUTTON_DANGER_HOVER = (176, 70, 70)
PAD_BG = (0, 0, 0)
INK = (255, 255, 255)
PLOT_GRID = (46, 50, 60)
SERIES = [(86, 160, 255), (238, 178, 64), (82, 196, 120), (214, 104, 214)]

# Sizes.
MARGIN = 12
GAP = 8
ROW_H = 28
TOP_BAR_H = 34
STATUS_H = 26
RADIUS = 5

# Fonts: DejaVu Sans when the system has it, else pygame's bundled default font.
_FONT_DIRS = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu",
              "/usr/share/fonts/TTF", "/Library/Fonts", "C:/Windows/Fonts"]
_FONT_FILES = {False: ["DejaVuSans.ttf", "Vera.ttf", "arial.ttf"],
               True: ["DejaVuSans-Bold.ttf", "VeraBd.ttf", "arialbd.ttf"]}
SMALL, NORMAL, LARGE, TITLE_SIZE, HUGE = 12, 14, 17, 19, 84

_fonts: dict[tuple[int, bool], pygame.font.Font] = {}
_texts: dict[tuple, pygame.Surface] = {}
_TEXT_CACHE_MAX = 2000


def _font_path(bold: bool) -> str | None:
    for folder in _FONT_DIRS:
        for name in _FONT_FILES[bold]:
            path = os.path.join(folder, name)
            if os.path.exists(path):
                return path
    return None


_quit_hook = False


def _reset() -> None:
    """Forget fonts when pygame quits: a Font used after pygame.quit() crashes the process."""
    global _quit_hook
    _fonts.clear()
    _texts.clear()
    fit_text.cache_clear()
    _quit_hook = False


def font(size: int = NORMAL, bold: bool = False) -> pygame.font.Font:
    """The UI font at `size` points (cached until pygame quits)."""
    global _quit_hook
    if not _quit_hook:
        pygame.register_quit(_reset)
        _quit_hook = True
    key = (size, bold)
    if key not in _fonts:
        if not pygame.font.get_init():
            pygame.font.init()
        path = _font_path(bold)
        if path is None:  # pygame's default font is larger for the same size
            f = pygame.font.Font(None, int(size * 1.35))
            f.set_bold(bold)
        else:
            f = pygame.font.Font(path, size)
        _fonts[key] = f
    return _fonts[key]


def text(s: str, size: int = NORMAL, colour=TEXT, bold: bool = False) -> pygame.Surface:
    """A rendered, cached text surface (antialiased, transparent background)."""
    key = (s, size, colour, bold)
    surf = _texts.get(key)
    if surf is None:
        if len(_texts) > _TEXT_CACHE_MAX:
            _texts.clear()
        surf = font(size, bold).render(s, True, colour)
        _texts[key] = surf
    return surf


def blit_text(surface: pygame.Surface, s: str, pos, size: int = NORMAL, colour=TEXT,
              bold: bool = False, anchor: str = "topleft") -> pygame.Rect:
    """Draw `s` with its `anchor` (a pygame.Rect attribute name) at `pos`; returns the rect used."""
    surf = text(s, size, colour, bold)
    rect = surf.get_rect(**{anchor: pos})
    surface.blit(surf, rect)
    return rect


@functools.lru_cache(maxsize=4096)
def fit_text(s: str, width: int, size: int = NORMAL, bold: bool = False) -> str:
    """`s`, shortened with an ellipsis in the middle so it fits in `width` pixels."""
    f = font(size, bold)
    if f.size(s)[0] <= width:
        return s
    keep = len(s)
    while keep > 4:
        keep -= 2
        half = keep // 2
        short = s[:half] + "…" + s[len(s) - half:]
        if f.size(short)[0] <= width:
            return short
    return s[:3] + "…"


def panel(surface: pygame.Surface, rect: pygame.Rect, title: str | None = None) -> None:
    """A rounded panel background with an optional title in its top-left corner."""
    pygame.draw.rect(surface, PANEL, rect, border_radius=RADIUS + 2)
    pygame.draw.rect(surface, PANEL_BORDER, rect, 1, border_radius=RADIUS + 2)
    if title:
        blit_text(surface, title, (rect.x + 10, rect.y + 7), SMALL, TEXT_DIM, bold=True)


def icon() -> pygame.Surface:
    """The window icon: a white 7 on a dark rounded square (drawn, so no image file is needed)."""
    surf = pygame.Surface((32, 32), pygame.SRCALPHA)
    pygame.draw.rect(surf, BUTTON_PRIMARY, (0, 0, 32, 32), border_radius=7)
    pygame.draw.line(surf, INK, (9, 8), (23, 8), 4)
    pygame.draw.line(surf, INK, (23, 8), (13, 25), 4)
    return surf
