"""Where everything goes: the window size at start, the size the layout is drawn at, and the
rectangles of the three columns (draw, prediction, training), their widgets and the help overlay.
Geometry only: it sets each widget's `rect` (or calls `resize`) and returns the named areas that
ui.panels draws into."""
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


def place(app, size: tuple[int, int]) -> dict:
    """Place every widget of `app` for the logical `size` (w, h). Returns the areas by name: col1,
    col2, col3, size, model, verdict, seen_title, form_msg, data, tab and help."""
    lw, lh = size
    m = theme.MARGIN
    top = theme.TOP_BAR_H + 8
    ph = lh - top - theme.STATUS_H - 8
    side = max(200, min(ph - 268, lw - COL2_W - 480 - 2 * m - 2 * GAP - 24, 620))  # the pad's side
    col1 = pygame.Rect(m, top, side + 24, ph)
    col2 = pygame.Rect(col1.right + GAP, top, COL2_W, ph)
    col3 = pygame.Rect(col2.right + GAP, top, lw - m - col2.right - GAP, ph)
    areas = {"col1": col1, "col2": col2, "col3": col3, "size": (lw, lh)}
    areas.update(_draw_column(app, col1, side))
    areas.update(_prediction_column(app, col2))
    areas.update(_training_column(app, col3))
    app.status.rect = pygame.Rect(0, lh - theme.STATUS_H, lw, theme.STATUS_H)
    areas["help"] = _help(app, lw, lh)
    return areas


def _draw_column(app, col1: pygame.Rect, side: int) -> dict:
    """The pad, its tools, and the model box with its buttons at the bottom."""
    x, y = col1.x + 12, col1.y + 28
    app.canvas.resize((x, y, side, side))
    y += side + 10
    app.b_clear.rect = pygame.Rect(x, y, 70, 30)
    app.b_undo.rect = pygame.Rect(x + 76, y, 70, 30)
    label_w = min(PEN_LABEL_W, col1.right - 12 - 30 - 30 - (app.b_undo.rect.right + 8))
    app.b_brush_minus.rect = pygame.Rect(col1.right - 12 - 30 - label_w - 30, y, 30, 30)
    app.l_brush.rect = pygame.Rect(app.b_brush_minus.rect.right, y, label_w, 30)
    app.b_brush_plus.rect = pygame.Rect(app.l_brush.rect.right, y, 30, 30)
    y += 38
    app.t_preprocess.rect = pygame.Rect(x, y, side, 26)
    y += 36
    model = pygame.Rect(col1.x, y, col1.w, col1.bottom - y)
    bw = (side - 16) // 3
    by = col1.bottom - 12 - 30
    app.b_new.rect = pygame.Rect(x, by, bw, 30)
    app.b_load.rect = pygame.Rect(x + bw + 8, by, bw, 30)
    app.b_save.rect = pygame.Rect(x + 2 * (bw + 8), by, side - 2 * (bw + 8), 30)
    return {"model": model}


def _prediction_column(app, col2: pygame.Rect) -> dict:
    """The verdict, the probability bars, and what the network sees."""
    inner = col2.inflate(-24, 0)
    verdict = pygame.Rect(inner.x, col2.y + 26, inner.w, 92)
    bars_h = max(170, min(230, col2.h - 124 - 32 - 8 - 212))  # leave the 28x28 view >= 4x magnified
    app.bars.resize((inner.x, col2.y + 124, inner.w, bars_h))
    y = col2.y + 124 + bars_h + 10
    seen_title = pygame.Rect(inner.x, y, inner.w, 18)
    app.seen.resize((inner.x, y + 22, inner.w, col2.bottom - y - 22 - 8))
    return {"verdict": verdict, "seen_title": seen_title}


def _training_column(app, col3: pygame.Rect) -> dict:
    """The settings form, the control buttons, the data lines, the progress bar and the tabs."""
    inner = col3.inflate(-24, 0)
    y = col3.y + 30
    half = (inner.w - 16) // 2
    label_w = 104
    cells = [app.f_layers, app.c_activation, app.c_optimizer, app.f_lr, app.f_batch, app.f_epochs,
             app.f_limit, app.t_augment]
    for i, widget in enumerate(cells):
        row, col = divmod(i, 2)
        cx = inner.x + col * (half + 16)
        cy = y + row * 34
        app.form_labels[i].rect = pygame.Rect(cx, cy, label_w, 28)
        if widget is app.t_augment:
            widget.rect = pygame.Rect(cx, cy, half, 28)
        else:
            widget.rect = pygame.Rect(cx + label_w, cy, half - label_w, 28)
    y += 4 * 34
    form_msg = pygame.Rect(inner.x, y, inner.w, 16)
    y += 20
    buttons = [(app.b_train, 1.0), (app.b_pause, 1.0), (app.b_stop, 0.9), (app.b_data, 1.5),
               (app.b_help, 0.95)]
    unit = (inner.w - 8 * (len(buttons) - 1)) / sum(wt for _, wt in buttons)
    bx = inner.x
    for i, (b, wt) in enumerate(buttons):
        bw = int(unit * wt) if i < len(buttons) - 1 else inner.right - bx
        b.rect = pygame.Rect(bx, y, bw, 32)
        bx += bw + 8
    y += 40
    data = pygame.Rect(inner.x, y, inner.w, 51)
    y += 55
    app.progress.rect = pygame.Rect(inner.x, y, inner.w, 22)
    y += 30
    app.tabs.rect = pygame.Rect(inner.x, y, inner.w, 28)
    y += 34
    content = pygame.Rect(inner.x, y, inner.w, col3.bottom - y - 10)
    half_w = (content.w - 10) // 2
    app.loss_plot.resize((content.x, content.y, half_w, content.h))
    app.acc_plot.resize((content.x + half_w + 10, content.y, content.w - half_w - 10, content.h))
    for view in (app.weights, app.activations, app.confusion, app.gallery):
        view.resize(content)
    return {"form_msg": form_msg, "data": data, "tab": content}


def _help(app, lw: int, lh: int) -> pygame.Rect:
    """The help overlay, centred, with its Close button at the bottom; returns its rectangle."""
    r = pygame.Rect(0, 0, 560, 64 + 30 * len(SHORTCUTS) + 56)
    r.center = (lw // 2, lh // 2)
    app.b_help_close.rect = pygame.Rect(0, 0, 110, 32)
    app.b_help_close.rect.midbottom = (r.centerx, r.bottom - 14)
    return r
