"""Keyboard shortcuts: the table the help overlay lists, what each key does, and the overlay's own
keys. A shortcut acts by clicking its button, so a disabled button disables its key as well."""
from __future__ import annotations

import pygame

SHORTCUTS = [
    ("Space", "train / pause / resume"),
    ("Esc", "stop training (or close this help)"),
    ("C or Delete", "clear the pad"),
    ("Ctrl+Z", "undo the last stroke"),
    ("Ctrl+S", "save the model (.npz)"),
    ("Ctrl+O", "open a model (.npz)"),
    ("F1 or ?", "show / hide this help"),
    ("Ctrl+Q", "quit (unsaved training is saved to models/)"),
    ("Mouse", "left draws, right erases, wheel sizes the brush"),
    ("Tab / Enter", "leave / confirm a settings field"),
]
HELP_KEYS = (pygame.K_ESCAPE, pygame.K_F1, pygame.K_RETURN, pygame.K_SPACE)  # each closes the help


def help_event(app, event: pygame.event.Event) -> None:
    """While the help overlay is up it takes every event: its keys or a click outside it close it,
    anything else goes to its Close button."""
    t = event.type
    if t == pygame.KEYDOWN and (event.key in HELP_KEYS or getattr(event, "unicode", "") == "?"):
        app.toggle_help()
    elif t == pygame.MOUSEBUTTONDOWN and not app.screen.layout["help"].collidepoint(event.pos):
        app.toggle_help()
    else:
        app.overlay.handle_event(event)


def handle_key(app, event: pygame.event.Event) -> None:
    """Act on a key press that no widget took (see SHORTCUTS)."""
    k, mod = event.key, getattr(event, "mod", 0)
    ctrl = mod & (pygame.KMOD_CTRL | pygame.KMOD_META)
    uni = getattr(event, "unicode", "")
    gui, canvas = app.gui, app.canvas
    if ctrl and k == pygame.K_z:
        gui["b_undo"].click()
    elif ctrl and k == pygame.K_s:
        gui["b_save"].click()
    elif ctrl and k == pygame.K_o:
        gui["b_load"].click()
    elif ctrl and k in (pygame.K_q, pygame.K_w):
        app.running = False
    elif ctrl:
        return
    elif k == pygame.K_SPACE:
        app.action("train", app.commands.train_or_pause)
    elif k == pygame.K_ESCAPE:
        if app.training.trainer is not None and app.training.status in ("running", "paused"):
            gui["b_stop"].click()
    elif k in (pygame.K_c, pygame.K_DELETE, pygame.K_BACKSPACE):
        gui["b_clear"].click()
    elif k == pygame.K_F1 or uni == "?" or (k == pygame.K_SLASH and mod & pygame.KMOD_SHIFT):
        app.toggle_help()
    elif k in (pygame.K_LEFTBRACKET, pygame.K_MINUS, pygame.K_KP_MINUS):
        canvas.set_brush_step(canvas.brush_step - 1)
    elif k in (pygame.K_RIGHTBRACKET, pygame.K_PLUS, pygame.K_EQUALS, pygame.K_KP_PLUS):
        canvas.set_brush_step(canvas.brush_step + 1)
