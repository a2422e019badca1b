"""Actions on the model: load the start-up model, New, Load, Save and autosave, and switching the
model the window shows (with the training history and accuracy its file records).

Every action that replaces a model first autosaves trained weights nobody saved, and a failed
load raises before anything changes, so the current model stays as it was.
"""
from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from nn import model_io
from nn.errors import NNError
from ui import form, jobs
from ui.describe import arch, file_accuracy, short_path

log = logging.getLogger(__name__)


def _loaded_message(short: str, net, meta: dict) -> str:
    acc = file_accuracy(meta)
    return (f"Loaded {short} ({arch(net)}"
            + (f"; {acc[0]:.2f} % on {acc[1]} when saved" if acc is not None else "") + ")")


def start(app, model_path: str | None) -> None:
    """Load the start-up model, or fall back to fresh weights and say why."""
    path = None if model_path is None else (app.root / model_path if not os.path.isabs(model_path)
                                            else Path(model_path))
    if path is not None and path.exists():
        try:
            net, meta = model_io.load_model(path)
            short = short_path(str(path), app.root)
            set_model(app, net, short, meta, unsaved=False)
            app.set_status(_loaded_message(short, net, meta) + ". Draw a digit!", "ok")
            form.fill_from(app, net)
            show_history(app, meta)
            return
        except NNError as e:
            reason = f"{e} Starting with fresh, untrained weights."
    else:
        reason = (f"No {model_path} yet: starting with fresh, untrained weights. "
                  "Press Train (Space) to teach it.")
    set_model(app, form.config(app).network(), "fresh weights (untrained)", {}, unsaved=False)
    app.set_status(reason, "warn")


def set_model(app, net, source: str, meta: dict | None = None, unsaved: bool = False,
              evaluate: bool = True) -> None:
    """Show `net` in the window. `meta`: its file's metadata, {} for none, or None to keep the
    current one (a newer snapshot of the same training run). `evaluate`: score it on the test set."""
    s = app.state
    s.model, s.model_source = net, source
    if meta is not None:
        s.model_meta = meta
        s.test_score = None  # another model: not scored here yet
    s.model_unsaved = unsaved
    app._model_changed = True
    app._weights_dirty = True
    if evaluate:
        jobs.request_eval(app)


def show_history(app, meta: dict) -> None:
    """Plot the per-epoch history a model file carries (written by the window or the CLI)."""
    p = app.state.progress
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
    app._plots_dirty = True


def new(app) -> None:
    """Fresh, untrained weights in the shape the form asks for."""
    if app._busy_training("make a new model"):
        return
    cfg = form.config(app)
    autosave_if_needed(app, "before the new model replaced it")
    set_model(app, cfg.network(), "fresh weights (untrained)", {}, unsaved=False)
    app.state.progress.reset()
    app._plots_dirty = True
    app.set_status(f"New {arch(app.state.model)} network with fresh, untrained weights.", "ok")


def load(app) -> None:
    """Ask for a model file and show it (its settings go into the form, its history into the plots)."""
    if app._busy_training("load a model"):
        return
    path = app._ask(app.dialogs.open_model, str(app.models_dir))
    if not path:
        app.set_status("Open cancelled.")
        return
    net, meta = model_io.load_model(path)  # raises ModelFileError: the current model stays as it was
    autosave_if_needed(app, "before the loaded model replaced it")
    short = short_path(path, app.root)
    set_model(app, net, short, meta, unsaved=False)
    form.fill_from(app, net)
    show_history(app, meta)
    app.set_status(_loaded_message(short, net, meta) + ".", "ok")


def save(app) -> None:
    """Ask where, then save the current model (while training: its newest snapshot)."""
    net = app.state.model
    if net is None:
        app.set_status("There is no model to save.", "warn")
        return
    name = f"model-{datetime.now():%Y%m%d-%H%M%S}.npz"
    path = app._ask(app.dialogs.save_model, str(app.models_dir), name)
    if not path:
        app.set_status("Save cancelled.")
        return
    save_to(app, path)
    app.set_status(f"Saved the model to {path}"
                   + (" (the newest weights; training goes on)." if app.state.progress.status
                      in ("running", "paused") else "."), "ok")


def save_to(app, path) -> Path:
    """Save the current model with its history, the data it was trained on and its test accuracy
    with the test set that figure is on; returns the path written."""
    s = app.state
    meta: dict[str, Any] = {"source": "window"}
    scored = s.test_score.model if s.test_score is not None else None
    if scored is not None and (scored is s.model or np.array_equal(scored.params, s.model.params)):
        meta["test_accuracy"] = s.test_score.accuracy / 100.0  # only a figure of these very weights
        meta["test_data"] = short_path(s.test_score.path, app.root)
    elif not s.model_unsaved:  # the file's own figure still holds for its unchanged weights
        meta.update({k: s.model_meta[k] for k in ("test_accuracy", "test_data") if k in s.model_meta})
    if s.progress.epoch_x:
        meta["history"] = [{"epoch": e, "train_loss": a, "val_loss": b, "val_accuracy": c / 100.0}
                           for e, a, b, c in zip(s.progress.epoch_x, s.progress.train_loss,
                                                 s.progress.val_loss, s.progress.val_acc)]
    if s.data.train_path:
        meta["train_data"] = short_path(s.data.train_path, app.root)
    saved = model_io.save_model(path, s.model, meta)
    s.model_unsaved = False
    s.model_source = short_path(str(saved), app.root)
    s.model_meta = meta
    return Path(saved)


def autosave_if_needed(app, why: str) -> Path | None:
    """Save trained-but-unsaved weights to models/autosave-*.npz so nothing trained is lost."""
    if not (app.state.model_unsaved and app.state.model is not None):
        return None
    path = app.models_dir / f"autosave-{datetime.now():%Y%m%d-%H%M%S}.npz"
    n = 1
    while path.exists():
        n += 1
        path = app.models_dir / f"autosave-{datetime.now():%Y%m%d-%H%M%S}-{n}.npz"
    saved = save_to(app, path)
    msg = f"The trained model was not saved, so it was saved to {short_path(str(saved), app.root)} {why}."
    app.set_status(msg, "ok")
    log.warning("%s", msg)
    return saved
