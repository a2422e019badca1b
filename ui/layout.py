"""Where everything goes: the window size at start, the size the layout is drawn at, and the
rectangles of the three columns (draw, prediction, training), their widgets and the help overlay.
Geometry only: `compute` returns rectangles by name, the panels' areas and the widgets' places
(ui.container gives each registered widget the one its registration names); it touches no widget."""
from __future__ import annotations

import pygame

from ui import theme
from ui.shortcuts import SHORTCUTS

GAP = 10            # between the columns
COL2_W = 272        # the prediction column
PEN_LABEL_W = 164   # at most: the pen size between its − and + buttons


def initial_size() -> tuple[int, int]:
    """theme.WINDOW_SIZE, or less when the screen is smaller (leaving room for bars and the title)."""
    w, h = theme.WINDOW_SIZE
    try:
        sizes = pygame.display.get_desktop_sizes()
    except pygame.error:
        sizes = []
    if sizes:
        dw, dh = sizes[0]
        if dw > 0 and dh > 0 and (dw < w + 20 or dh < h + 80):
            w, h = min(w, dw - 20), min(h, dh - 80)  # leave room for task bars and the title bar
    return max(640, w), max(400, h)


def logical_size(window_size: tuple[int, int]) -> tuple[tuple[int, int], float]:
    """The size to lay out at and its scale on the window: the window's own size from
    theme.MIN_SIZE up; below that at least MIN_SIZE, drawn off-screen and scaled down (scale < 1)."""
    ww, wh = window_size
    mw, mh = theme.MIN_SIZE
    if ww < mw or wh < mh:
        lw, lh = max(ww, mw), max(wh, mh)
        return (lw, lh), min(ww / lw, wh / lh)
    return (ww, wh), 1.0


Rows = dict  # {row: [(widget name, argument), ...]} as ui.container.Widgets.rows() gives them


def compute(size: tuple[int, int], rows: Rows) -> dict:
    """Every rectangle for the logical `size` (w, h): the areas by name (col1, col2, col3, size,
    model, verdict, seen_title, form_msg, data, tab, status, help) and the widgets' places: fixed
    keys (canvas, b_clear, ...) and one per widget of the rows `form` (argument: its label, which
    gets the key "<name>:label"), `controls` and `model` (argument: its share of the row's width)."""
    lw, lh = size
    m = theme.MARGIN
    top = theme.TOP_BAR_H + 8
    ph = lh - top - theme.STATUS_H - 8
    side = max(200, min(ph - 268, lw - COL2_W - 480 - 2 * m - 2 * GAP - 24, 620))  # the pad's side
    col1 = pygame.Rect(m, top, side + 24, ph)
    col2 = pygame.Rect(col1.right + GAP, top, COL2_W, ph)
    col3 = pygame.Rect(col2.right + GAP, top, lw - m - col2.right - GAP, ph)
    out = {"col1": col1, "col2": col2, "col3": col3, "size": (lw, lh)}
    _draw_column(out, col1, side, rows.get("model", []))
    _prediction_column(out, col2)
    _training_column(out, col3, rows.get("form", []), rows.get("controls", []))
    out["status"] = pygame.Rect(0, lh - theme.STATUS_H, lw, theme.STATUS_H)
    _help(out, lw, lh)
    return out


def _row(out: dict, members, x: int, y: int, w: int, h: int, gap: int = 8) -> None:
    """Buttons side by side filling w, each as wide as its share; the last takes what rounding left."""
    unit = (w - gap * (len(members) - 1)) / max(1e-9, sum(wt for _, wt in members))
    bx = x
    for i, (name, wt) in enumerate(members):
        bw = int(unit * wt) if i < len(members) - 1 else x + w - bx
        out[name] = pygame.Rect(bx, y, bw, h)
        bx += bw + gap


def _draw_column(out: dict, col1: pygame.Rect, side: int, model_row) -> None:
    """The pad, its tools, and the model box with its buttons at the bottom."""
    x, y = col1.x + 12, col1.y + 28
    out["canvas"] = pygame.Rect(x, y, side, side)
    y += side + 10
    out["b_clear"] = pygame.Rect(x, y, 70, 30)
    undo = out["b_undo"] = pygame.Rect(x + 76, y, 70, 30)
    label_w = min(PEN_LABEL_W, col1.right - 12 - 30 - 30 - (undo.right + 8))
    minus = out["b_brush_minus"] = pygame.Rect(col1.right - 12 - 30 - label_w - 30, y, 30, 30)
    label = out["l_brush"] = pygame.Rect(minus.right, y, label_w, 30)
    out["b_brush_plus"] = pygame.Rect(label.right, y, 30, 30)
    y += 38
    out["t_preprocess"] = pygame.Rect(x, y, side, 26)
    y += 36
    out["model"] = pygame.Rect(col1.x, y, col1.w, col1.bottom - y)
    _row(out, model_row, x, col1.bottom - 12 - 30, side, 30)


def _prediction_column(out: dict, col2: pygame.Rect) -> None:
    """The verdict, the probability bars, and what the network sees."""
    inner = col2.inflate(-24, 0)
    out["verdict"] = pygame.Rect(inner.x, col2.y + 26, inner.w, 92)
    bars_h = max(170, min(230, col2.h - 124 - 32 - 8 - 212))  # leave the 28x28 view >= 4x magnified
    out["bars"] = pygame.Rect(inner.x, col2.y + 124, inner.w, bars_h)
    y = col2.y + 124 + bars_h + 10
    out["seen_title"] = pygame.Rect(inner.x, y, inner.w, 18)
    out["seen"] = pygame.Rect(inner.x, y + 22, inner.w, col2.bottom - y - 22 - 8)


def _training_column(out: dict, col3: pygame.Rect, form, controls) -> None:
    """The settings form (two cells a row, a label left of each field; a widget without a label
    takes its whole cell), the control buttons, the data lines, the progress bar and the tabs."""
    inner = col3.inflate(-24, 0)
    y = col3.y + 30
    half = (inner.w - 16) // 2
    label_w = 104
    for i, (name, label) in enumerate(form):
        row, col = divmod(i, 2)
        cx = inner.x + col * (half + 16)
        cy = y + row * 34
        out[f"{name}:label"] = pygame.Rect(cx, cy, label_w, 28)
        out[name] = (pygame.Rect(cx, cy, half, 28) if not label else
                     pygame.Rect(cx + label_w, cy, half - label_w, 28))
    y += 4 * 34
    out["form_msg"] = pygame.Rect(inner.x, y, inner.w, 16)
    y += 20
    _row(out, controls, inner.x, y, inner.w, 32)
    y += 40
    out["data"] = pygame.Rect(inner.x, y, inner.w, 51)
    y += 55
    out["progress"] = pygame.Rect(inner.x, y, inner.w, 22)
    y += 30
    out["tabs"] = pygame.Rect(inner.x, y, inner.w, 28)
    y += 34
    content = out["tab"] = pygame.Rect(inner.x, y, inner.w, col3.bottom - y - 10)
    half_w = (content.w - 10) // 2
    out["loss_plot"] = pygame.Rect(content.x, content.y, half_w, content.h)
    out["acc_plot"] = pygame.Rect(content.x + half_w + 10, content.y, content.w - half_w - 10, content.h)


def _help(out: dict, lw: int, lh: int) -> None:
    """The help overlay, centred, with its Close button at the bottom."""
    r = out["help"] = pygame.Rect(0, 0, 560, 64 + 30 * len(SHORTCUTS) + 56)
    r.center = (lw // 2, lh // 2)
    close = out["b_help_close"] = pygame.Rect(0, 0, 110, 32)
    close.midbottom = (r.centerx, r.bottom - 14)
