"""What the buttons and keys do: each command checks whether it may run now, asks for a file when
it needs one, and hands the work to the part that owns it (ui.training_run, ui.model_store,
ui.jobs.DataLoader). App runs each through `App.action`, which turns errors into messages."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from nn.files import shown
from ui.canvas import Canvas
from ui.dialogs import Dialogs
from ui.form import SettingsForm
from ui.jobs import DataLoader
from ui.model_store import ModelStore
from ui.state import AppState
from ui.training_run import TrainingRun


class Commands:
    """The window's commands. `ask(dialog, *args)` runs a modal file dialog (see App.ask)."""

    def __init__(self, state: AppState, form: SettingsForm, canvas: Canvas, training: TrainingRun,
                 models: ModelStore, loader: DataLoader, dialogs: Dialogs,
                 ask: Callable[..., str | None], say: Callable[[str, str], Any]):
        self.state, self.form, self.canvas = state, form, canvas
        self.training, self.models, self.loader = training, models, loader
        self.dialogs, self.ask, self.say = dialogs, ask, say

    # ------------------------------------------------------------------ training
    def train(self) -> None:
        """Start training with the form's settings."""
        if self.training.refuse_if_busy("start another run"):
            return
        self.training.start(self.form.config())

    def train_or_pause(self) -> None:
        """Space: start a run when idle, else pause or resume it."""
        st = self.training.status
        if st in ("running", "paused"):
            self.training.toggle_pause()
        elif st == "idle":
            self.train()

    def pause(self) -> None:
        self.training.toggle_pause()

    def stop(self) -> None:
        self.training.stop()

    # ------------------------------------------------------------------ models
    def new(self) -> None:
        """Fresh, untrained weights in the shape the form asks for."""
        if self.training.refuse_if_busy("make a new model"):
            return
        self.models.new(self.form.config().network)

    def load(self) -> None:
        """Ask for a model file and show it (its settings go into the form, its history into the plots)."""
        if self.training.refuse_if_busy("load a model"):
            return
        path = self.ask(self.dialogs.open_model, str(self.models.models_dir))
        if not path:
            self.say("Open cancelled.", "info")
            return
        self.models.load(path, self.form.fill_from)

    def save(self) -> None:
        """Ask where, then save the current model (while training: its newest snapshot)."""
        if self.state.model is None:
            self.say("There is no model to save.", "warn")
            return
        name = f"model-{datetime.now():%Y%m%d-%H%M%S}.npz"
        path = self.ask(self.dialogs.save_model, str(self.models.models_dir), name)
        if not path:
            self.say("Save cancelled.", "info")
            return
        saved = self.models.save_to(path)
        self.say(f"Saved the model to {shown(saved)}"
                 + (" (the newest weights; training goes on)." if self.training.status
                    in ("running", "paused") else "."), "ok")

    # ------------------------------------------------------------------ data and the pad
    def open_dataset(self) -> None:
        """Ask for a training or test file (told apart by its name) and load it in the background."""
        if self.training.refuse_if_busy("open another dataset"):
            return
        if self.state.data.loading:
            self.say("A dataset is already loading.", "warn")
            return
        root = self.models.root
        start = root / "MNIST"
        path = self.ask(self.dialogs.open_dataset, str(start if start.is_dir() else root))
        if not path:
            self.say("Open dataset cancelled.", "info")
            return
        self.loader.open(path)

    def clear(self) -> None:
        self.canvas.clear()

    def undo(self) -> None:
        if not self.canvas.undo():
            self.say("Nothing to undo.", "info")

    def pick_test_digit(self, image, label: int, pred: int) -> None:
        """A click on a misread test digit puts it on the pad."""
        self.canvas.set_image(image.reshape(28, 28))
        self.say(f"Test digit {label} (the model read it as {pred}) is on the pad; draw over it or "
                 "press C to clear.", "info")
