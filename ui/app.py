"""The window: App owns the pygame display, the clock, the widgets and the loop.

Each frame: handle events (widgets first, then keyboard shortcuts), drain the trainer's event queue
without blocking, predict the pad's drawing if it (or the model) changed, draw and flip if anything
changed, then sleep until the next 1/60 s.
Widget callbacks become actions (train, pause, stop, new, load, save, open dataset, clear, undo);
every action runs through `_action`, which turns NNError/OSError into a status-bar message and any
other exception into a logged traceback plus a one-line summary, so the window keeps running.

The rest lives beside it, one job a module, as functions that take the App: ui.layout (where
everything goes), ui.shortcuts (the keys), ui.form (the settings), ui.prediction (reading the pad),
ui.model_actions (new/load/save/autosave), ui.session (the training run and its events), ui.jobs
(loading data and scoring the test set in the background), ui.panels (drawing), ui.describe (the
words for paths, durations, shapes and accuracy figures).

Threads: the trainer trains its own network in `nn.training.Trainer`'s daemon thread; the window
only reads the read-only snapshots it sends. Loading a dataset and scoring the test set run in
small daemon threads (ui.jobs) that the loop polls. Tk dialogs run on the main thread.
"""
from __future__ import annotations

import logging
import os
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any, Callable

import pygame

from nn import training as tr
from nn.errors import NNError
from ui import form, jobs, layout, model_actions, panels, prediction, session, shortcuts, theme
from ui.canvas import BRUSH_STEPS, Canvas
from ui.dialogs import Dialogs
from ui.jobs import Job
from ui.plots import LinePlot
from ui.results import ConfusionView, Gallery
from ui.state import AppState
from ui.textbox import TextBox
from ui.visuals import ActivationView, NetworkInput, ProbabilityBars, WeightTiles
from ui.widgets import Button, Choice, Label, ProgressBar, StatusBar, Tabs, Toggle

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
TABS = ("Training curves", "Weights", "Activations", "Confusion", "Mistakes")
PLOT_INTERVAL = 0.25     # seconds between plot redraws while training
REDRAW_AT_LEAST = 0.5    # seconds: redraw this often even when nothing seems to change
WEIGHTS_INTERVAL = 0.5   # seconds between weight-tile rebuilds while training


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
        self._eval_next: tuple = (None, None)                  # (net, epoch) to score when the job ends
        self._last_frame_error = ""

        pygame.display.init()  # no pygame.init(): the window needs no sound, and no audio device is fine
        pygame.font.init()
        pygame.key.set_repeat(400, 35)
        self.window = pygame.display.set_mode(size or layout.initial_size(), pygame.RESIZABLE)
        pygame.display.set_caption(theme.TITLE)
        pygame.display.set_icon(theme.icon())
        self.clock = pygame.time.Clock()
        self.surface = self.window           # what we draw on (an off-screen one when the window is small)
        self.scale = 1.0
        self._build_widgets()
        self._relayout()
        model_actions.start(self, model_path)
        if load_data:
            jobs.start_loading(self)

    # ------------------------------------------------------------------ window and layout
    def _build_widgets(self) -> None:
        self.canvas = Canvas((0, 0, 376, 376))
        self.b_clear = Button((0, 0, 1, 1), "Clear", lambda: self._action("clear", self.clear))
        self.b_undo = Button((0, 0, 1, 1), "Undo", lambda: self._action("undo", self.undo))
        self.b_brush_minus = Button((0, 0, 1, 1), "−", lambda: self.canvas.set_brush_step(self.canvas.brush_step - 1))
        self.b_brush_plus = Button((0, 0, 1, 1), "+", lambda: self.canvas.set_brush_step(self.canvas.brush_step + 1))
        self.l_brush = Label((0, 0, 1, 1), "", theme.SMALL, theme.TEXT_DIM, align="center")
        self.t_preprocess = Toggle((0, 0, 1, 1), "Preprocess like MNIST", True, self._on_preprocess)
        self.b_new = Button((0, 0, 1, 1), "New", lambda: self._action("new model", model_actions.new, self))
        self.b_load = Button((0, 0, 1, 1), "Load…", lambda: self._action("load", model_actions.load, self))
        self.b_save = Button((0, 0, 1, 1), "Save…", lambda: self._action("save", model_actions.save, self))

        def field(name, text):
            return TextBox((0, 0, 1, 1), text, lambda t, n=name: form.parse_setting(n, t),
                           on_error=lambda reason: self.set_status(reason, "error"))
        self.f_layers = field("layers", "256,128")
        self.f_lr = field("lr", "0.001")
        self.f_batch = field("batch_size", "128")
        self.f_epochs = field("epochs", "10")
        self.f_limit = field("train_limit", "all")
        self.c_activation = Choice((0, 0, 1, 1), form.ACTIVATIONS, "relu")
        self.c_optimizer = Choice((0, 0, 1, 1), form.OPTIMIZERS, "adam")
        self.t_augment = Toggle((0, 0, 1, 1), "Augment", False)
        self.text_fields = [self.f_layers, self.f_lr, self.f_batch, self.f_epochs, self.f_limit]
        self.form_labels = [Label((0, 0, 1, 1), t, theme.SMALL, theme.TEXT_DIM) for t in
                            ("Hidden layers", "Activation", "Optimizer", "Learning rate", "Batch size",
                             "Epochs", "Training digits", "")]
        self.b_train = Button((0, 0, 1, 1), "Train", lambda: self._action("train", self.train), kind="primary")
        self.b_pause = Button((0, 0, 1, 1), "Pause", lambda: self._action("pause", session.toggle_pause, self))
        self.b_stop = Button((0, 0, 1, 1), "Stop", lambda: self._action("stop", session.stop, self), kind="danger")
        self.b_data = Button((0, 0, 1, 1), "Open dataset…", lambda: self._action("open dataset", jobs.open_dataset, self))
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
        size, self.scale = layout.logical_size(self.window.get_size())
        self.surface = self.window if self.scale == 1.0 else pygame.Surface(size)
        self.layout = layout.place(self, size)
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
            shortcuts.help_event(self, event)
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
            shortcuts.handle_key(self, event)

    # ------------------------------------------------------------------ per-frame update
    def update(self, dt: float) -> None:
        """Fold in trainer events and finished jobs, predict if needed, update widgets; sets
        `_dirty` when the picture changes."""
        if session.drain(self) or jobs.poll(self):
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
            session.update_plots(self)
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
        self.l_brush.text = self._pen_text()
        self.status.busy = loading or st == "stopping" or any(
            not j.done for n, j in self.jobs.items() if n == "data")
        session.show_progress(self)

    def _pen_text(self) -> str:
        """The pen's width as drawn on the screen and, where the label has room, in pixels of the
        28x28 image the pad becomes."""
        short = f"pen {2 * self.canvas.brush_radius * self.scale:.0f} px"
        full = f"{short} ({2 * BRUSH_STEPS[self.canvas.brush_step]:.1f} at 28x28)"
        return full if theme.font(theme.SMALL).size(full)[0] <= self.l_brush.rect.w else short

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

    def _busy_training(self, what: str) -> bool:
        """Refuse an action while a run is going (saying why); True if refused."""
        if self.state.progress.status in ("running", "paused", "stopping"):
            self.set_status(f"Stop training (Esc) before you {what}.", "warn")
            return True
        return False

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

    def _on_preprocess(self, value: bool) -> None:
        self.state.preprocess = value
        self._model_changed = True

    def _on_tab(self) -> None:
        self._weights_dirty = True

    def _on_gallery_pick(self, image, label: int, pred: int) -> None:
        self.canvas.set_image(image.reshape(28, 28))
        self.set_status(f"Test digit {label} (the model read it as {pred}) is on the pad; draw over it or "
                        "press C to clear.")

    # --- the two actions called by name: tests replace `predict`, benchmarks call `train`
    def predict(self) -> None:
        prediction.predict(self)

    def train(self) -> None:
        session.train(self)

    # ------------------------------------------------------------------ shutdown
    def shutdown(self) -> None:
        """Stop training (join briefly; the thread is a daemon), autosave unsaved weights, close pygame."""
        trainer = self.trainer
        if trainer is not None:
            trainer.stop()
            trainer.join(0.6)
            session.drain(self)
        try:
            model_actions.autosave_if_needed(self, "when the window closed")
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
