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
from nn.atomic import fallback_dir  # where trained weights go when models/ cannot be written
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


def home_short(path) -> str:
    """A path for a message, with the home folder as ~ and control characters escaped."""
    text, home = str(path), str(Path.home())
    if home not in ("", "/") and (text == home or text.startswith(home + os.sep)):
        text = "~" + text[len(home):]
    return shown(text)


def save_problem(path: Path, root: Path) -> str | None:
    """Why a model cannot be saved at `path` (a one-line sentence naming paths relative to
    `root`), or None: a folder, a pipe or a symlink loop in its place, or a file where its folder
    should be."""
    if os.path.lexists(path):
        problem = file_problem(path, "model file")
        if problem is not None and "link to nothing" not in problem:  # a dangling link's target is written
            return f"Cannot save there: {problem}"
    for folder in path.parents:
        if os.path.lexists(folder):
            if folder.is_dir():
                return None
            problem = file_problem(folder, "folder")  # a dangling link or a loop says so; None: a file
            return f"Cannot save there: {problem}" if problem is not None else (
                f"Cannot save in {shown(short_path(str(folder), root))}: it is a file, not a folder.")
    return None


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
        self.notice = ""  # what the user must read before the window closes (an autosave went elsewhere)

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
            if path is not None and not _missing(path):  # a dangling link or a loop is named as such
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
        kept = self.autosave_if_needed("before the new model replaced it")
        self.set_model(make(), "fresh weights (untrained)", {}, unsaved=False)
        self.state.progress.reset()
        self.say(f"New {arch(self.state.model)} network with fresh, untrained weights." + self._kept(kept), "ok")

    def load(self, path: str, fill: Callable[[Any], Any]) -> None:
        """Load a model file and show it with the history it carries (`fill(net)` puts its settings
        into the form). All or nothing: raises ModelFileError (or OSError) before anything changes."""
        loaded = self.read(path)
        kept = self.autosave_if_needed("before the loaded model replaced it")
        self._show(loaded, fill)
        self.say(loaded.message + "." + self._kept(kept), "ok")

    def _kept(self, saved: Path | None) -> str:
        """Where the replaced weights were autosaved, for the status line that follows (else "")."""
        return "" if saved is None else f" The unsaved weights it replaced are in {self.name(saved)}."

    def name(self, path) -> str:
        """A path for a message: relative to the project when inside it, else with ~ for home."""
        short = short_path(str(path), self.root)
        return shown(short) if short != str(path) else home_short(path)

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
        path = Path(path)
        problem = save_problem(path, self.root)
        if problem is not None:
            raise ModelFileError(problem)
        saved = model_io.save_model(path, s.model, meta)
        s.model_unsaved = False
        s.model_source = self.name(saved)
        s.model_meta = meta
        return Path(saved)

    def close(self) -> bool:
        """Autosave as the window closes; False when trained weights could not be saved anywhere
        (then `notice` and the status bar say so, as they say where a fallback save went)."""
        self.notice = ""  # only what happens now is worth holding the closing window for
        try:
            self.autosave_if_needed("when the window closed")
            return True
        except (NNError, OSError) as e:
            msg = shown(e)
        except Exception as e:  # a bug: still say that the weights are not saved
            log.exception("autosave failed")
            msg = f"Autosave failed ({type(e).__name__}: {shown(e)}; details in the log): the trained model is lost."
        self.notice = msg
        self.say(msg, "error")
        return False

    def autosave_if_needed(self, why: str) -> Path | None:
        """Save trained-but-unsaved weights to models/autosave-*.npz so nothing trained is lost;
        when models/ cannot be written (read-only, immutable, a file), to fallback_dir(), and
        `notice` then says where (the window shows it before it closes). Raises ModelFileError
        when neither place takes them."""
        if not (self.state.model_unsaved and self.state.model is not None):
            return None
        name = f"autosave-{datetime.now():%Y%m%d-%H%M%S}"
        try:
            saved = self.save_to(_free_name(self.models_dir, name))
            msg = f"The trained model was not saved, so it was saved to {self.name(saved)} {why}."
            level = "ok"
        except (NNError, OSError) as first:
            folder = fallback_dir()
            try:
                saved = self.save_to(_free_name(folder, name))
            except (NNError, OSError) as e:
                raise ModelFileError(f"The trained model could not be saved {why}: {shown(first)} "
                                     f"Nor in {home_short(folder)}: {shown(e)}") from None
            # short, so the status bar shows the whole path; the reason goes to the log
            msg = f"Saved the trained model to {home_short(saved)}: {self.name(self.models_dir)} cannot be written."
            log.warning("autosave %s: %s", why, shown(first))
            level = "warn"
            self.notice = msg
        self.say(msg, level)
        log.warning("%s", msg)
        return saved


def _missing(path) -> bool:
    """Nothing at all at `path`: not even a dangling link, a symlink loop or an unreadable folder."""
    try:
        os.stat(path)
        return False
    except FileNotFoundError:
        return not os.path.lexists(path)
    except OSError:
        return False


def _free_name(folder: Path, name: str) -> Path:
    """folder/name.npz, or name-2.npz, name-3.npz, ... when taken."""
    path, n = folder / f"{name}.npz", 1
    while os.path.lexists(path):
        n += 1
        path = folder / f"{name}-{n}.npz"
    return path
