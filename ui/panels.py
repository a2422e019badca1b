"""Drawing the window's panels for App: the static background, the status chip, the model box,
the verdict (ui.verdict), the data lines and the help overlay; the registered widgets draw themselves
(ui.container). Read-only: these functions look at the app's state and widgets and change
nothing but pixels."""
from __future__ import annotations

import os

import pygame

from nn.files import shown
from ui import theme, verdict
from ui.describe import arch, file_accuracy, short_path, test_set_name
from ui.metadata import count
from ui.shortcuts import SHORTCUTS


def render_static(app) -> pygame.Surface:
    """What never changes between layouts: background, panels, titles, field labels."""
    L = app.screen.layout
    surf = pygame.Surface(L["size"])
    surf.fill(theme.BG)
    w = surf.get_width()
    r = pygame.Rect(0, 0, w, theme.TOP_BAR_H)
    pygame.draw.rect(surf, theme.PANEL, r)
    pygame.draw.line(surf, theme.PANEL_BORDER, r.bottomleft, r.bottomright)
    x = theme.blit_text(surf, theme.TITLE, (theme.MARGIN, r.centery), theme.TITLE_SIZE, theme.TEXT,
                        bold=True, anchor="midleft").right
    theme.blit_text(surf, "a NumPy neural network that reads handwritten digits", (x + 14, r.centery + 1),
                    theme.SMALL, theme.TEXT_DIM, anchor="midleft")
    theme.panel(surf, L["col1"], "DRAW")
    theme.panel(surf, L["col2"], "PREDICTION")
    theme.panel(surf, L["col3"], "TRAINING")
    m = L["model"]
    pygame.draw.line(surf, theme.PANEL_BORDER, (m.x + 10, m.y), (m.right - 10, m.y))
    theme.blit_text(surf, "MODEL", (m.x + 12, m.y + 8), theme.SMALL, theme.TEXT_DIM, bold=True)
    theme.blit_text(surf, "WHAT THE NETWORK SEES", L["seen_title"].topleft, theme.SMALL, theme.TEXT_DIM,
                    bold=True)
    app.gui.draw(surf, static=True)
    return surf.convert() if pygame.display.get_surface() is not None else surf


def draw(app, static: pygame.Surface) -> None:
    """The whole window on app.screen.surface: the `static` background, the panels' changing
    text, every shown widget, then the help overlay when it is up."""
    surf = app.screen.surface
    surf.blit(static, (0, 0))
    draw_top_bar(app, surf)
    draw_model_box(app, surf)
    draw_verdict(app, surf)
    draw_form_message(app, surf)
    draw_data_line(app, surf)
    app.gui.draw(surf)
    if app.state.show_help:
        draw_help(app, surf)


def draw_top_bar(app, surf) -> None:
    """The parts of the top bar that change: the status chip."""
    w = surf.get_width()
    r = pygame.Rect(0, 0, w, theme.TOP_BAR_H)
    st = app.state.progress.status
    chip = {"idle": ("IDLE", theme.TEXT_FAINT), "running": ("TRAINING", theme.GOOD),
            "paused": ("PAUSED", theme.WARN), "stopping": ("STOPPING", theme.WARN)}[st]
    if app.state.data.loading:
        chip = ("LOADING DATA", theme.ACCENT)
    label = theme.text(chip[0], theme.SMALL, theme.BG, bold=True)
    cr = label.get_rect().inflate(18, 8)
    cr.midright = (w - theme.MARGIN, r.centery)
    pygame.draw.rect(surf, chip[1], cr, border_radius=cr.h // 2)
    surf.blit(label, label.get_rect(center=cr.center))
    theme.blit_text(surf, "F1 help", (cr.x - 14, r.centery), theme.SMALL, theme.TEXT_FAINT, anchor="midright")


def model_lines(app) -> list[tuple[str, tuple]]:
    """The model box's lines: the shape, where the weights come from, then each accuracy figure
    with the set it is on: as scored here on the loaded test digits, and as its file records it."""
    s = app.state
    net = s.model
    if net is None:
        return [("No model", theme.TEXT_DIM)]
    lines = [(arch(net) + f" · {getattr(net, 'optimizer_name', '')}", theme.TEXT)]
    src = s.model_source
    if s.progress.status in ("running", "paused", "stopping"):
        src = "newest training weights"
    ep = count(getattr(net, "epochs_trained", 0))  # nn keeps any whole number; a huge one is not shown
    lines.append((src + (f" · {ep} epoch{'s' if ep != 1 else ''} trained" if ep else ""), theme.TEXT_DIM))
    score = s.test_score
    if score is not None:
        epoch = f" (epoch {score.epoch})" if score.epoch is not None else ""
        lines.append((f"{score.accuracy:.2f} % on {test_set_name(score.path, score.n)}{epoch}", theme.TEXT_DIM))
    saved = None if s.model_unsaved else file_accuracy(s.model_meta)  # the file's figure is for its weights
    if saved is not None:
        lines.append((f"{saved[0]:.2f} % on {saved[1]} when saved", theme.TEXT_DIM))
    return lines


def draw_model_box(app, surf) -> None:
    r = app.screen.layout["model"]
    if app.state.model_unsaved:
        theme.blit_text(surf, "● not saved", (r.right - 12, r.y + 8), theme.SMALL, theme.WARN,
                        anchor="topright")
    y = r.y + 28
    for text, colour in model_lines(app):
        if y + 16 > app.gui["b_new"].rect.y - 4:
            break
        theme.blit_text(surf, theme.fit_text(text, r.w - 24, theme.NORMAL), (r.x + 12, y), theme.NORMAL, colour)
        y += 20


def draw_verdict(app, surf) -> None:
    r = app.screen.layout["verdict"]
    pred = app.state.prediction
    if app.state.model is None:
        theme.blit_text(surf, "No model loaded", r.center, theme.LARGE, theme.TEXT_DIM, anchor="center")
        return
    if pred.empty or pred.probs is None or pred.verdict is None:
        theme.blit_text(surf, "Draw a digit", (r.centerx, r.centery - 12), theme.LARGE, theme.TEXT,
                        anchor="center")
        sub = ("The pad is empty: draw 0–9 on the left" if app.canvas.empty else
               pred.message or "Too little ink to read")
        theme.blit_text(surf, theme.fit_text(sub, r.w, theme.SMALL), (r.centerx, r.centery + 14),
                        theme.SMALL, theme.TEXT_DIM, anchor="center")
        return
    verdict.draw(app, surf, r)


def draw_form_message(app, surf) -> None:
    r = app.screen.layout["form_msg"]
    bad = next((f for f in app.form.fields if f.error), None)
    if bad is not None:
        text, colour = bad.error, theme.ERROR
    elif app.form.focused is not None:
        text, colour = "Enter or Tab confirms, Esc undoes the edit.", theme.TEXT_FAINT
    else:
        text, colour = "Settings apply at Train; a model of another shape starts afresh.", theme.TEXT_FAINT
    theme.blit_text(surf, theme.fit_text(text, r.w, theme.SMALL), r.midleft, theme.SMALL, colour,
                    anchor="midleft")


def draw_data_line(app, surf) -> None:
    """Which data is loaded: the training and test files with their counts, and a warning
    when it is the small bundled sample."""
    r = app.screen.layout["data"]
    d = app.state.data
    lines: list[tuple[str, tuple]] = []
    if d.loading:
        lines.append(("Data: loading…", theme.ACCENT))
    elif d.error and not d.n_train:
        lines.append((f"Data: none loaded ({d.error})", theme.ERROR))
    if not d.loading and (d.n_train or d.n_test):
        train = shown(os.path.basename(d.train_path)) or "none"
        lines.append((f"Training data: {train} · {d.n_train:,} digits + {d.n_val:,} for validation", theme.TEXT))
        lines.append((f"Test data: {shown(os.path.basename(d.test_path)) or 'none'} · {d.n_test:,} digits", theme.TEXT))
        if d.is_sample:
            lines.append(("Bundled sample only: `python main.py download` gets full MNIST.",
                          theme.WARN))
        else:
            folder = os.path.dirname(short_path(d.train_path or d.test_path, app.root))
            lines.append((f"Folder: {shown(folder) or '.'}", theme.TEXT_DIM))
    for i, (line, colour) in enumerate(lines[:3]):
        theme.blit_text(surf, theme.fit_text(line, r.w, theme.SMALL), (r.x, r.y + 17 * i), theme.SMALL, colour)


def draw_help(app, surf) -> None:
    shade = pygame.Surface(surf.get_size(), pygame.SRCALPHA)
    shade.fill((0, 0, 0, 150))
    surf.blit(shade, (0, 0))
    r = app.screen.layout["help"]
    pygame.draw.rect(surf, theme.PANEL, r, border_radius=10)
    pygame.draw.rect(surf, theme.ACCENT_DARK, r, 2, border_radius=10)
    theme.blit_text(surf, "Keyboard and mouse", (r.x + 24, r.y + 18), theme.TITLE_SIZE, theme.TEXT, bold=True)
    y = r.y + 60
    for key, what in SHORTCUTS:
        kr = theme.text(key, theme.NORMAL, theme.TEXT, bold=True).get_rect(topleft=(r.x + 30, y))
        pygame.draw.rect(surf, theme.BUTTON, kr.inflate(12, 6), border_radius=4)
        theme.blit_text(surf, key, kr.topleft, theme.NORMAL, theme.TEXT, bold=True)
        theme.blit_text(surf, what, (r.x + 190, y), theme.NORMAL, theme.TEXT_DIM)
        y += 30
    app.overlay.draw(surf)
