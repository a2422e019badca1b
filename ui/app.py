"""The window: App owns the pygame display, the clock, the widgets and the loop.

Each frame: handle events (widgets first, then keyboard shortcuts), drain the trainer's event queue
without blocking, predict the pad's drawing if it (or the model) changed, draw and flip if anything
changed, then sleep until the next 1/60 s.
Widget callbacks become actions (train, pause, stop, new, load, save, open dataset, clear, undo);
every action runs through `_action`, which turns NNError/OSError into a status-bar message and any
other exception into a logged traceback plus a one-line summary, so the window keeps running.

Threads: the trainer trains its own network in `nn.training.Trainer`'s daemon thread; the window
only reads the read-only snapshots it sends. Loading a dataset and scoring the test set run in
small daemon threads (ui.jobs) that the loop polls. Tk dialogs run on the main thread.
"""
from __future__ import annotations

import logging
import math
import os
import queue
import re
import sys
import time
from collections import deque
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pygame

from nn import model_io
from nn import training as tr
from nn.errors import ConfigError, NNError
from nn.preprocess import naive_resize, preprocess_digit
from ui import panels, theme
from ui.canvas import BRUSH_STEPS, Canvas
from ui.dialogs import Dialogs
from ui.jobs import Job, load_data
from ui.panels import SHORTCUTS, arch, fmt_duration, short_path
from ui.plots import LinePlot, Series
from ui.state import AppState
from ui.visuals import (ActivationView, ConfusionView, Gallery, NetworkInput, ProbabilityBars,
                        WeightTiles)
from ui.widgets import Button, Choice, Label, ProgressBar, StatusBar, Tabs, TextBox, Toggle

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
ACTIVATIONS = ("relu", "sigmoid", "tanh")
OPTIMIZERS = ("sgd", "momentum", "adam")
TABS = ("Training curves", "Weights", "Activations", "Confusion", "Mistakes")
PLOT_INTERVAL = 0.25     # seconds between plot redraws while training
REDRAW_AT_LEAST = 0.5    # seconds: redraw this often even when nothing seems to change
WEIGHTS_INTERVAL = 0.5   # seconds between weight-tile rebuilds while training
GALLERY_SIZE = 60


class App:
    """The window. `run()` returns an exit status; `step()` runs one frame (for tests/benchmarks).

    root: the project folder (models/, MNIST/); model_path: the model loaded at start;
    dialogs: a ui.dialogs.Dialogs whose functions tests may replace; fps: frame cap (0 = none);
    size: the window size (default: 1280x720, or what fits the screen).
    """

    def __init__(self, root: str | os.PathLike = ".", model_path: str | None = "models/default.npz",
                 dialogs: Dialogs | None = None, fps: int = theme.FPS, size: tuple | None = None,
                 load_data: bool = True):
        self.root = Path(root)
        self.models_dir = self.root / "models"
        self.dialogs = dialogs or Dialogs()
        self.fps = fps
        self.state = AppState()
        self.trainer: tr.Trainer | None = None
        self.jobs: dict[str, Job] = {}
        self.running = False
        self.exit_code = 0
        self.frame_times: deque[float] = deque(maxlen=10000)  # seconds from one frame's start to the next
        self.work_times: deque[float] = deque(maxlen=10000)   # seconds of work (events to flip) per frame
        self.redraws = 0                                        # frames actually drawn and flipped
        self._dirty = True                                      # redraw and flip everything
        self._damage: list[pygame.Rect] = []                    # or flip only these parts
        self._last_mouse = (-1, -1)
        self._last_draw = 0.0
        self._recent: deque[float] = deque(maxlen=30)          # for the fps shown in the status bar
        self._static: pygame.Surface | None = None             # background, panels, fixed labels
        self.frames = 0
        self._frame_start: float | None = None
        self._last_step: float | None = None
        self._next_frame: float | None = None
        self._model_changed = True
        self._plots_dirty = False
        self._last_plot = 0.0
        self._weights_dirty = True
        self._last_weights = 0.0
        self._eval_pending = False
        self._last_frame_error = ""

        pygame.display.init()  # no pygame.init(): the window needs no sound, and no audio device is fine
        pygame.font.init()
        pygame.key.set_repeat(400, 35)
        self.window = pygame.display.set_mode(size or self._initial_size(), pygame.RESIZABLE)
        pygame.display.set_caption(theme.TITLE)
        pygame.display.set_icon(theme.icon())
        self.clock = pygame.time.Clock()
        self.surface = self.window           # what we draw on (an off-screen one when the window is small)
        self.scale = 1.0
        self._build_widgets()
        self._relayout()
        self._start_model(model_path)
        if load_data:
            self._start_data_load()

    # ------------------------------------------------------------------ window and layout
    @staticmethod
    def _initial_size() -> tuple[int, int]:
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

    def _build_widgets(self) -> None:
        s = self.state
        self.canvas = Canvas((0, 0, 376, 376))
        self.b_clear = Button((0, 0, 1, 1), "Clear", lambda: self._action("clear", self.clear))
        self.b_undo = Button((0, 0, 1, 1), "Undo", lambda: self._action("undo", self.undo))
        self.b_brush_minus = Button((0, 0, 1, 1), "−", lambda: self.canvas.set_brush_step(self.canvas.brush_step - 1))
        self.b_brush_plus = Button((0, 0, 1, 1), "+", lambda: self.canvas.set_brush_step(self.canvas.brush_step + 1))
        self.l_brush = Label((0, 0, 1, 1), "", theme.SMALL, theme.TEXT_DIM, align="center")
        self.t_preprocess = Toggle((0, 0, 1, 1), "Preprocess like MNIST", True, self._on_preprocess)
        self.b_new = Button((0, 0, 1, 1), "New", lambda: self._action("new model", self.new_model))
        self.b_load = Button((0, 0, 1, 1), "Load…", lambda: self._action("load", self.load_model))
        self.b_save = Button((0, 0, 1, 1), "Save…", lambda: self._action("save", self.save_model))

        def field(name, text):
            return TextBox((0, 0, 1, 1), text, lambda t, n=name: self._parse_setting(n, t),
                           on_error=self._on_field_error)
        self.f_layers = field("layers", "256,128")
        self.f_lr = field("lr", "0.001")
        self.f_batch = field("batch_size", "128")
        self.f_epochs = field("epochs", "10")
        self.f_limit = field("train_limit", "all")
        self.c_activation = Choice((0, 0, 1, 1), ACTIVATIONS, "relu")
        self.c_optimizer = Choice((0, 0, 1, 1), OPTIMIZERS, "adam")
        self.t_augment = Toggle((0, 0, 1, 1), "Augment", False)
        self.text_fields = [self.f_layers, self.f_lr, self.f_batch, self.f_epochs, self.f_limit]
        self.form_labels = [Label((0, 0, 1, 1), t, theme.SMALL, theme.TEXT_DIM) for t in
                            ("Hidden layers", "Activation", "Optimizer", "Learning rate", "Batch size",
                             "Epochs", "Training digits", "")]
        self.b_train = Button((0, 0, 1, 1), "Train", lambda: self._action("train", self.train), kind="primary")
        self.b_pause = Button((0, 0, 1, 1), "Pause", lambda: self._action("pause", self.toggle_pause))
        self.b_stop = Button((0, 0, 1, 1), "Stop", lambda: self._action("stop", self.stop_training), kind="danger")
        self.b_data = Button((0, 0, 1, 1), "Open dataset…", lambda: self._action("open dataset", self.open_dataset))
        self.b_help = Button((0, 0, 1, 1), "Help (F1)", self.toggle_help)
        self.progress = ProgressBar((0, 0, 1, 1))
        self.tabs = Tabs((0, 0, 1, 1), TABS, on_change=lambda name: self._on_tab())
        self.status = StatusBar((0, 0, 1, 1))
        self.bars = ProbabilityBars((0, 0, 1, 1))
        self.seen = NetworkInput((0, 0, 1, 1))
        self.loss_plot = LinePlot((0, 0, 1, 1), "LOSS", "epochs", y_floor=0.0, y_focus=True,
                                  empty_text="Press Train (Space) to start")
        self.acc_plot = LinePlot((0, 0, 1, 1), "ACCURACY %", "epochs", y_range=(0, 100),
                                 empty_text="Shown after each epoch")
        self.weights = WeightTiles((0, 0, 1, 1))
        self.activations = ActivationView((0, 0, 1, 1))
        self.confusion = ConfusionView((0, 0, 1, 1))
        self.gallery = Gallery((0, 0, 1, 1), on_pick=self._on_gallery_pick)
        self.b_help_close = Button((0, 0, 1, 1), "Close", self.toggle_help)
        # Event order: text fields first (a click elsewhere must blur them), then the rest.
        self.widgets = [*self.text_fields, self.canvas, self.b_clear, self.b_undo, self.b_brush_minus,
                        self.b_brush_plus, self.t_preprocess, self.b_new, self.b_load, self.b_save,
                        self.c_activation, self.c_optimizer, self.t_augment, self.b_train, self.b_pause,
                        self.b_stop, self.b_data, self.b_help, self.tabs]

    def _relayout(self) -> None:
        """Place everything for the current window size (fluid above MIN_SIZE, scaled below)."""
        ww, wh = self.window.get_size()
        mw, mh = theme.MIN_SIZE
        if ww < mw or wh < mh:
            lw, lh = max(ww, mw), max(wh, mh)
            self.surface = pygame.Surface((lw, lh))
            self.scale = min(ww / lw, wh / lh)
        else:
            lw, lh = ww, wh
            self.surface = self.window
            self.scale = 1.0
        m, gap = theme.MARGIN, 10
        top = theme.TOP_BAR_H + 8
        ph = lh - top - theme.STATUS_H - 8
        col2_w = 272
        side = max(200, min(ph - 268, lw - col2_w - 480 - 2 * m - 2 * gap - 24, 620))
        col1 = pygame.Rect(m, top, side + 24, ph)
        col2 = pygame.Rect(col1.right + gap, top, col2_w, ph)
        col3 = pygame.Rect(col2.right + gap, top, lw - m - col2.right - gap, ph)
        self.layout = {"col1": col1, "col2": col2, "col3": col3, "size": (lw, lh)}

        # Column 1: the pad, its tools, the model.
        x, y = col1.x + 12, col1.y + 28
        self.canvas.resize((x, y, side, side))
        y += side + 10
        self.b_clear.rect = pygame.Rect(x, y, 70, 30)
        self.b_undo.rect = pygame.Rect(x + 76, y, 70, 30)
        self.b_brush_minus.rect = pygame.Rect(col1.right - 12 - 30 - 72 - 30, y, 30, 30)
        self.l_brush.rect = pygame.Rect(self.b_brush_minus.rect.right, y, 72, 30)
        self.b_brush_plus.rect = pygame.Rect(self.l_brush.rect.right, y, 30, 30)
        y += 38
        self.t_preprocess.rect = pygame.Rect(x, y, side, 26)
        y += 36
        self.layout["model"] = pygame.Rect(col1.x, y, col1.w, col1.bottom - y)
        bw = (side - 16) // 3
        by = col1.bottom - 12 - 30
        self.b_new.rect = pygame.Rect(x, by, bw, 30)
        self.b_load.rect = pygame.Rect(x + bw + 8, by, bw, 30)
        self.b_save.rect = pygame.Rect(x + 2 * (bw + 8), by, side - 2 * (bw + 8), 30)

        # Column 2: the prediction, the bars, what the network sees.
        inner = col2.inflate(-24, 0)
        self.layout["verdict"] = pygame.Rect(inner.x, col2.y + 26, inner.w, 92)
        bars_h = max(170, min(230, ph - 124 - 32 - 8 - 212))  # leave the 28x28 view >= 4x magnified
        self.bars.resize((inner.x, col2.y + 124, inner.w, bars_h))
        y = col2.y + 124 + bars_h + 10
        self.layout["seen_title"] = pygame.Rect(inner.x, y, inner.w, 18)
        self.seen.resize((inner.x, y + 22, inner.w, col2.bottom - y - 22 - 8))

        # Column 3: settings, controls, data, progress, tabs.
        inner = col3.inflate(-24, 0)
        y = col3.y + 30
        half = (inner.w - 16) // 2
        label_w = 104
        cells = [(self.f_layers, 0), (self.c_activation, 1), (self.c_optimizer, 2), (self.f_lr, 3),
                 (self.f_batch, 4), (self.f_epochs, 5), (self.f_limit, 6), (self.t_augment, 7)]
        for widget, i in cells:
            row, col = divmod(i, 2)
            cx = inner.x + col * (half + 16)
            cy = y + row * 34
            self.form_labels[i].rect = pygame.Rect(cx, cy, label_w, 28)
            if widget is self.t_augment:
                widget.rect = pygame.Rect(cx, cy, half, 28)
            else:
                widget.rect = pygame.Rect(cx + label_w, cy, half - label_w, 28)
        y += 4 * 34
        self.layout["form_msg"] = pygame.Rect(inner.x, y, inner.w, 16)
        y += 20
        buttons = [(self.b_train, 1.0), (self.b_pause, 1.0), (self.b_stop, 0.9), (self.b_data, 1.5),
                   (self.b_help, 0.95)]
        unit = (inner.w - 8 * (len(buttons) - 1)) / sum(wt for _, wt in buttons)
        bx = inner.x
        for i, (b, wt) in enumerate(buttons):
            bw = int(unit * wt) if i < len(buttons) - 1 else inner.right - bx
            b.rect = pygame.Rect(bx, y, bw, 32)
            bx += bw + 8
        y += 40
        self.layout["data"] = pygame.Rect(inner.x, y, inner.w, 51)
        y += 55
        self.progress.rect = pygame.Rect(inner.x, y, inner.w, 22)
        y += 30
        self.tabs.rect = pygame.Rect(inner.x, y, inner.w, 28)
        y += 34
        content = pygame.Rect(inner.x, y, inner.w, col3.bottom - y - 10)
        self.layout["tab"] = content
        half_w = (content.w - 10) // 2
        self.loss_plot.resize((content.x, content.y, half_w, content.h))
        self.acc_plot.resize((content.x + half_w + 10, content.y, content.w - half_w - 10, content.h))
        for view in (self.weights, self.activations, self.confusion, self.gallery):
            view.resize(content)
        self.status.rect = pygame.Rect(0, lh - theme.STATUS_H, lw, theme.STATUS_H)
        self.b_help_close.rect = pygame.Rect(0, 0, 110, 32)
        self._help_rect = pygame.Rect(0, 0, 560, 64 + 30 * len(SHORTCUTS) + 56)
        self._help_rect.center = (lw // 2, lh // 2)
        self.b_help_close.rect.midbottom = (self._help_rect.centerx, self._help_rect.bottom - 14)
        self._weights_dirty = True
        self._static = None

    # ------------------------------------------------------------------ the loop
    def run(self, max_frames: int | None = None, max_seconds: float | None = None) -> int:
        """Run the loop until the window closes (or max_frames / max_seconds pass); returns the exit status."""
        self.running = True
        start = time.perf_counter()
        frames = 0
        try:
            while self.running:
                try:
                    self.step()
                except KeyboardInterrupt:  # Ctrl+C in the terminal: close like the window's X
                    self.running = False
                frames += 1
                if max_frames is not None and frames >= max_frames:
                    break
                if max_seconds is not None and time.perf_counter() - start >= max_seconds:
                    break
        finally:
            if not self.running:  # the window was closed: clean up and autosave
                self.shutdown()
        return self.exit_code

    def step(self) -> None:
        """One frame: events, update, then draw and flip if anything changed, then wait for the next.

        A frame where nothing changed (no input, no trainer event, no animation) is not drawn
        again: the picture on screen is still right, and the trainer gets the CPU time.
        """
        start = time.perf_counter()
        if self._frame_start is not None:
            self.frame_times.append(start - self._frame_start)
            self._recent.append(start - self._frame_start)
        self._frame_start = start
        for event in pygame.event.get():
            self.handle_event(event)
            self._damage_for(event)
        now = time.perf_counter()
        dt = now - self._last_step if self._last_step is not None else 1.0 / (self.fps or theme.FPS)
        self._last_step = now
        try:
            self.update(min(dt, 0.25))
            if self._animating():
                self._damage.append(self.status.rect if not any(f.focused for f in self.text_fields)
                                    else self.layout["col3"])
            if now - self._last_draw >= REDRAW_AT_LEAST:
                self._dirty = True
            if self._dirty or self._damage:
                self.draw()
                self._present()
                self._last_draw = now
                self._dirty = False
                self._damage = []
        except Exception as e:  # a bug must not close the window (and lose the training)
            self._frame_error(e)
        self.work_times.append(time.perf_counter() - start)
        self.frames += 1
        self._wait_for_next_frame()

    def _damage_for(self, event) -> None:
        """Mark what an event may change: a mouse move only the panels under the old and the new
        pointer position (hover, the brush outline, a stroke); anything else the whole window."""
        if event.type == pygame.MOUSEMOTION and self.scale == 1.0 and not self.state.show_help:
            for pos in (event.pos, self._last_mouse):
                area = next((r for r in self._areas() if r.collidepoint(pos)), None)
                if area is None:
                    self._dirty = True
                elif area not in self._damage:
                    self._damage.append(area)
            self._last_mouse = event.pos
        else:
            self._dirty = True

    def _areas(self) -> list[pygame.Rect]:
        """The window's parts that a partial update can refresh on their own."""
        L = self.layout
        w, h = L["size"]
        return [L["col1"], L["col2"], L["col3"], self.status.rect,
                pygame.Rect(0, 0, w, theme.TOP_BAR_H + 8)]

    def _animating(self) -> bool:
        """Something moves by itself: a spinner, a fading status highlight, a blinking cursor."""
        return (self.status.busy or self.status._flash > 0 or self.progress.busy
                or any(f.focused for f in self.text_fields))

    def _frame_error(self, e: Exception) -> None:
        """Log an error from update/draw once (not 60 times a second) and show it in one line."""
        key = f"{type(e).__name__}: {e}"
        if key != self._last_frame_error:
            self._last_frame_error = key
            log.exception("unexpected error in the frame loop")
            self.set_status(f"Unexpected error: {key} (details in the log).", "error")
            if self.surface is not None:
                try:
                    self.status.draw(self.surface)
                except Exception:
                    pass

    def _wait_for_next_frame(self) -> None:
        """Sleep until the next frame is due on a fixed 1/fps schedule.

        Unlike Clock.tick, which waits 1/fps after the previous call, a late frame is followed by a
        shorter wait, so frames stay on the 60 Hz grid. time.sleep releases the GIL for the trainer.
        """
        if not self.fps:
            return
        period = 1.0 / self.fps
        now = time.perf_counter()
        if self._next_frame is None or now - self._next_frame > period:
            self._next_frame = now  # far behind (a dialog, a stall): start a new schedule
        self._next_frame += period
        delay = self._next_frame - now
        if delay > 0:
            time.sleep(delay)

    def _present(self) -> None:
        if self.surface is not self.window:
            lw, lh = self.surface.get_size()
            size = (int(lw * self.scale), int(lh * self.scale))
            self.window.fill(theme.BG)
            self.window.blit(pygame.transform.smoothscale(self.surface, size), (0, 0))
        if self._dirty or self.surface is not self.window:
            pygame.display.flip()
        else:  # only the panels that changed: a full flip costs more than drawing on a software X server
            pygame.display.update([r.inflate(2, 2) for r in self._damage])
        self.redraws += 1

    def _to_logical(self, event: pygame.event.Event) -> pygame.event.Event:
        """Map mouse positions into the scaled-down layout when the window is small."""
        if self.scale == 1.0 or not hasattr(event, "pos"):
            return event
        d = dict(event.__dict__)
        d["pos"] = (int(event.pos[0] / self.scale), int(event.pos[1] / self.scale))
        return pygame.event.Event(event.type, d)

    def handle_event(self, event: pygame.event.Event) -> None:
        """Route one event: quit/resize, help overlay, widgets, then shortcuts."""
        try:
            self._handle_event(event)
        except Exception as e:  # an event must never take the window down
            log.exception("while handling %s", pygame.event.event_name(event.type))
            self.set_status(f"Unexpected error: {type(e).__name__}: {e} (details in the log).", "error")

    def _handle_event(self, event) -> None:
        t = event.type
        if t == pygame.QUIT:
            self.running = False
            return
        if t in (pygame.VIDEORESIZE, pygame.WINDOWSIZECHANGED):
            if t == pygame.VIDEORESIZE and not pygame.display.get_init():
                return
            self.window = pygame.display.get_surface() or self.window
            if self.window.get_size() != self.layout.get("window"):
                self._relayout()
                self.layout["window"] = self.window.get_size()
            return
        event = self._to_logical(event)
        if self.state.show_help:
            if t == pygame.KEYDOWN and event.key in (pygame.K_ESCAPE, pygame.K_F1, pygame.K_RETURN, pygame.K_SPACE) \
                    or (t == pygame.KEYDOWN and getattr(event, "unicode", "") == "?"):
                self.toggle_help()
            elif t == pygame.MOUSEBUTTONDOWN and not self._help_rect.collidepoint(event.pos):
                self.toggle_help()
            else:
                self.b_help_close.handle_event(event)
            return
        focused = next((f for f in self.text_fields if f.focused), None)
        if focused is not None and t in (pygame.KEYDOWN, pygame.KEYUP, pygame.TEXTINPUT):
            tab = t == pygame.KEYDOWN and event.key == pygame.K_TAB
            focused.handle_event(event)
            if tab:  # Tab moves to the next field (Shift+Tab to the previous)
                i = self.text_fields.index(focused)
                step = -1 if event.mod & pygame.KMOD_SHIFT else 1
                self.text_fields[(i + step) % len(self.text_fields)].focus()
            return
        if t in (pygame.MOUSEMOTION, pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP, pygame.MOUSEWHEEL):
            used = False
            for w in self.widgets:
                if w.handle_event(event):
                    used = True
                    if t != pygame.MOUSEMOTION:
                        break
            if not used and self.tabs.value in ("Mistakes",):
                self.gallery.handle_event(event)
            return
        if t == pygame.KEYDOWN:
            self._shortcut(event)

    def _shortcut(self, event) -> None:
        k, mod = event.key, getattr(event, "mod", 0)
        ctrl = mod & (pygame.KMOD_CTRL | pygame.KMOD_META)
        uni = getattr(event, "unicode", "")
        if ctrl and k == pygame.K_z:
            self.b_undo.click()
        elif ctrl and k == pygame.K_s:
            self.b_save.click()
        elif ctrl and k == pygame.K_o:
            self.b_load.click()
        elif ctrl and k in (pygame.K_q, pygame.K_w):
            self.running = False
        elif ctrl:
            return
        elif k == pygame.K_SPACE:
            self._action("train", self.train_or_pause)
        elif k == pygame.K_ESCAPE:
            if self.trainer is not None and self.state.progress.status in ("running", "paused"):
                self.b_stop.click()
        elif k in (pygame.K_c, pygame.K_DELETE, pygame.K_BACKSPACE):
            self.b_clear.click()
        elif k == pygame.K_F1 or uni == "?" or (k == pygame.K_SLASH and mod & pygame.KMOD_SHIFT):
            self.toggle_help()
        elif k in (pygame.K_LEFTBRACKET, pygame.K_MINUS, pygame.K_KP_MINUS):
            self.canvas.set_brush_step(self.canvas.brush_step - 1)
        elif k in (pygame.K_RIGHTBRACKET, pygame.K_PLUS, pygame.K_EQUALS, pygame.K_KP_PLUS):
            self.canvas.set_brush_step(self.canvas.brush_step + 1)

    # ------------------------------------------------------------------ per-frame update
    def update(self, dt: float) -> None:
        """Fold in trainer events and finished jobs, predict if needed, update widgets; sets
        `_dirty` when the picture changes."""
        if self._drain_trainer() or self._poll_jobs():
            self._dirty = True
        if self.canvas.changed or self._model_changed:
            self._damage += [self.layout["col1"], self.layout["col2"]]
            if self.tabs.value == "Activations":
                self._damage.append(self.layout["col3"])
            self._action("predict", self.predict)
            self.canvas.changed = False
            self._model_changed = False
        now = time.perf_counter()
        if self._plots_dirty and (now - self._last_plot >= PLOT_INTERVAL or self.state.progress.status == "idle"):
            self._update_plots()
            self._last_plot = now
            self._damage.append(self.layout["col3"])
        if self._weights_dirty and self.tabs.value == "Weights" and now - self._last_weights >= WEIGHTS_INTERVAL:
            self.weights.set(self.state.model.w[0] if self.state.model is not None else None)
            self._weights_dirty = False
            self._last_weights = now
            self._damage.append(self.layout["col3"])
        for w in (*self.widgets, self.progress, self.status):
            w.update(dt)
        self._sync_controls()
        if self._recent:
            self.status.right = f"{len(self._recent) / max(sum(self._recent), 1e-9):4.0f} fps"

    def _sync_controls(self) -> None:
        """Enable/disable and relabel controls from the training status."""
        st = self.state.progress.status
        busy = st in ("running", "paused", "stopping")
        loading = self.state.data.loading
        self.b_train.enabled = not busy
        self.b_train.text = "Train" if not busy else "Training…"
        self.b_pause.enabled = st in ("running", "paused")
        self.b_pause.text = "Resume" if st == "paused" else "Pause"
        self.b_stop.enabled = st in ("running", "paused")
        for w in (self.b_new, self.b_load, self.b_data, *self.text_fields, self.c_activation,
                  self.c_optimizer, self.t_augment):
            w.enabled = not busy
        self.b_data.enabled = not busy and not loading
        self.b_save.enabled = self.state.model is not None
        self.b_undo.enabled = self.canvas.can_undo
        self.b_clear.enabled = not self.canvas.empty
        self.l_brush.text = f"pen {2 * BRUSH_STEPS[self.canvas.brush_step]:.1f} px"
        self.status.busy = loading or st == "stopping" or any(
            not j.done for n, j in self.jobs.items() if n == "data")
        self._update_progress()

    def _update_progress(self) -> None:
        p, bar = self.state.progress, self.progress
        bar.busy = False  # an animated bar would redraw the window 60 times a second for nothing
        bar.colour = theme.ACCENT_DARK if p.status != "paused" else (120, 100, 40)
        if self.state.data.loading:
            bar.fraction, bar.text, bar.busy = 0.0, "Loading data…", True
        elif p.status == "idle" and not p.epochs:
            bar.fraction, bar.text = 0.0, "Not training. Press Train (Space) to start."
        elif p.status == "idle" and not p.loss_x:
            bar.fraction, bar.text = 0.0, (f"The model file's history: {len(p.epoch_x)} epochs. "
                                           "Press Train (Space) to go on.")
        elif p.status == "idle":
            finished = len(p.epoch_x) >= p.epochs
            bar.fraction = 1.0 if finished else p.fraction
            bar.text = (f"Done: {p.epochs} epochs" if finished else
                        f"Stopped in epoch {max(p.epoch, 1)} of {p.epochs} ({len(p.epoch_x)} complete)")
        else:
            bar.fraction = p.fraction
            what = {"running": "Epoch", "paused": "Paused at epoch", "stopping": "Stopping at epoch"}[p.status]
            if p.batches:
                bar.text = (f"{what} {max(p.epoch, 1)} of {p.epochs} · batch {p.batch}/{p.batches} · "
                            f"{p.samples_per_s:,.0f} digits/s · ETA {fmt_duration(p.eta_s)}")
            else:
                bar.text = "Starting…"

    # ------------------------------------------------------------------ actions
    def _action(self, name: str, fn: Callable, *args) -> Any:
        """Run an action; errors become a status message and the window keeps running."""
        try:
            return fn(*args)
        except NNError as e:
            self.set_status(str(e), "error")
        except OSError as e:
            self.set_status(f"{name.capitalize()} failed: {e.strerror or e}"
                            + (f" ({e.filename})" if getattr(e, "filename", None) else ""), "error")
        except Exception as e:
            log.exception("unexpected error in %s", name)
            self.set_status(f"Unexpected error in {name}: {type(e).__name__}: {e} (details in the log).", "error")
        return None

    def set_status(self, message: str, level: str = "info") -> None:
        self._dirty = True
        self.state.message, self.state.level = message, level
        self.status.set(message, level)
        (log.warning if level == "error" else log.info)("status: %s", message)

    def clear(self) -> None:
        self.canvas.clear()

    def undo(self) -> None:
        if not self.canvas.undo():
            self.set_status("Nothing to undo.")

    def toggle_help(self) -> None:
        self.state.show_help = not self.state.show_help
        for f in self.text_fields:
            f.blur()

    def _on_preprocess(self, value: bool) -> None:
        self.state.preprocess = value
        self._model_changed = True

    def _on_tab(self) -> None:
        self._weights_dirty = True

    def _on_gallery_pick(self, image, label: int, pred: int) -> None:
        self.canvas.set_image(image.reshape(28, 28))
        self.set_status(f"Test digit {label} (the model read it as {pred}) is on the pad; draw over it or "
                        "press C to clear.")

    # --- prediction
    def predict(self) -> None:
        """Read the pad with the current model (called on frames where the drawing or model changed)."""
        t0 = time.perf_counter()
        pred = self.state.prediction
        net = self.state.model
        if self.canvas.empty or net is None:
            pred.empty, pred.probs, pred.x, pred.stages, pred.hidden = True, None, None, [], []
            pred.message = "" if net is not None else "No model"
        else:
            img = self.canvas.to_array()
            if self.state.preprocess:
                pre = preprocess_digit(img)
                x, empty, stages = pre.x, pre.empty, pre.stages
                pred.message = pre.message
            else:
                x = naive_resize(img)
                empty, stages = not bool(x.max() > 0.05), [("drawing", img.astype(np.float32) / 255.0),
                                                           ("resized 28x28", x)]
                pred.message = ""
            pred.x, pred.stages, pred.empty = x, stages, empty
            if empty:
                pred.probs, pred.hidden = None, []
            else:
                acts = net.forward_activations(x)
                pred.probs = np.asarray(acts[-1][0], dtype=np.float64)
                pred.hidden = [a[0] for a in acts[1:-1]]
                pred.digit = int(np.argmax(pred.probs))
                pred.confidence = float(pred.probs[pred.digit])
        pred.ms = (time.perf_counter() - t0) * 1000
        self.bars.set(pred.probs)
        caption = ("" if pred.x is None else
                   "28x28 the network sees" if self.state.preprocess else "plain resize, no preprocessing")
        self.seen.set(pred.x, pred.stages if pred.x is not None else [], caption)
        if net is not None:
            names = [f"({a})" for a in net.activations]
            self.activations.set(pred.hidden if pred.probs is not None else None, names)

    # --- model management
    def _start_model(self, model_path: str | None) -> None:
        """Load the start-up model, or fall back to fresh weights and say why."""
        path = None if model_path is None else (self.root / model_path if not os.path.isabs(model_path)
                                                else Path(model_path))
        if path is not None and path.exists():
            try:
                net, meta = model_io.load_model(path)
                self._set_model(net, short_path(str(path), self.root), meta, unsaved=False)
                acc = self._meta_accuracy(meta)
                self.set_status(f"Loaded {short_path(str(path), self.root)} ({arch(net)}"
                                + (f", test accuracy {acc:.2f} %" if acc is not None else "")
                                + "). Draw a digit!", "ok")
                self._fill_form_from(net)
                self._show_history(meta)
                return
            except NNError as e:
                reason = f"{e} Starting with fresh, untrained weights."
        else:
            reason = (f"No {model_path} yet: starting with fresh, untrained weights. "
                      "Press Train (Space) to teach it.")
        self._set_model(self._form_config().network(), "fresh weights (untrained)", {}, unsaved=False)
        self.set_status(reason, "warn")

    @staticmethod
    def _meta_accuracy(meta: dict) -> float | None:
        for key in ("test_accuracy", "accuracy", "val_accuracy"):
            v = meta.get(key)
            if isinstance(v, (int, float)) and math.isfinite(v):
                return float(v) * (100.0 if v <= 1.0 else 1.0)
        return None

    def _set_model(self, net, source: str, meta: dict | None = None, unsaved: bool = False,
                   evaluate: bool = True) -> None:
        s = self.state
        s.model, s.model_source = net, source
        if meta is not None:
            s.model_meta = meta
        s.model_unsaved = unsaved
        self._model_changed = True
        self._weights_dirty = True
        if meta is not None:
            s.test_accuracy = self._meta_accuracy(meta) if not unsaved else None
        if evaluate:
            self._request_eval()

    def _show_history(self, meta: dict) -> None:
        """Plot the per-epoch history a model file carries (written by the window or the CLI)."""
        p = self.state.progress
        p.reset()
        history = meta.get("history") if isinstance(meta, dict) else None
        if isinstance(history, list):
            def num(h, key, scale=1.0):
                try:
                    v = float(h[key])
                except (KeyError, TypeError, ValueError):
                    return float("nan")
                return v * scale if scale == 1.0 or v <= 1.0 else v

            for i, h in enumerate(history, start=1):
                if not isinstance(h, dict):
                    continue
                epoch = h.get("epoch", i)
                epoch = int(epoch) if isinstance(epoch, (int, float)) else i
                p.epoch_x.append(epoch)
                p.train_loss.append(num(h, "train_loss"))
                p.val_loss.append(num(h, "val_loss"))
                p.val_acc.append(num(h, "val_accuracy", 100.0))
                if "test_accuracy" in h or "test_loss" in h:  # the command line scores the test set per epoch
                    p.test_x.append(epoch)
                    p.test_acc.append(num(h, "test_accuracy", 100.0))
                    p.test_loss.append(num(h, "test_loss"))
            p.epochs = p.epoch = len(p.epoch_x)
        self._plots_dirty = True

    def _fill_form_from(self, net) -> None:
        """Make the settings match a loaded model, so Train continues it."""
        self.f_layers.set_text(",".join(str(n) for n in net.sizes[1:-1]))
        if net.activations and net.activations[0] in ACTIVATIONS:
            self.c_activation.set(net.activations[0])
        opt = getattr(net, "optimizer_name", None)
        if opt in OPTIMIZERS:
            self.c_optimizer.set(opt)

    def new_model(self) -> None:
        if self._busy_training("make a new model"):
            return
        cfg = self._form_config()
        self._autosave_if_needed("before the new model replaced it")
        self._set_model(cfg.network(), "fresh weights (untrained)", {}, unsaved=False)
        self.state.progress.reset()
        self._plots_dirty = True
        self.set_status(f"New {arch(self.state.model)} network with fresh, untrained weights.", "ok")

    def load_model(self) -> None:
        if self._busy_training("load a model"):
            return
        path = self._ask(self.dialogs.open_model, str(self.models_dir))
        if not path:
            self.set_status("Open cancelled.")
            return
        net, meta = model_io.load_model(path)  # raises ModelFileError: the current model stays as it was
        self._autosave_if_needed("before the loaded model replaced it")
        short = short_path(path, self.root)
        self._set_model(net, short, meta, unsaved=False)
        self._fill_form_from(net)
        self._show_history(meta)
        acc = self._meta_accuracy(meta)
        self.set_status(f"Loaded {short} ({arch(net)}"
                        + (f", test accuracy {acc:.2f} %" if acc is not None else "") + ").", "ok")

    def save_model(self) -> None:
        net = self.state.model
        if net is None:
            self.set_status("There is no model to save.", "warn")
            return
        name = f"model-{datetime.now():%Y%m%d-%H%M%S}.npz"
        path = self._ask(self.dialogs.save_model, str(self.models_dir), name)
        if not path:
            self.set_status("Save cancelled.")
            return
        self._save_to(path)
        self.set_status(f"Saved the model to {path}"
                        + (" (the newest weights; training goes on)." if self.state.progress.status
                           in ("running", "paused") else "."), "ok")

    def _save_to(self, path) -> Path:
        s = self.state
        meta: dict[str, Any] = {"source": "window"}
        if s.test_accuracy is not None:
            meta["test_accuracy"] = s.test_accuracy / 100.0
        if s.progress.epoch_x:
            meta["history"] = [{"epoch": e, "train_loss": a, "val_loss": b, "val_accuracy": c / 100.0}
                               for e, a, b, c in zip(s.progress.epoch_x, s.progress.train_loss,
                                                     s.progress.val_loss, s.progress.val_acc)]
        if s.data.train_path:
            meta["train_data"] = short_path(s.data.train_path, self.root)
        saved = model_io.save_model(path, s.model, meta)
        s.model_unsaved = False
        s.model_source = short_path(str(saved), self.root)
        return Path(saved)

    def _autosave_if_needed(self, why: str) -> Path | None:
        """Save trained-but-unsaved weights to models/autosave-*.npz so nothing trained is lost."""
        if not (self.state.model_unsaved and self.state.model is not None):
            return None
        path = self.models_dir / f"autosave-{datetime.now():%Y%m%d-%H%M%S}.npz"
        n = 1
        while path.exists():
            n += 1
            path = self.models_dir / f"autosave-{datetime.now():%Y%m%d-%H%M%S}-{n}.npz"
        saved = self._save_to(path)
        msg = f"The trained model was not saved, so it was saved to {short_path(str(saved), self.root)} {why}."
        self.set_status(msg, "ok")
        log.warning("%s", msg)
        return saved

    # --- settings form
    @staticmethod
    def _parse_setting(name: str, text: str):
        """Parse and validate one field (raises ConfigError with the reason)."""
        cfg = tr.TrainingConfig.from_strings(**{name: text})
        return getattr(cfg, name)

    def _on_field_error(self, reason: str) -> None:
        self.set_status(reason, "error")

    def _form_config(self) -> tr.TrainingConfig:
        """The settings as a validated TrainingConfig; raises ConfigError naming a red field."""
        for f in self.text_fields:
            if f.focused:
                f.blur()
        bad = next((f for f in self.text_fields if f.error), None)
        if bad is not None:
            raise ConfigError(f"Fix the red field first: {bad.error}")
        return tr.TrainingConfig.from_strings(
            layers=self.f_layers.good_text, activation=self.c_activation.value,
            optimizer=self.c_optimizer.value, lr=self.f_lr.good_text, batch_size=self.f_batch.good_text,
            epochs=self.f_epochs.good_text, train_limit=self.f_limit.good_text,
            augment="on" if self.t_augment.value else "off")

    # --- training
    def _ask(self, dialog: Callable, *args) -> str | None:
        """Run a (modal, main-thread) file dialog, then drop input that piled up meanwhile: keys
        typed into the dialog must not come back as shortcuts, and held modifiers are forgotten."""
        try:
            return dialog(*args)
        finally:
            if pygame.display.get_init():
                pygame.event.clear((pygame.KEYDOWN, pygame.KEYUP, pygame.TEXTINPUT, pygame.MOUSEBUTTONDOWN,
                                    pygame.MOUSEBUTTONUP))
                pygame.key.set_mods(0)
            self._next_frame = None  # the loop stood still: no catching up on missed frames

    def _busy_training(self, what: str) -> bool:
        if self.state.progress.status in ("running", "paused", "stopping"):
            self.set_status(f"Stop training (Esc) before you {what}.", "warn")
            return True
        return False

    def train_or_pause(self) -> None:
        st = self.state.progress.status
        if st in ("running", "paused"):
            self.toggle_pause()
        elif st == "idle":
            self.train()

    def train(self) -> None:
        s = self.state
        if self._busy_training("start another run"):
            return
        cfg = self._form_config()
        if s.data.loading:
            self.set_status("The data is still loading; training can start in a moment.", "warn")
            return
        if not s.data.n_train:
            self.set_status("No training data is loaded: use Open dataset… to pick an MNIST CSV or IDX file."
                            + (f" ({s.data.error})" if s.data.error else ""), "error")
            return
        net, note = s.model, "continuing the current model"
        same = net is not None and tuple(net.sizes[1:-1]) == tuple(cfg.layers) and tuple(net.activations) == (
            (cfg.activation,) * len(cfg.layers) if isinstance(cfg.activation, str) else tuple(cfg.activation))
        if not same:
            self._autosave_if_needed("before a new network replaced it")
            net, note = None, "a fresh network (the settings ask for a different shape)"
        try:
            trainer = tr.Trainer(cfg, s.data.x_train, s.data.labels_train, s.data.x_val, s.data.labels_val,
                                 network=net, blas_threads=1)
        except ImportError as e:
            self.set_status(f"Augmentation is not available ({e}); switch Augment off.", "error")
            return
        s.progress.reset()
        s.progress.status, s.progress.epochs = "running", cfg.epochs
        s.progress.started_at = time.perf_counter()
        self.trainer = trainer
        self._train_base_source = s.model_source if same else "fresh weights"
        trainer.start()
        self._plots_dirty = True
        self.set_status(f"Training {'-'.join(map(str, (784, *cfg.layers, 10)))} for {cfg.epochs} epochs on "
                        f"{min(cfg.train_limit or s.data.n_train, s.data.n_train):,} digits, {note}. "
                        "Space pauses, Esc stops.", "info")

    def toggle_pause(self) -> None:
        if self.trainer is None:
            return
        p = self.state.progress
        if p.status == "running":
            self.trainer.pause()
            p.status = "paused"
            self.set_status("Paused. Space or Resume goes on; Esc stops.", "info")
        elif p.status == "paused":
            self.trainer.resume()
            p.status = "running"
            self.set_status("Training again.", "info")

    def stop_training(self) -> None:
        if self.trainer is None or self.state.progress.status not in ("running", "paused"):
            return
        self.trainer.stop()
        self.state.progress.status = "stopping"
        self.set_status("Stopping after this batch…", "info")

    def _drain_trainer(self) -> int:
        """Take every waiting trainer event (never blocks) and fold it into the state; returns how many."""
        trainer = self.trainer
        n = 0
        while trainer is not None and self.trainer is trainer:  # stops after the run's last event
            try:
                ev = trainer.events.get_nowait()
            except queue.Empty:
                break
            n += 1
            snapshot = self._on_training_event(ev)
            if snapshot is not None:  # cheap: the pad re-predicts once per frame at most
                self._set_model(snapshot, "training run", None, unsaved=True, evaluate=False)
        return n

    def _on_training_event(self, ev):
        """Fold one event into the state; returns a newer snapshot to show, if the event has one."""
        s, p = self.state, self.state.progress
        if isinstance(ev, tr.TrainingStarted):
            p.n_train, p.n_val, p.epochs, p.batches = ev.n_train, ev.n_val, ev.epochs, ev.batches_per_epoch
            p.epoch = 1
        elif isinstance(ev, tr.BatchDone):
            p.epoch, p.batch, p.batches = ev.epoch, ev.batch, ev.of
            p.samples_per_s, p.eta_s = ev.samples_per_s, ev.eta_s
            if math.isfinite(ev.loss):
                p.add_batch(ev.epoch - 1 + ev.batch / ev.of, float(ev.loss))
            self._plots_dirty = True
        elif isinstance(ev, tr.Snapshot):
            return ev.snapshot
        elif isinstance(ev, tr.EpochDone):
            p.epoch_x.append(ev.epoch)
            p.train_loss.append(ev.train_loss)
            p.val_loss.append(ev.val_loss)
            p.val_acc.append(100.0 * ev.val_accuracy)
            self._plots_dirty = True
            if p.n_val and ev.confusion is not None and np.asarray(ev.confusion).sum() > 0:
                self.confusion.set(ev.confusion, f"validation set, epoch {ev.epoch}")
            self._request_eval(ev.snapshot, epoch=ev.epoch)
            return ev.snapshot
        elif isinstance(ev, (tr.TrainingFinished, tr.TrainingStopped)):
            self.trainer = None
            p.status = "idle"
            secs = time.perf_counter() - p.started_at
            trained = bool(p.loss_x)
            acc = f", validation accuracy {p.val_acc[-1]:.2f} %" if p.val_acc and math.isfinite(p.val_acc[-1]) else ""
            what = "finished" if isinstance(ev, tr.TrainingFinished) else "stopped"
            self.set_status(f"Training {what} after {len(p.epoch_x)} epoch{'s' if len(p.epoch_x) != 1 else ''} "
                            f"({fmt_duration(secs)}){acc}. Ctrl+S saves the model.", "ok")
            self._plots_dirty = True
            if trained:
                self._set_model(ev.snapshot, "training run (not saved)", {}, unsaved=True, evaluate=True)
        elif isinstance(ev, tr.TrainingFailed):
            self.trainer = None
            p.status = "idle"
            hint = ""
            if re.search(r"nan|inf|diverg", ev.message, re.I) and "learning rate" not in ev.message.lower():
                hint = " Try a lower learning rate."
            self.set_status(f"Training failed: {ev.message}{hint}", "error")
            self._plots_dirty = True
        return None

    def _update_plots(self) -> None:
        p = self.state.progress
        span = max(1.0, float(p.epochs or 1))
        train = (Series("train", p.loss_x, p.loss_smooth, theme.SERIES[0]) if p.loss_x else
                 Series("train", p.epoch_x, p.train_loss, theme.SERIES[0], points=True))
        loss = [train, Series("validation", p.epoch_x, p.val_loss, theme.SERIES[1], points=True)]
        if p.test_loss:
            loss.append(Series("test", p.test_x, p.test_loss, theme.SERIES[2], points=True))
        self.loss_plot.set_series(loss, x_min_span=span)
        self.acc_plot.set_series([
            Series("validation", p.epoch_x, p.val_acc, theme.SERIES[1], points=True, fmt="{:.2f}"),
            Series("test", p.test_x, p.test_acc, theme.SERIES[2], points=True, fmt="{:.2f}"),
        ], x_min_span=span)
        self._plots_dirty = False

    # --- background jobs: data loading and test scoring
    def _start_data_load(self, train_path: str | None = None, test_path: str | None = None) -> None:
        d = self.state.data
        d.loading, d.error = True, ""
        keep = d if (train_path or test_path) else None
        self.jobs["data"] = Job("data", lambda: load_data(self.root, train_path, test_path, keep))
        self.set_status("Loading " + (os.path.basename(train_path or test_path or "") or "the data") + "…")

    def open_dataset(self) -> None:
        if self._busy_training("open another dataset"):
            return
        if self.state.data.loading:
            self.set_status("A dataset is already loading.", "warn")
            return
        start = self.root / "MNIST"
        path = self._ask(self.dialogs.open_dataset, str(start if start.is_dir() else self.root))
        if not path:
            self.set_status("Open dataset cancelled.")
            return
        name = os.path.basename(path).lower()
        if "test" in name or "t10k" in name:
            self._start_data_load(test_path=path)
        else:
            self._start_data_load(train_path=path)

    def _request_eval(self, net=None, epoch: int | None = None) -> None:
        """Score `net` (default: the current model) on the test set in the background."""
        net = net if net is not None else self.state.model
        if net is None:
            return
        d = self.state.data
        if d.x_test is None or not len(d.x_test):
            if d.loading:
                self._eval_pending = True
            return
        job = self.jobs.get("eval")
        if job is not None and not job.done:
            self._eval_pending = True  # score the newest model when this one is done
            self._eval_next = (net, epoch)
            return
        self._eval_pending = False
        x, labels = d.x_test, d.labels_test
        self.jobs["eval"] = Job("eval", lambda: (net, epoch, net.evaluate(x, labels)))

    def _poll_jobs(self) -> bool:
        """Take the results of finished background jobs; True if there were any."""
        done = False
        job = self.jobs.get("data")
        if job is not None and job.done:
            del self.jobs["data"]
            self._on_data_loaded(job)
            done = True
        job = self.jobs.get("eval")
        if job is not None and job.done:
            del self.jobs["eval"]
            self._on_eval_done(job)
            done = True
            if self._eval_pending:
                net, epoch = getattr(self, "_eval_next", (None, None))
                self._eval_next = (None, None)
                self._request_eval(net, epoch)
        return done

    def _on_data_loaded(self, job: Job) -> None:
        d = self.state.data
        d.loading = False
        if job.error is not None:
            e = job.error
            if isinstance(e, (NNError, OSError)):
                d.error = str(e)
                self.set_status(f"Could not load the data: {e}", "error")
            elif isinstance(e, ImportError):
                d.error = f"the data loader is missing ({e})"
                self.set_status(f"Could not load the data: {d.error}.", "error")
            else:
                log.error("loading data failed", exc_info=e)
                d.error = f"{type(e).__name__}: {e}"
                self.set_status(f"Unexpected error while loading data: {d.error} (details in the log).", "error")
            return
        r = job.result
        for key in ("x_train", "labels_train", "x_val", "labels_val", "x_test", "labels_test"):
            if key in r:
                setattr(d, key, r[key])
        d.train_path = r.get("train_path", d.train_path)
        d.test_path = r.get("test_path", d.test_path)
        if "note" in r and (r.get("note") or r.get("is_sample") is not None):
            d.note, d.is_sample = r.get("note", ""), bool(r.get("is_sample"))
        msg = f"Data ready: {d.n_train:,} training, {d.n_val:,} validation, {d.n_test:,} test digits."
        self.set_status(msg + (f" {d.note}" if d.note else ""), "warn" if d.is_sample else "ok")
        self._request_eval()

    def _on_eval_done(self, job: Job) -> None:
        if job.error is not None:
            log.error("scoring the test set failed", exc_info=job.error)
            return
        net, epoch, (loss, acc, preds) = job.result
        d = self.state.data
        labels = np.asarray(d.labels_test).astype(np.int64)
        if len(preds) != len(labels):  # the test set changed meanwhile
            return
        confusion = np.bincount(labels * 10 + preds, minlength=100).reshape(10, 10)
        wrong = np.flatnonzero(preds != labels)[:GALLERY_SIZE]
        if net is self.state.model or epoch is not None:
            self.state.test_accuracy = 100.0 * acc
            where = f"epoch {epoch}" if epoch is not None else "current model"
            when = f" (epoch {epoch})" if epoch is not None else ""
            self.confusion.set(confusion, f"test set, {where}")
            self.gallery.set(d.x_test[wrong], labels[wrong], preds[wrong],
                             f"{int((preds != labels).sum()):,} of {len(labels):,} test digits misread{when}: "
                             "true → read as. Click one to try it.")
        if epoch is not None:
            p = self.state.progress
            p.test_x.append(epoch)
            p.test_acc.append(100.0 * acc)
            self._plots_dirty = True

    # ------------------------------------------------------------------ shutdown
    def shutdown(self) -> None:
        """Stop training (join briefly; the thread is a daemon), autosave unsaved weights, close pygame."""
        trainer = self.trainer
        if trainer is not None:
            trainer.stop()
            trainer.join(0.6)
            self._drain_trainer()
        try:
            self._autosave_if_needed("when the window closed")
        except (NNError, OSError) as e:
            log.error("autosave failed: %s", e)
            self.exit_code = 1
        except Exception:
            log.exception("autosave failed")
            self.exit_code = 1
        pygame.quit()

    # ------------------------------------------------------------------ drawing
    def draw(self) -> None:
        """Draw the whole window (ui.panels does the panels, each widget draws itself)."""
        panels.draw(self)


def run_app(argv: list[str] | None = None) -> int:
    """Build the App for the project folder and run it; returns the exit status.

    The folder holding models/ and MNIST/ is the project's, or $DIGIT_RECOGNIZER_HOME when set
    (tests run the real program on their own files that way).
    """
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    root = os.environ.get("DIGIT_RECOGNIZER_HOME") or ROOT
    try:
        app = App(root=root)
    except pygame.error as e:
        log.error("cannot open the window: %s", e)
        print(f"Cannot open the window: {e}. Is a display available? "
              "(The command line works without one: python main.py --help)", file=sys.stderr)
        return 1
    return app.run()
