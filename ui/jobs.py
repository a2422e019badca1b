"""Background work for the window: loading a dataset and scoring the test set run in small daemon
threads that the frame loop polls, so the loop never waits for them.

The worker side (`Job`, `load_data`) touches no window state; the window side (`start_loading`,
`open_dataset`, `request_eval`, `poll`) runs on the main thread and folds finished jobs into
AppState, the confusion matrix and the gallery of mistakes.
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any, Callable

import numpy as np

from nn.errors import NNError
from nn.training import confusion_matrix
from ui.state import Score

log = logging.getLogger(__name__)
GALLERY_SIZE = 60  # misread test digits shown on the Mistakes tab


class Job:
    """Run `fn()` in a daemon thread; poll `done`, then read `result` or `error`."""

    def __init__(self, name: str, fn: Callable[[], Any]):
        self.name, self.result, self.error = name, None, None
        self._thread = threading.Thread(target=self._run, args=(fn,), name=f"ui-{name}", daemon=True)
        self._thread.start()

    def _run(self, fn):
        try:
            self.result = fn()
        except BaseException as e:  # reported on the main thread
            self.error = e

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()


def load_data(root: Path, train_path: str | None = None, test_path: str | None = None,
               keep: Any = None) -> dict:
    """Load the training and test files (a background thread). Returns the arrays and paths.

    With no paths, uses nn.data.default_paths(root) (the MNIST folder, else the bundled sample).
    `keep`: a DataInfo whose test (or training) arrays are kept when only one file is given.
    """
    from nn import data as nd
    out: dict[str, Any] = {"note": "", "is_sample": False}
    if train_path is None and test_path is None:
        paths = nd.default_paths(str(root))
        train_path, test_path = paths.train, paths.test
        out["note"], out["is_sample"] = paths.note or "", bool(paths.is_sample)
    if train_path:
        x, labels = nd.load_mnist(str(train_path))
        n = len(x)
        n_val = min(5000, n // 12) if n >= 24 else 0
        if n_val:
            tr_idx, va_idx = nd.train_val_split(n, n_val / n, 0)
            out.update(x_train=x[tr_idx], labels_train=labels[tr_idx], x_val=x[va_idx], labels_val=labels[va_idx])
        else:
            out.update(x_train=x, labels_train=labels, x_val=x[:0], labels_val=labels[:0])
        out["train_path"] = str(train_path)
    elif keep is not None:
        out.update(x_train=keep.x_train, labels_train=keep.labels_train, x_val=keep.x_val,
                   labels_val=keep.labels_val, train_path=keep.train_path)
    if test_path:
        out["x_test"], out["labels_test"] = nd.load_mnist(str(test_path))
        out["test_path"] = str(test_path)
    elif keep is not None:
        out.update(x_test=keep.x_test, labels_test=keep.labels_test, test_path=keep.test_path)
    return out


# ----------------------------------------------------------------------------- the window side
def start_loading(app, train_path: str | None = None, test_path: str | None = None) -> None:
    """Load the data in the background: the given file(s), else the default (MNIST/ or the sample)."""
    d = app.state.data
    d.loading, d.error = True, ""
    keep = d if (train_path or test_path) else None
    app.jobs["data"] = Job("data", lambda: load_data(app.root, train_path, test_path, keep))
    app.set_status("Loading " + (os.path.basename(train_path or test_path or "") or "the data") + "…")


def open_dataset(app) -> None:
    """Ask for a training or test file (told apart by its name) and load it in the background."""
    if app._busy_training("open another dataset"):
        return
    if app.state.data.loading:
        app.set_status("A dataset is already loading.", "warn")
        return
    start = app.root / "MNIST"
    path = app._ask(app.dialogs.open_dataset, str(start if start.is_dir() else app.root))
    if not path:
        app.set_status("Open dataset cancelled.")
        return
    name = os.path.basename(path).lower()
    if "test" in name or "t10k" in name:
        start_loading(app, test_path=path)
    else:
        start_loading(app, train_path=path)


def request_eval(app, net=None, epoch: int | None = None) -> None:
    """Score `net` (default: the current model) on the test set in the background."""
    net = net if net is not None else app.state.model
    if net is None:
        return
    d = app.state.data
    if d.x_test is None or not len(d.x_test):
        if d.loading:
            app._eval_pending = True
        return
    job = app.jobs.get("eval")
    if job is not None and not job.done:
        app._eval_pending = True  # score the newest model when this one is done
        app._eval_next = (net, epoch)
        return
    app._eval_pending = False
    x, labels = d.x_test, d.labels_test
    app.jobs["eval"] = Job("eval", lambda: (net, epoch, _quiet_evaluate(net, x, labels)))


def poll(app) -> bool:
    """Take the results of finished background jobs; True if there were any."""
    done = False
    job = app.jobs.get("data")
    if job is not None and job.done:
        del app.jobs["data"]
        _data_loaded(app, job)
        done = True
    job = app.jobs.get("eval")
    if job is not None and job.done:
        del app.jobs["eval"]
        _eval_done(app, job)
        done = True
        if app._eval_pending:
            net, epoch = app._eval_next
            app._eval_next = (None, None)
            request_eval(app, net, epoch)
    return done


def _data_loaded(app, job: Job) -> None:
    d = app.state.data
    d.loading = False
    if job.error is not None:
        e = job.error
        if isinstance(e, (NNError, OSError)):
            d.error = str(e)
            app.set_status(f"Could not load the data: {e}", "error")
        elif isinstance(e, ImportError):
            d.error = f"the data loader is missing ({e})"
            app.set_status(f"Could not load the data: {d.error}.", "error")
        else:
            log.error("loading data failed", exc_info=e)
            d.error = f"{type(e).__name__}: {e}"
            app.set_status(f"Unexpected error while loading data: {d.error} (details in the log).", "error")
        return
    r = job.result
    for key in ("x_train", "labels_train", "x_val", "labels_val", "x_test", "labels_test"):
        if key in r:
            setattr(d, key, r[key])
    d.train_path = r.get("train_path", d.train_path)
    d.test_path = r.get("test_path", d.test_path)
    if "note" in r and (r.get("note") or r.get("is_sample") is not None):
        d.note, d.is_sample = r.get("note", ""), bool(r.get("is_sample"))
    msg = f"Data ready: {d.n_train:,} training, {d.n_val:,} validation, {d.n_test:,} test digits"
    if d.is_sample:  # the panel already names the files; keep the line short enough to read whole
        msg += " from the bundled sample (no MNIST/ files). `python main.py download` gets the full set."
    elif d.note:
        msg += f". {d.note}"
    else:
        msg += "."
    app.set_status(msg, "warn" if d.is_sample else "ok")
    request_eval(app)


def _quiet_evaluate(net, x, labels):
    with np.errstate(all="ignore"):  # a damaged model's overflow is reported by _eval_done
        return net.evaluate(x, labels)


def _eval_done(app, job: Job) -> None:
    if job.error is not None:
        log.error("scoring the test set failed", exc_info=job.error)
        return
    net, epoch, (loss, acc, preds) = job.result
    if not np.isfinite(loss):  # no meaningless accuracy for outputs that are not numbers
        if net is app.state.model and epoch is None:
            app.set_status("This model's output is not a number on some test digits (its weights overflow): "
                           "it is damaged; load or train another.", "error")
        return
    d = app.state.data
    labels = np.asarray(d.labels_test).astype(np.int64)
    if len(preds) != len(labels):  # the test set changed meanwhile
        return
    confusion = confusion_matrix(labels, preds)
    wrong = np.flatnonzero(preds != labels)[:GALLERY_SIZE]
    if net is app.state.model or epoch is not None:
        app.state.test_score = Score(100.0 * acc, d.test_path, len(labels), epoch, net)
        where = f"epoch {epoch}" if epoch is not None else "current model"
        when = f" (epoch {epoch})" if epoch is not None else ""
        app.confusion.set(confusion, f"test set, {where}")
        app.gallery.set(d.x_test[wrong], labels[wrong], preds[wrong],
                        f"{int((preds != labels).sum()):,} of {len(labels):,} test digits misread{when}: "
                        "true → read as. Click one to try it.")
    if epoch is not None:
        p = app.state.progress
        p.test_x.append(epoch)
        p.test_acc.append(100.0 * acc)
        app._plots_dirty = True
