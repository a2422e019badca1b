"""The training run: start an nn.training.Trainer from a TrainingConfig and the loaded data, pause,
resume and stop it, and each frame fold its events into AppState.progress (progress and metric
history), the newest snapshot as the model the pad is read with, and the validation confusion
matrix. Also the words and series that show a run: the progress bar and the two plots.

The trainer trains its own copy of the network in its thread; the window only reads the
read-only snapshots it sends.
"""
from __future__ import annotations

import math
import queue
import re
import time
from typing import Any, Callable

import numpy as np

from nn import training as tr
from ui import theme
from ui.describe import fmt_duration
from ui.model_store import ModelStore
from ui.plots import Series
from ui.state import AppState

STEADY_LR = 1e-4  # continuing the shipped model at this rate keeps its 99.37 % (1e-3: 98.9 % after an epoch)
ACTIVE = ("running", "paused", "stopping")


def restarts_adam(net) -> bool:
    """A trained Adam model whose file kept no Adam moments (models/default.npz is one): training
    it again starts Adam afresh, and Adam's first steps are full-size, which shakes a finished model.
    (The one place the window looks into a Network beyond its public model API: `optimizer.t`.)"""
    opt = getattr(net, "optimizer", None)
    return (net is not None and net.optimizer_name == "adam" and opt is not None and opt.t == 0
            and getattr(net, "epochs_trained", 0) > 0)


class TrainingRun:
    """The one writer of AppState.progress while a run goes on; `trainer` is None when idle.
    `request_eval(net, epoch)` scores an epoch's snapshot; `say(message, level)` reports."""

    def __init__(self, state: AppState, models: ModelStore, request_eval: Callable[..., Any],
                 say: Callable[[str, str], Any]):
        self.state, self.models, self.request_eval, self.say = state, models, request_eval, say
        self.trainer: tr.Trainer | None = None

    @property
    def status(self) -> str:
        return self.state.progress.status

    @property
    def busy(self) -> bool:
        """A run is going (running, paused or stopping): the settings and model actions wait."""
        return self.status in ACTIVE

    def refuse_if_busy(self, what: str) -> bool:
        """Refuse an action while a run is going (saying why); True if refused."""
        if self.busy:
            self.say(f"Stop training (Esc) before you {what}.", "warn")
            return True
        return False

    # ------------------------------------------------------------------ starting and steering
    def start(self, cfg: tr.TrainingConfig) -> None:
        """Train with `cfg`: the current model when it has the config's shape, else a fresh network
        (after autosaving unsaved weights)."""
        s = self.state
        if s.data.loading:
            self.say("The data is still loading; training can start in a moment.", "warn")
            return
        if not s.data.n_train:
            self.say("No training data is loaded: use Open dataset… to pick an MNIST CSV or IDX file."
                     + (f" ({s.data.error})" if s.data.error else ""), "error")
            return
        net, note, level = s.model, "continuing the current model", "info"
        if net is None or not cfg.fits(net):
            self.models.autosave_if_needed("before a new network replaced it")
            net, note = None, "a fresh network (the settings ask for a different shape)"
        elif restarts_adam(net) and cfg.optimizer == "adam" and cfg.lr > STEADY_LR:
            note, level = ("continuing a model saved without Adam's state: expect a dip unless the learning "
                           f"rate is {STEADY_LR:g} or lower", "warn")
        try:
            trainer = tr.Trainer(cfg, s.data.x_train, s.data.labels_train, s.data.x_val, s.data.labels_val,
                                 network=net, calibration=(s.data.x_val, s.data.labels_val))
        except ImportError as e:
            self.say(f"Augmentation is not available ({e}); switch Augment off.", "error")
            return
        p = s.progress
        p.reset()
        p.status, p.epochs = "running", cfg.epochs
        p.started_at = time.perf_counter()
        self.trainer = trainer
        trainer.start()
        self.say(f"Training {'-'.join(map(str, (784, *cfg.layers, 10)))} for {cfg.epochs} epochs on "
                 f"{min(cfg.train_limit or s.data.n_train, s.data.n_train):,} digits, {note}."
                 + (" Space pauses, Esc stops." if level == "info" else ""), level)

    def toggle_pause(self) -> None:
        if self.trainer is None:
            return
        p = self.state.progress
        if p.status == "running":
            self.trainer.pause()
            p.status = "paused"
            self.say("Paused. Space or Resume goes on; Esc stops.", "info")
        elif p.status == "paused":
            self.trainer.resume()
            p.status = "running"
            self.say("Training again.", "info")

    def stop(self) -> None:
        if self.trainer is None or self.status not in ("running", "paused"):
            return
        self.trainer.stop()
        self.state.progress.status = "stopping"
        self.say("Stopping after this batch…", "info")

    def shutdown(self, timeout: float = 0.6) -> None:
        """Window closing: stop, join briefly (the thread is a daemon) and take the last events."""
        trainer = self.trainer
        if trainer is not None:
            trainer.stop()
            trainer.join(timeout)
            self.drain()

    # ------------------------------------------------------------------ the trainer's events
    def drain(self) -> int:
        """Take every waiting trainer event (never blocks) and fold it into the state; returns how many."""
        trainer = self.trainer
        n = 0
        while trainer is not None and self.trainer is trainer:  # stops after the run's last event
            try:
                ev = trainer.events.get_nowait()
            except queue.Empty:
                break
            n += 1
            snapshot = self._fold(ev)
            if snapshot is not None:  # cheap: the pad re-predicts once per frame at most
                self.models.set_model(snapshot, "training run", None, unsaved=True, evaluate=False)
        return n

    def _fold(self, ev):
        """Fold one event into the state; returns a newer snapshot to show, if the event has one."""
        p = self.state.progress
        if isinstance(ev, tr.TrainingStarted):
            p.n_train, p.n_val, p.epochs, p.batches = ev.n_train, ev.n_val, ev.epochs, ev.batches_per_epoch
            p.epoch = 1
        elif isinstance(ev, tr.BatchDone):
            p.epoch, p.batch, p.batches = ev.epoch, ev.batch, ev.of
            p.samples_per_s, p.eta_s = ev.samples_per_s, ev.eta_s
            if math.isfinite(ev.loss):
                p.add_batch(ev.epoch - 1 + ev.batch / ev.of, float(ev.loss))
        elif isinstance(ev, tr.Snapshot):
            return ev.snapshot
        elif isinstance(ev, tr.EpochDone):
            p.add_epoch(ev.epoch, ev.train_loss, ev.val_loss, 100.0 * ev.val_accuracy)
            if p.n_val and ev.confusion is not None and np.asarray(ev.confusion).sum() > 0:
                self.state.results.show_confusion(ev.confusion, f"validation set, epoch {ev.epoch}")
            self.request_eval(ev.snapshot, epoch=ev.epoch)
            return ev.snapshot
        elif isinstance(ev, (tr.TrainingFinished, tr.TrainingStopped)):
            self._ended(ev)
        elif isinstance(ev, tr.TrainingFailed):
            self.trainer = None
            p.status = "idle"
            hint = ""
            if re.search(r"nan|inf|diverg", ev.message, re.I) and "learning rate" not in ev.message.lower():
                hint = " Try a lower learning rate."
            self.say(f"Training failed: {ev.message}{hint}", "error")
        return None

    def _ended(self, ev) -> None:
        """The run finished or was stopped: say so, and show (and score) its last weights."""
        p = self.state.progress
        self.trainer = None
        p.status = "idle"
        secs = time.perf_counter() - p.started_at
        trained = bool(p.loss_x)
        acc = f", validation accuracy {p.val_acc[-1]:.2f} %" if p.val_acc and math.isfinite(p.val_acc[-1]) else ""
        what = "finished" if isinstance(ev, tr.TrainingFinished) else "stopped"
        self.say(f"Training {what} after {len(p.epoch_x)} epoch{'s' if len(p.epoch_x) != 1 else ''} "
                 f"({fmt_duration(secs)}){acc}. Ctrl+S saves the model.", "ok")
        if trained:  # the trainer's own network: saving it keeps the optimiser's state for an exact resume
            model = ev.network if ev.network is not None else ev.snapshot
            self.models.set_model(model, "training run (not saved)", {}, unsaved=True, evaluate=True)


# ---------------------------------------------------------------------- how a run is shown
def loss_and_accuracy_series(p) -> tuple[list[Series], list[Series], float]:
    """The loss and accuracy plots' lines for the run's (or the loaded file's) history, and the
    epochs the x axis spans at least."""
    span = max(1.0, float(p.epochs or 1))
    train_series = (Series("train", p.loss_x, p.loss_smooth, theme.SERIES[0]) if p.loss_x else
                    Series("train", p.epoch_x, p.train_loss, theme.SERIES[0], points=True))
    loss = [train_series, Series("validation", p.epoch_x, p.val_loss, theme.SERIES[1], points=True)]
    if p.test_loss:
        loss.append(Series("test", p.test_x, p.test_loss, theme.SERIES[2], points=True))
    acc = [Series("validation", p.epoch_x, p.val_acc, theme.SERIES[1], points=True, fmt="{:.2f}"),
           Series("test", p.test_x, p.test_acc, theme.SERIES[2], points=True, fmt="{:.2f}")]
    return loss, acc, span


def show_progress(bar, state: AppState) -> None:
    """The progress bar: loading, idle (with what the last run or the file did), or where the run is."""
    p = state.progress
    bar.busy = False  # an animated bar would redraw the window 60 times a second for nothing
    bar.colour = theme.ACCENT_DARK if p.status != "paused" else (120, 100, 40)
    if state.data.loading:
        bar.fraction, bar.text, bar.busy = 0.0, "Loading data…", True
    elif p.status == "idle" and not p.epochs:
        bar.fraction, bar.text = 0.0, "Not training. Press Train (Space) to start."
    elif p.status == "idle" and not p.loss_x:
        bar.fraction, bar.text = 0.0, (
            f"{len(p.epoch_x)} epochs in the file. Learning rate {STEADY_LR:g} keeps it steady."
            if restarts_adam(state.model) else
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
