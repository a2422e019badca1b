"""The window: App composes the parts and runs pygame's plain loop: events, update, draw, flip, tick.

The parts own their state and are all the App talks to: ui.training_run.TrainingRun (the trainer
and its events), ui.evaluation.EvalQueue (scoring the test set in the background),
ui.model_store.ModelStore (the current model, its file, unsaved weights and autosave),
ui.jobs.DataLoader (the data files), ui.commands.Commands (what buttons and keys do) and
ui.form.SettingsForm. Every widget is registered once in ui.controls, which also says where each
view pulls its data from; ui.layout computes the places, ui.panels draws the rest, ui.shortcuts
maps the keys.

Each frame: handle events (widgets first, then keyboard shortcuts), drain the trainer's queue and
poll the background jobs without blocking, read the pad if the drawing, the model or the
preprocessing switch changed, let the widgets update (views pull new state), draw and flip if
anything changed, then sleep until the next 1/60 s. Every action runs through `action`, which
turns NNError/OSError into a status-bar message and any other exception into a logged traceback
plus a one-line summary, so the window keeps running. Tk dialogs run on the main thread.
"""
from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pygame

from nn.errors import NNError
from nn.files import shown
from ui import controls, layout, panels, prediction, shortcuts, theme
from ui.canvas import Canvas
from ui.commands import Commands
from ui.dialogs import Dialogs
from ui.evaluation import EvalQueue
from ui.jobs import DataLoader
from ui.model_store import ModelStore
from ui.pacing import FramePacer
from ui.screen import Screen
from ui.state import AppState
from ui.training_run import TrainingRun
from ui.widgets import StatusBar

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
REDRAW_AT_LEAST = 0.5    # seconds: redraw this often even when nothing seems to change
CLOSE_NOTICE_S = 3.0     # seconds a message about the close stays up (where the autosave went)


class App:
    """The window. `run()` returns an exit status; `step()` runs one frame (for tests/benchmarks).

    root: the project folder (models/, MNIST/); model_path: the model loaded at start;
    dialogs: a ui.dialogs.Dialogs whose functions tests may replace; fps: frame cap (0 = none);
    size: the window size (default: 1280x720, or what fits the screen). The registered widgets
    are attributes by their names too (app.b_train, app.f_layers, ...; see ui.controls).
    """

    def __init__(self, root: str | os.PathLike = ".", model_path: str | None = "models/default.npz",
                 dialogs: Dialogs | None = None, fps: int = theme.FPS, size: tuple | None = None,
                 load_data: bool = True):
        self.root = Path(root)
        self.dialogs = dialogs or Dialogs()
        self.state = s = AppState()
        self.running = False
        self.exit_code = 0
        self._last_draw = 0.0
        self._last_step: float | None = None
        self._static: pygame.Surface | None = None             # background, panels, fixed labels
        self._read_for: tuple | None = None                    # (model version, preprocess) the pad was read with
        self._last_frame_error = ""
        pygame.display.init()  # no pygame.init(): the window needs no sound, and no audio device is fine
        pygame.font.init()
        pygame.key.set_repeat(400, 35)
        self.screen = Screen(size or layout.initial_size())
        self.pacer = FramePacer(fps)
        say = self.set_status
        self.status = StatusBar((0, 0, 1, 1))
        self.canvas = Canvas((0, 0, 376, 376))
        self.form = controls.settings_form(on_error=lambda reason: say(reason, "error"))
        self.evals = EvalQueue(s, say)
        self.models = ModelStore(s, self.root, self.evals.request, say)
        self.training = TrainingRun(s, self.models, self.evals.request, say)
        self.loader = DataLoader(self.root, s.data, say, on_loaded=self.evals.request)
        self.commands = Commands(s, self.form, self.canvas, self.training, self.models, self.loader,
                                 self.dialogs, self.ask, say)
        self.gui, self.overlay = controls.build(self)
        self._relayout()
        self.models.start(model_path, lambda: self.form.config().network(), self.form.fill_from)
        if load_data:
            self.loader.start()

    def __getattr__(self, name: str):
        gui = self.__dict__.get("gui")
        if gui is not None and name in gui:
            return gui[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # ------------------------------------------------------------------ window and layout
    def _relayout(self) -> None:
        """Place everything for the current window size (fluid above MIN_SIZE, scaled below)."""
        rects = self.screen.relayout(self.gui.rows())
        self.gui.place(rects)
        self.overlay.place(rects)
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
        screen = self.screen
        start = self.pacer.begin()
        for event in pygame.event.get():
            self.handle_event(event)
            screen.mark_event(event, precise=not self.state.show_help)
        now = time.perf_counter()
        dt = now - self._last_step if self._last_step is not None else 1.0 / (self.pacer.fps or theme.FPS)
        self._last_step = now
        try:
            self.update(min(dt, 0.25))
            if self._animating():
                screen.mark(self.status.rect if self.form.focused is None else screen.layout["col3"])
            if now - self._last_draw >= REDRAW_AT_LEAST:
                screen.dirty = True
            if screen.changed:
                self.draw()
                screen.present()
                self._last_draw = now
        except Exception as e:  # a bug must not close the window (and lose the training)
            self._frame_error(e)
        self.pacer.end(start)

    def _animating(self) -> bool:
        """Something moves by itself: a spinner, a fading status highlight, a blinking cursor."""
        return (self.status.busy or self.status.flashing or self.gui["progress"].busy
                or self.form.focused is not None)

    def _frame_error(self, e: Exception) -> None:
        """Log an error from update/draw once (not 60 times a second) and show it in one line."""
        key = f"{type(e).__name__}: {e}"
        if key != self._last_frame_error:
            self._last_frame_error = key
            log.exception("unexpected error in the frame loop")
            self.set_status(f"Unexpected error: {key} (details in the log).", "error")
            if self.screen.surface is not None:
                try:
                    self.status.draw(self.screen.surface)
                except Exception:
                    pass

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
            if self.screen.window_changed():
                self._relayout()
                self.screen.layout["window"] = self.screen.window.get_size()
            return
        event = self.screen.to_logical(event)
        if self.state.show_help:
            shortcuts.help_event(self, event)
            return
        if self.form.handle_key(event):  # a field being edited takes every key
            return
        if t in (pygame.MOUSEMOTION, pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP, pygame.MOUSEWHEEL):
            self.gui.handle_event(event)
            return
        if t == pygame.KEYDOWN:
            shortcuts.handle_key(self, event)

    # ------------------------------------------------------------------ per-frame update
    def update(self, dt: float) -> None:
        """Fold in trainer events and finished jobs, read the pad if needed, update the widgets
        (views pull what changed); marks what needs drawing."""
        screen, L = self.screen, self.screen.layout
        if self.training.drain() or (self.loader.poll() | self.evals.poll()):
            screen.dirty = True
        reading = (self.state.model_version, self.state.preprocess)
        if self.canvas.changed or reading != self._read_for:
            screen.damage += [L["col1"], L["col2"]]
            if self.gui["tabs"].value == "Activations":
                screen.mark(L["col3"])
            self.action("predict", self.predict)
            self.canvas.changed = False
            self._read_for = reading
        for view in self.gui.update(dt):
            screen.mark_where(lambda r, v=view: r.contains(v.rect))
        fps = self.pacer.fps_text()
        if fps:
            self.status.right = fps

    # ------------------------------------------------------------------ actions
    def action(self, name: str, fn: Callable, *args) -> Any:
        """Run an action; errors become a status message and the window keeps running."""
        try:
            return fn(*args)
        except NNError as e:
            self.set_status(shown(e), "error")  # shown: a newline in a file name stays visible, in one line
        except OSError as e:
            self.set_status(f"{name.capitalize()} failed: {e.strerror or shown(e)}"
                            + (f" ({shown(e.filename)})" if getattr(e, "filename", None) else ""), "error")
        except Exception as e:
            log.exception("unexpected error in %s", name)
            self.set_status(f"Unexpected error in {name}: {type(e).__name__}: {shown(e)} (details in the log).",
                            "error")
        return None

    def set_status(self, message: str, level: str = "info") -> None:
        self.screen.dirty = True
        self.state.message, self.state.level = message, level
        self.status.set(message, level)
        (log.warning if level == "error" else log.info)("status: %s", message)

    def toggle_help(self) -> None:
        self.state.show_help = not self.state.show_help
        for f in self.form.fields:
            f.blur()

    def ask(self, dialog: Callable, *args) -> str | None:
        """Run a (modal, main-thread) file dialog, then drop input that piled up meanwhile: keys
        typed into the dialog must not come back as shortcuts, and held modifiers are forgotten."""
        try:
            return dialog(*args)
        finally:
            if pygame.display.get_init():
                pygame.event.clear((pygame.KEYDOWN, pygame.KEYUP, pygame.TEXTINPUT, pygame.MOUSEBUTTONDOWN,
                                    pygame.MOUSEBUTTONUP))
                pygame.key.set_mods(0)
            self.pacer.restart()  # the loop stood still: no catching up on missed frames

    # --- the two actions called by name: tests replace `predict`, benchmarks call `train`
    def predict(self) -> None:
        prediction.read(self.canvas, self.state)

    def train(self) -> None:
        self.commands.train()

    # ------------------------------------------------------------------ shutdown and drawing
    def shutdown(self) -> None:
        """Stop training (join briefly; the thread is a daemon), autosave unsaved weights, close
        pygame. When the weights went somewhere unexpected (or nowhere), the window stays up
        CLOSE_NOTICE_S seconds with the message first, so the user learns where they are."""
        self.training.shutdown()
        if not self.models.close():
            self.exit_code = 1
        if self.models.notice and pygame.display.get_init():
            self.screen.hold(CLOSE_NOTICE_S, self.draw)
        pygame.quit()

    def draw(self) -> None:
        """Draw the whole window: the cached background, then ui.panels and the widgets."""
        if self._static is None or self._static.get_size() != self.screen.surface.get_size():
            self._static = panels.render_static(self)
        panels.draw(self, self._static)


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
