"""The training session: start an nn.training.Trainer from the form and the loaded data, pause,
resume and stop it, and each frame fold its events into AppState (progress, metric history, the
newest snapshot as the model the pad is read with). Also turns that progress into the plots'
series and the progress bar's text.

The trainer trains its own copy of the network in its thread; the window only reads the
read-only snapshots it sends.
"""
from __future__ import annotations

import math
import queue
import re
import time

import numpy as np

from nn import training as tr
from ui import form, jobs, model_actions, theme
from ui.describe import fmt_duration
from ui.plots import Series


def train_or_pause(app) -> None:
    """Space: start a run when idle, else pause or resume it."""
    st = app.state.progress.status
    if st in ("running", "paused"):
        toggle_pause(app)
    elif st == "idle":
        train(app)


STEADY_LR = 1e-4  # continuing the shipped model at this rate keeps its 99.37 % (1e-3: 98.9 % after an epoch)


def restarts_adam(net) -> bool:
    """A trained Adam model whose file kept no Adam moments (models/default.npz is one): training
    it again starts Adam afresh, and Adam's first steps are full-size, which shakes a finished model."""
    opt = getattr(net, "optimizer", None)
    return (net is not None and net.optimizer_name == "adam" and opt is not None and opt.t == 0
            and getattr(net, "epochs_trained", 0) > 0)


def train(app) -> None:
    """Start training with the form's settings: the current model when it has the form's shape,
    else a fresh network (after autosaving unsaved weights)."""
    s = app.state
    if app._busy_training("start another run"):
        return
    cfg = form.config(app)
    if s.data.loading:
        app.set_status("The data is still loading; training can start in a moment.", "warn")
        return
    if not s.data.n_train:
        app.set_status("No training data is loaded: use Open dataset… to pick an MNIST CSV or IDX file."
                       + (f" ({s.data.error})" if s.data.error else ""), "error")
        return
    net, note, level = s.model, "continuing the current model", "info"
    same = net is not None and tuple(net.sizes[1:-1]) == tuple(cfg.layers) and tuple(net.activations) == (
        (cfg.activation,) * len(cfg.layers) if isinstance(cfg.activation, str) else tuple(cfg.activation))
    if not same:
        model_actions.autosave_if_needed(app, "before a new network replaced it")
        net, note = None, "a fresh network (the settings ask for a different shape)"
    elif restarts_adam(net) and cfg.optimizer == "adam" and cfg.lr > STEADY_LR:
        note, level = ("continuing a model saved without Adam's state: expect a dip unless the learning "
                       f"rate is {STEADY_LR:g} or lower", "warn")
    try:
        trainer = tr.Trainer(cfg, s.data.x_train, s.data.labels_train, s.data.x_val, s.data.labels_val,
                             network=net)
    except ImportError as e:
        app.set_status(f"Augmentation is not available ({e}); switch Augment off.", "error")
        return
    s.progress.reset()
    s.progress.status, s.progress.epochs = "running", cfg.epochs
    s.progress.started_at = time.perf_counter()
    app.trainer = trainer
    trainer.start()
    app._plots_dirty = True
    app.set_status(f"Training {'-'.join(map(str, (784, *cfg.layers, 10)))} for {cfg.epochs} epochs on "
                   f"{min(cfg.train_limit or s.data.n_train, s.data.n_train):,} digits, {note}."
                   + (" Space pauses, Esc stops." if level == "info" else ""), level)


def toggle_pause(app) -> None:
    if app.trainer is None:
        return
    p = app.state.progress
    if p.status == "running":
        app.trainer.pause()
        p.status = "paused"
        app.set_status("Paused. Space or Resume goes on; Esc stops.", "info")
    elif p.status == "paused":
        app.trainer.resume()
        p.status = "running"
        app.set_status("Training again.", "info")


def stop(app) -> None:
    if app.trainer is None or app.state.progress.status not in ("running", "paused"):
        return
    app.trainer.stop()
    app.state.progress.status = "stopping"
    app.set_status("Stopping after this batch…", "info")


def drain(app) -> int:
    """Take every waiting trainer event (never blocks) and fold it into the state; returns how many."""
    trainer = app.trainer
    n = 0
    while trainer is not None and app.trainer is trainer:  # stops after the run's last event
        try:
            ev = trainer.events.get_nowait()
        except queue.Empty:
            break
        n += 1
        snapshot = _fold(app, ev)
        if snapshot is not None:  # cheap: the pad re-predicts once per frame at most
            model_actions.set_model(app, snapshot, "training run", None, unsaved=True, evaluate=False)
    return n


def _fold(app, ev):
    """Fold one event into the state; returns a newer snapshot to show, if the event has one."""
    p = app.state.progress
    if isinstance(ev, tr.TrainingStarted):
        p.n_train, p.n_val, p.epochs, p.batches = ev.n_train, ev.n_val, ev.epochs, ev.batches_per_epoch
        p.epoch = 1
    elif isinstance(ev, tr.BatchDone):
        p.epoch, p.batch, p.batches = ev.epoch, ev.batch, ev.of
        p.samples_per_s, p.eta_s = ev.samples_per_s, ev.eta_s
        if math.isfinite(ev.loss):
            p.add_batch(ev.epoch - 1 + ev.batch / ev.of, float(ev.loss))
        app._plots_dirty = True
    elif isinstance(ev, tr.Snapshot):
        return ev.snapshot
    elif isinstance(ev, tr.EpochDone):
        p.epoch_x.append(ev.epoch)
        p.train_loss.append(ev.train_loss)
        p.val_loss.append(ev.val_loss)
        p.val_acc.append(100.0 * ev.val_accuracy)
        app._plots_dirty = True
        if p.n_val and ev.confusion is not None and np.asarray(ev.confusion).sum() > 0:
            app.confusion.set(ev.confusion, f"validation set, epoch {ev.epoch}")
        jobs.request_eval(app, ev.snapshot, epoch=ev.epoch)
        return ev.snapshot
    elif isinstance(ev, (tr.TrainingFinished, tr.TrainingStopped)):
        _ended(app, ev)
    elif isinstance(ev, tr.TrainingFailed):
        app.trainer = None
        p.status = "idle"
        hint = ""
        if re.search(r"nan|inf|diverg", ev.message, re.I) and "learning rate" not in ev.message.lower():
            hint = " Try a lower learning rate."
        app.set_status(f"Training failed: {ev.message}{hint}", "error")
        app._plots_dirty = True
    return None


def _ended(app, ev) -> None:
    """The run finished or was stopped: say so, and show (and score) its last weights."""
    p = app.state.progress
    app.trainer = None
    p.status = "idle"
    secs = time.perf_counter() - p.started_at
    trained = bool(p.loss_x)
    acc = f", validation accuracy {p.val_acc[-1]:.2f} %" if p.val_acc and math.isfinite(p.val_acc[-1]) else ""
    what = "finished" if isinstance(ev, tr.TrainingFinished) else "stopped"
    app.set_status(f"Training {what} after {len(p.epoch_x)} epoch{'s' if len(p.epoch_x) != 1 else ''} "
                   f"({fmt_duration(secs)}){acc}. Ctrl+S saves the model.", "ok")
    app._plots_dirty = True
    if trained:  # the trainer's own network: saving it keeps the optimiser's state for an exact resume
        model = ev.network if ev.network is not None else ev.snapshot
        model_actions.set_model(app, model, "training run (not saved)", {}, unsaved=True, evaluate=True)


def update_plots(app) -> None:
    """Give the loss and accuracy plots the run's (or the loaded file's) history."""
    p = app.state.progress
    span = max(1.0, float(p.epochs or 1))
    train_series = (Series("train", p.loss_x, p.loss_smooth, theme.SERIES[0]) if p.loss_x else
                    Series("train", p.epoch_x, p.train_loss, theme.SERIES[0], points=True))
    loss = [train_series, Series("validation", p.epoch_x, p.val_loss, theme.SERIES[1], points=True)]
    if p.test_loss:
        loss.append(Series("test", p.test_x, p.test_loss, theme.SERIES[2], points=True))
    app.loss_plot.set_series(loss, x_min_span=span)
    app.acc_plot.set_series([
        Series("validation", p.epoch_x, p.val_acc, theme.SERIES[1], points=True, fmt="{:.2f}"),
        Series("test", p.test_x, p.test_acc, theme.SERIES[2], points=True, fmt="{:.2f}"),
    ], x_min_span=span)
    app._plots_dirty = False


def show_progress(app) -> None:
    """The progress bar: loading, idle (with what the last run or the file did), or where the run is."""
    p, bar = app.state.progress, app.progress
    bar.busy = False  # an animated bar would redraw the window 60 times a second for nothing
    bar.colour = theme.ACCENT_DARK if p.status != "paused" else (120, 100, 40)
    if app.state.data.loading:
        bar.fraction, bar.text, bar.busy = 0.0, "Loading data…", True
    elif p.status == "idle" and not p.epochs:
        bar.fraction, bar.text = 0.0, "Not training. Press Train (Space) to start."
    elif p.status == "idle" and not p.loss_x:
        bar.fraction, bar.text = 0.0, (
            f"{len(p.epoch_x)} epochs in the file. Learning rate {STEADY_LR:g} keeps it steady."
            if restarts_adam(app.state.model) else
            f"The model file's history: {len(p.epoch_x)} epochs. Press Train (Space) to go on.")
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
