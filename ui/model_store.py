"""The model store: the model the window shows (AppState.model and its source, file metadata,
unsaved flag), loading it at start and from files, saving it, and autosaving trained weights
nobody saved.

Every action that replaces a model first autosaves trained weights nobody saved, and a failed
load raises before anything changes, so the current model stays as it was.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import numpy as np

from nn import model_io
from nn.errors import ModelFileError, NNError
from nn.files import file_problem, shown
from ui import metadata
from ui.describe import arch, file_accuracy, short_path
from ui.metadata import History
from ui.state import AppState

log = logging.getLogger(__name__)


def loaded_message(short: str, net, meta: dict) -> str:
    acc = file_accuracy(meta)
    return (f"Loaded {short} ({arch(net)}"
            + (f"; {acc[0]:.2f} % on {acc[1]} when saved" if acc is not None else "") + ")")


@dataclass(frozen=True)
class Loaded:
    """Everything the window shows from a model file, built before anything changes."""
    net: Any
    short: str
    meta: dict
    history: History
    message: str


class ModelStore:
    """The one writer of AppState's model fields. `request_eval()` asks for the current model to
    be scored on the test set; `say(message, level)` reports."""

    def __init__(self, state: AppState, root: Path, request_eval: Callable[[], Any],
                 say: Callable[[str, str], Any]):
        self.state, self.root, self.request_eval, self.say = state, Path(root), request_eval, say
        self.models_dir = self.root / "models"

    @property
    def version(self) -> int:
        """Moves on whenever the model is replaced (a view of the model compares it)."""
        return self.state.model_version

    def start(self, model_path: str | None, fresh: Callable[[], Any], fill: Callable[[Any], Any]) -> None:
        """Load the start-up model (`fill(net)` puts its settings into the form), or fall back to
        `fresh()` weights and say why."""
        path = None if model_path is None else (self.root / model_path if not os.path.isabs(model_path)
                                                else Path(model_path))
        try:
            if path is not None and os.path.lexists(path):  # lexists: a dangling link or a loop is named as such
                loaded = self.read(path)
                self._show(loaded, fill)
                self.say(loaded.message + ". Draw a digit!", "ok")
                return
            reason = (f"No {shown(model_path)} yet: starting with fresh, untrained weights. "
                      "Press Train (Space) to teach it.")
        except (NNError, OSError) as e:
            reason = f"{shown(e)} Starting with fresh, untrained weights."
        except Exception as e:  # a bug must not keep the window from opening
            log.exception("loading the start-up model failed")
            reason = (f"Could not load {shown(model_path)} ({type(e).__name__}: {shown(e)}; details in the log). "
                      "Starting with fresh, untrained weights.")
        self.set_model(fresh(), "fresh weights (untrained)", {}, unsaved=False)
        self.state.progress.reset()
        self.say(reason, "warn")

    def read(self, path) -> Loaded:
        """Read a model file and build all the window will show from it (checked metadata, the
        curves of its history, the status line), changing nothing. Raises ModelFileError."""
        problem = file_problem(path, "model file")
        if problem is not None:
            raise ModelFileError(problem)
        net, raw = model_io.load_model(path)
        meta = metadata.clean(raw)
        history = metadata.read_history(raw.get("history") if isinstance(raw, dict) else None)
        short = shown(short_path(str(path), self.root))
        return Loaded(net, short, meta, history, loaded_message(short, net, meta))

    def _show(self, loaded: Loaded, fill: Callable[[Any], Any]) -> None:
        """Make a read model the current one (nothing here reads the file or its metadata)."""
        self.set_model(loaded.net, loaded.short, loaded.meta, unsaved=False)
        self.state.progress.load_history(loaded.history)
        fill(loaded.net)

    def set_model(self, net, source: str, meta: dict | None = None, unsaved: bool = False,
                  evaluate: bool = True) -> None:
        """Show `net` in the window. `meta`: its file's metadata, {} for none, or None to keep the
        current one (a newer snapshot of the same training run). `evaluate`: score it on the test set."""
        s = self.state
        s.model, s.model_source = net, source
        if meta is not None:
            s.model_meta = meta
            s.test_score = None  # another model: not scored here yet
        s.model_unsaved = unsaved
        s.model_version += 1
        if evaluate:
            self.request_eval()

    def new(self, make: Callable[[], Any]) -> None:
        """Replace the model with `make()`'s fresh weights (after autosaving unsaved ones); clears
        the plots."""
        self.autosave_if_needed("before the new model replaced it")
        self.set_model(make(), "fresh weights (untrained)", {}, unsaved=False)
        self.state.progress.reset()
        self.say(f"New {arch(self.state.model)} network with fresh, untrained weights.", "ok")

    def load(self, path: str, fill: Callable[[Any], Any]) -> None:
        """Load a model file and show it with the history it carries (`fill(net)` puts its settings
        into the form). All or nothing: raises ModelFileError (or OSError) before anything changes."""
        loaded = self.read(path)
        self.autosave_if_needed("before the loaded model replaced it")
        self._show(loaded, fill)
        self.say(loaded.message + ".", "ok")

    def save_to(self, path) -> Path:
        """Save the current model with its history, the data it was trained on and its test accuracy
        with the test set that figure is on; returns the path written."""
        s = self.state
        meta: dict[str, Any] = {"source": "window"}
        scored = s.test_score.model if s.test_score is not None else None
        if scored is not None and (scored is s.model or np.array_equal(scored.params, s.model.params)):
            meta["test_accuracy"] = s.test_score.accuracy / 100.0  # only a figure of these very weights
            meta["test_data"] = short_path(s.test_score.path, self.root)
        elif not s.model_unsaved:  # the file's own figure still holds for its unchanged weights
            meta.update({k: s.model_meta[k] for k in ("test_accuracy", "test_data") if k in s.model_meta})
        if s.progress.epoch_x:
            meta["history"] = [{"epoch": e, "train_loss": a, "val_loss": b, "val_accuracy": c / 100.0}
                               for e, a, b, c in zip(s.progress.epoch_x, s.progress.train_loss,
                                                     s.progress.val_loss, s.progress.val_acc)]
        if s.data.train_path:
            meta["train_data"] = short_path(s.data.train_path, self.root)
        saved = model_io.save_model(path, s.model, meta)
        s.model_unsaved = False
        s.model_source = short_path(str(saved), self.root)
        s.model_meta = meta
        return Path(saved)

    def autosave_if_needed(self, why: str) -> Path | None:
        """Save trained-but-unsaved weights to models/autosave-*.npz so nothing trained is lost."""
        if not (self.state.model_unsaved and self.state.model is not None):
            return None
        path = self.models_dir / f"autosave-{datetime.now():%Y%m%d-%H%M%S}.npz"
        n = 1
        while path.exists():
            n += 1
            path = self.models_dir / f"autosave-{datetime.now():%Y%m%d-%H%M%S}-{n}.npz"
        saved = self.save_to(path)
        msg = f"The trained model was not saved, so it was saved to {short_path(str(saved), self.root)} {why}."
        self.say(msg, "ok")
        log.warning("%s", msg)
        return saved
